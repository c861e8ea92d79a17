package vectorize

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"

	"github.com/dlc-dev/dlc/internal/sparse"
)

// Fit builds the vocabulary from the training texts: among the n-grams
// whose document frequency lies within MinDF and MaxDF, the MaxTokens with
// the highest total occurrence count, ties broken by byte order so the
// result is the same on every machine. With hashing it counts the document
// frequency of every bucket instead.
func Fit(texts []string, opts Options) (*Vectorizer, error) {
	v, _, _, err := fit(texts, opts, false)
	return v, err
}

// FitTransform is Fit followed by Transform of the same texts, in one pass
// over the text: while counting, each text's n-grams are kept as ids, and
// its row is made from them once the vocabulary is known.
func FitTransform(texts []string, opts Options) (*Vectorizer, *sparse.Matrix, Coverage, error) {
	return fit(texts, opts, true)
}

// ErrNoFeatures is returned by Fit when no n-gram is left to be a feature.
var ErrNoFeatures = errors.New("no features")

func fit(texts []string, opts Options, rows bool) (*Vectorizer, *sparse.Matrix, Coverage, error) {
	if err := opts.Validate(); err != nil {
		return nil, nil, Coverage{}, fmt.Errorf("vectorizer %w", err)
	}
	if opts.Mode == Dense {
		return nil, nil, Coverage{}, errTextDense
	}
	// Workers take contiguous ranges of the texts; their counts are added
	// up, so the result does not depend on how many there are.
	workers := min(runtime.GOMAXPROCS(0), max(1, len(texts)/blockSize))
	ranges := make([]int, workers+1)
	for w := range ranges {
		ranges[w] = w * len(texts) / workers
	}
	if opts.Hashing > 0 {
		return fitHashing(texts, opts, ranges, rows)
	}
	parts := make([]*counter, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			c := newCounter(opts, rows)
			for d := ranges[w]; d < ranges[w+1]; d++ {
				c.addDoc(texts[d], int32(d))
			}
			parts[w] = c
		})
	}
	wg.Wait()
	return fitCounted(opts, rangeSpans(ranges), parts, mergeCounters(parts), rows, rows)
}

// docSpan is a run of consecutive texts whose ids one counter kept: the
// counter parts[part]'s texts first..first+n-1, in its own numbering.
// The spans of a split, in order, say where each of its texts is.
type docSpan struct{ part, first, n int }

// rangeSpans are the spans of counters w that each took the contiguous
// texts ranges[w]..ranges[w+1].
func rangeSpans(ranges []int) []docSpan {
	spans := make([]docSpan, len(ranges)-1)
	for w := range spans {
		spans[w] = docSpan{part: w, n: ranges[w+1] - ranges[w]}
	}
	return spans
}

// spansDocs is the number of texts of spans.
func spansDocs(spans []docSpan) int {
	n := 0
	for _, s := range spans {
		n += s.n
	}
	return n
}

// mergeCounters adds the counts of parts[1:] into parts[0] and returns
// where each part's nodes went: remaps[w][local node] is the node of
// parts[0]; nil for parts[0]'s own.
func mergeCounters(parts []*counter) [][]int32 {
	remaps := make([][]int32, len(parts))
	for w, p := range parts[1:] {
		remaps[w+1] = parts[0].merge(p)
	}
	return remaps
}

