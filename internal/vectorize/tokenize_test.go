package vectorize

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

var (
	lowerHTML = Tokenizer{Lowercase: true, StripHTML: true}
	english   = Tokenizer{Lowercase: true, StripHTML: true, StopWords: EnglishStopWords}
)

func TestTokenizer(t *testing.T) {
	for _, c := range []struct {
		name string
		tok  Tokenizer
		text string
		want []string
	}{
		{"words and punctuation", lowerHTML, "A wonderful, moving film!", []string{"a", "wonderful", "moving", "film"}},
		{"digits are word characters", lowerHTML, "10/10, 2nd time in 1999", []string{"10", "10", "2nd", "time", "in", "1999"}},
		{"case kept", Tokenizer{}, "The FILM", []string{"The", "FILM"}},
		{"case folded", lowerHTML, "The FILM Ünïcödé ΣΊΣΥΦΟΣ", []string{"the", "film", "ünïcödé", "σίσυφοσ"}},
		{"accented letters", lowerHTML, "café naïve São Paulo Straße", []string{"café", "naïve", "são", "paulo", "straße"}},
		{"non-Latin scripts", lowerHTML, "Фильм отличный! 映画 는 좋다 فيلم", []string{"фильм", "отличный", "映画", "는", "좋다", "فيلم"}},
		{"non-ASCII digits", lowerHTML, "٣ ١٠ ३", []string{"٣", "١٠", "३"}},
		{"combining marks stay in the word", lowerHTML, "cafe\u0301 \u0301x", []string{"cafe\u0301", "x"}},
		{"inner apostrophe", lowerHTML, "don't won’t rock'n'roll", []string{"don't", "won't", "rock'n'roll"}},
		{"outer apostrophes separate", lowerHTML, "'quoted' the actors' ’tis '' x''y", []string{"quoted", "the", "actors", "tis", "x", "y"}},
		{"apostrophe before a non-word", lowerHTML, "it' s l'", []string{"it", "s", "l"}},
		{"html tags separate", lowerHTML, "great<br /><br />film <i>really</i>", []string{"great", "film", "really"}},
		{"html comment and doctype", lowerHTML, "a<!-- note -->b<!DOCTYPE html>c", []string{"a", "b", "c"}},
		{"not a tag", lowerHTML, "a < b and c<5 or x<-y", []string{"a", "b", "and", "c", "5", "or", "x", "y"}},
		{"unclosed tag is text", lowerHTML, "see <b and more", []string{"see", "b", "and", "more"}},
		{"tags kept as text without strip_html", Tokenizer{Lowercase: true}, "great<br />film", []string{"great", "br", "film"}},
		{"a tag longer than its bound is text", lowerHTML, "x<a " + strings.Repeat("z", 300) + ">y", []string{"x", "a", strings.Repeat("z", 300), "y"}},
		{"invalid UTF-8 separates", lowerHTML, "ab\xffcd\xe2\x82", []string{"ab", "cd"}},
		{"empty", lowerHTML, "", nil},
		{"only separators", lowerHTML, " ,.;<br/> ", nil},
		{"english stop words", english, "This is not the best film of the year, it's a must-see", []string{"best", "film", "year"}},
		{"stop words ignore case", Tokenizer{StopWords: EnglishStopWords}, "The Film AND the Actors", []string{"Film", "Actors"}},
		{"stop word none", Tokenizer{Lowercase: true, StopWords: NoStopWords}, "the film", []string{"the", "film"}},
		{"contractions not in the list stay", english, "doesn't didn't", []string{"doesn't", "didn't"}},
		{"minimum length in characters", Tokenizer{Lowercase: true, MinLength: 2}, "a an é éa 映 映画 I", []string{"an", "éa", "映画"}},
		{"minimum length counts apostrophes", Tokenizer{Lowercase: true, MinLength: 4}, "i'm don't", []string{"don't"}},
		{"minimum length 1 keeps all", Tokenizer{Lowercase: true, MinLength: 1}, "a b", []string{"a", "b"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := c.tok.Tokens(c.text)
			if !slices.Equal(got, c.want) {
				t.Errorf("Tokens(%q) = %q, want %q", c.text, got, c.want)
			}
			if ref := referenceTokens(c.tok, c.text); !slices.Equal(ref, c.want) {
				t.Errorf("the reference tokenizer gives %q, want %q", ref, c.want)
			}
		})
	}
}

