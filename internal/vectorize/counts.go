package vectorize

import (
	"container/heap"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Counts that add up. Fit counts the n-grams of texts held in memory; a
// Counter counts texts one at a time as they stream by (a shard of a file,
// or a corpus read twice), and a Fitter chooses the vocabulary from counts
// given to it gram by gram, in any order: the counts of a file's shards,
// summed gram by gram, give a Fitter exactly the vocabulary Fit chooses on
// the whole file, as the choice depends on nothing but each gram's total
// and document counts and its bytes.

// A Counter counts the total and document frequencies of the n-grams of
// the texts it is given (of the hashing buckets, with hashing). Its
// memory grows with the distinct n-grams, not with the texts.
type Counter struct {
	opts    Options
	c       *counter
	df      []int32 // hashing: documents per bucket
	enc     *Encoder
	scratch []int32
	docs    int
}

// NewCounter returns a counter for the vectorizer opts describes.
func NewCounter(opts Options) (*Counter, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("vectorizer %w", err)
	}
	if opts.Mode == Dense {
		return nil, errTextDense
	}
	c := &Counter{opts: opts}
	if opts.Hashing > 0 {
		c.df = make([]int32, opts.Hashing)
		c.enc = (&Vectorizer{Options: opts}).NewEncoder()
	} else {
		c.c = newCounter(opts, false)
	}
	return c, nil
}

// Add counts one text.
func (c *Counter) Add(text string) {
	if c.df == nil {
		c.c.addDoc(text, int32(c.docs))
	} else {
		e := c.enc
		e.row.reset()
		e.hashGrams(text)
		c.scratch = sortFeatures(e.row.idx, c.scratch, c.opts.Hashing)
		for i, b := range e.row.idx {
			if i == 0 || b != e.row.idx[i-1] {
				c.df[b]++
			}
		}
	}
	c.docs++
}

// Docs returns the number of texts counted.
func (c *Counter) Docs() int { return c.docs }

// Distinct returns the number of distinct n-grams counted (buckets used,
// with hashing).
func (c *Counter) Distinct() int {
	if c.df == nil {
		return len(c.c.stats)
	}
	n := 0
	for _, d := range c.df {
		if d > 0 {
			n++
		}
	}
	return n
}

// Each calls fn with every n-gram counted, in the byte order of its text
// (tokens joined by one space), with its total and document counts. With
// hashing a gram is its bucket written as HashingKey does, and total is 0.
// gram is valid only during the call.
func (c *Counter) Each(fn func(gram []byte, total int64, df int32) error) error {
	if c.df != nil {
		var key []byte
		for b, d := range c.df {
			if d > 0 {
				key = AppendHashingKey(key[:0], b)
				if err := fn(key, 0, d); err != nil {
					return err
				}
			}
		}
		return nil
	}
	all := make([]int32, len(c.c.stats))
	for i := range all {
		all[i] = int32(i)
	}
	// Ranking every gram by its tokens' byte ranks with equal totals is
	// sorting their texts, as compareRanked's comment explains.
	order := c.c.ranked(all, len(all), false)
	var buf []byte
	for _, g := range order {
		buf = c.c.appendGram(buf[:0], g)
		st := c.c.stats[g]
		if err := fn(buf, st.total, st.df); err != nil {
			return err
		}
	}
	return nil
}

// Fit returns the vectorizer Fit would fit on the texts counted.
func (c *Counter) Fit() (*Vectorizer, error) {
	f, err := NewFitter(c.opts, c.docs)
	if err != nil {
		return nil, err
	}
	if err := c.Each(f.Add); err != nil {
		return nil, err
	}
	return f.Vectorizer()
}

// hashingKeyWidth is the digits of the largest bucket, MaxHashing-1: keys
// of one width sort as their numbers.
const hashingKeyWidth = 8

// AppendHashingKey appends the key under which Counter.Each gives bucket b:
// its number in hashingKeyWidth digits, so keys sort as the buckets do.
func AppendHashingKey(buf []byte, b int) []byte {
	s := strconv.Itoa(b)
	for range hashingKeyWidth - len(s) {
		buf = append(buf, '0')
	}
	return append(buf, s...)
}

