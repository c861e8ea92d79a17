package vectorize

import (
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
	text     []byte // the padded word or the normalized text
	offs     []int  // offsets of its code points, and its length last
	gram     []byte // "[" + gram + "]"
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
	if g.analyzer == CharWB {
		g.tokBuf = g.tok.Each(text, g.tokBuf, func(tok []byte) {
			g.text = append(append(append(g.text[:0], '<'), tok...), '>')
			g.grams(emit)
		})
		return
	}
	g.text = g.normalize(text, g.text[:0])
	g.grams(emit)
}

// grams emits the n-grams of g.text.
func (g *charGrammer) grams(emit func(gram []byte)) {
	offs := g.offs[:0]
	for i := range string(g.text) {
		offs = append(offs, i)
	}
	offs = append(offs, len(g.text))
	g.offs = offs
	chars := len(offs) - 1
	for i := range chars {
		for n := g.min; n <= g.max && i+n <= chars; n++ {
			g.gram = append(append(append(g.gram[:0], '['), g.text[offs[i]:offs[i+n]]...), ']')
			emit(g.gram)
		}
	}
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
