package vectorize

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/option"
	"github.com/dlc-dev/dlc/internal/sparse"
)

func opts(mode Mode, maxTokens, ngrams int) Options {
	return Options{Mode: mode, MaxTokens: maxTokens, NGrams: ngrams, Tokenizer: lowerHTML}
}

func mustFit(t *testing.T, texts []string, o Options) *Vectorizer {
	t.Helper()
	v, err := Fit(texts, o)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// rowMap returns row i of m as feature → value.
func rowMap(m *sparse.Matrix, i int) map[int32]float64 {
	idx, vals := m.Row(i)
	out := map[int32]float64{}
	for k, f := range idx {
		out[f] = 1
		if vals != nil {
			out[f] = vals[k]
		}
	}
	return out
}

func TestVocabularyOrder(t *testing.T) {
	// Most frequent first; ties in byte order of the text, where the
	// space joining a bigram sorts before any token character.
	v := mustFit(t, []string{"a b", "a'b", "ab", "a", "zz zz zz"}, opts(MultiHot, 100, 2))
	want := []string{"zz", "a", "zz zz", "a b", "a'b", "ab", "b"}
	if !slices.Equal(v.Vocab, want) {
		t.Errorf("vocabulary %q, want %q", v.Vocab, want)
	}
	if want := []int32{1, 2, 1, 1, 1, 1, 1}; !slices.Equal(v.DocFreq, want) {
		t.Errorf("document frequencies %v, want %v", v.DocFreq, want)
	}
	// max_tokens cuts the same order.
	v = mustFit(t, []string{"c b a", "d"}, opts(MultiHot, 2, 1))
	if want := []string{"a", "b"}; !slices.Equal(v.Vocab, want) {
		t.Errorf("vocabulary %q, want %q", v.Vocab, want)
	}
}

func TestNGrams(t *testing.T) {
	texts := []string{"the good film", "the good plot", "good film"}
	v := mustFit(t, texts, opts(Count, 100, 3))
	want := []string{"good", "film", "good film", "the", "the good", "good plot", "plot", "the good film", "the good plot"}
	if !slices.Equal(v.Vocab, want) {
		t.Errorf("trigram vocabulary %q, want %q", v.Vocab, want)
	}
	x := v.Transform([]string{"The good film, the good film", "unknown good"})
	row := rowMap(x, 0)
	for gram, n := range map[string]float64{"the": 2, "good": 2, "film": 2, "the good": 2, "good film": 2, "the good film": 2} {
		if got := row[int32(v.Index(gram))]; got != n {
			t.Errorf("count of %q = %v, want %v (row %v)", gram, got, n, row)
		}
	}
	if len(row) != 6 {
		t.Errorf("row has %d features, want 6: %v", len(row), row)
	}
	// "film the" and "good film the" are not features; "unknown" breaks
	// every gram it is part of.
	if row := rowMap(x, 1); len(row) != 1 || row[int32(v.Index("good"))] != 1 {
		t.Errorf("row of %q = %v, want only good", "unknown good", row)
	}
	// Stop words are dropped before grams are formed.
	o := opts(MultiHot, 100, 2)
	o.Tokenizer.StopWords = EnglishStopWords
	v = mustFit(t, []string{"the best of the year"}, o)
	if want := []string{"best", "best year", "year"}; !slices.Equal(v.Vocab, want) {
		t.Errorf("vocabulary with stop words %q, want %q", v.Vocab, want)
	}
}

func TestDocumentFrequencyBounds(t *testing.T) {
	texts := []string{"x y z", "x y", "x w", "x"} // df: x 4, y 2, w 1, z 1
	for _, c := range []struct {
		min, max DFBound
		want     []string
	}{
		{DFBound{}, DFBound{}, []string{"x", "y", "w", "z"}},
		{Docs(2), DFBound{}, []string{"x", "y"}},
		{Fraction(0.5), DFBound{}, []string{"x", "y"}},
		{Fraction(0.51), DFBound{}, []string{"x"}},
		{DFBound{}, Fraction(0.75), []string{"y", "w", "z"}},
		{DFBound{}, Docs(3), []string{"y", "w", "z"}},
		{DFBound{}, Fraction(1.0), []string{"x", "y", "w", "z"}},
		{Docs(1), Docs(1), []string{"w", "z"}},
		{Docs(2), Docs(2), []string{"y"}},
	} {
		o := opts(MultiHot, 100, 1)
		o.MinDF, o.MaxDF = c.min, c.max
		v := mustFit(t, texts, o)
		if !slices.Equal(v.Vocab, c.want) {
			t.Errorf("min_df %s max_df %s: vocabulary %q, want %q", c.min, c.max, v.Vocab, c.want)
		}
	}
	o := opts(MultiHot, 100, 1)
	o.MinDF, o.MaxDF = Docs(3), Fraction(0.5)
	if _, err := Fit(texts, o); err == nil || err.Error() != "vectorizer max_df 0.5 (2 documents) is below min_df 3 (3 documents) for 4 training texts" {
		t.Errorf("crossed bounds: %v", err)
	}
	o.MinDF, o.MaxDF = Docs(5), DFBound{}
	_, err := Fit(texts, o)
	if !errors.Is(err, ErrNoFeatures) || err.Error() != "no features: none of the 4 n-grams of the training texts is in at least 5 and at most +Inf documents; lower vectorizer.min_df or raise vectorizer.max_df" {
		t.Errorf("min_df above every df: %v", err)
	}
	if _, err := Fit([]string{"", "..."}, opts(MultiHot, 10, 1)); !errors.Is(err, ErrNoFeatures) || err.Error() != "no features: the 2 training texts have no tokens" {
		t.Errorf("texts without tokens: %v", err)
	}
}

func TestTFIDF(t *testing.T) {
	texts := []string{"good good film", "bad film", "good plot"}
	v := mustFit(t, texts, opts(TFIDF, 100, 1))
	if want := []string{"good", "film", "bad", "plot"}; !slices.Equal(v.Vocab, want) {
		t.Fatalf("vocabulary %q, want %q", v.Vocab, want)
	}
	x := v.Transform(texts)
	// Smoothed idf = ln((1+n)/(1+df)) + 1 with n = 3 documents.
	idf2 := math.Log(4.0/3.0) + 1 // good, film: df 2
	idf1 := math.Log(4.0/2.0) + 1 // bad, plot: df 1
	norm := func(xs ...float64) []float64 {
		var ss float64
		for _, x := range xs {
			ss += x * x
		}
		for i := range xs {
			xs[i] /= math.Sqrt(ss)
		}
		return xs
	}
	want := [][]float64{
		{2 / math.Sqrt(5), 1 / math.Sqrt(5)}, // good ×2, film: same idf, so 2:1 normalised
		norm(idf2, idf1),                     // film, bad
		norm(idf2, idf1),                     // good, plot
	}
	for i := range texts {
		_, vals := x.Row(i)
		if len(vals) != 2 || math.Abs(vals[0]-want[i][0]) > 1e-15 || math.Abs(vals[1]-want[i][1]) > 1e-15 {
			t.Errorf("row %d = %v, want %v", i, vals, want[i])
		}
	}
	// Sublinear tf: 1 + ln(count).
	o := opts(TFIDF, 100, 1)
	o.SublinearTF = true
	v = mustFit(t, texts, o)
	_, vals := v.Transform(texts[:1]).Row(0)
	tf := 1 + math.Log(2)
	if w := norm(tf, 1); math.Abs(vals[0]-w[0]) > 1e-15 || math.Abs(vals[1]-w[1]) > 1e-15 {
		t.Errorf("sublinear row = %v, want %v", vals, w)
	}
	// Count mode gives raw counts, multi_hot no values.
	if _, vals := mustFit(t, texts, opts(Count, 100, 1)).Transform(texts[:1]).Row(0); !slices.Equal(vals, []float64{2, 1}) {
		t.Errorf("count row = %v, want [2 1]", vals)
	}
	if m := mustFit(t, texts, opts(MultiHot, 100, 1)).Transform(texts); !m.Binary() || m.NNZ() != 6 {
		t.Errorf("multi_hot matrix: binary %v, %d entries, want binary with 6", m.Binary(), m.NNZ())
	}
}

func TestHashing(t *testing.T) {
	// Test vectors of 64-bit FNV-1a.
	for s, want := range map[string]uint64{"": 0xcbf29ce484222325, "a": 0xaf63dc4c8601ec8c, "foobar": 0x85944171f73967e8} {
		if got := HashGram(s); got != want {
			t.Errorf("HashGram(%q) = %#x, want %#x", s, got, want)
		}
	}
	texts := []string{"good good film", "bad film", "good plot"}
	o := opts(TFIDF, 0, 2)
	o.Hashing = 1 << 10
	v, x, cov, err := FitTransform(texts, o)
	if err != nil {
		t.Fatal(err)
	}
	if v.Features() != 1024 || len(v.Vocab) != 0 || len(v.DocFreq) != 1024 {
		t.Fatalf("hashing vectorizer: %d features, %d vocabulary, %d document frequencies; want 1024, 0, 1024", v.Features(), len(v.Vocab), len(v.DocFreq))
	}
	wantDF := make([]int32, 1024)
	for _, grams := range [][]string{{"good", "film", "good good", "good film"}, {"bad", "film", "bad film"}, {"good", "plot", "good plot"}} {
		for _, g := range grams {
			b := HashGram(g) % 1024
			wantDF[b]++
			if v.Index(g) != int(b) {
				t.Errorf("Index(%q) = %d, want %d", g, v.Index(g), b)
			}
		}
	}
	if !slices.Equal(v.DocFreq, wantDF) {
		t.Errorf("bucket document frequencies differ from the hashes of the grams")
	}
	if _, vals := x.Row(0); len(vals) != 4 { // good (×2), film, good good, good film
		t.Errorf("row 0 has %d buckets, want 4 (unless two collide)", len(vals))
	}
	if cov != (Coverage{Tokens: 7, KnownTokens: 7, Grams: 11, Known: 11}) {
		t.Errorf("coverage %+v, want 7 tokens and 11 grams, all known", cov)
	}
	if v.Index("a b c") != -1 || v.Index("") != -1 {
		t.Error("Index accepts a gram longer than ngrams, or an empty one")
	}
	// Same texts, same buckets, whatever was fitted.
	other := mustFit(t, []string{"unrelated words"}, o)
	a, _ := v.NewEncoder().Encode("good film")
	b, _ := other.NewEncoder().Encode("good film")
	if !slices.Equal(a, b) {
		t.Errorf("hashing buckets depend on the training texts: %v and %v", a, b)
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, c := range []struct {
		edit func(*Options)
		want string
	}{
		{func(o *Options) { o.Mode = "bag" }, `mode "bag" is not one of [multi_hot count tf_idf dense]`},
		{func(o *Options) { o.MaxTokens = 0 }, "max_tokens must be at least 1, not 0"},
		{func(o *Options) { o.NGrams = 4 }, "ngrams must be between 1 and 3, not 4"},
		{func(o *Options) { o.NGrams = 0 }, "ngrams 0 means no word features, only character n-grams; set vectorizer.char_ngrams, or ngrams from 1 to 3"},
		{func(o *Options) { o.Tokenizer.StopWords = "x" }, `stop_words "x" is not one of [none english]`},
		{func(o *Options) { o.Tokenizer.MinLength = -1 }, "min_token_length must not be negative, not -1"},
		{func(o *Options) { o.SublinearTF = true }, "sublinear_tf applies to mode tf_idf, not multi_hot"},
		{func(o *Options) { o.MinDF = Docs(-1) }, "min_df must not be negative, not -1"},
		{func(o *Options) { o.MaxDF = Fraction(1.5) }, "max_df must be a fraction from 0.0 to 1.0 or a whole number of documents, not 1.5"},
		{func(o *Options) { o.MinDF = Docs(2); o.MinDF.Value = 2.5 }, "min_df must be a whole number of documents or a fraction, not 2.5"},
		{func(o *Options) { o.MaxDF = Fraction(0) }, "max_df of 0 would keep no n-gram; use a fraction above 0 or at least 1 document"},
		{func(o *Options) { o.Hashing = 1000 }, "hashing must be 0 (off) or a power of two from 2 to 16777216 (2^24), not 1000"},
		{func(o *Options) { o.Hashing = 1 << 25 }, "hashing must be 0 (off) or a power of two from 2 to 16777216 (2^24), not 33554432"},
		{func(o *Options) { o.Hashing = 1 << 10; o.MinDF = Docs(2) }, "min_df needs a vocabulary, and vectorizer.hashing keeps none; remove one of them"},
		{func(o *Options) { o.Hashing = 1 << 10; o.MaxDF = Fraction(0.5) }, "max_df needs a vocabulary, and vectorizer.hashing keeps none; remove one of them"},
	} {
		o := opts(MultiHot, 10, 1)
		c.edit(&o)
		err := o.Validate()
		var e *option.Error
		if err == nil || err.Error() != c.want || !errors.As(err, &e) || !strings.HasPrefix(c.want, e.Name+" ") {
			t.Errorf("error %v, want the *option.Error %q", err, c.want)
		}
	}
	// Fit says which component refused the option.
	if _, err := Fit([]string{"a"}, opts(MultiHot, 0, 1)); err == nil || err.Error() != "vectorizer max_tokens must be at least 1, not 0" {
		t.Errorf("Fit with max_tokens 0: %v", err)
	}
	// Zero values that mean what they say: no bounds, no stop words, no
	// minimum length.
	if err := opts(MultiHot, 10, 1).Validate(); err != nil {
		t.Error(err)
	}
	// Trivial bounds are fine with hashing; max_tokens is not used.
	o := opts(MultiHot, 0, 1)
	o.Hashing, o.MinDF, o.MaxDF = 16, Docs(1), Fraction(1)
	if err := o.Validate(); err != nil {
		t.Error(err)
	}
}

func TestOptionsJSON(t *testing.T) {
	o := opts(TFIDF, 5000, 2)
	o.MinDF, o.MaxDF, o.SublinearTF = Docs(2), Fraction(1), true
	o.Tokenizer.StopWords, o.Tokenizer.MinLength = EnglishStopWords, 2
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"mode":"tf_idf","max_tokens":5000,"ngrams":2,"tokenizer":{"lowercase":true,"strip_html":true,"stop_words":"english","min_length":2},"sublinear_tf":true,"min_df":2,"max_df":1.0}`
	if string(b) != want {
		t.Errorf("JSON\n %s\nwant\n %s", b, want)
	}
	var back Options
	if err := json.Unmarshal(b, &back); err != nil || back != o {
		t.Errorf("round trip gave %+v, %v; want %+v", back, err, o)
	}
	// A model file written before these options existed reads as before.
	var old Options
	if err := json.Unmarshal([]byte(`{"mode":"multi_hot","max_tokens":10000,"ngrams":1,"tokenizer":{"lowercase":true,"strip_html":true}}`), &old); err != nil {
		t.Fatal(err)
	}
	if old != opts(MultiHot, 10000, 1) || old.Validate() != nil {
		t.Errorf("old options read as %+v", old)
	}
	var bad DFBound
	if err := json.Unmarshal([]byte(`"two"`), &bad); err == nil {
		t.Error("a string was accepted as a document-frequency bound")
	}
	for _, c := range []struct {
		b    DFBound
		want string
	}{{Docs(3), "3"}, {Fraction(0.25), "0.25"}, {Fraction(1), "1.0"}, {Fraction(1e-7), "1e-07"}} {
		if c.b.String() != c.want {
			t.Errorf("%+v prints as %s, want %s", c.b, c.b, c.want)
		}
	}
}

func TestRestore(t *testing.T) {
	texts := []string{"good good film", "bad film", "good plot", "the good film"}
	for _, hashing := range []int{0, 64} {
		o := opts(TFIDF, 100, 2)
		o.Hashing = hashing
		v := mustFit(t, texts, o)
		r, err := Restore(v.Options, v.Vocab, v.DocFreq, v.Docs)
		if err != nil {
			t.Fatal(err)
		}
		a, b := v.Transform(texts), r.Transform(texts)
		if !slices.Equal(a.Indices, b.Indices) || !slices.Equal(a.Values, b.Values) {
			t.Errorf("hashing %d: the restored vectorizer encodes differently", hashing)
		}
	}
	o := opts(Count, 100, 2)
	for _, c := range []struct {
		vocab []string
		df    []int32
		docs  int
		want  string
	}{
		{[]string{"a", "a"}, []int32{1, 1}, 2, `vectorizer vocabulary has "a" twice`},
		{[]string{"a", "a  b"}, []int32{1, 1}, 2, `vectorizer vocabulary entry 1 "a  b" is not an n-gram of 1 to 2 tokens joined by one space`},
		{[]string{"a b c"}, []int32{1}, 2, `vectorizer vocabulary entry 0 "a b c" is not an n-gram of 1 to 2 tokens joined by one space`},
		{[]string{""}, []int32{1}, 2, `vectorizer vocabulary entry 0 "" is not an n-gram of 1 to 2 tokens joined by one space`},
		{[]string{"a"}, []int32{1, 2}, 2, "vectorizer has 2 document frequencies for 1 tokens"},
		{[]string{"a"}, []int32{3}, 2, "vectorizer feature 0 has document frequency 3 of 2 documents"},
	} {
		if _, err := Restore(o, c.vocab, c.df, c.docs); err == nil || err.Error() != c.want {
			t.Errorf("Restore(%q): %v, want %q", c.vocab, err, c.want)
		}
	}
	o.Hashing = 16
	if _, err := Restore(o, nil, make([]int32, 8), 1); err == nil || err.Error() != "vectorizer has 8 document frequencies for 16 buckets" {
		t.Errorf("hashing: %v", err)
	}
	if _, err := Restore(o, []string{"a"}, make([]int32, 16), 1); err == nil || err.Error() != "vectorizer with hashing has a vocabulary of 1 tokens" {
		t.Errorf("hashing: %v", err)
	}
}

func TestCoverageAndExplain(t *testing.T) {
	v := mustFit(t, []string{"good film", "good plot"}, opts(TFIDF, 100, 2))
	x, cov := v.TransformCoverage([]string{"good film here", "nothing known"})
	// Tokens: 3 + 2, of which good and film known; grams: (3 + 2) + (2 +
	// 1), of which good, film and good film known.
	want := Coverage{Tokens: 5, KnownTokens: 2, Grams: 8, Known: 3}
	if cov != want || math.Abs(cov.OOVRate()-3.0/5) > 1e-15 || math.Abs(cov.NGramOOVRate()-5.0/8) > 1e-15 {
		t.Errorf("coverage %+v (oov %v, n-grams %v), want %+v", cov, cov.OOVRate(), cov.NGramOOVRate(), want)
	}
	_, _, fcov, _ := FitTransform([]string{"good film", "good plot here"}, opts(TFIDF, 3, 2)) // good, film, good film
	if want := (Coverage{Tokens: 5, KnownTokens: 3, Grams: 8, Known: 4}); fcov != want {
		t.Errorf("FitTransform coverage %+v, want %+v", fcov, want)
	}
	if x.Rows != 2 || len(rowMap(x, 1)) != 0 {
		t.Errorf("an all-unknown text must give an empty row")
	}
	if (Coverage{}).OOVRate() != 0 || (Coverage{}).NGramOOVRate() != 0 {
		t.Error("no grams must give an OOV rate of 0")
	}
	tokens, feats := v.Explain("Good film, here")
	if !slices.Equal(tokens, []string{"good", "film", "here"}) {
		t.Errorf("tokens %q", tokens)
	}
	var grams []string
	for _, f := range feats {
		grams = append(grams, fmt.Sprintf("%d:%s", f.Index, f.Gram))
		if v.Vocab[f.Index] != f.Gram || !(f.Value > 0 && f.Value <= 1) {
			t.Errorf("feature %+v", f)
		}
	}
	if want := []string{"0:good", "1:film", "2:good film"}; !slices.Equal(grams, want) {
		t.Errorf("features %q, want %q", grams, want)
	}
	o := opts(MultiHot, 0, 2)
	o.Hashing = 2 // everything collides: the bucket names all its grams
	h := mustFit(t, []string{"a b"}, o)
	_, feats = h.Explain("a b")
	seen := 0
	for _, f := range feats {
		seen += strings.Count(f.Gram, " | ") + 1
		if f.Value != 1 {
			t.Errorf("multi_hot value %v", f.Value)
		}
	}
	if seen != 3 {
		t.Errorf("hashing features %+v name %d grams, want a, b and a b", feats, seen)
	}
}

// corpus returns n seeded pseudo-random texts over a Zipf-like vocabulary,
// with markup, stop words and repeated words, long enough for many blocks.
func corpus(n int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 1))
	words := []string{"the", "film", "a", "good", "bad", "plot", "it's", "Actor", "story", "<br />", "very", "not", "boring", "Ünïcödé", "映画", "don't"}
	for i := range 300 {
		words = append(words, fmt.Sprintf("w%d", i))
	}
	texts := make([]string, n)
	var b strings.Builder
	for i := range texts {
		b.Reset()
		for range 5 + r.IntN(60) {
			k := int(math.Floor(math.Pow(float64(len(words)), r.Float64()))) - 1
			b.WriteString(words[max(0, k)])
			b.WriteByte(" ,. "[r.IntN(4)])
		}
		texts[i] = b.String()
	}
	return texts
}

func sameMatrix(a, b *sparse.Matrix) bool {
	return a.Rows == b.Rows && a.Cols == b.Cols && slices.Equal(a.Indptr, b.Indptr) && slices.Equal(a.Indices, b.Indices) && slices.Equal(a.Values, b.Values) && (a.Values == nil) == (b.Values == nil)
}

// TestCoreCountIndependence fits and transforms with 1 to 5 cores and
// expects identical vocabularies and rows, bit for bit.
func TestCoreCountIndependence(t *testing.T) {
	texts := corpus(3000, 7)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	configs := []Options{opts(MultiHot, 200, 1), opts(TFIDF, 500, 2), opts(Count, 300, 3)}
	configs[1].MinDF, configs[1].MaxDF, configs[1].SublinearTF = Docs(2), Fraction(0.9), true
	h := opts(TFIDF, 0, 2)
	h.Hashing = 1 << 12
	configs = append(configs, h)
	for _, o := range configs {
		var first *Vectorizer
		var firstX, firstT *sparse.Matrix
		var firstCov Coverage
		for _, procs := range []int{1, 2, 3, 5} {
			runtime.GOMAXPROCS(procs)
			v, x, cov, err := FitTransform(texts, o)
			if err != nil {
				t.Fatal(err)
			}
			fitted := mustFit(t, texts, o)
			tx, tcov := fitted.TransformCoverage(texts)
			if !sameMatrix(x, tx) || cov != tcov {
				t.Errorf("%+v, %d cores: FitTransform and Fit + Transform differ (coverage %+v and %+v)", o, procs, cov, tcov)
			}
			test := v.Transform(texts[:700])
			if first == nil {
				first, firstX, firstT, firstCov = v, x, test, cov
				continue
			}
			if !slices.Equal(v.Vocab, first.Vocab) || !slices.Equal(v.DocFreq, first.DocFreq) {
				t.Errorf("%+v: the vocabulary on %d cores differs from 1 core", o, procs)
			}
			if !sameMatrix(x, firstX) || !sameMatrix(test, firstT) || cov != firstCov {
				t.Errorf("%+v: the rows on %d cores differ from 1 core", o, procs)
			}
		}
		if firstX.Validate() != nil {
			t.Errorf("%+v: %v", o, firstX.Validate())
		}
	}
}

func TestEncoderAllocatesNothing(t *testing.T) {
	texts := corpus(600, 3)
	h := opts(TFIDF, 0, 3)
	h.Hashing = 1 << 12
	for _, o := range []Options{opts(TFIDF, 1000, 3), h} {
		enc := mustFit(t, texts, o).NewEncoder()
		for _, text := range texts {
			enc.Encode(text)
		}
		i := 0
		if n := testing.AllocsPerRun(100, func() { enc.Encode(texts[i%len(texts)]); i++ }); n != 0 {
			t.Errorf("%+v: Encode allocates %v times per text", o, n)
		}
	}
}

func TestTopK(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 5, 17, 100, 1000, 5000} {
		vals := make([]int, n)
		for i := range vals {
			vals[i] = r.IntN(1 + n/10) // many ties, broken by id
		}
		compare := func(a, b int32) int {
			if vals[a] != vals[b] {
				return vals[b] - vals[a]
			}
			return int(a - b)
		}
		all := make([]int32, n)
		for i := range all {
			all[i] = int32(i)
		}
		sorted := slices.Clone(all)
		slices.SortFunc(sorted, compare)
		for _, k := range []int{1, 2, n / 3, n - 1, n, n + 5} {
			if k < 1 {
				continue
			}
			ids := slices.Clone(all)
			r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
			got := topK(ids, k, compare)
			if want := sorted[:min(k, n)]; !slices.Equal(got, want) {
				t.Fatalf("n %d k %d: topK differs from sorting", n, k)
			}
		}
	}
}

func TestTables(t *testing.T) {
	s := newStrTable(1)
	p := newPairTable(1)
	const n = 50000
	for i := range n {
		tok := []byte(fmt.Sprintf("tok%d", i*7919%n))
		if id := s.insert(tok); id != int32(i) {
			t.Fatalf("insert %q gave id %d, want %d", tok, id, i)
		}
		if id, added := p.insert(int32(i/3), int32(i)); !added || id != int32(i) {
			t.Fatalf("pair insert gave %d %v", id, added)
		}
	}
	for i := range n {
		tok := []byte(fmt.Sprintf("tok%d", i*7919%n))
		if s.lookup(tok) != int32(i) || s.insert(tok) != int32(i) || string(s.bytes(int32(i))) != string(tok) {
			t.Fatalf("string %q lost", tok)
		}
		if id, added := p.insert(int32(i/3), int32(i)); added || id != int32(i) || p.lookup(int32(i/3), int32(i)) != int32(i) {
			t.Fatalf("pair %d lost", i)
		}
	}
	if s.lookup([]byte("tok")) != -1 || s.lookup(nil) != -1 || p.lookup(-1, 3) != -1 || p.lookup(1, 1) != -1 {
		t.Error("lookup found a key never inserted")
	}
	if s.Len() != n || p.Len() != n {
		t.Errorf("lengths %d, %d", s.Len(), p.Len())
	}
}

func TestSortFeatures(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 5))
	var scratch []int32
	for _, limit := range []int{1, 2, 255, 256, 257, 1 << 16, 437000, 1 << 24} {
		for _, n := range []int{0, 1, 5, 95, 96, 97, 300, 3000} {
			a := make([]int32, n)
			for i := range a {
				a[i] = int32(r.IntN(limit))
			}
			want := slices.Clone(a)
			slices.Sort(want)
			scratch = sortFeatures(a, scratch, limit)
			if !slices.Equal(a, want) {
				t.Fatalf("limit %d, %d values: not sorted", limit, n)
			}
		}
	}
}

// referenceRow counts the features of text the slow way: every n-gram as a
// string, looked up with Index.
func referenceRow(v *Vectorizer, text string) map[int32]float64 {
	toks := v.Tokenizer.Tokens(text)
	row := map[int32]float64{}
	for i := range toks {
		for k := 1; k <= v.NGrams && i+k <= len(toks); k++ {
			if f := v.Index(strings.Join(toks[i:i+k], " ")); f >= 0 {
				row[int32(f)]++
			}
		}
	}
	return row
}

var fuzzVectorizers = func() []*Vectorizer {
	texts := corpus(300, 9)
	var out []*Vectorizer
	for _, o := range []Options{opts(Count, 400, 3), opts(Count, 50, 2), opts(Count, 2000, 1)} {
		v, _ := Fit(texts, o)
		out = append(out, v)
	}
	h := opts(Count, 0, 3)
	h.Hashing = 256
	v, _ := Fit(texts, h)
	return append(out, v)
}()

// FuzzEncoder checks that encoding any text gives the row that looking up
// each of its n-grams gives, for vocabularies of 1- to 3-grams and hashing.
func FuzzEncoder(f *testing.F) {
	for _, s := range []string{"", "film", "the film", "the good film, the good plot", "w1 w2 w3 w4 ünïcödé 映画", "x", "a a a a a", "<br />the<br />"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, v := range fuzzVectorizers {
			idx, vals := v.NewEncoder().Encode(text)
			want := referenceRow(v, text)
			if len(idx) != len(want) {
				t.Fatalf("%+v on %q: %d features, want %d", v.Options, text, len(idx), len(want))
			}
			for i, f := range idx {
				if i > 0 && f <= idx[i-1] {
					t.Fatalf("%+v on %q: indices not increasing: %v", v.Options, text, idx)
				}
				if vals[i] != want[f] {
					t.Fatalf("%+v on %q: feature %d counts %v, want %v", v.Options, text, f, vals[i], want[f])
				}
			}
		}
	})
}
