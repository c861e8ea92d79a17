package vectorize

import (
	"encoding/binary"
	"math/bits"
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

// hi8 is the high bit of each byte of a word.
const hi8 = 0x8080808080808080

// asciiWords classifies eight ASCII bytes (high bits clear) at once: word
// has the high bit of each byte that is a letter or digit (wordByte is not
// 0), and low is x with A-Z folded to a-z when lower is set (wordByteLower's
// folding). Adding 0x80-lo to a byte below 0x80 sets its high bit exactly
// when it is >= lo, and cannot carry into the next byte.
func asciiWords(x uint64, lower bool) (word, low uint64) {
	const ones = 0x0101010101010101
	ge := func(v uint64, lo byte) uint64 { return (v + (0x80-uint64(lo))*ones) & hi8 }
	in := func(v uint64, lo, hi byte) uint64 { return ge(v, lo) &^ ge(v, hi+1) }
	word = in(x|0x20*ones, 'a', 'z') | in(x, '0', '9')
	low = x
	if lower {
		low |= in(x, 'A', 'Z') >> 2 // 0x80>>2 is the case bit, 0x20
	}
	return word, low
}

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
		// short. Skipping the byte loop after a run the eight-byte loop
		// ended measured no faster.)
		start := i
		if free := tok[len(tok):cap(tok)]; len(free) >= n-i {
			// The rest of the text fits after tok (as it does in the
			// buffer of textTokens): store each byte by index, without
			// append's capacity test per byte.
			j := 0
			// Eight bytes at a time while they are ASCII: one test per
			// word of up to 7 bytes instead of one per byte, whose
			// mispredicted exit at the word's end was the loop's cost.
			for i+8 <= n && j+8 <= len(free) {
				x := binary.LittleEndian.Uint64([]byte(text[i : i+8]))
				if x&hi8 != 0 {
					break // a non-ASCII byte: the loop below and the Unicode path
				}
				word, low := asciiWords(x, t.Lowercase)
				binary.LittleEndian.PutUint64(free[j:j+8], low)
				run := bits.TrailingZeros64(^word&hi8) / 8 // 8 when all are
				i, j = i+run, j+run
				if run < 8 {
					break
				}
			}
			for ; i < n && j < len(free); i, j = i+1, j+1 {
				b := table[text[i]]
				if b == 0 {
					break
				}
				free[j] = b
			}
			tok = tok[:len(tok)+j]
		} else {
			for i < n {
				b := table[text[i]]
				if b == 0 {
					break
				}
				tok = append(tok, b)
				i++
			}
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
