package vectorize

import (
	"cmp"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/dlc-dev/dlc/internal/sparse"
)

// Mode is how a token's presence in a text becomes a feature value.
type Mode string

// The weightings of a text's features.
const (
	MultiHot Mode = "multi_hot" // 1 if the token occurs (the notebook's encoding)
	Count    Mode = "count"     // number of occurrences
	TFIDF    Mode = "tf_idf"    // occurrences × smoothed idf, rows L2-normalised
)

// Modes lists the text modes, for error messages.
var Modes = []Mode{MultiHot, Count, TFIDF, Dense}

// Options configure a vectorizer before it is fitted.
// They are stored in the model file as JSON, so a new option persists by
// adding a field here (with a zero value that keeps the old behaviour).
type Options struct {
	Mode      Mode      `json:"mode"`       // default multi_hot
	MaxTokens int       `json:"max_tokens"` // vocabulary size cap; default 10000
	NGrams    int       `json:"ngrams"`     // 1 = unigrams, 2 = unigrams + bigrams, ...; default 1
	Tokenizer Tokenizer `json:"tokenizer"`
	// Dense is the fitted scaling of mode dense (dense.go); nil otherwise.
	Dense *DenseOptions `json:"dense,omitempty"`
}

// MaxNGrams is the largest n-gram order accepted.
const MaxNGrams = 3

// Validate reports an option that cannot be fitted.
func (o Options) Validate() error {
	if !slices.Contains(Modes, o.Mode) {
		return fmt.Errorf("vectorizer mode %q is not one of %v", o.Mode, Modes)
	}
	if o.MaxTokens < 1 {
		return fmt.Errorf("vectorizer max_tokens must be at least 1, not %d", o.MaxTokens)
	}
	if o.NGrams < 1 || o.NGrams > MaxNGrams {
		return fmt.Errorf("vectorizer ngrams must be between 1 and %d, not %d", MaxNGrams, o.NGrams)
	}
	return nil
}

// Vectorizer maps texts to sparse rows over a fitted vocabulary.
type Vectorizer struct {
	Options
	// Vocab holds the features in index order: tokens, and n-grams as tokens
	// joined by one space.
	Vocab []string
	// DocFreq[i] is the number of training documents containing Vocab[i].
	DocFreq []int32
	// Docs is the number of training documents the vocabulary was fitted on.
	Docs int

	index map[string]int32
	idf   []float64
}

// blockSize is the number of documents a worker takes at a time; fixed, so
// the output never depends on the number of workers.
const blockSize = 256

// Fit builds the vocabulary from the training texts: the MaxTokens features
// with the highest total occurrence count, ties broken by byte order so the
// result is the same on every machine.
func Fit(texts []string, opts Options) (*Vectorizer, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.Mode == Dense {
		return nil, errTextDense
	}
	workers := min(runtime.GOMAXPROCS(0), max(1, len(texts)/blockSize))
	parts := make([]*counter, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*len(texts)/workers, (w+1)*len(texts)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newCounter()
			g := newGrammer(opts)
			for d, text := range texts[lo:hi] {
				g.each(text, func(gram []byte) { c.add(gram, int32(d)) })
			}
			parts[w] = c
		}()
	}
	wg.Wait()
	all := parts[0]
	for _, p := range parts[1:] {
		all.merge(p)
	}

	order := make([]int32, len(all.tokens))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		if c := cmp.Compare(all.total[b], all.total[a]); c != 0 {
			return c
		}
		return cmp.Compare(all.tokens[a], all.tokens[b])
	})
	order = order[:min(len(order), opts.MaxTokens)]
	v := &Vectorizer{Options: opts, Docs: len(texts)}
	v.Vocab = make([]string, len(order))
	v.DocFreq = make([]int32, len(order))
	for i, id := range order {
		v.Vocab[i] = all.tokens[id]
		v.DocFreq[i] = all.df[id]
	}
	v.init()
	return v, nil
}

// Restore rebuilds a fitted vectorizer from its stored parts (a model file).
func Restore(opts Options, vocab []string, docFreq []int32, docs int) (*Vectorizer, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if len(docFreq) != len(vocab) {
		return nil, fmt.Errorf("vectorizer has %d document frequencies for %d tokens", len(docFreq), len(vocab))
	}
	if err := opts.checkDense(len(vocab)); err != nil {
		return nil, err
	}
	v := &Vectorizer{Options: opts, Vocab: vocab, DocFreq: docFreq, Docs: docs}
	v.init()
	if len(v.index) != len(vocab) {
		return nil, fmt.Errorf("vectorizer vocabulary has duplicate tokens")
	}
	return v, nil
}

func (v *Vectorizer) init() {
	v.index = make(map[string]int32, len(v.Vocab))
	for i, t := range v.Vocab {
		v.index[t] = int32(i)
	}
	v.idf = make([]float64, len(v.Vocab))
	for i, df := range v.DocFreq {
		// The smoothed idf of scikit-learn: as if one extra document held every token.
		v.idf[i] = math.Log(float64(1+v.Docs)/float64(1+df)) + 1
	}
}

// Features returns the width of the rows Transform produces.
func (v *Vectorizer) Features() int { return len(v.Vocab) }

// Index returns the feature index of a token or n-gram, or -1.
func (v *Vectorizer) Index(gram string) int {
	if i, ok := v.index[gram]; ok {
		return int(i)
	}
	return -1
}

