package vectorize

import (
	"slices"
	"strings"
	"testing"
)

// TestTextTokensAreEach holds the batched tokenizing of counting and
// encoding (textTokens, Tokenizer.each keeping every token) to Each's
// tokens one by one, on texts that end tokens every way Each does, and on
// one whose lower case outgrows the buffer ("Ⱥ" takes 2 bytes, "ⱥ" 3).
func TestTextTokensAreEach(t *testing.T) {
	texts := []string{
		"",
		"The best of the year, isn't it? <br />Don't 'quote' me",
		"a<b>c</b> d < e x'y ’tis o’clock Ünïcödé naïve Straße ΣΊΣΥΦΟΣ 123abc",
		strings.Repeat("Ⱥ", 3000) + " " + strings.Repeat("ȺB ", 500),
		"trailing token",
	}
	tokenizers := []Tokenizer{
		{},
		{Lowercase: true, StripHTML: true},
		{Lowercase: true, StripHTML: true, StopWords: EnglishStopWords, MinLength: 2},
	}
	var b textTokens
	for _, tok := range tokenizers {
		for _, text := range texts {
			want := tok.Tokens(text)
			b.fill(tok, text)
			got := make([]string, len(b.toks))
			for i, x := range b.toks {
				got[i] = string(x)
				if h, w := hashBytes(x); h != b.hash[i] || w != b.word[i] {
					t.Errorf("%+v: token %d %q has hash %x/%x, want %x/%x", tok, i, x, b.hash[i], b.word[i], h, w)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("%+v, %.40q...: textTokens has %d tokens %.200q, Each %d %.200q", tok, text, len(got), got, len(want), want)
			}
		}
	}
}