// fitCounted makes the vectorizer from the counts of parts merged into
// parts[0] (mergeCounters, which gave remaps), the counters of the texts
// spans says, and with rows their rows. With release the counters' tables
// go once they are merged (only their streams are needed for the rows); a
// Tokenized keeps parts[0]'s, as it may be fitted again.
func fitCounted(opts Options, spans []docSpan, parts []*counter, remaps [][]int32, rows, release bool) (*Vectorizer, *sparse.Matrix, Coverage, error) {
	docs := spansDocs(spans)
	all := parts[0]

	// Keep the n-grams within the document-frequency bounds, then the
	// MaxTokens most frequent of them.
	minDocs := opts.MinDF.docs(docs)
	maxDocs := math.Inf(1)
	if !opts.MaxDF.IsZero() {
		maxDocs = opts.MaxDF.docs(docs)
	}
	if maxDocs < minDocs {
		return nil, nil, Coverage{}, fmt.Errorf("vectorizer max_df %s (%g documents) is below min_df %s (%g documents) for %d training texts", opts.MaxDF, maxDocs, opts.MinDF, minDocs, docs)
	}
	cands := make([]int32, 0, len(all.stats))
	for g, st := range all.stats {
		if d := float64(st.df); d >= minDocs && d <= maxDocs {
			cands = append(cands, int32(g))
		}
	}
	if len(cands) == 0 {
		if len(all.stats) == 0 {
			return nil, nil, Coverage{}, fmt.Errorf("%w: the %d training texts have no tokens", ErrNoFeatures, docs)
		}
		return nil, nil, Coverage{}, fmt.Errorf("%w: none of the %d n-grams of the training texts is in at least %g and at most %g documents; lower vectorizer.min_df or raise vectorizer.max_df", ErrNoFeatures, len(all.stats), minDocs, maxDocs)
	}
	vocab := all.top(cands, opts.MaxTokens)

	v := &Vectorizer{Options: opts, Docs: docs, Distinct: len(all.stats), Vocab: make([]string, len(vocab)), DocFreq: make([]int32, len(vocab))}
	// The lookup tables come from the counter's token ids: each token's
	// bytes are hashed once, not once per gram it is part of.
	v.newTables()
	tokenOf := make([]int32, all.strs.Len())
	for i := range tokenOf {
		tokenOf[i] = -1
	}
	var buf []byte
	for i, g := range vocab {
		buf = all.appendGram(buf[:0], g)
		v.Vocab[i] = string(buf)
		v.DocFreq[i] = all.stats[g].df
		toks, n := all.gramTokens(g)
		for j, t := range toks[:n] {
			if tokenOf[t] < 0 {
				tokenOf[t] = v.token(all.strs.bytes(t))
			}
			toks[j] = tokenOf[t]
		}
		v.addFeature(int32(i), toks[:n])
	}
	if err := v.init(); err != nil {
		return nil, nil, Coverage{}, err
	}
	if !rows {
		return v, nil, Coverage{}, nil
	}

	// Each worker's node ids become features through its remap.
	feature := make([]int32, len(all.stats))
	for i := range feature {
		feature[i] = -1
	}
	for f, g := range vocab {
		feature[g] = int32(f)
	}
	local := localFeatures(feature, remaps)
	if release {
		for _, p := range parts {
			p.dropTables()
		}
	}
	m, cov := buildRows(v, spans, parts, func(rb *rowBuilder, w int, nodes []int32, tokens int) (known, knownTokens int64) {
		// A text's stream holds its tokens' nodes first.
		for j, l := range nodes {
			if f := local[w][l]; f >= 0 {
				rb.add(f)
				known++
				if j < tokens {
					knownTokens++
				}
			}
		}
		return known, knownTokens
	})
	return v, m, cov, nil
}

// counter accumulates the total and document counts of n-grams over a
// range of texts. N-grams are nodes of a trie in two hash tables: token
// bytes to token ids, and (node, token) to the node one token longer.
type counter struct {
	tok   Tokenizer
	n     int
	strs  *strTable
	uni   []int32 // uni[token] = node of the token alone
	nodes *pairTable
	stats []gramCount // by node
	buf   []byte
	text  textTokens         // a text's tokens and their ids
	grams [MaxNGrams][]int32 // grams[k][i]: the gram of order k+1 ending at token i
	chars *charGrammer       // with character n-grams

	// With rows: the node ids of each text (docs[i] for the range's text
	// i, its tokens' nodes first) as unsigned varints, held back to back
	// in chunks of chunkLen bytes or more, and how many tokens it had.
	// Ids are given in the order n-grams are first seen, so the frequent
	// words have small ones: the IMDB reviews' ids take 1.7 bytes on
	// average (9.9 MB for 5.8 million tokens) where int32s took 4.
	keep   bool
	chunk  []byte // the chunk being filled
	start  int    // where the current text begins in chunk
	docs   [][]byte
	tokens []int32
}

// dropTables lets c's tables go once its counts were merged or fitted:
// only its texts' streams of node ids are needed from then on (the rows).
func (c *counter) dropTables() {
	c.strs, c.uni, c.nodes, c.stats = nil, nil, nil, nil
}

