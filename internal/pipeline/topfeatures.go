package pipeline

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/sparse"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// FeatureWeight is one feature (a token or n-gram) and how much it pushes
// towards a label.
type FeatureWeight struct {
	Feature string  `json:"feature"`
	Weight  float64 `json:"weight"`
}

// LabelFeatures are the features that push towards one label most.
type LabelFeatures struct {
	Label    string          `json:"label"`
	Features []FeatureWeight `json:"features"`
}

// TopFeatures is what a bag-of-words classifier learned, label by label,
// and how that was measured.
type TopFeatures struct {
	// Method says what Weight is, in a sentence.
	Method string          `json:"method"`
	Labels []LabelFeatures `json:"labels"`
}

// Methods of Top, as TopFeatures.Method says them.
const (
	MethodWeights = "its weight in the model's one layer, minus its mean weight over the labels (with one output unit: its weight for the second label, negated for the first)"
	MethodEffect  = "the change in the label's %s from an empty text to a text of that feature alone (exact for this network; in a real text the hidden layers make features act together)"
)

// ErrNoVocabulary is Top's answer for models without named features.
var ErrNoVocabulary = errors.New("the model has no vocabulary to name features by")

// Top returns the n features that push each label of classifier m most.
// A model without a hidden layer is read off its weights; one with hidden
// layers has no single weight per feature and label, so each feature is
// scored alone instead (MethodEffect). Numeric (dense) and hashing models
// have no vocabulary: ErrNoVocabulary.
func Top(m *model.Model, n int) (*TopFeatures, error) {
	v := m.Vectorizer
	if v.Mode == vectorize.Dense || v.Hashing > 0 || len(v.Vocab) == 0 {
		return nil, ErrNoVocabulary
	}
	labels := len(m.Labels)
	f := v.Features()
	// push[i*labels+k] is feature i's push towards label k.
	push := make([]float64, f*labels)
	t := &TopFeatures{Method: MethodWeights}
	// The weights of one layer are the features' pushes only when each
	// feature enters with the value 1 (not weighed by naive Bayes) into
	// one network (not an ensemble's several).
	if net := m.Net; len(net.Layers) == 1 && len(m.Members) <= 1 && v.NBRatio == nil {
		l := net.Layers[0]
		for i := range f {
			w := l.W[i*l.Out : (i+1)*l.Out]
			p := push[i*labels : (i+1)*labels]
			if l.Out == 1 {
				p[0], p[1] = -w[0], w[0]
				continue
			}
			var mean float64
			for _, x := range w {
				mean += x
			}
			mean /= float64(len(w))
			for k, x := range w {
				p[k] = x - mean
			}
		}
	} else {
		what := "probability"
		if !probabilities(m) {
			what = "score"
		}
		t.Method = fmt.Sprintf(MethodEffect, what)
		singleFeatureEffects(m, f, labels, push)
	}
	order := make([]int, f)
	for k, label := range m.Labels {
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(push[b*labels+k], push[a*labels+k]) })
		lf := LabelFeatures{Label: label}
		for _, i := range order[:min(n, f)] {
			lf.Features = append(lf.Features, FeatureWeight{v.Vocab[i], push[i*labels+k]})
		}
		t.Labels = append(t.Labels, lf)
	}
	return t, nil
}

// singleFeatureEffects fills push with each label's score for a text of
// feature i alone minus its score for the empty text, as m answers them
// (calibrated, when m is; averaged over an ensemble's networks): a
// one-token text holds the feature with the value Vectorizer.Alone gives.
func singleFeatureEffects(m *model.Model, features, labels int, push []float64) {
	fw := modelForward(m)
	v := m.Vectorizer
	x := sparse.New(features, false)
	x.AppendRow(nil, nil)
	fw.predict(x, []int{0})
	empty := fw.answer(0, nil)
	var scores []float64
	rows := make([]int, 0, evalBatch)
	for lo := 0; lo < features; lo += evalBatch {
		hi := min(features, lo+evalBatch)
		x.Reset()
		rows = rows[:0]
		for i := lo; i < hi; i++ {
			x.AppendRow([]int32{int32(i)}, []float64{v.Alone(int32(i))})
			rows = append(rows, i-lo)
		}
		fw.predict(x, rows)
		for r := range rows {
			scores = fw.answer(r, scores[:0])
			for c := range labels {
				push[(lo+r)*labels+c] = scores[c] - empty[c]
			}
		}
	}
}
