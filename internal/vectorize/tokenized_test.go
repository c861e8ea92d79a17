package vectorize

import (
	"bytes"
	"slices"
	"sync"
	"testing"
)

// TestTokenizedIsFitTransform holds a Tokenized, fed the texts one by one, to
// what FitTransform and TransformCoverage of the kept texts return: the
// same vocabulary and the same rows and coverage, bit for bit, in every
// mode and n-gram order, with the vocabulary's bounds and a tokenizer that
// drops words. The test texts hold words the training texts lack, and a
// second fit of the same Tokenized is the first.
func TestTokenizedIsFitTransform(t *testing.T) {
	train, test := corpus(2000, 3), append(corpus(600, 4), "zzz unseen words only", "", "the the the")
	configs := []Options{opts(MultiHot, 200, 1), opts(TFIDF, 500, 2), opts(Count, 300, 3), opts(MultiHot, 50, 2)}
	configs[1].MinDF, configs[1].MaxDF, configs[1].SublinearTF = Docs(2), Fraction(0.9), true
	configs[2].Tokenizer.StopWords, configs[2].Tokenizer.MinLength = EnglishStopWords, 2
	for _, o := range configs {
		want, wantX, wantCov, err := FitTransform(train, o)
		if err != nil {
			t.Fatal(err)
		}
		wantT, wantTCov := want.TransformCoverage(test)
		c, err := NewTokenized(o)
		if err != nil {
			t.Fatal(err)
		}
		ct, err := NewTokenized(o)
		if err != nil {
			t.Fatal(err)
		}
		for _, text := range train {
			c.Add(text)
		}
		for _, text := range test {
			ct.Add(text)
		}
		if c.Len() != len(train) || ct.Len() != len(test) {
			t.Fatalf("Len %d and %d for %d and %d texts", c.Len(), ct.Len(), len(train), len(test))
		}
		for round := range 2 {
			v, x, cov, err := c.FitTransform(o)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(v.Vocab, want.Vocab) || !slices.Equal(v.DocFreq, want.DocFreq) || v.Docs != want.Docs || v.Distinct != want.Distinct {
				t.Errorf("%+v, fit %d: the Tokenized's vocabulary differs from FitTransform's", o, round+1)
			}
			if !sameMatrix(x, wantX) || cov != wantCov {
				t.Errorf("%+v, fit %d: the Tokenized's training rows differ (coverage %+v, want %+v)", o, round+1, cov, wantCov)
			}
			tx, tcov := v.TransformTokenized(ct)
			if !sameMatrix(tx, wantT) || tcov != wantTCov {
				t.Errorf("%+v, fit %d: TransformTokenized differs from TransformCoverage (coverage %+v, want %+v)", o, round+1, tcov, wantTCov)
			}
			// A restored vectorizer (a model file's) encodes the same.
			r, err := Restore(o, v.Vocab, v.DocFreq, v.Docs)
			if err != nil {
				t.Fatal(err)
			}
			if rx, rcov := r.TransformTokenized(ct); !sameMatrix(rx, wantT) || rcov != wantTCov {
				t.Errorf("%+v: a restored vectorizer's TransformTokenized differs", o)
			}
		}
	}
}

// TestTokenizedPartsAreOne: a Tokenized of several parts, each counting
// runs of the texts on a goroutine of its own (as pipeline.readParts hands
// them out: runs of one length in turn, the last one shorter), gives the
// vocabulary, rows and coverage of FitTransform of the texts, fitted twice,
// and encodes a split so counted as TransformCoverage of its texts.
func TestTokenizedPartsAreOne(t *testing.T) {
	train, test := corpus(2000, 5), append(corpus(600, 6), "zzz unseen words only", "", "the the the")
	configs := []Options{opts(MultiHot, 200, 1), opts(TFIDF, 500, 2), opts(Count, 300, 1)}
	configs[1].MinDF, configs[1].MaxDF, configs[1].SublinearTF = Docs(2), Fraction(0.9), true
	configs[2].Tokenizer.StopWords, configs[2].Tokenizer.MinLength = EnglishStopWords, 2
	// add feeds texts to a Tokenized of parts parts in runs of run texts.
	add := func(o Options, texts []string, parts, run int) *Tokenized {
		c, err := NewTokenizedParts(o, parts)
		if err != nil {
			t.Fatal(err)
		}
		runs := make([]chan []string, parts)
		var wg sync.WaitGroup
		for p := range runs {
			runs[p] = make(chan []string, 1)
			wg.Go(func() {
				for r := range runs[p] {
					for _, text := range r {
						c.AddTo(p, text)
					}
				}
			})
		}
		for k, lo := 0, 0; lo < len(texts); k, lo = k+1, lo+run {
			r := texts[lo:min(lo+run, len(texts))]
			c.Next(k%parts, len(r))
			runs[k%parts] <- r
		}
		for _, r := range runs {
			close(r)
		}
		wg.Wait()
		if c.Len() != len(texts) {
			t.Fatalf("Len %d for %d texts", c.Len(), len(texts))
		}
		return c
	}
	for _, o := range configs {
		want, wantX, wantCov, err := FitTransform(train, o)
		if err != nil {
			t.Fatal(err)
		}
		wantT, wantTCov := want.TransformCoverage(test)
		for _, shape := range [][2]int{{2, 512}, {2, 37}, {3, 1}, {1, 100}} {
			c, ct := add(o, train, shape[0], shape[1]), add(o, test, shape[0], shape[1])
			for round := range 2 {
				v, x, cov, err := c.FitTransform(o)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(v.Vocab, want.Vocab) || !slices.Equal(v.DocFreq, want.DocFreq) || v.Docs != want.Docs || v.Distinct != want.Distinct {
					t.Errorf("%+v, %d parts taking %d texts at a time, fit %d: the vocabulary differs from FitTransform's", o, shape[0], shape[1], round+1)
				}
				if !sameMatrix(x, wantX) || cov != wantCov {
					t.Errorf("%+v, %d parts taking %d texts at a time, fit %d: the rows differ (coverage %+v, want %+v)", o, shape[0], shape[1], round+1, cov, wantCov)
				}
				if tx, tcov := v.TransformTokenized(ct); !sameMatrix(tx, wantT) || tcov != wantTCov {
					t.Errorf("%+v, %d parts taking %d texts at a time, fit %d: TransformTokenized differs from TransformCoverage", o, shape[0], shape[1], round+1)
				}
			}
		}
	}
}