// chunkLen is the size of a chunk of node ids (4 MiB): large enough that
// the chunks' unused ends are negligible, small enough that no stream is
// copied to grow, as one slice of millions of ids would be.
const chunkLen = 4 << 20

// keepNode appends node g to the current text's ids; a text that does not
// fit in the chunk moves, whole, to a new one.
func (c *counter) keepNode(g int32) {
	if cap(c.chunk)-len(c.chunk) < binary.MaxVarintLen32 {
		c.newChunk(binary.MaxVarintLen32)
	}
	x := uint32(g)
	for x >= 0x80 {
		c.chunk = append(c.chunk, byte(x)|0x80)
		x >>= 7
	}
	c.chunk = append(c.chunk, byte(x))
}

// keepNodes appends nodes to the current text's ids.
func (c *counter) keepNodes(nodes []int32) {
	for _, g := range nodes {
		c.keepNode(g)
	}
}

// newChunk starts a chunk with room for the current text and more bytes.
func (c *counter) newChunk(more int) {
	text := c.chunk[c.start:]
	next := make([]byte, 0, max(chunkLen, 2*(len(text)+more)))
	c.chunk, c.start = append(next, text...), 0
}

// endDoc closes the current text's ids.
func (c *counter) endDoc(tokens int) {
	c.docs = append(c.docs, c.chunk[c.start:len(c.chunk):len(c.chunk)])
	c.start = len(c.chunk)
	c.tokens = append(c.tokens, int32(tokens))
}

// appendNodes appends the ids of a text kept by keepNode to ids.
func appendNodes(ids []int32, doc []byte) []int32 {
	var x uint32
	var shift uint
	for _, b := range doc {
		x |= uint32(b&0x7f) << shift
		if b < 0x80 {
			ids = append(ids, int32(x))
			x, shift = 0, 0
			continue
		}
		shift += 7
	}
	return ids
}

func newCounter(opts Options, keep bool) *counter {
	c := &counter{tok: opts.Tokenizer, n: opts.NGrams, strs: newStrTable(1 << 14), nodes: newPairTable(1 << 15), keep: keep}
	if opts.CharNGrams.On() {
		c.chars = newCharGrammer(opts)
	}
	return c
}

// gramCount is what Fit counts of an n-gram; one struct, so that counting
// an occurrence touches one cache line.
type gramCount struct {
	total int64 // occurrences
	df    int32 // documents
	last  int32 // the last document counted in df
}

func (c *counter) node(prefix, tok int32) int32 {
	id, added := c.nodes.insert(prefix, tok)
	if added {
		c.stats = append(c.stats, gramCount{last: -1})
	}
	return id
}

func (c *counter) count(g, doc int32) {
	st := &c.stats[g]
	st.total++
	if st.last != doc {
		st.last = doc
		st.df++
	}
}

// addDoc counts the n-grams of one text: the gram of order k ending at a
// token extends the gram of order k-1 ending at the token before. As in
// Encoder.lookupGrams, it goes order by order so that the processor
// overlaps the cache misses of independent lookups.
func (c *counter) addDoc(text string, doc int32) {
	if c.n <= 1 {
		c.addTokens(text, doc)
		return
	}
	toks := c.tokenIDs(text)
	t := len(toks)
	prev := slices.Grow(c.grams[0][:0], t)[:t]
	c.grams[0] = prev
	for i, s := range toks {
		g := c.uni[s]
		prev[i] = g
		c.count(g, doc)
	}
	if c.keep {
		c.keepNodes(prev)
	}
	for k := 1; k < c.n && k < t; k++ {
		cur := slices.Grow(c.grams[k][:0], t)[:t]
		c.grams[k] = cur
		for i := k; i < t; i++ {
			g := c.node(prev[i-1], toks[i])
			cur[i] = g
			c.count(g, doc)
		}
		if c.keep {
			c.keepNodes(cur[k:])
		}
		prev = cur
	}
	c.addChars(text, doc, true)
	if c.keep {
		c.endDoc(t)
	}
}

