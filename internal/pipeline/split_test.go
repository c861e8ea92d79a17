package pipeline

import (
	"fmt"
	"slices"
	"testing"

	"github.com/dlc-dev/dlc/internal/data"
)

// TestSplitValidationStratified: every label keeps at least one training
// example (a label seen once stays in training), the others lose their
// share (rounded: two examples × 0.2 hold out none), and the same seed draws the same split.
func TestSplitValidationStratified(t *testing.T) {
	e := &data.Examples{Path: "train.jsonl"}
	for i := range 100 {
		e.Texts = append(e.Texts, fmt.Sprint("text ", i))
		e.Labels = append(e.Labels, []string{"earn", "earn", "earn", "acq"}[i%4])
	}
	e.Texts = append(e.Texts, "rare", "twice", "twice")
	e.Labels = append(e.Labels, "platinum", "tin", "tin")

	train, val := splitValidation(e, 0.2, 42, false)
	count := func(x *data.Examples, label string) int {
		n := 0
		for _, l := range x.Labels {
			if l == label {
				n++
			}
		}
		return n
	}
	for _, c := range []struct {
		label      string
		train, val int
	}{{"earn", 60, 15}, {"acq", 20, 5}, {"platinum", 1, 0}, {"tin", 2, 0}} {
		if got, gotVal := count(train, c.label), count(val, c.label); got != c.train || gotVal != c.val {
			t.Errorf("%s: %d training and %d validation examples, want %d and %d", c.label, got, gotVal, c.train, c.val)
		}
	}
	train2, val2 := splitValidation(e, 0.2, 42, false)
	if !slices.Equal(train.Labels, train2.Labels) || !slices.Equal(val.Labels, val2.Labels) {
		t.Error("the same seed drew a different split")
	}
	if _, val3 := splitValidation(e, 0.2, 7, false); slices.Equal(val.Texts, val3.Texts) {
		t.Error("seeds 42 and 7 drew the same validation examples")
	}
}
