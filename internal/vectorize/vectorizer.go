package vectorize

import (
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dlc-dev/dlc/internal/option"
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
	// SublinearTF replaces a tf-idf term count c by 1 + ln(c), so that a
	// word said ten times does not weigh ten times one said once.
	SublinearTF bool `json:"sublinear_tf,omitempty"`
	// MinDF and MaxDF keep only the n-grams found in at least MinDF and at
	// most MaxDF training documents (counts, or fractions of the
	// documents), before MaxTokens picks the most frequent; zero values
	// are no bound.
	MinDF DFBound `json:"min_df,omitzero"`
	MaxDF DFBound `json:"max_df,omitzero"`
	// Hashing, when not 0, is the number of feature buckets (a power of
	// two): a gram's feature is HashGram(gram) mod Hashing, no vocabulary is
	// kept and MaxTokens is not used. For vocabularies that do not fit.
	Hashing int `json:"hashing,omitempty"`
	// Dense is the fitted scaling of mode dense (dense.go); nil otherwise.
	Dense *DenseOptions `json:"dense,omitempty"`
	// CharNGrams adds character n-grams of these lengths (chars.go) to
	// the features, taken as CharAnalyzer says (default CharWB). With
	// them NGrams may be 0: character n-grams only, no words.
	CharNGrams   CharGrams    `json:"char_ngrams,omitzero"`
	CharAnalyzer CharAnalyzer `json:"char_analyzer,omitempty"`
	// Weighting NB multiplies every feature by its naive-Bayes log-count
	// ratio (nb.go), fitted on the training rows and their labels by
	// FitNB; NBAlpha is its smoothing.
	Weighting Weighting `json:"weighting,omitempty"`
	NBAlpha   float64   `json:"nb_alpha,omitempty"`
}

// MaxNGrams is the largest n-gram order accepted.
const MaxNGrams = 3

// MaxHashing is the largest number of hashing buckets: 2^24 inputs already
// give a first layer of 16 units 2 GiB of weights.
const MaxHashing = 1 << 24

// Validate reports the first option that cannot be fitted, as an
// *option.Error named as the config's vectorizer section names it
// ("max_tokens", "min_df"). A zero field is valid where it means what it
// says or is not used: no min_df or max_df bound, no stop words, no
// minimum token length, max_tokens with hashing.
func (o Options) Validate() error {
	if err := option.OneOf("mode", o.Mode, Modes); err != nil {
		return err
	}
	if o.Hashing == 0 && o.MaxTokens < 1 {
		return option.Errorf("max_tokens", "must be at least 1, not %d", o.MaxTokens)
	}
	if err := o.CharNGrams.check(); err != nil {
		return err
	}
	if o.CharAnalyzer != "" {
		if err := option.OneOf("char_analyzer", o.CharAnalyzer, CharAnalyzers); err != nil {
			return err
		}
		if !o.CharNGrams.On() {
			return option.Errorf("char_analyzer", "applies to character n-grams; set vectorizer.char_ngrams too")
		}
	}
	switch {
	case o.NGrams == 0 && o.CharNGrams.On():
		// character n-grams only
	case o.NGrams == 0:
		return option.Errorf("ngrams", "0 means no word features, only character n-grams; set vectorizer.char_ngrams, or ngrams from 1 to %d", MaxNGrams)
	case o.NGrams < 1 || o.NGrams > MaxNGrams:
		return option.Errorf("ngrams", "must be between 1 and %d, not %d", MaxNGrams, o.NGrams)
	}
	if err := o.checkWeighting(); err != nil {
		return err
	}
	if err := o.Tokenizer.Validate(); err != nil {
		return err
	}
	if o.SublinearTF && o.Mode != TFIDF {
		return option.Errorf("sublinear_tf", "applies to mode %s, not %s", TFIDF, o.Mode)
	}
	if err := o.MinDF.check("min_df", false); err != nil {
		return err
	}
	if err := o.MaxDF.check("max_df", true); err != nil {
		return err
	}
	if o.Hashing != 0 {
		if o.Hashing < 2 || o.Hashing > MaxHashing || o.Hashing&(o.Hashing-1) != 0 {
			return option.Errorf("hashing", "must be 0 (off) or a power of two from 2 to %d (2^24), not %d", MaxHashing, o.Hashing)
		}
		if !o.MinDF.NoMin() {
			return option.Errorf("min_df", "needs a vocabulary, and vectorizer.hashing keeps none; remove one of them")
		}
		if !o.MaxDF.NoMax() {
			return option.Errorf("max_df", "needs a vocabulary, and vectorizer.hashing keeps none; remove one of them")
		}
	}
	return nil
}