// addChars counts a text's character n-grams, each a token of its own
// (its bracketed form tells it from a word). With words, c.text holds the
// text's tokens (tokenIDs), which char_wb takes its grams from. The grams'
// new tokens get their nodes in the order of their ids, as token would
// give them one gram at a time.
func (c *counter) addChars(text string, doc int32, words bool) {
	if c.chars == nil {
		return
	}
	ids := c.chars.fill(text, c.text.toks, words).insert(c.strs)
	for len(c.uni) < c.strs.Len() {
		c.uni = append(c.uni, c.node(-1, int32(len(c.uni))))
	}
	for _, s := range ids {
		node := c.uni[s]
		c.count(node, doc)
		if c.keep {
			c.keepNode(node)
		}
	}
}

// token returns the id of a token, adding it (and its unigram node) when
// it is new.
func (c *counter) token(tok []byte) int32 {
	s := c.strs.insert(tok)
	if int(s) == len(c.uni) {
		c.uni = append(c.uni, c.node(-1, s))
	}
	return s
}

// tokenIDs returns the ids of text's tokens, adding the new ones (and
// their unigram nodes) in the order of the text, as token would one by
// one, but with the table probes in a loop of their own (textTokens).
func (c *counter) tokenIDs(text string) []int32 {
	c.text.fill(c.tok, text)
	ids := c.text.insert(c.strs)
	for len(c.uni) < c.strs.Len() {
		c.uni = append(c.uni, c.node(-1, int32(len(c.uni))))
	}
	return ids
}

// addTokens is addDoc for unigrams, the common case (and for no words,
// with character n-grams only).
func (c *counter) addTokens(text string, doc int32) {
	tokens := 0
	if c.n == 0 {
		c.buf = c.tok.Each(text, c.buf, func([]byte) { tokens++ })
	} else {
		ids := c.tokenIDs(text)
		tokens = len(ids)
		for _, s := range ids {
			g := c.uni[s]
			c.count(g, doc)
			if c.keep {
				c.keepNode(g)
			}
		}
	}
	c.addChars(text, doc, c.n > 0)
	if c.keep {
		c.endDoc(tokens)
	}
}

// localFeatures maps each part's nodes to features: feature[g] of the
// merged counter's node g, through remaps (mergeCounters').
func localFeatures(feature []int32, remaps [][]int32) [][]int32 {
	local := make([][]int32, len(remaps))
	for w, remap := range remaps {
		if remap == nil {
			local[w] = feature
			continue
		}
		local[w] = make([]int32, len(remap))
		for l, g := range remap {
			local[w][l] = feature[g]
		}
	}
	return local
}

// merge adds o's counts into c and returns where o's nodes went.
func (c *counter) merge(o *counter) []int32 {
	strMap := make([]int32, o.strs.Len())
	for s := range int32(o.strs.Len()) {
		strMap[s] = c.token(o.strs.bytes(s))
	}
	remap := make([]int32, o.nodes.Len())
	// A node's prefix always has a smaller id, so one pass in id order
	// finds every prefix already mapped.
	for g, key := range o.nodes.keys {
		prefix, tok := int32(uint32(key>>32)), strMap[int32(uint32(key))]
		var to int32
		if prefix == -1 {
			to = c.uni[tok]
		} else {
			to = c.node(remap[prefix], tok)
		}
		remap[g] = to
		c.stats[to].total += o.stats[g].total
		c.stats[to].df += o.stats[g].df
	}
	return remap
}

// gramTokens returns the token ids of node g, first to last.
func (c *counter) gramTokens(g int32) ([MaxNGrams]int32, int) {
	var toks [MaxNGrams]int32
	n := 0
	for g != -1 {
		key := c.nodes.keys[g]
		toks[n] = int32(uint32(key))
		n++
		g = int32(uint32(key >> 32))
	}
	slices.Reverse(toks[:n])
	return toks, n
}

// appendGram appends node g's tokens joined by spaces.
func (c *counter) appendGram(buf []byte, g int32) []byte {
	toks, n := c.gramTokens(g)
	for i, t := range toks[:n] {
		if i > 0 {
			buf = append(buf, ' ')
		}
		buf = append(buf, c.strs.bytes(t)...)
	}
	return buf
}

// rankedGram is a candidate n-gram with what orders the vocabulary: its
// total count, then the byte order of its tokens.
type rankedGram struct {
	total int64
	rank  [MaxNGrams]int32 // each token's rank in byte order; -1 past the gram's end
	node  int32
}