func TestTokenizerValidate(t *testing.T) {
	for _, c := range []struct {
		tok  Tokenizer
		want string
	}{
		{Tokenizer{StopWords: "german"}, `stop_words "german" is not one of [none english]`},
		{Tokenizer{MinLength: -1}, "min_token_length must not be negative, not -1"},
	} {
		if err := c.tok.Validate(); err == nil || err.Error() != c.want {
			t.Errorf("%+v: error %v, want %q", c.tok, err, c.want)
		}
	}
	if err := english.Validate(); err != nil {
		t.Error(err)
	}
}

func TestEnglishStopWords(t *testing.T) {
	words := StopWords(EnglishStopWords)
	// scikit-learn's ENGLISH_STOP_WORDS has 318 words; dlc adds 47
	// contractions of them.
	if len(words) != 318+47 {
		t.Errorf("the English list has %d words, want 365", len(words))
	}
	for _, w := range words {
		if len(w) > maxStopWordLen {
			t.Errorf("stop word %q is longer than maxStopWordLen %d", w, maxStopWordLen)
		}
		if got := lowerHTML.Tokens(w); len(got) != 1 || got[0] != w {
			t.Errorf("stop word %q tokenizes as %q; it would never match", w, got)
		}
	}
	for _, w := range []string{"the", "a", "amoungst", "not", "it's", "won't", "i'm"} {
		if !slices.Contains(words, w) {
			t.Errorf("%q is missing from the English list", w)
		}
	}
	// Every contraction stands for words of the list.
	expand := map[string][]string{"n't": {"not"}, "'s": {"is"}, "'re": {"are"}, "'ve": {"have"}, "'ll": {"will"}, "'d": {"would", "had"}, "'m": {"am"}}
	irregular := map[string]string{"can't": "can", "won't": "will"}
	for _, w := range words {
		if !strings.Contains(w, "'") {
			continue
		}
		for suffix, full := range expand {
			if !strings.HasSuffix(w, suffix) {
				continue
			}
			stem := strings.TrimSuffix(w, suffix)
			if s, ok := irregular[w]; ok {
				stem = s
			}
			if !slices.Contains(words, stem) {
				t.Errorf("contraction %q: %q is not in the list", w, stem)
			}
			for _, f := range full {
				if !slices.Contains(words, f) {
					t.Errorf("contraction %q: %q is not in the list", w, f)
				}
			}
		}
	}
	if StopWords(NoStopWords) != nil {
		t.Error(`StopWords("none") is not empty`)
	}
}

func TestTokenizerAllocatesNothing(t *testing.T) {
	text := strings.Repeat("The film's <br />Ünïcödé story, don't miss it! ", 50)
	var buf []byte
	for _, tok := range []Tokenizer{lowerHTML, english, {MinLength: 3, StopWords: EnglishStopWords}} {
		buf = tok.Each(text, buf, func([]byte) {})
		if n := testing.AllocsPerRun(20, func() { buf = tok.Each(text, buf, func([]byte) {}) }); n != 0 {
			t.Errorf("%+v: %v allocations per text, want 0", tok, n)
		}
	}
}

