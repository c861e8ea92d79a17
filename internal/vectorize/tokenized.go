package vectorize

import (
	"fmt"
	"sync"

	"github.com/dlc-dev/dlc/internal/sparse"
)

// Tokenized texts are taken one at a time as they are read, so that they
// need not be kept: each is tokenized, its n-grams counted and kept as
// ids (varints: 1.7 bytes an occurrence on IMDB, where the text took 5 or
// more a token). FitTransform then fits a vectorizer and makes the texts'
// rows as FitTransform of the texts would; a fitted vectorizer's
// TransformTokenized makes their rows as its Transform would. One
// Tokenized per split, each fed by one goroutine: two splits read side by
// side use two cores. (Counter, by contrast, keeps only the counts, for
// streaming training, which reads its texts again.)
//
// A Tokenized of several parts counts one split on as many goroutines:
// each part has its own tables, and Next hands it runs of the texts, in
// order; the parts' counts are added up when it is first fitted, which
// gives what one part would have counted, as the vocabulary depends on
// nothing but each n-gram's counts and bytes.
//
// Add, Next and AddTo are not safe for concurrent use, but for AddTo of
// different parts; once the texts are added, FitTransform and
// TransformTokenized may be called any number of times.
type Tokenized struct {
	opts  Options
	parts []*counter
	spans []docSpan // the texts in order: which part counted each
	given []int     // given[p]: the texts Next gave part p
	docs  int
	// remaps says where each part's nodes went in parts[0], once the
	// parts are merged (merge).
	merged sync.Once
	remaps [][]int32
}

// NewTokenized returns an empty Tokenized for the texts of opts's tokenizer and
// n-grams. Hashing and the dense mode, which count no vocabulary, are
// refused.
func NewTokenized(opts Options) (*Tokenized, error) {
	return NewTokenizedParts(opts, 1)
}

// NewTokenizedParts returns an empty Tokenized of parts parts (at least
// one), each counting the texts Next gives it on a goroutine of its own.
func NewTokenizedParts(opts Options, parts int) (*Tokenized, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("vectorizer %w", err)
	}
	if opts.Mode == Dense {
		return nil, errTextDense
	}
	if opts.Hashing > 0 {
		return nil, fmt.Errorf("vectorizer: Tokenized texts are fitted with a vocabulary, which hashing has none of")
	}
	parts = max(parts, 1)
	c := &Tokenized{opts: opts, parts: make([]*counter, parts), given: make([]int, parts)}
	for p := range c.parts {
		c.parts[p] = newCounter(opts, true)
	}
	return c, nil
}

// Add counts the next text in part 0; text is not kept, and may be reused
// once Add returns.
func (c *Tokenized) Add(text string) {
	c.Next(0, 1)
	c.AddTo(0, text)
}

// Next says that the split's next n texts are part p's: AddTo(p, ...)
// counts them, in order. Calls of Next follow the order of the texts.
func (c *Tokenized) Next(p, n int) {
	if last := len(c.spans) - 1; last >= 0 && c.spans[last].part == p {
		c.spans[last].n += n // the part's texts that follow its last run
	} else {
		c.spans = append(c.spans, docSpan{part: p, first: c.given[p], n: n})
	}
	c.given[p] += n
	c.docs += n
}

// AddTo counts part p's next text (in the order Next gave them); text is
// not kept. Different parts may be added to at the same time.
func (c *Tokenized) AddTo(p int, text string) {
	cc := c.parts[p]
	cc.addDoc(text, int32(len(cc.tokens))) // a text's number in the part: those it kept before
}

// Len returns the number of texts added.
func (c *Tokenized) Len() int { return c.docs }

// merge adds the counts of the other parts into parts[0], once; their
// tables go (their streams stay, mapped through remaps).
func (c *Tokenized) merge() {
	c.merged.Do(func() {
		c.remaps = mergeCounters(c.parts)
		for _, p := range c.parts[1:] {
			p.dropTables()
		}
	})
}

// FitTransform fits a vectorizer of opts on the texts added and returns
// their rows and coverage: what FitTransform of the same texts with opts
// returns. opts must tokenize as the Tokenized does (the same tokenizer and
// n-grams); the vocabulary's options (mode, size, bounds) are free.
func (c *Tokenized) FitTransform(opts Options) (*Vectorizer, *sparse.Matrix, Coverage, error) {
	if err := opts.Validate(); err != nil {
		return nil, nil, Coverage{}, fmt.Errorf("vectorizer %w", err)
	}
	if !c.Tokenizes(opts) {
		return nil, nil, Coverage{}, fmt.Errorf("vectorizer: texts counted with the tokenizer %+v and %d-grams cannot be fitted with %+v and %d-grams", c.opts.Tokenizer, c.opts.NGrams, opts.Tokenizer, opts.NGrams)
	}
	c.merge()
	return fitCounted(opts, c.spans, c.parts, c.remaps, true, false)
}

// Tokenizes reports whether the Tokenized tokenizes texts as opts do: the
// same tokenizer and n-grams, and a vocabulary (no hashing, not dense) of
// words alone (character n-grams are made from the texts, not the tokens).
func (c *Tokenized) Tokenizes(opts Options) bool {
	return opts.Tokenizer == c.opts.Tokenizer && opts.NGrams == c.opts.NGrams && opts.Hashing == 0 && opts.Mode != Dense &&
		!opts.CharNGrams.On() && !c.opts.CharNGrams.On()
}

// TransformTokenized returns the rows and coverage of the texts added to c,
// as v.TransformCoverage of the same texts would. c must tokenize as v
// does (the same tokenizer and n-grams); other options may differ.
func (v *Vectorizer) TransformTokenized(c *Tokenized) (*sparse.Matrix, Coverage) {
	if !c.Tokenizes(v.Options) {
		panic("vectorize: TransformTokenized of a Tokenized that does not tokenize as the vectorizer does")
	}
	// Each of c's n-grams becomes v's feature once, through v's trie;
	// the texts' streams then map id by id.
	c.merge()
	cc := c.parts[0]
	feature := make([]int32, len(cc.stats))
	var toks [MaxNGrams]int32
	for g := range feature {
		feature[g] = -1
		grams, n := cc.gramTokens(int32(g))
		node := int32(-1)
		for j, t := range grams[:n] {
			toks[j] = v.strs.lookup(cc.strs.bytes(t))
			if toks[j] < 0 {
				node = -1
				break
			}
			if j == 0 {
				node = v.uni[toks[0]]
			} else {
				node = v.nodes.lookup(node, toks[j])
			}
			if node < 0 {
				break
			}
		}
		if node >= 0 {
			feature[g] = v.feat[node]
		}
	}
	local := localFeatures(feature, c.remaps)
	x, cov := buildRows(v, c.spans, c.parts, func(rb *rowBuilder, w int, nodes []int32, tokens int) (known, knownTokens int64) {
		for j, g := range nodes {
			if f := local[w][g]; f >= 0 {
				rb.add(f)
				known++
				if j < tokens {
					knownTokens++
				}
			}
		}
		return known, knownTokens
	})
	if v.NBRatio != nil {
		// As the Encoder weighs each row it makes: without it, a test
		// split read as it was counted scored a model with weighting nb
		// on unweighted rows (IMDB: 0.5000 recorded, 0.9169 evaluated).
		x = weighAll(v, v.NBRatio, x)
	}
	return x, cov
}