// compareRanked orders grams by total count, highest first, then by the
// byte order of their text. Tokens hold no byte below '0' but the
// apostrophe, which is above the space, so comparing token by token, a
// prefix first, orders as comparing the texts joined by spaces.
func compareRanked(a, b rankedGram) int {
	if a.total != b.total {
		return cmp.Compare(b.total, a.total)
	}
	for i := range a.rank {
		if a.rank[i] != b.rank[i] {
			return cmp.Compare(a.rank[i], b.rank[i])
		}
	}
	return 0
}

// top returns the k first of the candidate nodes in vocabulary order.
// Tokens are ranked in byte order once, so that ordering grams compares
// integers rather than bytes.
//
// Only the candidates that can be among the k are ranked: those with more
// occurrences than the k-th most frequent, and those with as many (one of
// which decides by its bytes). Ranking every word of the IMDB notebook's
// training texts (81,000, sorted by their bytes) to keep 10,000 was a
// tenth of fitting, on the one goroutine that fits.
func (c *counter) top(cands []int32, k int) []int32 {
	if k >= len(cands) {
		return c.ranked(cands, k, true)
	}
	totals := make([]int64, len(cands))
	for i, g := range cands {
		totals[i] = c.stats[g].total
	}
	quickselect(totals, k, func(a, b int64) int { return cmp.Compare(b, a) })
	cut := slices.Min(totals[:k]) // the k-th largest total
	near := make([]int32, 0, k)
	for _, g := range cands {
		if c.stats[g].total >= cut {
			near = append(near, g)
		}
	}
	return c.ranked(near, k, true)
}

// ranked returns the k first of the candidate nodes in vocabulary order,
// or, without byTotal, in the byte order of their text. Only the tokens of
// the candidates are ranked, which orders them as ranking all would.
func (c *counter) ranked(cands []int32, k int, byTotal bool) []int32 {
	rank := make([]int32, c.strs.Len())
	byBytes := make([]int32, 0, min(len(rank), len(cands)))
	for _, g := range cands {
		toks, n := c.gramTokens(g)
		for _, t := range toks[:n] {
			if rank[t] == 0 {
				rank[t] = 1 // seen
				byBytes = append(byBytes, t)
			}
		}
	}
	slices.SortFunc(byBytes, func(a, b int32) int { return bytes.Compare(c.strs.bytes(a), c.strs.bytes(b)) })
	for r, s := range byBytes {
		rank[s] = int32(r)
	}
	ranked := make([]rankedGram, len(cands))
	for i, g := range cands {
		toks, n := c.gramTokens(g)
		r := rankedGram{node: g}
		if byTotal {
			r.total = c.stats[g].total
		}
		for j := range r.rank {
			r.rank[j] = -1
			if j < n {
				r.rank[j] = rank[toks[j]]
			}
		}
		ranked[i] = r
	}
	ranked = topK(ranked, k, compareRanked)
	out := make([]int32, len(ranked))
	for i, r := range ranked {
		out[i] = r.node
	}
	return out
}

// topK returns the k smallest ids under compare (a strict total order),
// sorted. It selects before it sorts: a bigram vocabulary picks 10^5 out of
// millions of n-grams, and sorting only those is what keeps Fit fast.
func topK[T any](ids []T, k int, compare func(a, b T) int) []T {
	if k < len(ids) {
		quickselect(ids, k, compare)
		ids = ids[:k]
	}
	slices.SortFunc(ids, compare)
	return ids
}

// quickselect reorders a so that a[:k] holds its k smallest elements under
// compare, in some order. Pivots are medians of three, chosen by position,
// so the result is deterministic; after too many rounds it sorts instead,
// which bounds the worst case.
func quickselect[T any](a []T, k int, compare func(a, b T) int) {
	lo, hi := 0, len(a)
	for rounds := 0; hi-lo > 16; rounds++ {
		if rounds > 64 {
			slices.SortFunc(a[lo:hi], compare)
			return
		}
		mid := lo + (hi-lo)/2
		// Median of three to a[lo].
		if compare(a[mid], a[lo]) < 0 {
			a[mid], a[lo] = a[lo], a[mid]
		}
		if compare(a[hi-1], a[lo]) < 0 {
			a[hi-1], a[lo] = a[lo], a[hi-1]
		}
		if compare(a[hi-1], a[mid]) < 0 {
			a[hi-1], a[mid] = a[mid], a[hi-1]
		}
		a[lo], a[mid] = a[mid], a[lo]
		pivot := a[lo]
		// Lomuto partition: a[lo+1:p+1] < pivot.
		p := lo
		for i := lo + 1; i < hi; i++ {
			if compare(a[i], pivot) < 0 {
				p++
				a[p], a[i] = a[i], a[p]
			}
		}
		a[lo], a[p] = a[p], a[lo]
		switch {
		case p == k || p == k-1:
			return
		case p < k:
			lo = p + 1
		default:
			hi = p
		}
	}
	slices.SortFunc(a[lo:hi], compare)
}

