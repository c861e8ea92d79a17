package main

import (
	"slices"
	"testing"
)

// A validation split of a classifier's data keeps every class in training,
// even a class with a single example (R52's platinum), so that training can
// score the validation split; otherwise it is the seeded random draw.
func TestSplitValidationKeepsEveryClassInTraining(t *testing.T) {
	e := &examples{Path: "train.jsonl"}
	add := func(label string, n int) {
		for range n {
			e.Texts = append(e.Texts, label+" text")
			e.Labels = append(e.Labels, label)
		}
	}
	add("earn", 60)
	add("acq", 40)
	add("platinum", 1)
	add("tea", 2)
	n := e.Len()

	lost := 0 // seeds whose plain draw leaves a class out of training
	for seed := range uint64(200) {
		plainTrain, _ := splitValidation(e, 0.5, seed, false)
		if len(classNames(plainTrain.Labels)) < 4 {
			lost++
		}
		if got := plainTrain.Len(); got != n-52 {
			t.Fatalf("seed %d, regression-style split: %d training examples, want %d", seed, got, n-52)
		}

		train, val := splitValidation(e, 0.5, seed, true)
		if got := classNames(train.Labels); len(got) != 4 {
			t.Fatalf("seed %d: training keeps the classes %v, want all 4", seed, got)
		}
		if train.Len()+val.Len() != n {
			t.Fatalf("seed %d: %d + %d examples, want %d", seed, train.Len(), val.Len(), n)
		}
		// At most one example per class moves back: platinum and tea.
		if val.Len() < 52-2 || val.Len() > 52 {
			t.Fatalf("seed %d: %d validation examples, want 50-52", seed, val.Len())
		}
		// The file holds the classes in blocks; the split keeps file order.
		blocks := make([]int, val.Len())
		for i, l := range val.Labels {
			blocks[i] = slices.Index(e.Labels, l)
		}
		if !slices.IsSorted(blocks) {
			t.Fatalf("seed %d: the validation examples are not in file order: %v", seed, val.Labels)
		}
	}
	if lost == 0 {
		t.Fatal("no seed's plain draw lost a class; the test does not exercise the fix")
	}
}
