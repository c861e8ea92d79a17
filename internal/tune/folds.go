package tune

import (
	"math/rand/v2"
	"slices"
)

// Fold is one split of the training examples: the model is fitted on
// Train and scored on Validation (indices into the training split).
type Fold struct {
	Train, Validation []int
}

// Folds splits examples with the given labels into k folds, stratified:
// each label's examples are shuffled (seeded) and dealt round-robin, so
// that every fold holds its share of every label, and a label's examples
// start at the fold after the previous label's left off, so that the
// folds' sizes differ by at most one. A label with a single example is
// never held out: a model cannot be scored on a label it never saw, and
// holding it out would leave a training half without it. The folds'
// validation halves are disjoint and, with the single examples, cover the
// split.
func Folds(labels []string, k int, seed uint64) []Fold {
	byLabel := map[string][]int{}
	for i, l := range labels {
		byLabel[l] = append(byLabel[l], i)
	}
	names := make([]string, 0, len(byLabel))
	for l := range byLabel {
		names = append(names, l)
	}
	slices.Sort(names) // the deal is reproducible
	rng := rand.New(rand.NewPCG(seed, 0xf01d5))
	held := make([]int, len(labels)) // fold of each example, -1 for never
	next := 0
	for _, l := range names {
		idx := byLabel[l]
		if len(idx) == 1 {
			held[idx[0]] = -1
			continue
		}
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		for _, i := range idx {
			held[i] = next
			next = (next + 1) % k
		}
	}
	folds := make([]Fold, k)
	for i, f := range held {
		for j := range folds {
			if j == f {
				folds[j].Validation = append(folds[j].Validation, i)
			} else {
				folds[j].Train = append(folds[j].Train, i)
			}
		}
	}
	return folds
}

// heldOut counts the examples Folds can hold out: those whose label has
// more than one.
func heldOut(labels []string) int {
	count := map[string]int{}
	for _, l := range labels {
		count[l]++
	}
	n := 0
	for _, c := range count {
		if c > 1 {
			n += c
		}
	}
	return n
}