// DFBound is a min_df or max_df: a number of training documents, or a
// fraction of them, as scikit-learn takes them. In YAML and JSON a whole
// number is a count (2) and a number with a decimal point a fraction (0.5,
// 1.0). The zero value is no bound.
type DFBound struct {
	Value    float64 // documents (a whole number), or the fraction when Fraction
	Fraction bool
}

// Docs returns the bound of n documents.
func Docs(n int) DFBound { return DFBound{Value: float64(n)} }

// Fraction returns the bound of a share f of the documents.
func Fraction(f float64) DFBound { return DFBound{Value: f, Fraction: true} }

// IsZero reports whether b is unset.
func (b DFBound) IsZero() bool { return b.Value == 0 }

// docs resolves the bound for n training documents.
func (b DFBound) docs(n int) float64 {
	if b.Fraction {
		return b.Value * float64(n)
	}
	return b.Value
}

// NoMin reports whether b, as a min_df, keeps every n-gram.
func (b DFBound) NoMin() bool { return b.Value == 0 || (!b.Fraction && b.Value <= 1) }

// NoMax reports whether b, as a max_df, keeps every n-gram.
func (b DFBound) NoMax() bool { return b.Value == 0 || (b.Fraction && b.Value >= 1) }

func (b DFBound) check(name string, isMax bool) error {
	switch {
	case math.IsNaN(b.Value) || b.Value < 0:
		return option.Errorf(name, "must not be negative, not %s", b)
	case b.Fraction && b.Value > 1:
		return option.Errorf(name, "must be a fraction from 0.0 to 1.0 or a whole number of documents, not %s", b)
	case !b.Fraction && b.Value != math.Trunc(b.Value):
		return option.Errorf(name, "must be a whole number of documents or a fraction, not %s", b)
	case isMax && b.Fraction && b.Value == 0:
		// A max_df of 0 documents is the zero DFBound, no bound; the
		// fraction 0 is the bound of no document.
		return option.Errorf(name, "of 0 would keep no n-gram; use a fraction above 0 or at least 1 document")
	}
	return nil
}

