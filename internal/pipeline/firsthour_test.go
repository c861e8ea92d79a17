package pipeline

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/testenv"
)

// TestTopFeaturesOfALinearModelAreItsWeights: a one-layer model's push of
// a feature towards a label is its weight minus the feature's mean weight
// over the labels, and the features come out in that order.
func TestTopFeaturesOfALinearModelAreItsWeights(t *testing.T) {
	m := trainTopics(t, "model.layers=[]")
	top, err := Top(m, 3)
	if err != nil {
		t.Fatal(err)
	}
	if top.Method != MethodWeights || len(top.Labels) != 4 {
		t.Fatalf("method %q, %d labels", top.Method, len(top.Labels))
	}
	l := m.Net.Layers[0]
	for k, lf := range top.Labels {
		prev := math.Inf(1)
		for _, f := range lf.Features {
			i := slices.Index(m.Vectorizer.Vocab, f.Feature)
			w := l.W[i*l.Out : (i+1)*l.Out]
			var mean float64
			for _, x := range w {
				mean += x / float64(len(w))
			}
			if math.Abs(f.Weight-(w[k]-mean)) > 1e-12 || f.Weight > prev {
				t.Errorf("%s: %s weighs %v, want %v, after %v", lf.Label, f.Feature, f.Weight, w[k]-mean, prev)
			}
			prev = f.Weight
		}
	}
	if top.Labels[1].Label != "crude" || !slices.ContainsFunc(top.Labels[1].Features, func(f FeatureWeight) bool { return f.Feature == "opec" }) {
		t.Errorf("crude's top features %v lack opec", top.Labels[1].Features)
	}
}

// TestTopFeaturesOfAnMLPAreSingleFeatureEffects: with a hidden layer, a
// feature's push is the label's probability for a text of that feature
// alone minus its probability for the empty text, as predicting those
// texts gives.
func TestTopFeaturesOfAnMLPAreSingleFeatureEffects(t *testing.T) {
	m := trainTopics(t)
	top, err := Top(m, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(top.Method, "the change in the label's probability") {
		t.Fatalf("method %q", top.Method)
	}
	p := NewPredictor(m, PredictOptions{})
	a, _ := p.Predict("")
	empty := slices.Clone(a.Scores)
	for k, lf := range top.Labels {
		for _, f := range lf.Features {
			a, _ := p.Predict(f.Feature)
			if want := a.Scores[k] - empty[k]; math.Abs(f.Weight-want) > 1e-12 {
				t.Errorf("%s: %s pushes %v, predicting it alone gives %v", lf.Label, f.Feature, f.Weight, want)
			}
		}
	}
}

// TestContinueStartsFromTheWeights: Continue trains the model's own
// weights (with a learning rate of almost nothing they stay almost as they
// were) with its own vectorizer, and refuses a config asking for another.
func TestContinueStartsFromTheWeights(t *testing.T) {
	from := trainTopics(t)
	dir := filepath.Join(testenv.Root(t), "testdata", "topics")
	cfg, err := config.Load(filepath.Join(dir, "topics.yaml"), []string{"data.train=" + filepath.Join(dir, "train.jsonl"), "data.test=", "optimizer.learning_rate=1e-12", "training.epochs=1"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := Read(context.Background(), cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := Continue(context.Background(), cfg, d, from, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Vectorizer != from.Vectorizer || m.Record.Init == nil || m.Record.Init.Epochs != 6 {
		t.Errorf("vectorizer kept: %v, init %+v", m.Vectorizer == from.Vectorizer, m.Record.Init)
	}
	a, b := m.Net.Params(), from.Net.Params()
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-6 {
			t.Fatalf("parameter %d moved from %v to %v", i, b[i], a[i])
		}
	}
	other, _ := config.Load(filepath.Join(dir, "topics.yaml"), []string{"vectorizer.ngrams=2"})
	if err := Compatible(other, from); err == nil || !strings.Contains(err.Error(), "vectorizer.ngrams is 2 here but 1 in the model to continue from") {
		t.Errorf("another vectorizer: %v", err)
	}
}
