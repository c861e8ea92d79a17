package vectorize

import (
	"unicode"
	"unicode/utf8"
)

// Tokenizer splits text into lower-cased tokens of letters and digits.
//
// A token is a maximal run of Unicode letters, marks and digits; an
// apostrophe (' or ’) is kept only between two such characters, so "don't"
// is one token while the quotes of 'word' are separators. HTML tags
// ("<br />", "<i>") are separators, because IMDB reviews carry them as
// markup, not words.
type Tokenizer struct {
	// Lowercase folds letters to lower case (default true in configs).
	Lowercase bool `json:"lowercase"`
	// StripHTML treats "<tag ...>" as a separator (default true in configs).
	StripHTML bool `json:"strip_html"`
}

// asciiClass classifies the bytes below 0x80: 1 = letter or digit.
var asciiClass = func() (t [128]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	return t
}()

// maxTagLen bounds how far a '<' looks for its '>' so a stray "<" in prose
// cannot swallow the rest of a long document.
const maxTagLen = 256

// Each calls emit once per token of text, in order. The token slice is only
// valid during the call; buf is a scratch buffer that is returned (possibly
// grown) for reuse, so tokenizing allocates nothing in the steady state.
func (t Tokenizer) Each(text string, buf []byte, emit func(tok []byte)) []byte {
	tok := buf[:0]
	n := len(text)
	for i := 0; i < n; {
		c := text[i]
		if c < utf8.RuneSelf {
			if asciiClass[c] {
				if t.Lowercase && 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				tok = append(tok, c)
				i++
				continue
			}
			if c == '\'' && len(tok) > 0 && i+1 < n && startsWord(text[i+1:]) {
				tok = append(tok, '\'')
				i++
				continue
			}
			if c == '<' && t.StripHTML {
				if end := tagEnd(text, i); end > 0 {
					if len(tok) > 0 {
						emit(tok)
						tok = tok[:0]
					}
					i = end
					continue
				}
			}
			if len(tok) > 0 {
				emit(tok)
				tok = tok[:0]
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || (unicode.IsMark(r) && len(tok) > 0):
			if t.Lowercase {
				r = unicode.ToLower(r)
			}
			tok = utf8.AppendRune(tok, r)
		case r == '’' && len(tok) > 0 && i+size < n && startsWord(text[i+size:]):
			tok = append(tok, '\'')
		default:
			if len(tok) > 0 {
				emit(tok)
				tok = tok[:0]
			}
		}
		i += size
	}
	if len(tok) > 0 {
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
		return asciiClass[c]
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