// String writes a count without and a fraction with a decimal point.
func (b DFBound) String() string {
	if !b.Fraction {
		return strconv.FormatFloat(b.Value, 'f', -1, 64)
	}
	s := strconv.FormatFloat(b.Value, 'g', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

// MarshalJSON writes the bound as a JSON number, keeping its kind.
func (b DFBound) MarshalJSON() ([]byte, error) { return []byte(b.String()), nil }

// UnmarshalJSON reads a JSON number: a fraction when written with a
// decimal point or exponent.
func (b *DFBound) UnmarshalJSON(data []byte) error {
	s := string(data)
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("a document-frequency bound must be a number, not %s", s)
	}
	*b = DFBound{Value: x, Fraction: strings.ContainsAny(s, ".eE")}
	return nil
}

// Vectorizer maps texts to sparse rows over a fitted vocabulary, or over
// hashing buckets.
type Vectorizer struct {
	Options
	// Vocab holds the features in index order: tokens, and n-grams as tokens
	// joined by one space. Empty with hashing.
	Vocab []string
	// DocFreq[i] is the number of training documents containing feature i.
	DocFreq []int32
	// Docs is the number of training documents the vectorizer was fitted on.
	Docs int
	// Distinct is the number of distinct n-grams in the training texts
	// (buckets used, with hashing); 0 for a restored vectorizer.
	Distinct int
	// NBRatio is the naive-Bayes weight of each feature, with weighting
	// nb once FitNB (or SetNBRatio) has set it; nil otherwise.
	NBRatio []float64

	// The vocabulary as a trie in two hash tables: tokens to ids, and
	// (node, token) to the node of the longer gram; a node is a feature or
	// only the prefix of one.
	strs  *strTable
	uni   []int32 // uni[token] = node of the gram made of the token alone, -1 none
	nodes *pairTable
	feat  []int32 // feat[node] = feature, -1 for a prefix only
	idf   []float64
}

// blockSize is the number of documents a worker takes at a time; fixed, so
// the output never depends on the number of workers.
const blockSize = 256

// Restore rebuilds a fitted vectorizer from its stored parts (a model file).
func Restore(opts Options, vocab []string, docFreq []int32, docs int) (*Vectorizer, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("vectorizer %w", err)
	}
	if opts.Hashing > 0 {
		if len(vocab) != 0 {
			return nil, fmt.Errorf("vectorizer with hashing has a vocabulary of %d tokens", len(vocab))
		}
		if len(docFreq) != opts.Hashing {
			return nil, fmt.Errorf("vectorizer has %d document frequencies for %d buckets", len(docFreq), opts.Hashing)
		}
	} else if len(docFreq) != len(vocab) {
		return nil, fmt.Errorf("vectorizer has %d document frequencies for %d tokens", len(docFreq), len(vocab))
	}
	if err := opts.checkDense(len(vocab)); err != nil {
		return nil, err
	}
	if docs < 0 {
		return nil, fmt.Errorf("vectorizer was fitted on %d documents", docs)
	}
	for i, df := range docFreq {
		if df < 0 || int(df) > docs {
			return nil, fmt.Errorf("vectorizer feature %d has document frequency %d of %d documents", i, df, docs)
		}
	}
	v := &Vectorizer{Options: opts, Vocab: vocab, DocFreq: docFreq, Docs: docs}
	if err := v.init(); err != nil {
		return nil, err
	}
	return v, nil
}

// init computes the idf and, unless Fit built them already, the lookup
// tables from Vocab. A dense vectorizer's Vocab holds column names, not
// n-grams (any text: "sepal length"), and has no tables.
func (v *Vectorizer) init() error {
	v.idf = make([]float64, len(v.DocFreq))
	for i, df := range v.DocFreq {
		// The smoothed idf of scikit-learn: as if one extra document held every token.
		v.idf[i] = math.Log(float64(1+v.Docs)/float64(1+df)) + 1
	}
	if v.Hashing > 0 || v.Mode == Dense || v.strs != nil {
		return nil
	}
	v.newTables()
	var toks [MaxNGrams]int32
	for f, gram := range v.Vocab {
		if v.CharNGrams.On() && isCharGram(gram) {
			toks[0] = v.token([]byte(gram))
			if !v.addFeature(int32(f), toks[:1]) {
				return fmt.Errorf("vectorizer vocabulary has %q twice", gram)
			}
			continue
		}
		n := 0
		for tok := range strings.SplitSeq(gram, " ") {
			if tok == "" || n == v.NGrams {
				return fmt.Errorf("vectorizer vocabulary entry %d %q is not an n-gram of 1 to %d tokens joined by one space", f, gram, v.NGrams)
			}
			toks[n] = v.token([]byte(tok))
			n++
		}
		if !v.addFeature(int32(f), toks[:n]) {
			return fmt.Errorf("vectorizer vocabulary has %q twice", gram)
		}
	}
	return nil
}

func (v *Vectorizer) newTables() {
	v.strs = newStrTable(len(v.Vocab))
	v.nodes = newPairTable(len(v.Vocab))
}

// token returns the id of a token, adding it.
func (v *Vectorizer) token(b []byte) int32 {
	s := v.strs.insert(b)
	if int(s) == len(v.uni) {
		v.uni = append(v.uni, -1)
	}
	return s
}

// addFeature makes feature f of the gram of tokens toks, adding the nodes
// of its prefixes; false when the gram is a feature already.
func (v *Vectorizer) addFeature(f int32, toks []int32) bool {
	node := v.uni[toks[0]]
	if node < 0 {
		node, _ = v.nodes.insert(-1, toks[0])
		v.feat = append(v.feat, -1)
		v.uni[toks[0]] = node
	}
	for _, s := range toks[1:] {
		next, added := v.nodes.insert(node, s)
		if added {
			v.feat = append(v.feat, -1)
		}
		node = next
	}
	if v.feat[node] >= 0 {
		return false
	}
	v.feat[node] = f
	return true
}

