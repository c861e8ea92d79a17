package vectorize

import (
	"unicode"
	"unicode/utf8"

	"github.com/dlc-dev/dlc/internal/option"
)

// Tokenizer splits text into tokens of letters and digits.
//
// A token is a maximal run of Unicode letters, marks and digits; an
// apostrophe (' or ’, both kept as ') is kept only between two such
// characters, so "don't" is one token while the quotes of 'word' are
// separators. HTML tags ("<br />", "<i>") are separators, because IMDB
// reviews carry them as markup, not words. Stop words and tokens shorter
// than MinLength are dropped before n-grams are formed, as scikit-learn
// does: with English stop words, "the best of the year" has the tokens
// "best" and "year" and the bigram "best year".
//
// The zero value keeps case and markup and drops nothing; configs default
// to Lowercase and StripHTML.
type Tokenizer struct {
	// Lowercase folds letters to lower case (default true in configs).
	Lowercase bool `json:"lowercase"`
	// StripHTML treats "<tag ...>" as a separator (default true in configs).
	StripHTML bool `json:"strip_html"`
	// StopWords names a list of words to drop: "" or "none" for none,
	// "english" for EnglishStopWords. Matching ignores ASCII case.
	StopWords string `json:"stop_words,omitempty"`
	// MinLength drops tokens of fewer characters (Unicode code points);
	// 0 and 1 keep every token.
	MinLength int `json:"min_length,omitempty"`
}

// The stop-word lists a Tokenizer knows.
const (
	NoStopWords      = "none"
	EnglishStopWords = "english"
)

// StopWordLists lists the values of Tokenizer.StopWords, for messages.
var StopWordLists = []string{NoStopWords, EnglishStopWords}

// Validate reports an option the tokenizer cannot apply, as an
// *option.Error named as the config's vectorizer section names it.
func (t Tokenizer) Validate() error {
	if t.StopWords != "" {
		if err := option.OneOf("stop_words", t.StopWords, StopWordLists); err != nil {
			return err
		}
	}
	if t.MinLength < 0 {
		return option.Errorf("min_token_length", "must not be negative, not %d", t.MinLength)
	}
	return nil
}

// wordByte maps an ASCII letter or digit to itself and every other byte to
// 0; wordByteLower also folds A-Z to a-z. Bytes of 0x80 and above map to 0
// and take the Unicode path.
var wordByte, wordByteLower = func() (keep, lower [256]byte) {
	for c := byte('0'); c <= '9'; c++ {
		keep[c], lower[c] = c, c
	}
	for c := byte('a'); c <= 'z'; c++ {
		keep[c], lower[c] = c, c
		keep[c-'a'+'A'], lower[c-'a'+'A'] = c-'a'+'A', c
	}
	return
}()

// maxTagLen bounds how far a '<' looks for its '>' so a stray "<" in prose
// cannot swallow the rest of a long document.
const maxTagLen = 256

// filter decides which finished tokens are emitted.
type filter struct {
	minLen int
	stop   map[string]struct{}
}

func (t Tokenizer) filter() filter {
	f := filter{minLen: t.MinLength}
	if t.StopWords == EnglishStopWords {
		f.stop = englishStopWords
	}
	return f
}

// keep reports whether a token of runes characters survives the filter.
func (f *filter) keep(tok []byte, runes int) bool {
	if runes < f.minLen {
		return false
	}
	if f.stop == nil || len(tok) > maxStopWordLen {
		return true
	}
	// Fold ASCII case into a stack buffer, so "The" is a stop word even
	// when the text keeps its case; the lists are ASCII lower case.
	var low [maxStopWordLen]byte
	for i, c := range tok {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	_, stop := f.stop[string(low[:len(tok)])]
	return !stop
}

// Each calls emit once per token of text, in order. The token slice is only
// valid during the call; buf is a scratch buffer that is returned (possibly
// grown) for reuse, so tokenizing allocates nothing in the steady state.
func (t Tokenizer) Each(text string, buf []byte, emit func(tok []byte)) []byte {
	return t.each(text, buf, false, emit)
}

// each is Each; with keep, every emitted token stays where it is and the
// next one is cut after it (in buf while it has room), so that the slices
// emit was given stay valid once each returns.
func (t Tokenizer) each(text string, buf []byte, keep bool, emit func(tok []byte)) []byte {
	table := &wordByte
	if t.Lowercase {
		table = &wordByteLower
	}
	f := t.filter()
	tok := buf[:0]
	runes := 0 // characters in tok
	n := len(text)
	for i := 0; i < n; {
		// The common case: a run of ASCII letters and digits. (Copying the
		// run at once and folding it in place measured slower: tokens are
		// short.)
		start := i
		for i < n {
			b := table[text[i]]
			if b == 0 {
				break
			}
			tok = append(tok, b)
			i++
		}
		runes += i - start
		if i >= n {
			break
		}
		c := text[i]
		if c < utf8.RuneSelf {
			if c == '\'' && len(tok) > 0 && i+1 < n && startsWord(text[i+1:]) {
				tok = append(tok, '\'')
				runes++
				i++
				continue
			}
			i++
			if c == '<' && t.StripHTML {
				if end := tagEnd(text, i-1); end > 0 {
					i = end
				}
			}
			if len(tok) > 0 {
				if f.keep(tok, runes) {
					emit(tok)
					if keep {
						tok = tok[len(tok):]
					}
				}
				tok, runes = tok[:0], 0
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || (unicode.IsMark(r) && len(tok) > 0):
			if t.Lowercase {
				r = unicode.ToLower(r)
			}
			tok = utf8.AppendRune(tok, r)
			runes++
		case r == '’' && len(tok) > 0 && i+size < n && startsWord(text[i+size:]):
			tok = append(tok, '\'')
			runes++
		default:
			if len(tok) > 0 {
				if f.keep(tok, runes) {
					emit(tok)
					if keep {
						tok = tok[len(tok):]
					}
				}
				tok, runes = tok[:0], 0
			}
		}
		i += size
	}
	if len(tok) > 0 && f.keep(tok, runes) {
		emit(tok)
	}
	return tok[:0]
}

// Tokens returns the tokens of text as strings; for display and tests, not
// for hot paths.
func (t Tokenizer) Tokens(text string) []string {
	var out []string
	t.Each(text, nil, func(tok []byte) { out = append(out, string(tok)) })
	return out
}

// startsWord reports whether s begins with a letter or digit.
func startsWord(s string) bool {
	c := s[0]
	if c < utf8.RuneSelf {
		return wordByte[c] != 0
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// tagEnd returns the index just past the '>' closing an HTML tag that starts
// at text[i] == '<', or 0 when what follows is not a tag ("a < b").
func tagEnd(text string, i int) int {
	if i+1 >= len(text) {
		return 0
	}
	c := text[i+1]
	if !(c == '/' || c == '!' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')) {
		return 0
	}
	limit := min(len(text), i+maxTagLen)
	for j := i + 2; j < limit; j++ {
		switch text[j] {
		case '>':
			return j + 1
		case '<':
			return 0
		}
	}
	return 0
}