// Transform encodes texts as rows, using every core; the result does not
// depend on how many there are.
func (v *Vectorizer) Transform(texts []string) *sparse.Matrix {
	blocks := (len(texts) + blockSize - 1) / blockSize
	pieces := make([]*sparse.Matrix, blocks)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(1, blocks)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			enc := v.NewEncoder()
			for {
				b := int(next.Add(1)) - 1
				if b >= blocks {
					return
				}
				m := sparse.New(v.Features(), v.Mode == MultiHot)
				for _, text := range texts[b*blockSize : min(len(texts), (b+1)*blockSize)] {
					m.AppendRow(enc.Encode(text))
				}
				pieces[b] = m
			}
		}()
	}
	wg.Wait()
	out := sparse.New(v.Features(), v.Mode == MultiHot)
	nnz := 0
	for _, p := range pieces {
		nnz += p.NNZ()
	}
	out.Indices = make([]int32, 0, nnz)
	if out.Values != nil {
		out.Values = make([]float64, 0, nnz)
	}
	out.Indptr = slices.Grow(out.Indptr, len(texts))
	for _, p := range pieces {
		out.Append(p)
	}
	return out
}

// Encoder encodes one text at a time with reused buffers; one per goroutine.
type Encoder struct {
	v     *Vectorizer
	g     *grammer
	stamp []int32 // stamp[f] == doc+1 when feature f was seen in the current text
	count []int32
	doc   int32
	idx   []int32
	vals  []float64
	dense *denseEncoder // mode dense: lines of numbers (dense.go)
}

// NewEncoder returns an encoder for v.
func (v *Vectorizer) NewEncoder() *Encoder {
	if v.Mode == Dense {
		return &Encoder{v: v, dense: &denseEncoder{v: v}}
	}
	return &Encoder{v: v, g: newGrammer(v.Options), stamp: make([]int32, len(v.Vocab)), count: make([]int32, len(v.Vocab))}
}

// Encode returns the row of one text: sorted feature indices and, unless the
// mode is multi_hot, their values. The slices are reused by the next call.
func (e *Encoder) Encode(text string) ([]int32, []float64) {
	if e.dense != nil {
		return e.dense.encode(text)
	}
	e.doc++
	if e.doc == math.MaxInt32 {
		clear(e.stamp)
		e.doc = 1
	}
	e.idx = e.idx[:0]
	e.g.each(text, func(gram []byte) {
		f, ok := e.v.index[string(gram)]
		if !ok {
			return
		}
		if e.stamp[f] != e.doc {
			e.stamp[f] = e.doc
			e.count[f] = 0
			e.idx = append(e.idx, f)
		}
		e.count[f]++
	})
	slices.Sort(e.idx)
	if e.v.Mode == MultiHot {
		return e.idx, nil
	}
	e.vals = e.vals[:0]
	for _, f := range e.idx {
		x := float64(e.count[f])
		if e.v.Mode == TFIDF {
			x *= e.v.idf[f]
		}
		e.vals = append(e.vals, x)
	}
	if e.v.Mode == TFIDF {
		var ss float64
		for _, x := range e.vals {
			ss += x * x
		}
		if ss > 0 {
			inv := 1 / math.Sqrt(ss)
			for i := range e.vals {
				e.vals[i] *= inv
			}
		}
	}
	return e.idx, e.vals
}

// grammer produces the n-grams of a text from the tokenizer's stream.
type grammer struct {
	tok  Tokenizer
	n    int
	buf  []byte // the current text's tokens, back to back
	ends []int  // ends[i] = end of token i in buf
	scr  []byte
	tbuf []byte
}

func newGrammer(o Options) *grammer { return &grammer{tok: o.Tokenizer, n: max(1, o.NGrams)} }

// each calls emit for every 1..n-gram of text; the slice is valid during the call.
func (g *grammer) each(text string, emit func([]byte)) {
	if g.n == 1 {
		g.tbuf = g.tok.Each(text, g.tbuf, emit)
		return
	}
	g.buf, g.ends = g.buf[:0], g.ends[:0]
	g.tbuf = g.tok.Each(text, g.tbuf, func(t []byte) {
		g.buf = append(g.buf, t...)
		g.ends = append(g.ends, len(g.buf))
	})
	start := func(i int) int {
		if i == 0 {
			return 0
		}
		return g.ends[i-1]
	}
	for i := range g.ends {
		emit(g.buf[start(i):g.ends[i]])
		for k := 2; k <= g.n && i+k <= len(g.ends); k++ {
			g.scr = g.scr[:0]
			for j := i; j < i+k; j++ {
				if j > i {
					g.scr = append(g.scr, ' ')
				}
				g.scr = append(g.scr, g.buf[start(j):g.ends[j]]...)
			}
			emit(g.scr)
		}
	}
}

// counter accumulates total and document counts of grams for Fit.
type counter struct {
	ids    map[string]int32
	tokens []string
	total  []int64
	df     []int32
	last   []int32 // last document (within this worker) that counted the gram
}

func newCounter() *counter { return &counter{ids: make(map[string]int32, 1<<14)} }

func (c *counter) add(gram []byte, doc int32) {
	id, ok := c.ids[string(gram)]
	if !ok {
		id = int32(len(c.tokens))
		s := string(gram)
		c.ids[s] = id
		c.tokens = append(c.tokens, s)
		c.total = append(c.total, 0)
		c.df = append(c.df, 0)
		c.last = append(c.last, -1)
	}
	c.total[id]++
	if c.last[id] != doc {
		c.last[id] = doc
		c.df[id]++
	}
}

func (c *counter) merge(o *counter) {
	for oid, tok := range o.tokens {
		id, ok := c.ids[tok]
		if !ok {
			id = int32(len(c.tokens))
			c.ids[tok] = id
			c.tokens = append(c.tokens, tok)
			c.total = append(c.total, 0)
			c.df = append(c.df, 0)
			c.last = append(c.last, -1)
		}
		c.total[id] += o.total[oid]
		c.df[id] += o.df[oid]
	}
}