// Features returns the width of the rows Transform produces.
func (v *Vectorizer) Features() int {
	if v.Hashing > 0 {
		return v.Hashing
	}
	return len(v.Vocab)
}

// Index returns the feature index of a token or n-gram (tokens joined by
// one space), or -1.
func (v *Vectorizer) Index(gram string) int {
	if v.Mode == Dense {
		return -1
	}
	char := v.CharNGrams.On() && isCharGram(gram)
	if v.Hashing > 0 {
		if gram == "" || (!char && strings.Count(gram, " ")+1 > v.NGrams) {
			return -1
		}
		return int(HashGram(gram) & uint64(v.Hashing-1))
	}
	if char {
		s := v.strs.lookup([]byte(gram))
		if s < 0 || v.uni[s] < 0 {
			return -1
		}
		return int(v.feat[v.uni[s]])
	}
	node := int32(-1)
	for tok := range strings.SplitSeq(gram, " ") {
		s := v.strs.lookup([]byte(tok))
		if s < 0 {
			return -1
		}
		if node < 0 {
			node = v.uni[s]
		} else {
			node = v.nodes.lookup(node, s)
		}
		if node < 0 {
			return -1
		}
	}
	return int(v.feat[node])
}

// Coverage counts how much of the texts the features cover.
type Coverage struct {
	Tokens      int64 // tokens (after stop words and minimum length)
	KnownTokens int64 // tokens that are features by themselves
	Grams       int64 // n-gram occurrences, tokens included
	Known       int64 // n-gram occurrences that are features
}

// OOVRate is the out-of-vocabulary rate: the share of the tokens that are
// not features by themselves (0 with hashing).
func (c Coverage) OOVRate() float64 {
	if c.Tokens == 0 {
		return 0
	}
	return float64(c.Tokens-c.KnownTokens) / float64(c.Tokens)
}

// NGramOOVRate is the share of the n-gram occurrences, tokens included,
// that are not features.
func (c Coverage) NGramOOVRate() float64 {
	if c.Grams == 0 {
		return 0
	}
	return float64(c.Grams-c.Known) / float64(c.Grams)
}

func (c *Coverage) add(o Coverage) {
	c.Tokens += o.Tokens
	c.KnownTokens += o.KnownTokens
	c.Grams += o.Grams
	c.Known += o.Known
}

func (c Coverage) sub(o Coverage) Coverage {
	return Coverage{c.Tokens - o.Tokens, c.KnownTokens - o.KnownTokens, c.Grams - o.Grams, c.Known - o.Known}
}

// Transform encodes texts as rows, using every core; the result does not
// depend on how many there are.
func (v *Vectorizer) Transform(texts []string) *sparse.Matrix {
	m, _ := v.TransformCoverage(texts)
	return m
}

// TransformCoverage is Transform that also counts the texts' coverage.
func (v *Vectorizer) TransformCoverage(texts []string) (*sparse.Matrix, Coverage) {
	pieces, cov := v.TransformPieces(texts)
	return sparse.Join(v.Features(), v.Binary(), pieces), cov
}

// TransformPieces is TransformCoverage with the rows left in pieces,
// consecutive texts each, for a caller that joins the pieces of many
// calls (a file encoded a batch of texts at a time) once: each row is
// then copied once, where joining each call's rows first copied it twice
// more.
func (v *Vectorizer) TransformPieces(texts []string) ([]*sparse.Matrix, Coverage) {
	// A text of b bytes has at most b/2 tokens; an IMDB review's distinct
	// words of the notebook's vocabulary are about a tenth of its bytes.
	// Character n-grams add about one distinct feature a byte for every
	// three lengths (R52 with char_wb [3, 5]: 780 a newswire of about 760
	// bytes), which a guess of words alone left to grow by three doublings.
	lengths := 0
	if v.CharNGrams.On() {
		lengths = v.CharNGrams[1] - v.CharNGrams[0] + 1
	}
	room := func(lo, hi int) int {
		n := 0
		for _, t := range texts[lo:hi] {
			n += len(t)
		}
		return n/8 + n*lengths/3
	}
	return blockPieces(v, len(texts), v.NewEncoder, room, func(enc *Encoder, m *sparse.Matrix, lo, hi int) Coverage {
		start := enc.cov
		for _, text := range texts[lo:hi] {
			m.AppendRow(enc.Encode(text))
		}
		return enc.cov.sub(start)
	})
}

