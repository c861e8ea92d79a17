package pipeline

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/mlp"
)

// targets maps labels to class indices, or, for a regression, parses them
// as numbers.
func targets(e *data.Examples, classes []string, regression bool) (mlp.Targets, error) {
	if e.LabelSets != nil {
		return multiTargets(e, classes)
	}
	if e.Labels == nil {
		return mlp.Targets{}, fmt.Errorf("%s has no labels; evaluation needs a label for every example", e.Path)
	}
	if regression {
		y := mlp.Targets{Value: make([]float64, len(e.Labels))}
		for i, l := range e.Labels {
			v, err := strconv.ParseFloat(strings.TrimSpace(l), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return y, fmt.Errorf("%s has label %s, which is not a finite number (data.task is regression)", e.Where(i), data.Quote(l))
			}
			y.Value[i] = v
		}
		return y, nil
	}
	index := make(map[string]int32, len(classes))
	for i, c := range classes {
		index[c] = int32(i)
	}
	y := mlp.Targets{Class: make([]int32, len(e.Labels))}
	for i, l := range e.Labels {
		c, ok := index[l]
		if !ok {
			return y, fmt.Errorf("%s has label %s, which the model does not know (it knows %s)", e.Where(i), data.Quote(l), data.QuoteList(classes, 10))
		}
		y.Class[i] = c
	}
	return y, nil
}

// classWeights returns each training example's weight under
// training.class_weight, and the weight of each class: "balanced" gives
// class c the weight n / (classes · count(c)), as scikit-learn does; a map
// gives the listed labels their weight and the others 1.
func classWeights(cfg *config.Config, y mlp.Targets, classes []string) ([]float64, []float64, error) {
	cw := cfg.Training.ClassWeight
	if !cw.IsSet() {
		return nil, nil, nil
	}
	perClass := make([]float64, len(classes))
	if cw.Balanced {
		counts := make([]int, len(classes))
		for _, c := range y.Class {
			counts[c]++
		}
		for c, n := range counts {
			perClass[c] = float64(len(y.Class)) / float64(len(classes)*max(1, n))
		}
	} else {
		for c := range perClass {
			perClass[c] = 1
		}
		labels := make([]string, 0, len(cw.Weights))
		for l := range cw.Weights {
			labels = append(labels, l)
		}
		slices.Sort(labels)
		for _, l := range labels {
			c, found := slices.BinarySearch(classes, l)
			if !found {
				return nil, nil, cfg.Errorf("training.class_weight", "training.class_weight names the label %q, which the training data does not have (it has %s)", l, data.QuoteList(classes, 10))
			}
			perClass[c] = cw.Weights[l]
		}
	}
	w := make([]float64, len(y.Class))
	for i, c := range y.Class {
		w[i] = perClass[c]
	}
	return w, perClass, nil
}