// referenceTokens is a slow, obviously-correct tokenizer written from the
// Tokenizer's documentation, one rune at a time, for the fuzz target to
// compare with.
func referenceTokens(t Tokenizer, text string) []string {
	isWord := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
	var out []string
	var cur []rune
	end := func() {
		if len(cur) == 0 {
			return
		}
		tok := string(cur)
		cur = nil
		if len([]rune(tok)) < t.MinLength {
			return
		}
		if t.StopWords == EnglishStopWords {
			folded := strings.Map(func(r rune) rune {
				if 'A' <= r && r <= 'Z' {
					return r + 'a' - 'A'
				}
				return r
			}, tok)
			if slices.Contains(StopWords(EnglishStopWords), folded) {
				return
			}
		}
		out = append(out, tok)
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		next := rune(-1)
		if i+size < len(text) {
			next, _ = utf8.DecodeRuneInString(text[i+size:])
		}
		switch {
		case isWord(r) || (unicode.IsMark(r) && len(cur) > 0):
			if t.Lowercase {
				r = unicode.ToLower(r)
			}
			cur = append(cur, r)
		case (r == '\'' || r == '’') && len(cur) > 0 && next >= 0 && isWord(next):
			cur = append(cur, '\'')
		case r == '<' && t.StripHTML:
			end()
			// A tag: '<', then '/', '!' or an ASCII letter, then anything
			// but '<' up to a '>' that lies within 256 bytes of the '<'.
			if i+1 < len(text) {
				c := text[i+1]
				if c == '/' || c == '!' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') {
					if k := strings.IndexAny(text[i+1:], "<>"); k >= 0 && text[i+1+k] == '>' && i+1+k < i+maxTagLen {
						i = i + 1 + k + 1
						continue
					}
				}
			}
		default:
			end()
		}
		i += size
	}
	end()
	return out
}

// FuzzTokenizer checks that tokenizing never panics, never yields an empty
// or invalid token, and agrees with the reference tokenizer.
func FuzzTokenizer(f *testing.F) {
	for _, s := range []string{
		"A wonderful, moving film!<br /><br />Don't miss it.",
		"café Ünïcödé ΣΊΣΥΦΟΣ 映画 ٣١٠ cafe\u0301",
		"'quoted' won’t rock'n'roll x''y it' s",
		"a < b <i>c</i> <!-- d --> <b e",
		"ab\xffcd\xe2\x82 \xf0\x9f\x98\x80 end",
		"The THE tHe it's I'm",
		"Extraordinarily GOOD film@home [x]`y{z} ~ 0123456789/:;ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz\x7f",
		"abcdefghé12345678Ünïcödé abcdefg",
		"",
	} {
		f.Add(s, true, true, false, uint8(0))
		f.Add(s, false, false, true, uint8(2))
	}
	f.Fuzz(func(t *testing.T, text string, lower, html, stop bool, minLen uint8) {
		tok := Tokenizer{Lowercase: lower, StripHTML: html, MinLength: int(minLen % 8)}
		if stop {
			tok.StopWords = EnglishStopWords
		}
		var got []string
		tok.Each(text, nil, func(b []byte) {
			if len(b) == 0 {
				t.Fatalf("empty token in %q", text)
			}
			if !utf8.Valid(b) {
				t.Fatalf("token %q of %q is not valid UTF-8", b, text)
			}
			if strings.ContainsAny(string(b), " \n\t<>") {
				t.Fatalf("token %q of %q holds a separator", b, text)
			}
			got = append(got, string(b))
		})
		want := referenceTokens(tok, text)
		if !slices.Equal(got, want) {
			t.Fatalf("%+v on %q:\n got %q\nwant %q", tok, text, got, want)
		}
		// With a buffer that holds the whole text, Each and textTokens
		// (counting and encoding) take the eight-bytes-at-a-time ASCII
		// path, which must cut the same tokens as the byte loop above
		// and hash them as hashBytes does.
		got = got[:0]
		tok.Each(text, make([]byte, 0, len(text)+8), func(b []byte) { got = append(got, string(b)) })
		if !slices.Equal(got, want) {
			t.Fatalf("%+v on %q with room:\n got %q\nwant %q", tok, text, got, want)
		}
		var tt textTokens
		tt.fill(tok, text)
		got = got[:0]
		for i, b := range tt.toks {
			got = append(got, string(b))
			if h, w := hashBytes(b); h != tt.hash[i] || w != tt.word[i] {
				t.Fatalf("%+v on %q: token %q hashed %x/%x, want %x/%x", tok, text, b, tt.hash[i], tt.word[i], h, w)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%+v on %q in textTokens:\n got %q\nwant %q", tok, text, got, want)
		}
	})
}