// blockRows makes the rows of docs texts on every core, in fixed blocks of
// blockSize texts so that the result is the same on any core count: rows
// appends the rows of texts lo..hi to m (a block's scratch matrix, reused)
// with the goroutine's own state, and returns their coverage. The blocks'
// rows are joined in order, their coverage summed. (A matrix joined at
// once is made so, not of pieces: a scratch matrix grows once per
// goroutine and its copies are exact, where pieces sized by a guess left
// garbage or room unused, and the IMDB recipe's 100 MB of training rows
// then raised its peak RSS.)
func blockRows[S any](v *Vectorizer, docs int, newState func() S, rows func(s S, m *sparse.Matrix, lo, hi int) Coverage) (*sparse.Matrix, Coverage) {
	type state struct {
		s S
		m *sparse.Matrix
	}
	pieces, cov := eachBlock(docs, func() state { return state{newState(), sparse.New(v.Features(), v.Binary())} }, func(st state, lo, hi int) (*sparse.Matrix, Coverage) {
		st.m.Reset()
		c := rows(st.s, st.m, lo, hi)
		return st.m.Clone(), c
	})
	return sparse.Join(v.Features(), v.Binary(), pieces), cov
}

// blockPieces makes the rows of docs texts as blockRows does, but leaves
// them in the blocks' pieces, in order. Each block writes its rows into a
// matrix of its own, the piece itself, made with room for room(lo, hi) entries (a guess: more are appended),
// so that a block's rows are not copied out of a scratch matrix, nor
// moved to grow unless the guess was short.
func blockPieces[S any](v *Vectorizer, docs int, newState func() S, room func(lo, hi int) int, rows func(s S, m *sparse.Matrix, lo, hi int) Coverage) ([]*sparse.Matrix, Coverage) {
	return eachBlock(docs, newState, func(st S, lo, hi int) (*sparse.Matrix, Coverage) {
		m := sparse.New(v.Features(), v.Binary())
		m.Indptr = make([]int, 1, hi-lo+1)
		n := room(lo, hi)
		m.Indices = make([]int32, 0, n)
		if m.Values != nil {
			m.Values = make([]float64, 0, n)
		}
		return m, rows(st, m, lo, hi)
	})
}

// eachBlock runs block on the texts lo..hi of each block of blockSize of
// docs, over every core (parallelBlocks), and returns the blocks' pieces
// in order and their coverage summed.
func eachBlock[S any](docs int, newState func() S, block func(s S, lo, hi int) (*sparse.Matrix, Coverage)) ([]*sparse.Matrix, Coverage) {
	blocks := (docs + blockSize - 1) / blockSize
	pieces := make([]*sparse.Matrix, blocks)
	covs := make([]Coverage, blocks)
	parallelBlocks(blocks, newState, func(st S, b int) {
		pieces[b], covs[b] = block(st, b*blockSize, min(docs, (b+1)*blockSize))
	})
	var cov Coverage
	for _, c := range covs {
		cov.add(c)
	}
	return pieces, cov
}

// parallelBlocks runs work on blocks 0..blocks-1 over GOMAXPROCS goroutines,
// each with its own state from newState.
func parallelBlocks[S any](blocks int, newState func() S, work func(state S, block int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(1, blocks)) {
		wg.Go(func() {
			state := newState()
			for {
				b := int(next.Add(1)) - 1
				if b >= blocks {
					return
				}
				work(state, b)
			}
		})
	}
	wg.Wait()
}

