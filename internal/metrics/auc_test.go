package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestROCAUCScikitLearnExamples(t *testing.T) {
	for _, tc := range []struct {
		name   string
		truth  []bool
		scores []float64
		want   float64
	}{
		// roc_auc_score's docstring example.
		{"docstring", []bool{false, false, true, true}, []float64{0.1, 0.4, 0.35, 0.8}, 0.75},
		{"all tied", []bool{false, true, false, true}, []float64{0.5, 0.5, 0.5, 0.5}, 0.5},
		// Pairs (pos, neg): (.9,.9)=½ (.9,.3)=1 (.3,.9)=0 (.3,.3)=½ twice, (.3,.9)=0: 2.5/6.
		{"ties across classes", []bool{true, false, true, false, true}, []float64{0.9, 0.9, 0.3, 0.3, 0.3}, 2.5 / 6},
		{"perfect", []bool{false, false, true}, []float64{-3, -2, 7}, 1},
		{"reversed", []bool{true, false}, []float64{0, 1}, 0},
	} {
		got, ok := ROCAUC(tc.truth, tc.scores)
		if !ok || math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("%s: ROCAUC = %v, %v; want %v", tc.name, got, ok, tc.want)
		}
	}
}

func TestROCAUCUndefinedForOneClass(t *testing.T) {
	if auc, ok := ROCAUC([]bool{true, true}, []float64{0.2, 0.9}); ok || !math.IsNaN(auc) {
		t.Errorf("ROCAUC of positives only = %v, %v; want NaN, false", auc, ok)
	}
}

// The rank formula must equal the definition: the share of (positive,
// negative) pairs ordered correctly, ties counting one half.
func TestROCAUCEqualsPairCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 50 {
		n := 2 + rng.IntN(60)
		truth := make([]bool, n)
		scores := make([]float64, n)
		for i := range n {
			truth[i] = rng.IntN(3) == 0
			scores[i] = float64(rng.IntN(8)) / 8 // many ties
		}
		truth[0], truth[1] = true, false
		var pairs, wins float64
		for i := range n {
			for j := range n {
				if truth[i] && !truth[j] {
					pairs++
					switch {
					case scores[i] > scores[j]:
						wins++
					case scores[i] == scores[j]:
						wins += 0.5
					}
				}
			}
		}
		got, _ := ROCAUC(truth, scores)
		if math.Abs(got-wins/pairs) > 1e-12 {
			t.Fatalf("trial %d: ROCAUC = %v, pair count gives %v", trial, got, wins/pairs)
		}
	}
}
