package vectorize

import (
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func charOpts(a CharAnalyzer, lo, hi, ngrams int) Options {
	o := opts(Count, 100000, ngrams)
	o.CharNGrams, o.CharAnalyzer = CharGrams{lo, hi}, a
	return o
}

// grams returns the character n-grams a vectorizer makes of text, sorted.
func grams(o Options, text string) []string {
	var out []string
	newCharGrammer(o).each(text, func(g []byte) { out = append(out, string(g)) })
	slices.Sort(out)
	return out
}

func TestCharGrams(t *testing.T) {
	for _, c := range []struct {
		name string
		o    Options
		text string
		want []string
	}{
		// Code points, not bytes: 日 is three bytes and one character.
		{"char_wb", charOpts(CharWB, 2, 3, 1), "日本語", []string{"[<日]", "[<日本]", "[日本]", "[日本語]", "[本語>]", "[本語]", "[語>]"}},
		// Inside words only, each marked; case folded, tags dropped.
		{"char_wb two words", charOpts(CharWB, 3, 3, 1), "Ab<br />cD!", []string{"[<ab]", "[<cd]", "[ab>]", "[cd>]"}},
		// A word shorter than n gives no n-gram of that length.
		{"char_wb short", charOpts(CharWB, 4, 4, 1), "a bc", []string{"[<bc>]"}},
		// Across words: white space made one space (none at the ends),
		// punctuation kept.
		{"char", charOpts(Char, 3, 3, 1), "  Ab\t\n c!<br/>", []string{"[ c!]", "[ab ]", "[b c]"}},
		// Bytes that are not UTF-8 become U+FFFD.
		{"char invalid", charOpts(Char, 1, 1, 1), "a\xff", []string{"[a]", "[\uFFFD]"}},
	} {
		if got := grams(c.o, c.text); !slices.Equal(got, c.want) {
			t.Errorf("%s: grams of %q = %q, want %q", c.name, c.text, got, c.want)
		}
	}
}

// TestCharFeatures fits words and character n-grams together, and
// character n-grams alone, by vocabulary and by hashing, and checks that
// FitTransform's rows are Transform's, that a restored vectorizer makes
// them too, and that the vocabulary tells words from character n-grams.
func TestCharFeatures(t *testing.T) {
	texts := corpus(700, 3)
	texts = append(texts, "東京は日本の首都です", "日本語の文章には空白がない")
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var cases []Options
	for _, n := range []int{0, 1, 2} {
		for _, a := range CharAnalyzers {
			o := charOpts(a, 2, 4, n)
			o.Mode = TFIDF
			cases = append(cases, o)
			h := o
			h.Hashing = 1 << 14
			cases = append(cases, h)
		}
	}
	for _, o := range cases {
		v, x, cov, err := FitTransform(texts, o)
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		y, cov2 := v.TransformCoverage(texts)
		if !sameMatrix(x, y) || cov != cov2 {
			t.Fatalf("%+v: FitTransform's rows or coverage differ from Transform's (%+v, %+v)", o, cov, cov2)
		}
		if o.Hashing == 0 {
			chars, words := 0, 0
			for _, g := range v.Vocab {
				if isCharGram(g) {
					chars++
					inner := g[1 : len(g)-1]
					if n := utf8.RuneCountInString(inner); n < 2 || n > 4 {
						t.Fatalf("%+v: character n-gram %q has %d characters", o, g, n)
					}
				} else {
					words++
				}
				if v.Index(g) < 0 {
					t.Fatalf("%+v: Index(%q) = -1 for a vocabulary entry", o, g)
				}
			}
			if chars == 0 || (words == 0) != (o.NGrams == 0) {
				t.Fatalf("%+v: %d character n-grams and %d words in the vocabulary", o, chars, words)
			}
			if o.NGrams == 0 && cov.KnownTokens != 0 {
				t.Fatalf("%+v: words count as features without them: %+v", o, cov)
			}
		}
		r, err := Restore(v.Options, v.Vocab, v.DocFreq, v.Docs)
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		if !sameMatrix(x, r.Transform(texts)) {
			t.Fatalf("%+v: a restored vectorizer makes other rows", o)
		}
		runtime.GOMAXPROCS(1)
		if _, x1, _, _ := FitTransform(texts, o); !sameMatrix(x, x1) {
			t.Fatalf("%+v: one core makes other rows", o)
		}
		runtime.GOMAXPROCS(2)
	}
}

// TestCharGramsWithoutSpaces: in text written without spaces every
// sentence is one token, which no other sentence repeats; its characters
// recur, and character n-grams make them features.
func TestCharGramsWithoutSpaces(t *testing.T) {
	texts := []string{"我喜欢这部电影", "我不喜欢这部电影", "这部电影很好看"}
	words, err := Fit(texts, Options{Mode: MultiHot, MaxTokens: 100, NGrams: 1, Tokenizer: lowerHTML, MinDF: Docs(2)})
	if err == nil {
		t.Fatalf("word tokens of sentences without spaces gave features %q", words.Vocab)
	}
	o := Options{Mode: MultiHot, MaxTokens: 100, NGrams: 1, Tokenizer: lowerHTML, MinDF: Docs(2), CharNGrams: CharGrams{1, 2}}
	v := mustFit(t, texts, o)
	for _, g := range []string{"[电影]", "[喜欢]", "[这部]"} {
		if v.Index(g) < 0 {
			t.Errorf("character bigram %s is not a feature: %q", g, v.Vocab)
		}
	}
}

func TestCharOptionsValidate(t *testing.T) {
	for _, c := range []struct {
		o    Options
		want string
	}{
		{charOpts(CharWB, 0, 2, 1), "char_ngrams must be [min, max] with 1 ≤ min ≤ max ≤ 10, not [0, 2]"},
		{charOpts(CharWB, 3, 2, 1), "char_ngrams must be [min, max] with 1 ≤ min ≤ max ≤ 10, not [3, 2]"},
		{charOpts(CharWB, 2, 11, 1), "char_ngrams must be [min, max] with 1 ≤ min ≤ max ≤ 10, not [2, 11]"},
		{charOpts("bytes", 2, 3, 1), `char_analyzer "bytes" is not one of [char_wb char]`},
		{Options{Mode: TFIDF, MaxTokens: 10, NGrams: 1, CharAnalyzer: Char}, "char_analyzer applies to character n-grams; set vectorizer.char_ngrams too"},
		{Options{Mode: TFIDF, MaxTokens: 10, NGrams: 0}, "ngrams 0 means no word features, only character n-grams; set vectorizer.char_ngrams, or ngrams from 1 to 3"},
	} {
		err := c.o.Validate()
		if err == nil || err.Error() != c.want {
			t.Errorf("%+v: got %v, want %q", c.o, err, c.want)
		}
	}
	if err := charOpts(Char, 1, 10, 0).Validate(); err != nil {
		t.Errorf("character n-grams alone: %v", err)
	}
}

// FuzzCharGrams checks, for any text, that every character n-gram is valid
// UTF-8 of the asked length and holds no line break (the model file joins
// the vocabulary with them), and that encoding a text gives the row of
// the vocabulary the text was fitted into.
func FuzzCharGrams(f *testing.F) {
	for _, s := range []string{"", "a", "日本語の文", "don't <b>stop</b>", "a\xffb\x00c", "x\u2028y\u0085z", "   ", "<>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, a := range CharAnalyzers {
			for _, r := range [][2]int{{1, 3}, {3, 5}, {2, 8}} {
				o := charOpts(a, r[0], r[1], 1)
				checkFill(t, o, text)
			}
			o := charOpts(a, 1, 3, 1)
			for _, g := range grams(o, text) {
				inner := g[1 : len(g)-1]
				if !utf8.ValidString(g) || strings.ContainsAny(g, "\n\r") || utf8.RuneCountInString(inner) < 1 || utf8.RuneCountInString(inner) > 3 {
					t.Fatalf("%s of %q: bad gram %q", a, text, g)
				}
			}
			texts := []string{text, "a b c " + text}
			v, x, _, err := FitTransform(texts, o)
			if err != nil {
				continue // no features at all
			}
			for _, g := range v.Vocab {
				if strings.Contains(g, "\n") {
					t.Fatalf("%s of %q: vocabulary entry %q holds a newline", a, text, g)
				}
			}
			if !sameMatrix(x, v.Transform(texts)) {
				t.Fatalf("%s of %q: FitTransform's rows are not Transform's", a, text)
			}
			h := o
			h.Hashing = 64
			hv, hx, _, err := FitTransform(texts, h)
			if err == nil && !sameMatrix(hx, hv.Transform(texts)) {
				t.Fatalf("%s of %q: hashed rows differ", a, text)
			}
		}
	})
}