// Encoder encodes one text at a time with reused buffers; one per goroutine.
type Encoder struct {
	v     *Vectorizer
	row   rowBuilder
	buf   []byte
	cov   Coverage
	text  textTokens         // a text's tokens and their ids
	nodes [MaxNGrams][]int32 // nodes[k][i]: the gram of order k+1 ending at token i, -1 none
	dense *denseEncoder      // mode dense: lines of numbers (dense.go)
	chars *charGrammer       // with character n-grams
	nb    []float64          // the row's values weighted, with weighting nb
}

// NewEncoder returns an encoder for v.
func (v *Vectorizer) NewEncoder() *Encoder {
	if v.Mode == Dense {
		return &Encoder{v: v, dense: &denseEncoder{v: v}}
	}
	e := &Encoder{v: v, row: newRowBuilder(v)}
	if v.CharNGrams.On() {
		e.chars = newCharGrammer(v.Options)
	}
	return e
}

// Encode returns the row of one text: sorted feature indices and, unless the
// mode is multi_hot, their values. The slices are reused by the next call.
func (e *Encoder) Encode(text string) ([]int32, []float64) {
	if e.dense != nil {
		return e.dense.encode(text)
	}
	e.row.reset()
	if e.v.Hashing > 0 {
		e.hashGrams(text)
	} else {
		e.lookupGrams(text)
		e.lookupChars(text, e.v.NGrams > 0)
	}
	idx, vals := e.row.finish()
	if e.v.NBRatio != nil {
		e.nb = e.v.weigh(idx, vals, e.nb[:0])
		return idx, e.nb
	}
	return idx, vals
}

// lookupChars adds the features of text's character n-grams. With words,
// e.text holds the text's tokens (lookupGrams), which char_wb takes its
// grams from.
func (e *Encoder) lookupChars(text string, words bool) {
	if e.chars == nil {
		return
	}
	v := e.v
	ids := e.chars.fill(text, e.text.toks, words).lookup(v.strs)
	known := int64(0)
	for _, s := range ids {
		if s >= 0 {
			if node := v.uni[s]; node >= 0 {
				if f := v.feat[node]; f >= 0 {
					e.row.add(f)
					known++
				}
			}
		}
	}
	e.cov.add(Coverage{Grams: int64(len(ids)), Known: known})
}

// lookupGrams adds the features of text's n-grams, walking the vocabulary
// trie: the gram of order k ending at a token extends the gram of order
// k-1 ending at the token before. It goes order by order over the whole
// text rather than token by token, so that the lookups of one order are
// independent of each other and the processor overlaps their cache misses:
// a bigram vocabulary's table is far larger than the cache.
func (e *Encoder) lookupGrams(text string) {
	v := e.v
	n := v.NGrams
	if n == 0 {
		e.countTokens(text)
		return
	}
	if n == 1 {
		e.lookupTokens(text)
		return
	}
	e.text.fill(v.Tokenizer, text)
	toks := e.text.lookup(v.strs)
	t := len(toks)
	cov := Coverage{Tokens: int64(t)}
	var prev []int32
	for k := range n {
		cur := slices.Grow(e.nodes[k][:0], t)[:t]
		e.nodes[k] = cur
		if k == 0 {
			for i, s := range toks {
				cur[i] = -1
				if s >= 0 {
					cur[i] = v.uni[s]
				}
			}
		} else {
			for i := range min(k, t) {
				cur[i] = -1
			}
			for i := k; i < t; i++ {
				cur[i] = -1
				if p, s := prev[i-1], toks[i]; p >= 0 && s >= 0 {
					cur[i] = v.nodes.lookup(p, s)
				}
			}
		}
		if t > k {
			cov.Grams += int64(t - k)
		}
		for _, g := range cur {
			if g >= 0 {
				if f := v.feat[g]; f >= 0 {
					e.row.add(f)
					cov.Known++
				}
			}
		}
		if k == 0 {
			cov.KnownTokens = cov.Known
		}
		prev = cur
	}
	e.cov.add(cov)
}

