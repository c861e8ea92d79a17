package main

import (
	"fmt"

	"github.com/dlc-dev/dlc/internal/calibrate"
)

// labelRange says how many labels a multi-label model gives a text: "0
// to 4 labels a text, as its training texts had".
func labelRange(th *calibrate.Thresholds) string {
	if th.MinLabels == th.MaxLabels {
		return fmt.Sprintf("exactly %d %s a text, the most probable, as every training text had", th.MinLabels, plural(th.MinLabels, "label"))
	}
	return fmt.Sprintf("%d to %d labels a text, as its training texts had", th.MinLabels, th.MaxLabels)
}

// plural is word, with an s unless n is 1.
func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// describeThresholds says how a multi-label model's labels are cut.
func describeThresholds(th *calibrate.Thresholds) string {
	switch {
	case th.MinLabels == th.MaxLabels:
		return "none: the most probable labels"
	case th.Values == nil:
		return fmt.Sprintf("%g for every label (not tuned)", th.Cut)
	}
	return fmt.Sprintf("%d of %d labels tuned on their own, the others at %.4g", th.Tuned, len(th.Values), th.Global)
}