// refCharGrams is the definition of a text's character n-grams, in order,
// written plainly with runes and strings.
func refCharGrams(o Options, text string) []string {
	var out []string
	add := func(s string) {
		r := []rune(s)
		for i := range r {
			for n := o.CharNGrams[0]; n <= o.CharNGrams[1] && i+n <= len(r); n++ {
				out = append(out, "["+string(r[i:i+n])+"]")
			}
		}
	}
	if o.CharAnalyzer == Char {
		add(string(newCharGrammer(o).normalize(text, nil)))
		return out
	}
	for _, w := range o.Tokenizer.Tokens(text) {
		add("<" + w + ">")
	}
	return out
}

// checkFill checks the character grammer against refCharGrams: the same
// grams in the same order, each with the table hash hashBytes gives it,
// from the text and, with char_wb, from its tokens as a counter and an
// encoder hold them, and again from a grammer that made other grams
// before.
func checkFill(t *testing.T, o Options, text string) {
	t.Helper()
	want := refCharGrams(o, text)
	g := newCharGrammer(o)
	var words textTokens
	words.fill(o.Tokenizer, text)
	fills := []func() *textTokens{
		func() *textTokens { return g.fill(text, nil, false) },
		func() *textTokens {
			return g.fill("warm up the buffers with other words and "+strings.Repeat("x", 40), nil, false)
		},
		func() *textTokens { return g.fill(text, words.toks, true) },
		func() *textTokens { return g.fill(text, nil, false) },
	}
	for i, fill := range fills {
		b := fill()
		if i == 1 {
			continue
		}
		if len(b.toks) != len(want) || len(b.hash) != len(want) || len(b.word) != len(want) {
			t.Fatalf("%s %v of %q (fill %d): %d grams, want %d: %q", o.CharAnalyzer, o.CharNGrams, text, i, len(b.toks), len(want), want)
		}
		for j, gram := range b.toks {
			if string(gram) != want[j] {
				t.Fatalf("%s %v of %q (fill %d): gram %d is %q, want %q", o.CharAnalyzer, o.CharNGrams, text, i, j, gram, want[j])
			}
			if h, w := hashBytes(gram); b.hash[j] != h || b.word[j] != w {
				t.Fatalf("%s %v of %q (fill %d): gram %q hashed %x/%x, want hashBytes's %x/%x", o.CharAnalyzer, o.CharNGrams, text, i, gram, b.hash[j], b.word[j], h, w)
			}
		}
	}
}

