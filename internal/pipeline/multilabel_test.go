package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/model"
)

// fixtureLabels are the labels of the multi-label fixture, each marked in
// a text by a word of its own.
var fixtureLabels = []string{"alpha", "beta", "gamma", "delta"}

// writeIndependent writes n texts whose labels are drawn independently of
// one another (each with probability ½, so every one of the 16 sets
// occurs), each text holding its labels' marker words among filler words,
// as JSONL with a "labels" list; it returns the sets.
func writeIndependent(t *testing.T, path string, n int, rng *rand.Rand) [][]string {
	t.Helper()
	filler := strings.Fields("the a of market said price trade week year rose fell shares company bank rate")
	var b strings.Builder
	var sets [][]string
	enc := json.NewEncoder(&b)
	for range n {
		set := []string{}
		var words []string
		for _, l := range fixtureLabels {
			if rng.IntN(2) == 1 {
				set = append(set, l)
				words = append(words, l+"word")
			}
		}
		for range 3 + rng.IntN(4) {
			words = append(words, filler[rng.IntN(len(filler))])
		}
		rng.Shuffle(len(words), func(i, j int) { words[i], words[j] = words[j], words[i] })
		enc.Encode(map[string]any{"text": strings.Join(words, " "), "labels": set})
		sets = append(sets, set)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return sets
}

// trainConfig loads the default config with sets and trains it.
func trainConfig(t *testing.T, sets ...string) (*model.Model, *Result, *Data) {
	t.Helper()
	return trainFile(t, "", sets...)
}

// trainFile loads the config at path ("": the default) with sets and
// trains it.
func trainFile(t *testing.T, path string, sets ...string) (*model.Model, *Result, *Data) {
	t.Helper()
	cfg, err := config.Load(path, sets)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Read(context.Background(), cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	m, res, err := Train(context.Background(), cfg, d, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	return m, res, d
}

// A fixture whose labels are independent of each other — every set of
// them occurs — is learned to zero training error by one sigmoid (or one
// hinge) per label: each label is a function of its own marker word, which
// a softmax over label sets or a single label could not express. The
// trained model, with its calibration and tuned thresholds, gives every
// training text exactly its labels.
func TestIndependentLabelsLearned(t *testing.T) {
	dir := t.TempDir()
	trainPath := filepath.Join(dir, "train.jsonl")
	sets := writeIndependent(t, trainPath, 240, rand.New(rand.NewPCG(1, 2)))
	seen := map[string]bool{}
	for _, s := range sets {
		seen[strings.Join(s, ",")] = true
	}
	if len(seen) != 16 {
		t.Fatalf("the fixture holds %d of the 16 label sets", len(seen))
	}
	for _, c := range []struct{ output, loss string }{{"sigmoid", "binary_crossentropy"}, {"linear", "hinge"}} {
		t.Run(c.loss, func(t *testing.T) {
			m, _, d := trainConfig(t, "data.train="+trainPath, "data.task=multilabel", "data.label_field=labels",
				"model.layers=[]", "model.output="+c.output, "loss="+c.loss,
				"optimizer.name=adam", "optimizer.learning_rate=0.05", "training.batch_size=16", "training.epochs=40", "training.seed=3")
			if !m.MultiLabel() || len(m.Labels) != 4 || m.Net.Spec().Outputs != 4 || m.Calibration == nil || m.Thresholds == nil {
				t.Fatalf("the model is not a calibrated 4-label model: %+v, %v", m.Net.Spec(), m.Labels)
			}
			if th := m.Thresholds; th.MinLabels != 0 || th.MaxLabels != 4 {
				t.Errorf("answers with %d to %d labels, want 0 to 4", th.MinLabels, th.MaxLabels)
			}
			s, err := Score(m, d.Train)
			if err != nil {
				t.Fatal(err)
			}
			r := s.Multi
			if r.SubsetAccuracy != 1 || r.HammingLoss != 0 || r.MicroF1 != 1 || r.MacroF1 != 1 {
				t.Errorf("training subset accuracy %.4f, Hamming loss %.4f, micro-F1 %.4f, macro-F1 %.4f; want 1, 0, 1, 1",
					r.SubsetAccuracy, r.HammingLoss, r.MicroF1, r.MacroF1)
			}
			// Predict gives the same labels, text by text.
			p := NewPredictor(m, PredictOptions{})
			for i, text := range d.Train.Texts[:40] {
				a, err := p.Predict(text)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, c := range a.Labels {
					got = append(got, m.Labels[c])
				}
				slices.Sort(got)
				want := slices.Sorted(slices.Values(d.Train.LabelSets[i]))
				if !slices.Equal(got, want) {
					t.Errorf("%q: predicted %q, want %q", text, got, want)
				}
			}
		})
	}
}

// writeOneLabel writes n texts of one topic each, as single-label JSONL
// ("label": "x") and as multi-label JSONL ("labels": ["x"]).
func writeOneLabel(t *testing.T, single, multi string, n int, rng *rand.Rand) {
	t.Helper()
	topics := map[string][]string{
		"grain": strings.Fields("wheat corn tonnes harvest crop export"),
		"oil":   strings.Fields("crude barrel opec refinery pipeline price"),
		"money": strings.Fields("dollar yen bank rate currency dealers"),
	}
	shared := strings.Fields("the said in year market trade price week")
	names := []string{"grain", "money", "oil"}
	var a, b strings.Builder
	for range n {
		l := names[rng.IntN(len(names))]
		var words []string
		for range 2 + rng.IntN(3) {
			words = append(words, topics[l][rng.IntN(6)])
		}
		// Some words of another topic: the fixture is not separable word
		// by word, so the two models' scores are worth comparing.
		other := names[rng.IntN(len(names))]
		words = append(words, topics[other][rng.IntN(6)])
		for range 3 {
			words = append(words, shared[rng.IntN(len(shared))])
		}
		text := strings.Join(words, " ")
		fmt.Fprintf(&a, "{\"text\": %q, \"label\": %q}\n", text, l)
		fmt.Fprintf(&b, "{\"text\": %q, \"labels\": [%q]}\n", text, l)
	}
	for path, content := range map[string]string{single: a.String(), multi: b.String()} {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// With one label per example a multi-label model reproduces the
// single-label model's decisions. With mse (on sigmoid outputs, one per
// label either way) the two tasks minimise the very same loss — the mean
// over the outputs of the squared error against one-hot targets — so the
// same config and seed give the same network, weight for weight; and a
// multi-label model whose every training text had exactly one label
// answers with its most probable one, which is the single-label decision.
// With binary cross-entropy the networks differ (a sigmoid per label
// against a softmax), but on this fixture they decide alike.
func TestOneLabelPerExampleIsSingleLabel(t *testing.T) {
	dir := t.TempDir()
	single, multi := filepath.Join(dir, "single.jsonl"), filepath.Join(dir, "multi.jsonl")
	singleTest, multiTest := filepath.Join(dir, "single-test.jsonl"), filepath.Join(dir, "multi-test.jsonl")
	writeOneLabel(t, single, multi, 300, rand.New(rand.NewPCG(5, 6)))
	writeOneLabel(t, singleTest, multiTest, 200, rand.New(rand.NewPCG(7, 8)))
	for _, c := range []struct {
		name                        string
		singleLoss, multiLoss, outS string
		exact                       bool
	}{
		{"mse", "mse", "mse", "sigmoid", true},
		{"cross-entropy", "categorical_crossentropy", "binary_crossentropy", "softmax", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			common := []string{"model.layers=[{units: 8, activation: relu}]", "optimizer.name=adam", "optimizer.learning_rate=0.01",
				"training.batch_size=16", "training.epochs=15", "training.seed=9"}
			ms, _, _ := trainConfig(t, append([]string{"data.train=" + single, "model.output=" + c.outS, "loss=" + c.singleLoss}, common...)...)
			mm, _, _ := trainConfig(t, append([]string{"data.train=" + multi, "data.task=multilabel", "data.label_field=labels",
				"model.output=sigmoid", "loss=" + c.multiLoss}, common...)...)
			if th := mm.Thresholds; th.MinLabels != 1 || th.MaxLabels != 1 || th.Values != nil {
				t.Fatalf("thresholds %+v: want one label per answer, none tuned", th)
			}
			if !slices.Equal(ms.Labels, mm.Labels) {
				t.Fatalf("labels %q and %q", ms.Labels, mm.Labels)
			}
			if c.exact && !slices.Equal(ms.Net.Params(), mm.Net.Params()) {
				t.Error("the same loss and seed gave two networks")
			}
			ps, pm := NewPredictor(ms, PredictOptions{}), NewPredictor(mm, PredictOptions{})
			e, err := ReadFor(ms, singleTest)
			if err != nil {
				t.Fatal(err)
			}
			agree := 0
			for _, text := range e.Texts {
				as, err := ps.Predict(text)
				if err != nil {
					t.Fatal(err)
				}
				want := as.Order[0]
				am, err := pm.Predict(text)
				if err != nil {
					t.Fatal(err)
				}
				if len(am.Labels) != 1 {
					t.Fatalf("%q: the multi-label model gave %d labels", text, len(am.Labels))
				}
				if am.Labels[0] == want {
					agree++
				}
			}
			if agree != len(e.Texts) {
				t.Errorf("the models agree on %d of %d test texts, want all", agree, len(e.Texts))
			}
		})
	}
}
