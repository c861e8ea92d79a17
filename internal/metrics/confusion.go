package metrics

import "sort"

// Confusion is one off-diagonal cell of a confusion matrix: Count examples
// of class True predicted as class Predicted.
type Confusion struct {
	True, Predicted, Count int
}

// TopConfusions returns the n largest off-diagonal cells of a confusion
// matrix (fewer if fewer are non-zero), largest first, ties in row-major
// order. On a matrix too wide for a terminal (52 × 52 for Reuters) these
// are the mistakes worth reading.
func TopConfusions(m [][]int, n int) []Confusion {
	var all []Confusion
	for t, row := range m {
		for p, c := range row {
			if t != p && c > 0 {
				all = append(all, Confusion{t, p, c})
			}
		}
	}
	sort.SliceStable(all, func(a, b int) bool { return all[a].Count > all[b].Count })
	return all[:min(n, len(all))]
}
