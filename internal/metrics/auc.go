package metrics

import (
	"math"
	"sort"
)

// ROCAUC returns the area under the ROC curve of scores for the binary truth
// positive (true for the positive class): the probability that a random
// positive example scores above a random negative one, ties counting one
// half. This is the exact area of the ROC curve drawn through every
// distinct threshold, which is what scikit-learn's roc_auc_score computes,
// tied scores included. It is computed by ranks (the Mann–Whitney U), so it
// costs one sort.
//
// The area is undefined when the truth holds only one class; ok is false
// then (scikit-learn raises an error).
func ROCAUC(positive []bool, scores []float64) (auc float64, ok bool) {
	if len(positive) != len(scores) {
		panic("metrics: ROCAUC needs one score per example")
	}
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return scores[order[a]] < scores[order[b]] })
	var nPos, nNeg int
	// Sum of the positives' ranks (1-based); tied scores share the mean of
	// their ranks, so a tie between a positive and a negative counts one
	// half. Ranks are halves of integers: the sum is exact in float64 for
	// any data set that fits in memory.
	var rankSum float64
	for lo := 0; lo < len(order); {
		hi := lo + 1
		for hi < len(order) && scores[order[hi]] == scores[order[lo]] {
			hi++
		}
		mid := float64(lo+1+hi) / 2 // mean of ranks lo+1 … hi
		for _, i := range order[lo:hi] {
			if positive[i] {
				nPos++
				rankSum += mid
			} else {
				nNeg++
			}
		}
		lo = hi
	}
	if nPos == 0 || nNeg == 0 {
		return math.NaN(), false
	}
	u := rankSum - float64(nPos)*float64(nPos+1)/2
	return u / (float64(nPos) * float64(nNeg)), true
}
