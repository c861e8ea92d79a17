package vectorize

import (
	"fmt"

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
// Add is not safe for concurrent use; once the texts are added,
// FitTransform and TransformTokenized may be called any number of times.
type Tokenized struct {
	opts Options
	c    *counter
	docs int
}

// NewTokenized returns an empty Tokenized for the texts of opts's tokenizer and
// n-grams. Hashing and the dense mode, which count no vocabulary, are
// refused.
func NewTokenized(opts Options) (*Tokenized, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("vectorizer %w", err)
	}
	if opts.Mode == Dense {
		return nil, errTextDense
	}
	if opts.Hashing > 0 {
		return nil, fmt.Errorf("vectorizer: Tokenized texts are fitted with a vocabulary, which hashing has none of")
	}
	return &Tokenized{opts: opts, c: newCounter(opts, true)}, nil
}

// Add counts the next text; text is not kept, and may be reused once Add
// returns.
func (c *Tokenized) Add(text string) {
	c.c.addDoc(text, int32(c.docs))
	c.docs++
}

// Len returns the number of texts added.
func (c *Tokenized) Len() int { return c.docs }

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
	return fitCounted(opts, []int{0, c.docs}, []*counter{c.c}, true, false)
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
	cc := c.c
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
	return buildRows(v, []int{0, c.docs}, []*counter{cc}, func(rb *rowBuilder, _ int, nodes []int32, tokens int) (known, knownTokens int64) {
		for j, g := range nodes {
			if f := feature[g]; f >= 0 {
				rb.add(f)
				known++
				if j < tokens {
					knownTokens++
				}
			}
		}
		return known, knownTokens
	})
}
