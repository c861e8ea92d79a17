package vectorize

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// randomTexts makes texts from a Zipf-like word list, with ties in the
// counts (the byte-order tie-break matters) and words only some texts have.
func randomTexts(n int, seed uint64) []string {
	words := strings.Fields("the a film movie good bad great awful plot actor it's don't ok ending story scene music Über café 42 x y z")
	rng := rand.New(rand.NewPCG(seed, 1))
	texts := make([]string, n)
	for i := range texts {
		var b strings.Builder
		for range 1 + rng.IntN(30) {
			w := words[min(len(words)-1, int(rng.ExpFloat64()*6))]
			b.WriteString(w)
			b.WriteByte(' ')
		}
		texts[i] = b.String()
	}
	return texts
}

// fitShards counts texts in shards, adds the counts up gram by gram as a
// merge of counts files does, and fits.
func fitShards(t *testing.T, texts []string, opts Options, shards int) (*Vectorizer, error) {
	t.Helper()
	type count struct {
		total int64
		df    int32
	}
	sum := map[string]count{}
	docs := 0
	for s := range shards {
		c, err := NewCounter(opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, text := range texts[s*len(texts)/shards : (s+1)*len(texts)/shards] {
			c.Add(text)
		}
		docs += c.Docs()
		var prev string
		err = c.Each(func(g []byte, total int64, df int32) error {
			if string(g) <= prev && prev != "" {
				t.Fatalf("Each gave %q after %q: not in byte order", g, prev)
			}
			prev = string(g)
			x := sum[string(g)]
			sum[string(g)] = count{x.total + total, x.df + df}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	f, err := NewFitter(opts, docs)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(sum))
	for k := range sum {
		keys = append(keys, k)
	}
	rand.New(rand.NewPCG(7, 7)).Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] }) // any order
	for _, k := range keys {
		if err := f.Add([]byte(k), sum[k].total, sum[k].df); err != nil {
			t.Fatal(err)
		}
	}
	return f.Vectorizer()
}

// TestCountsMergeIsFit: the counts of any number of shards, added up,
// choose exactly the vocabulary (order, document frequencies, distinct
// count) Fit chooses on all the texts.
func TestCountsMergeIsFit(t *testing.T) {
	texts := randomTexts(3000, 1)
	tok := Tokenizer{Lowercase: true, StripHTML: true}
	for _, opts := range []Options{
		{Mode: MultiHot, MaxTokens: 10, NGrams: 1, Tokenizer: tok},
		{Mode: TFIDF, MaxTokens: 50, NGrams: 2, Tokenizer: tok, MinDF: Docs(3)},
		{Mode: Count, MaxTokens: 1000, NGrams: 3, Tokenizer: Tokenizer{StopWords: "english"}, MaxDF: Fraction(0.5)},
		{Mode: TFIDF, NGrams: 2, Tokenizer: tok, Hashing: 64},
	} {
		want, err := Fit(texts, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, shards := range []int{1, 3, 7} {
			got, err := fitShards(t, texts, opts, shards)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Vocab, want.Vocab) && len(got.Vocab)+len(want.Vocab) > 0 {
				t.Fatalf("%+v in %d shards: vocabulary %q, Fit's %q", opts, shards, got.Vocab, want.Vocab)
			}
			if !slices.Equal(got.DocFreq, want.DocFreq) || got.Docs != want.Docs || got.Distinct != want.Distinct {
				t.Fatalf("%+v in %d shards: df %v docs %d distinct %d; Fit's %v %d %d", opts, shards, got.DocFreq, got.Docs, got.Distinct, want.DocFreq, want.Docs, want.Distinct)
			}
			if a, b := got.Transform(texts[:50]), want.Transform(texts[:50]); !reflect.DeepEqual(a, b) {
				t.Fatalf("%+v in %d shards: rows differ from Fit's", opts, shards)
			}
		}
	}
}

// TestFitterErrors: the errors Fit gives for bounds that leave nothing.
func TestFitterErrors(t *testing.T) {
	texts := randomTexts(100, 2)
	opts := Options{Mode: MultiHot, MaxTokens: 10, NGrams: 1, MinDF: Docs(1000)}
	_, want := Fit(texts, opts)
	_, got := fitShards(t, texts, opts, 2)
	if got == nil || !errors.Is(got, ErrNoFeatures) || got.Error() != want.Error() {
		t.Fatalf("got %v, want %v", got, want)
	}
	opts = Options{Mode: MultiHot, MaxTokens: 10, NGrams: 1, MinDF: Docs(50), MaxDF: Docs(10)}
	_, want = Fit(texts, opts)
	_, got = fitShards(t, texts, opts, 2)
	if got == nil || got.Error() != want.Error() {
		t.Fatalf("got %v, want %v", got, want)
	}
}