// A Fitter chooses a vocabulary, as Fit does, from the counts of n-grams
// given one gram at a time (each gram once, in any order). It keeps only
// the max_tokens best candidates so far: its memory does not grow with the
// number of distinct n-grams.
type Fitter struct {
	opts             Options
	docs             int
	minDocs, maxDocs float64
	best             worstFirst
	distinct         int
	grams            int // grams within the document-frequency bounds
	df               []int32
}

// NewFitter returns a fitter for opts of a vectorizer fitted on docs texts.
func NewFitter(opts Options, docs int) (*Fitter, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("vectorizer %w", err)
	}
	if opts.Mode == Dense {
		return nil, errTextDense
	}
	f := &Fitter{opts: opts, docs: docs, maxDocs: math.Inf(1)}
	if opts.Hashing > 0 {
		f.df = make([]int32, opts.Hashing)
		return f, nil
	}
	f.minDocs = opts.MinDF.docs(docs)
	if !opts.MaxDF.IsZero() {
		f.maxDocs = opts.MaxDF.docs(docs)
	}
	if f.maxDocs < f.minDocs {
		return nil, fmt.Errorf("vectorizer max_df %s (%g documents) is below min_df %s (%g documents) for %d training texts", opts.MaxDF, f.maxDocs, opts.MinDF, f.minDocs, docs)
	}
	return f, nil
}

// Add gives the fitter one gram's counts (for hashing, a bucket's key as
// Counter.Each gives it).
func (f *Fitter) Add(gram []byte, total int64, df int32) error {
	f.distinct++
	if f.df != nil {
		b, err := strconv.Atoi(string(gram))
		if err != nil || b < 0 || b >= len(f.df) || len(gram) != hashingKeyWidth {
			return fmt.Errorf("hashing bucket %q is not one of the %d buckets", gram, len(f.df))
		}
		f.df[b] += df
		return nil
	}
	if d := float64(df); d < f.minDocs || d > f.maxDocs {
		return nil
	}
	f.grams++
	k := f.opts.MaxTokens
	if len(f.best) == k {
		// Not better than the worst kept: compared without making a string.
		w := f.best[0]
		if total < w.total || (total == w.total && string(gram) > w.gram) {
			return nil
		}
	}
	g := countedGram{total: total, df: df, gram: string(gram)}
	if len(f.best) < k {
		heap.Push(&f.best, g)
	} else {
		f.best[0] = g
		heap.Fix(&f.best, 0)
	}
	return nil
}

// Vectorizer returns the fitted vectorizer.
func (f *Fitter) Vectorizer() (*Vectorizer, error) {
	if f.df != nil {
		v, err := Restore(f.opts, nil, f.df, f.docs)
		if err != nil {
			return nil, err
		}
		v.Distinct = f.distinct
		return v, nil
	}
	if f.grams == 0 {
		if f.distinct == 0 {
			return nil, fmt.Errorf("%w: the %d training texts have no tokens", ErrNoFeatures, f.docs)
		}
		return nil, fmt.Errorf("%w: none of the %d n-grams of the training texts is in at least %g and at most %g documents; lower vectorizer.min_df or raise vectorizer.max_df", ErrNoFeatures, f.distinct, f.minDocs, f.maxDocs)
	}
	best := slices.Clone(f.best)
	slices.SortFunc(best, compareCounted)
	vocab := make([]string, len(best))
	df := make([]int32, len(best))
	for i, g := range best {
		vocab[i], df[i] = g.gram, g.df
	}
	v, err := Restore(f.opts, vocab, df, f.docs)
	if err != nil {
		return nil, err
	}
	v.Distinct = f.distinct
	return v, nil
}

// countedGram is a candidate of a Fitter.
type countedGram struct {
	total int64
	df    int32
	gram  string
}

// compareCounted orders as compareRanked: total count, highest first,
// then the gram's bytes.
func compareCounted(a, b countedGram) int {
	if a.total != b.total {
		if a.total > b.total {
			return -1
		}
		return 1
	}
	return strings.Compare(a.gram, b.gram)
}

// worstFirst is a heap of the best grams so far with the worst on top.
type worstFirst []countedGram

func (h worstFirst) Len() int           { return len(h) }
func (h worstFirst) Less(i, j int) bool { return compareCounted(h[i], h[j]) > 0 }
func (h worstFirst) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *worstFirst) Push(x any)        { *h = append(*h, x.(countedGram)) }
func (h *worstFirst) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