// TestTokenizedRefuses: hashing and the dense mode keep no vocabulary.
func TestTokenizedRefuses(t *testing.T) {
	h := opts(MultiHot, 0, 1)
	h.Hashing = 1 << 10
	if _, err := NewTokenized(h); err == nil {
		t.Error("NewTokenized accepted hashing")
	}
	if _, err := NewTokenized(Options{Mode: Dense}); err == nil {
		t.Error("NewTokenized accepted the dense mode")
	}
	c, err := NewTokenized(opts(MultiHot, 10, 1))
	if err != nil {
		t.Fatal(err)
	}
	c.Add("a film")
	if _, _, _, err := c.FitTransform(opts(MultiHot, 10, 2)); err == nil {
		t.Error("a Tokenized of unigrams fitted bigrams")
	}
}

// A vectorizer weighted by naive-Bayes ratios encodes counted texts as it
// encodes them one by one: weighted (for tf-idf, normalised again).
func TestTokenizedIsWeighted(t *testing.T) {
	train, test := corpus(2000, 3), append(corpus(600, 4), "zzz unseen words only", "")
	for _, o := range []Options{opts(TFIDF, 500, 2), opts(MultiHot, 200, 1)} {
		o.Weighting, o.NBAlpha = NB, DefaultNBAlpha
		v, x, _, err := FitTransform(train, o)
		if err != nil {
			t.Fatal(err)
		}
		class := make([]int32, x.Rows)
		for r := range class {
			class[r] = int32(r % 2)
		}
		if _, err := v.FitNB(x, class, 2); err != nil {
			t.Fatal(err)
		}
		ct, err := NewTokenized(o)
		if err != nil {
			t.Fatal(err)
		}
		for _, text := range test {
			ct.Add(text)
		}
		want, wantCov := v.TransformCoverage(test)
		if got, cov := v.TransformTokenized(ct); !sameMatrix(got, want) || cov != wantCov {
			t.Errorf("%s: TransformTokenized of an NB-weighted vectorizer differs from TransformCoverage", o.Mode)
		}
	}
}

// TestTopIsRankingAll: the vocabulary top chooses, ranking only the
// candidates that can be among the k (those with at least the k-th
// largest count) and only their tokens, is the one ranking every token and
// every candidate gives, for unigrams, bigrams and trigrams (counts with
// many ties) and any k.
func TestTopIsRankingAll(t *testing.T) {
	texts := append(corpus(700, 9), "b a", "a b", "a", "b", "zz a b")
	for _, n := range []int{1, 2, 3} {
		c := newCounter(opts(MultiHot, 10, n), false)
		for d, text := range texts {
			c.addDoc(text, int32(d))
		}
		cands := make([]int32, 0, len(c.stats))
		for g := range c.stats {
			if g%5 != 3 { // not every node a candidate
				cands = append(cands, int32(g))
			}
		}
		// Every token ranked in byte order, every candidate ordered.
		byBytes := make([]int32, c.strs.Len())
		for i := range byBytes {
			byBytes[i] = int32(i)
		}
		slices.SortFunc(byBytes, func(a, b int32) int { return bytes.Compare(c.strs.bytes(a), c.strs.bytes(b)) })
		rank := make([]int32, len(byBytes))
		for r, s := range byBytes {
			rank[s] = int32(r)
		}
		all := make([]rankedGram, len(cands))
		for i, g := range cands {
			toks, m := c.gramTokens(g)
			all[i] = rankedGram{node: g, total: c.stats[g].total}
			for j := range all[i].rank {
				all[i].rank[j] = -1
				if j < m {
					all[i].rank[j] = rank[toks[j]]
				}
			}
		}
		slices.SortFunc(all, compareRanked)
		for _, k := range []int{1, 2, 7, 50, 333, len(cands) - 1, len(cands), len(cands) + 5} {
			want := make([]int32, 0, k)
			for _, r := range all[:min(k, len(all))] {
				want = append(want, r.node)
			}
			if got := c.top(slices.Clone(cands), k); !slices.Equal(got, want) {
				t.Errorf("%d-grams, k %d: top chose %d grams, not the %d ranking all chooses", n, k, len(got), len(want))
			}
		}
	}
}
