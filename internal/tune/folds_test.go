package tune

import (
	"fmt"
	"slices"
	"testing"
)

// TestFolds: the validation halves are disjoint and cover every example
// but the single example of a label; every training half holds every
// label; each label is spread evenly; the folds' sizes differ by at most
// one; the same seed deals the same folds and another seed others.
func TestFolds(t *testing.T) {
	var labels []string
	for i := range 103 {
		labels = append(labels, fmt.Sprint("c", i%7))
	}
	labels = append(labels, "lonely")
	const k = 4
	folds := Folds(labels, k, 1)
	seen := make([]int, len(labels))
	for f, fold := range folds {
		if len(fold.Train)+len(fold.Validation) != len(labels) {
			t.Errorf("fold %d: %d + %d examples, want %d", f, len(fold.Train), len(fold.Validation), len(labels))
		}
		for _, i := range fold.Validation {
			seen[i]++
		}
		trainLabels := map[string]int{}
		for _, i := range fold.Train {
			trainLabels[labels[i]]++
		}
		if len(trainLabels) != 8 {
			t.Errorf("fold %d: its training half has %d labels, want all 8", f, len(trainLabels))
		}
		valLabels := map[string]int{}
		for _, i := range fold.Validation {
			valLabels[labels[i]]++
		}
		for l, n := range valLabels {
			if total := n + trainLabels[l]; n < total/k || n > (total+k-1)/k {
				t.Errorf("fold %d holds out %d of label %s's %d examples", f, n, l, total)
			}
		}
		if d := len(fold.Validation) - len(folds[0].Validation); d < -1 || d > 1 {
			t.Errorf("fold %d holds out %d examples, fold 0 %d", f, len(fold.Validation), len(folds[0].Validation))
		}
	}
	for i, n := range seen {
		want := 1
		if labels[i] == "lonely" {
			want = 0
		}
		if n != want {
			t.Errorf("example %d (%s) is held out by %d folds, want %d", i, labels[i], n, want)
		}
	}
	if n := heldOut(labels); n != 103 {
		t.Errorf("heldOut = %d, want 103 (all but the lonely example)", n)
	}
	again := Folds(labels, k, 1)
	other := Folds(labels, k, 2)
	if !slices.Equal(again[0].Validation, folds[0].Validation) {
		t.Error("the same seed dealt other folds")
	}
	if slices.Equal(other[0].Validation, folds[0].Validation) {
		t.Error("another seed dealt the same folds")
	}
}