// buildRows makes the rows of the counted texts from the workers' streams,
// in fixed blocks of texts so the result is the same on any core count.
// features adds one text's nodes to the row and returns how many of them,
// and of its tokens, were features.
func buildRows(v *Vectorizer, spans []docSpan, parts []*counter, features func(rb *rowBuilder, w int, nodes []int32, tokens int) (known, knownTokens int64)) (*sparse.Matrix, Coverage) {
	starts := make([]int, len(spans)) // starts[k]: the split's first text of span k
	docs := 0
	for k, s := range spans {
		starts[k] = docs
		docs += s.n
	}
	type state struct {
		rb  rowBuilder
		ids []int32
	}
	return blockRows(v, docs, func() *state {
		return &state{rb: newRowBuilder(v)}
	}, func(st *state, m *sparse.Matrix, lo, hi int) Coverage {
		rb := &st.rb
		var cov Coverage
		k := sort.Search(len(spans), func(k int) bool { return starts[k]+spans[k].n > lo }) // the span of text lo
		for d := lo; d < hi; d++ {
			for d >= starts[k]+spans[k].n {
				k++
			}
			w := spans[k].part
			p, i := parts[w], spans[k].first+d-starts[k]
			st.ids = appendNodes(st.ids[:0], p.docs[i])
			nodes := st.ids
			rb.reset()
			words := int(p.tokens[i]) // the stream's first nodes, unless words are not features
			if v.NGrams == 0 {
				words = 0
			}
			known, knownTokens := features(rb, w, nodes, words)
			cov.Known += known
			cov.KnownTokens += knownTokens
			cov.Grams += int64(len(nodes))
			cov.Tokens += int64(p.tokens[i])
			m.AppendRow(rb.finish())
		}
		return cov
	})
}

// fitHashing counts the document frequency of each bucket.
func fitHashing(texts []string, opts Options, ranges []int, rows bool) (*Vectorizer, *sparse.Matrix, Coverage, error) {
	workers := len(ranges) - 1
	// The encoders only hash; the idf comes once the counts are in.
	v := &Vectorizer{Options: opts, Docs: len(texts)}
	parts := make([]*counter, workers)
	dfs := make([][]int32, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			c := &counter{keep: rows}
			enc := v.NewEncoder()
			df := make([]int32, opts.Hashing)
			var scratch []int32
			for d := ranges[w]; d < ranges[w+1]; d++ {
				enc.row.reset()
				tokens := enc.cov.Tokens
				enc.hashGrams(texts[d])
				if rows {
					c.keepNodes(enc.row.idx)
					c.endDoc(int(enc.cov.Tokens - tokens))
				}
				scratch = sortFeatures(enc.row.idx, scratch, opts.Hashing)
				for i, b := range enc.row.idx {
					if i == 0 || b != enc.row.idx[i-1] {
						df[b]++
					}
				}
			}
			parts[w], dfs[w] = c, df
		})
	}
	wg.Wait()
	v.DocFreq = dfs[0]
	for _, df := range dfs[1:] {
		for b, n := range df {
			v.DocFreq[b] += n
		}
	}
	for _, n := range v.DocFreq {
		if n > 0 {
			v.Distinct++
		}
	}
	if err := v.init(); err != nil {
		return nil, nil, Coverage{}, err
	}
	if !rows {
		return v, nil, Coverage{}, nil
	}
	m, cov := buildRows(v, rangeSpans(ranges), parts, func(rb *rowBuilder, _ int, buckets []int32, tokens int) (int64, int64) {
		for _, b := range buckets {
			rb.add(b)
		}
		return int64(len(buckets)), int64(tokens)
	})
	return v, m, cov, nil
}