// lookupTokens is lookupGrams for unigrams, the common case, without the
// bookkeeping of longer grams.
func (e *Encoder) lookupTokens(text string) {
	v := e.v
	e.text.fill(v.Tokenizer, text)
	ids := e.text.lookup(v.strs)
	tokens, known := len(ids), 0
	for _, s := range ids {
		if s >= 0 {
			if f := v.feat[v.uni[s]]; f >= 0 {
				e.row.add(f)
				known++
			}
		}
	}
	e.cov.add(Coverage{Tokens: int64(tokens), KnownTokens: int64(known), Grams: int64(tokens), Known: int64(known)})
}

// countTokens counts a text's tokens when words are not features (only
// character n-grams are).
func (e *Encoder) countTokens(text string) {
	tokens := int64(0)
	e.buf = e.v.Tokenizer.Each(text, e.buf, func([]byte) { tokens++ })
	e.cov.add(Coverage{Tokens: tokens})
}

// hashGrams adds the buckets of text's n-grams; the hash of a gram extends
// the hash of the gram one shorter by " token". Character n-grams are
// hashed in their bracketed form.
func (e *Encoder) hashGrams(text string) {
	v := e.v
	n := v.NGrams
	mask := uint64(v.Hashing - 1)
	var prev [MaxNGrams]uint64
	pos := 0
	e.buf = v.Tokenizer.Each(text, e.buf, func(tok []byte) {
		pos++
		if n == 0 {
			return
		}
		var cur [MaxNGrams]uint64
		cur[0] = fnvAdd(fnvOffset64, tok)
		e.row.add(int32(cur[0] & mask))
		for k := 1; k < n && k < pos; k++ {
			cur[k] = fnvAdd((prev[k-1]^' ')*fnvPrime64, tok)
			e.row.add(int32(cur[k] & mask))
		}
		prev = cur
	})
	grams := int64(0)
	for k := range n {
		grams += int64(max(0, pos-k))
	}
	known := int64(pos)
	if n == 0 {
		known = 0
	}
	if e.chars != nil {
		e.chars.each(text, func(g []byte) {
			e.row.add(int32(fnvAdd(fnvOffset64, g) & mask))
			grams++
		})
	}
	e.cov.add(Coverage{Tokens: int64(pos), KnownTokens: known, Grams: grams, Known: grams})
}

// rowBuilder collects one text's features and weighs them.
type rowBuilder struct {
	mode      Mode
	sublinear bool
	idf       []float64
	hashing   bool
	// Vocabulary mode: a bitmap of the features seen in this text and
	// their counts. The bitmap also sorts: scanning its words from the
	// lowest to the highest touched is cheaper than sorting when the
	// vocabulary is small, as it is in most configs.
	bits     []uint64
	count    []int32
	loW, hiW int // words of bits touched by this text
	idx      []int32
	cnt      []int32
	vals     []float64
	width    int     // features
	scratch  []int32 // for sorting
}

func newRowBuilder(v *Vectorizer) rowBuilder {
	r := rowBuilder{mode: v.Mode, sublinear: v.SublinearTF, idf: v.idf, hashing: v.Hashing > 0, width: v.Features()}
	if !r.hashing {
		r.bits = make([]uint64, (v.Features()+63)/64)
		r.count = make([]int32, v.Features())
		r.loW = len(r.bits)
	}
	return r
}

// reset starts a new text.
func (r *rowBuilder) reset() {
	if !r.hashing {
		for _, f := range r.idx {
			r.bits[f>>6] = 0 // left set by a text that was not finished
		}
	}
	r.idx = r.idx[:0]
	r.loW, r.hiW = len(r.bits), 0
}

// add counts one occurrence of feature f.
func (r *rowBuilder) add(f int32) {
	if r.hashing {
		// Buckets can be many millions: sort the text's few instead of
		// keeping a bitmap as wide as the buckets.
		r.idx = append(r.idx, f)
		return
	}
	w, bit := int(f>>6), uint64(1)<<(f&63)
	if r.bits[w]&bit == 0 {
		r.bits[w] |= bit
		r.count[f] = 0
		r.idx = append(r.idx, f)
		r.loW, r.hiW = min(r.loW, w), max(r.hiW, w)
	}
	r.count[f]++
}

