package vectorize

import (
	"encoding/binary"
	"slices"
	"unicode"
	"unicode/utf8"

	"github.com/dlc-dev/dlc/internal/option"
)

// Character n-grams are runs of Unicode code points (never bytes, so a
// Chinese or Thai character is one character, whatever its UTF-8 length).
// They give a text features where its words give few or none: a script
// written without spaces (Chinese, Japanese, Thai) is one "word" per
// sentence to the tokenizer, which no other text repeats, while its
// characters and their pairs recur; and a misspelt or inflected word
// shares most of its character n-grams with the right one (fastText's
// subwords, scikit-learn's analyzer="char_wb").
//
// A character n-gram is a feature of the same vocabulary (or hashing
// buckets) as the word n-grams, written in square brackets: "[<fi]" is
// the three characters "<fi". Word n-grams hold only letters, digits,
// apostrophes and spaces, so the bracket tells the two apart.

// CharAnalyzer says where character n-grams are taken from.
type CharAnalyzer string

// The character analyzers, named as scikit-learn names them.
const (
	// CharWB takes n-grams inside each word (token) only, the word
	// marked by "<" before and ">" after, as fastText marks its subwords
	// ("<fi", "fil", "ilm", "lm>"): scikit-learn's "char_wb".
	CharWB CharAnalyzer = "char_wb"
	// Char takes n-grams across words too, over the text with its case
	// folded (with lowercase), its HTML tags (with strip_html) and every
	// run of white space made one space: scikit-learn's "char".
	// Punctuation is kept ("!!", "d, t").
	Char CharAnalyzer = "char"
)

// CharAnalyzers lists the analyzers, for messages.
var CharAnalyzers = []CharAnalyzer{CharWB, Char}

// MaxCharNGram is the longest character n-gram accepted: longer ones are
// nearly as rare as the words themselves and multiply the work per text.
const MaxCharNGram = 10

// CharGrams is the range of character n-gram lengths, in code points:
// [Min, Max]; the zero value is none.
type CharGrams [2]int

// On reports whether character n-grams are asked for.
func (c CharGrams) On() bool { return c != CharGrams{} }

func (c CharGrams) check() error {
	if !c.On() {
		return nil
	}
	if c[0] < 1 || c[1] < c[0] || c[1] > MaxCharNGram {
		return option.Errorf("char_ngrams", "must be [min, max] with 1 ≤ min ≤ max ≤ %d, not [%d, %d]", MaxCharNGram, c[0], c[1])
	}
	return nil
}

// charGrammer makes a text's character n-grams with reused buffers.
type charGrammer struct {
	tok      Tokenizer
	analyzer CharAnalyzer
	min, max int
	text     []byte     // the padded word or the normalized text, with room for an 8-byte load past its end
	offs     []int      // offsets of its code points, and its length last
	grams    textTokens // the text's n-grams, bracketed and hashed
	tokBuf   []byte
}

func newCharGrammer(o Options) *charGrammer {
	a := o.CharAnalyzer
	if a == "" {
		a = CharWB
	}
	return &charGrammer{tok: o.Tokenizer, analyzer: a, min: o.CharNGrams[0], max: o.CharNGrams[1]}
}

// each calls emit with every character n-gram of text, in its bracketed
// form; the slice is valid only during the call.
func (g *charGrammer) each(text string, emit func(gram []byte)) {
	for _, gram := range g.fill(text, nil, false).toks {
		emit(gram)
	}
}

// fill makes the character n-grams of text, in their bracketed form and
// hashed for the tables, so that the caller probes a table for all of
// them in a loop of its own, as for words (textTokens), rather than one
// gram at a time between the making of the next: a text has ten or more
// grams a word, and the table of a fit's distinct grams is far larger
// than the cache. With char_wb, words are the text's tokens when the
// caller has them already (haveWords), so that the text is not tokenized
// twice. The grams are valid until the next fill.
func (g *charGrammer) fill(text string, words [][]byte, haveWords bool) *textTokens {
	b := &g.grams
	b.buf, b.toks, b.hash, b.word = b.buf[:0], b.toks[:0], b.hash[:0], b.word[:0]
	switch {
	case g.analyzer != CharWB:
		g.text = g.normalize(text, g.text[:0])
		g.addGrams()
	case haveWords:
		for _, w := range words {
			g.addWord(w)
		}
	default:
		g.tokBuf = g.tok.Each(text, g.tokBuf, g.addWord)
	}
	return b
}

// addWord adds the grams of one word, marked "<word>".
func (g *charGrammer) addWord(w []byte) {
	g.text = append(append(append(g.text[:0], '<'), w...), '>')
	g.addGrams()
}

// addGrams adds the n-grams of g.text.
func (g *charGrammer) addGrams() {
	p := slices.Grow(g.text, 8) // room for addGram's 8-byte loads
	g.text = p
	offs := g.offs[:0]
	for i := range string(p) {
		offs = append(offs, i)
	}
	offs = append(offs, len(p))
	g.offs = offs
	chars := len(offs) - 1
	for i := range chars {
		for n := g.min; n <= g.max && i+n <= chars; n++ {
			g.grams.addGram(p, offs[i], offs[i+n])
		}
	}
}

// addGram appends "[" + p[lo:hi] + "]" to the tokens, with its hashBytes.
// p must have room for an 8-byte load at lo. A gram of under 8 bytes,
// brackets included (every ASCII gram of up to 5 characters), is packed
// into its word by one masked load and written by one store, without a
// loop over its bytes; its hash is then hashBytes's for such a string
// (hashToken's shortcut).
func (b *textTokens) addGram(p []byte, lo, hi int) {
	m := hi - lo
	if cap(b.buf)-len(b.buf) < m+2+8 {
		// A new array: the grams already made keep the old one.
		b.buf = make([]byte, 0, max(2*cap(b.buf), m+2+8, 1024))
	}
	start := len(b.buf)
	var h, word uint64
	if m <= 5 {
		word = '[' | (binary.LittleEndian.Uint64(p[lo:lo+8])&(1<<(8*uint(m))-1))<<8 | ']'<<(8*uint(m+1))
		binary.LittleEndian.PutUint64(b.buf[start:start+8], word)
		b.buf = b.buf[:start+m+2]
		h = hashShort(m+2, word)
	} else {
		b.buf = append(append(append(b.buf, '['), p[lo:hi]...), ']')
		h, word = hashBytes(b.buf[start:])
	}
	b.toks = append(b.toks, b.buf[start:len(b.buf):len(b.buf)])
	b.hash = append(b.hash, h)
	b.word = append(b.word, word)
}

// normalize appends the text as the char analyzer reads it: case folded
// with Lowercase, HTML tags dropped with StripHTML, every run of white
// space (and of tags) one space, none at either end. Bytes that are not
// UTF-8 become U+FFFD, so every n-gram is valid UTF-8.
func (g *charGrammer) normalize(text string, dst []byte) []byte {
	space := false
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if r == '<' && g.tok.StripHTML {
			if end := tagEnd(text, i); end > 0 {
				space, i = true, end
				continue
			}
		}
		i += size
		if unicode.IsSpace(r) || r == 0 {
			space = true
			continue
		}
		if space && len(dst) > 0 {
			dst = append(dst, ' ')
		}
		space = false
		if g.tok.Lowercase {
			r = unicode.ToLower(r)
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

// isCharGram reports whether a vocabulary entry is a character n-gram.
func isCharGram(s string) bool {
	return len(s) >= 3 && s[0] == '[' && s[len(s)-1] == ']'
}