// TestCharFill checks the grammer on texts that take each of its paths:
// ASCII and longer characters, grams of under and over 8 bytes, words
// longer than the gram buffer's first array.
func TestCharFill(t *testing.T) {
	texts := []string{"", "a", "Ab cd, efghij! 日本語の文 naïve x", strings.Repeat("word ", 400), strings.Repeat("é", 300), "don't <br/> stop"}
	for _, a := range CharAnalyzers {
		for _, r := range [][2]int{{1, 1}, {1, 3}, {3, 5}, {4, 4}, {2, 8}, {10, 10}} {
			for _, text := range texts {
				checkFill(t, charOpts(a, r[0], r[1], 1), text)
			}
		}
	}
}

// TestNBRatio checks the naive-Bayes log-count ratios against the paper's
// formula, worked by hand, and that the weighted rows are what Encode makes.
func TestNBRatio(t *testing.T) {
	texts := []string{"good fun", "good good", "bad", "bad fun"}
	class := []int32{1, 1, 0, 0}
	o := opts(MultiHot, 10, 1)
	o.Weighting, o.NBAlpha = NB, 1
	v, x, _, err := FitTransform(texts, o)
	if err != nil {
		t.Fatal(err)
	}
	wx, err := v.FitNB(x, class, 2)
	if err != nil {
		t.Fatal(err)
	}
	// Features (by count, then bytes): bad, fun, good. Documents holding
	// each: label 1: bad 0, fun 1, good 2 (3 in all); label 0: bad 2,
	// fun 1, good 0 (3). With α = 1, ‖p‖₁ = ‖q‖₁ = 3 + 3.
	want := map[string]float64{"bad": math.Log(1.0 / 3), "fun": 0, "good": math.Log(3.0)}
	for g, r := range want {
		if got := v.NBRatio[v.Index(g)]; math.Abs(got-r) > 1e-12 {
			t.Errorf("r(%s) = %v, want %v", g, got, r)
		}
	}
	if !sameMatrix(wx, v.Transform(texts)) {
		t.Fatal("FitNB's rows differ from Transform's")
	}
	if wx.Binary() {
		t.Fatal("weighted multi-hot rows have no values")
	}

	// More labels: each feature weighs its largest |r_c|.
	texts3 := []string{"a x", "a y", "b x", "b", "c", "c y"}
	class3 := []int32{0, 0, 1, 1, 2, 2}
	v3, x3, _, err := FitTransform(texts3, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v3.FitNB(x3, class3, 3); err != nil {
		t.Fatal(err)
	}
	total := 0.0
	df := map[string][3]float64{}
	for i, txt := range texts3 {
		for _, w := range strings.Fields(txt) {
			d := df[w]
			d[class3[i]]++
			df[w] = d
			total++
		}
	}
	nf := float64(len(v3.Vocab))
	for w, d := range df {
		best := 0.0
		for c := range 3 {
			var sc float64
			for _, dd := range df {
				sc += dd[c]
			}
			p := (1 + d[c]) / (nf + sc)
			q := (1 + d[0] + d[1] + d[2] - d[c]) / (nf + total - sc)
			best = max(best, math.Abs(math.Log(p/q)))
		}
		if got := v3.NBRatio[v3.Index(w)]; math.Abs(got-best) > 1e-12 {
			t.Errorf("3 labels: r(%s) = %v, want %v", w, got, best)
		}
	}
}

// TestNBTFIDFRows: weighted tf-idf rows are unit-length again, and the
// training rows are Transform's bit for bit, with hashing too.
func TestNBTFIDFRows(t *testing.T) {
	texts := corpus(600, 11)
	class := make([]int32, len(texts))
	for i, txt := range texts {
		if strings.Contains(txt, "good") {
			class[i] = 1
		}
	}
	for _, hashing := range []int{0, 1 << 10} {
		o := opts(TFIDF, 500, 2)
		o.SublinearTF, o.Hashing, o.Weighting, o.NBAlpha = true, hashing, NB, 0.5
		v, x, _, err := FitTransform(texts, o)
		if err != nil {
			t.Fatal(err)
		}
		wx, err := v.FitNB(x, class, 2)
		if err != nil {
			t.Fatal(err)
		}
		if !sameMatrix(wx, v.Transform(texts)) {
			t.Fatalf("hashing %d: weighted training rows differ from Transform's", hashing)
		}
		for r := range wx.Rows {
			_, vals := wx.Row(r)
			var ss float64
			for _, x := range vals {
				ss += x * x
			}
			if len(vals) > 0 && math.Abs(ss-1) > 1e-9 {
				t.Fatalf("hashing %d: row %d has squared norm %v", hashing, r, ss)
			}
		}
	}
}

func TestNBOptionsValidate(t *testing.T) {
	o := opts(TFIDF, 10, 1)
	o.Weighting = NB
	if err := o.Validate(); err == nil || err.Error() != "nb_alpha must be a number above 0, not 0" {
		t.Errorf("alpha 0: %v", err)
	}
	o.Weighting = "bayes"
	if err := o.Validate(); err == nil || err.Error() != `weighting "bayes" is not one of [none nb]` {
		t.Errorf("unknown weighting: %v", err)
	}
	v := mustFit(t, []string{"a b", "b c"}, opts(TFIDF, 10, 1))
	if _, err := v.FitNB(v.Transform([]string{"a"}), []int32{0}, 2); err == nil {
		t.Error("FitNB without weighting nb succeeded")
	}
}

// TestNBWeighedWithout: NBWeighed's rows do not depend on the labels of
// the rows it is not fitted on (calibration's held-out texts), do depend
// on those it is fitted on, leave the vectorizer's own weighting alone,
// and with every row are FitNB's.
func TestNBWeighedWithout(t *testing.T) {
	texts := corpus(400, 5)
	class := make([]int32, len(texts))
	for i, txt := range texts {
		if strings.Contains(txt, "good") {
			class[i] = 1
		}
	}
	o := opts(TFIDF, 500, 2)
	o.SublinearTF, o.Weighting, o.NBAlpha = true, NB, 1
	v, x, _, err := FitTransform(texts, o)
	if err != nil {
		t.Fatal(err)
	}
	all, err := v.FitNB(x, class, 2)
	if err != nil {
		t.Fatal(err)
	}
	own := slices.Clone(v.NBRatio)
	var fit, held []int
	for r := range x.Rows {
		if r%5 == 0 {
			held = append(held, r)
		} else {
			fit = append(fit, r)
		}
	}
	a, err := v.NBWeighed(x, class, 2, fit)
	if err != nil {
		t.Fatal(err)
	}
	flipped := slices.Clone(class)
	for _, r := range held {
		flipped[r] = 1 - flipped[r]
	}
	b, err := v.NBWeighed(x, flipped, 2, fit)
	if err != nil {
		t.Fatal(err)
	}
	if !sameMatrix(a, b) {
		t.Error("the held-out rows' labels changed the rows weighted without them")
	}
	if sameMatrix(a, all) {
		t.Error("rows weighted without the held-out rows are those weighted with them")
	}
	if !slices.Equal(v.NBRatio, own) {
		t.Error("NBWeighed changed the vectorizer's own weighting")
	}
	every := make([]int, x.Rows)
	for r := range every {
		every[r] = r
	}
	if c, err := v.NBWeighed(x, class, 2, every); err != nil || !sameMatrix(c, all) {
		t.Errorf("NBWeighed of every row differs from FitNB's rows (%v)", err)
	}
}