// finish returns the row: sorted indices and their values (nil for
// multi_hot).
func (r *rowBuilder) finish() ([]int32, []float64) {
	r.cnt = r.cnt[:0]
	switch {
	case r.hashing:
		r.scratch = sortFeatures(r.idx, r.scratch, r.width)
		out := r.idx[:0]
		for i := 0; i < len(r.idx); {
			j := i + 1
			for j < len(r.idx) && r.idx[j] == r.idx[i] {
				j++
			}
			out = append(out, r.idx[i])
			r.cnt = append(r.cnt, int32(j-i))
			i = j
		}
		r.idx = out
	case r.hiW-r.loW < 4*len(r.idx)+16:
		r.idx = r.idx[:0]
		for w := r.loW; w <= r.hiW && w < len(r.bits); w++ {
			for x := r.bits[w]; x != 0; x &= x - 1 {
				r.idx = append(r.idx, int32(w<<6|bits.TrailingZeros64(x)))
			}
			r.bits[w] = 0
		}
	default:
		r.scratch = sortFeatures(r.idx, r.scratch, r.width)
		for _, f := range r.idx {
			r.bits[f>>6] = 0
		}
	}
	if !r.hashing && r.mode != MultiHot {
		for _, f := range r.idx {
			r.cnt = append(r.cnt, r.count[f])
		}
	}
	idx := r.idx
	if !r.hashing {
		// The bitmap is clear again; reset must not clear it a second time.
		r.idx = r.idx[:0]
	}
	if r.mode == MultiHot {
		return idx, nil
	}
	r.vals = r.vals[:0]
	for i, f := range idx {
		x := float64(r.cnt[i])
		if r.mode == TFIDF {
			if r.sublinear {
				x = 1 + math.Log(x)
			}
			x *= r.idf[f]
		}
		r.vals = append(r.vals, x)
	}
	if r.mode == TFIDF {
		var ss float64
		for _, x := range r.vals {
			ss += x * x
		}
		if ss > 0 {
			inv := 1 / math.Sqrt(ss)
			for i := range r.vals {
				r.vals[i] *= inv
			}
		}
	}
	return idx, r.vals
}

// Feature is one feature of a text, as Explain shows it.
type Feature struct {
	Index int     `json:"index"`
	Gram  string  `json:"gram"` // the n-gram; with hashing, the text's grams in the bucket joined by " | "
	Value float64 `json:"value"`
}

// Explain returns what the vectorizer sees of one text: its tokens and its
// features (index, n-gram, value) in index order. For display; it
// allocates.
func (v *Vectorizer) Explain(text string) (tokens []string, features []Feature) {
	tokens, features, _ = v.NewEncoder().Explain(text)
	return tokens, features
}

// Explain is Vectorizer.Explain with the encoder's buffers, and the text's
// coverage.
func (e *Encoder) Explain(text string) (tokens []string, features []Feature, cov Coverage) {
	v := e.v
	tokens = v.Tokenizer.Tokens(text)
	before := e.cov
	idx, vals := e.Encode(text)
	cov = e.cov.sub(before)
	var inBucket map[int32][]string
	if v.Hashing > 0 {
		inBucket = map[int32][]string{}
		add := func(g string) {
			b := int32(HashGram(g) & uint64(v.Hashing-1))
			if !slices.Contains(inBucket[b], g) {
				inBucket[b] = append(inBucket[b], g)
			}
		}
		for i := range tokens {
			for k := 1; k <= v.NGrams && i+k <= len(tokens); k++ {
				add(strings.Join(tokens[i:i+k], " "))
			}
		}
		if v.CharNGrams.On() {
			newCharGrammer(v.Options).each(text, func(g []byte) { add(string(g)) })
		}
	}
	features = make([]Feature, 0, len(idx))
	for i, f := range idx {
		ft := Feature{Index: int(f), Value: 1}
		if vals != nil {
			ft.Value = vals[i]
		}
		if v.Hashing > 0 {
			ft.Gram = strings.Join(inBucket[f], " | ")
		} else {
			ft.Gram = v.Vocab[f]
		}
		features = append(features, ft)
	}
	return tokens, features, cov
}
