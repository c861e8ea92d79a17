package pipeline

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/sparse"
	"github.com/dlc-dev/dlc/internal/testenv"
)

// trainTopicsHooked trains the four-topic fixture with hooks.
func trainTopicsHooked(t *testing.T, h Hooks, extra ...string) (*Result, *Data) {
	t.Helper()
	dir := filepath.Join(testenv.Root(t), "testdata", "topics")
	sets := append([]string{"data.train=" + filepath.Join(dir, "train.jsonl"), "data.test=" + filepath.Join(dir, "test.jsonl")}, extra...)
	cfg, err := config.Load(filepath.Join(dir, "topics.yaml"), sets)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Read(context.Background(), cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	m, res, err := Train(context.Background(), cfg, d, h)
	if err != nil {
		t.Fatal(err)
	}
	if m.Calibration == nil {
		t.Fatalf("the model is not calibrated (%s)", res.Uncalibrated)
	}
	return res, d
}

// Calibration is fitted only on scores of examples the scoring network was
// not trained on: every network trained for it holds its part out, the
// parts are training examples (never the test split), and together they
// are what the calibrator says it was fitted on.
func TestCalibrationHoldsItsExamplesOut(t *testing.T) {
	for _, folds := range []string{"0", "3"} {
		t.Run("folds="+folds, func(t *testing.T) {
			var parts []CalibrationPart
			h := Hooks{Calibrating: func(p *CalibrationPart) {
				if p.NTrained != len(p.Trained) || p.NHeld != len(p.Held) {
					t.Fatalf("network %d: counts %d and %d, lists of %d and %d rows", p.Part, p.NTrained, p.NHeld, len(p.Trained), len(p.Held))
				}
				parts = append(parts, CalibrationPart{Part: p.Part, Parts: p.Parts, Trained: slices.Clone(p.Trained), Held: slices.Clone(p.Held)})
			}}
			res, d := trainTopicsHooked(t, h, "calibration.folds="+folds)
			if want := map[string]int{"0": 1, "3": 3}[folds]; len(parts) != want {
				t.Fatalf("%d networks trained for calibration, want %d", len(parts), want)
			}
			held := 0
			for _, p := range parts {
				for _, r := range p.Held {
					if _, trained := slices.BinarySearch(p.Trained, r); trained {
						t.Fatalf("network %d trained on row %d, which it scores for calibration", p.Part, r)
					}
					if r < 0 || r >= d.Train.Len() {
						t.Fatalf("row %d is not a training example", r)
					}
				}
				if len(p.Trained)+len(p.Held) != d.Train.Len() {
					t.Errorf("network %d: %d trained + %d held out of %d training examples", p.Part, len(p.Trained), len(p.Held), d.Train.Len())
				}
				held += len(p.Held)
			}
			if folds == "3" && held != d.Train.Len() {
				t.Errorf("cross-fitting scored %d of %d training examples", held, d.Train.Len())
			}
			_ = res
		})
	}
}

// The test split never touches the calibration: with or without it, the
// same calibrator.
func TestCalibrationIgnoresTheTestSplit(t *testing.T) {
	with := trainTopics(t, "data.test="+filepath.Join(testenv.Root(t), "testdata", "topics", "test.jsonl"))
	without := trainTopics(t)
	if a, b := with.Calibration, without.Calibration; a == nil || b == nil || a.Temperature != b.Temperature || a.Before != b.Before {
		t.Errorf("calibration with a test split %+v, without %+v", a, b)
	}
}

// A calibrated model's probabilities sum to 1 and keep the network's
// ranking of the labels (the monotone map, auto's choice for many labels).
func TestCalibratedAnswers(t *testing.T) {
	m := trainTopics(t)
	if m.Calibration.Method != "monotone" {
		t.Fatalf("method %s, want monotone for 4 labels", m.Calibration.Method)
	}
	p := NewPredictor(m, PredictOptions{})
	for _, text := range []string{"oil barrel opec", "merger shares company", "wheat tonnes", "dividend profit", ""} {
		a, err := p.Predict(text)
		if err != nil {
			t.Fatal(err)
		}
		var sum float64
		for _, v := range a.Scores {
			sum += v
		}
		if math.Abs(sum-1) > 1e-9 || argmax(a.Scores) != argmax(a.Raw) || a.Order[0] != argmax(a.Scores) {
			t.Errorf("%q: scores %v (sum %v), raw %v, order %v", text, a.Scores, sum, a.Raw, a.Order)
		}
	}
}

// Temperature scaling and the monotone map keep every decision of the
// network, whatever the loss and output: calibrated and uncalibrated
// models of the same training answer every text of the test split alike.
func TestCalibrationKeepsDecisions(t *testing.T) {
	dir := filepath.Join(testenv.Root(t), "testdata", "tiny")
	for _, pair := range [][2]string{
		{"mse", "linear"}, {"mse", "sigmoid"}, {"mse", "softmax"}, {"hinge", "linear"}, {"hinge", "sigmoid"},
		{"squared_hinge", "linear"}, {"binary_crossentropy", "sigmoid"}, {"categorical_crossentropy", "softmax"},
	} {
		t.Run(pair[0]+"/"+pair[1], func(t *testing.T) {
			train := func(method string) (*Scores, error) {
				cfg, err := config.Load(filepath.Join(dir, "tiny.yaml"), []string{
					"data.train=" + filepath.Join(dir, "train.jsonl"), "data.test=" + filepath.Join(dir, "test.jsonl"),
					"loss=" + pair[0], "model.output=" + pair[1], "calibration.method=" + method})
				if err != nil {
					return nil, err
				}
				d, err := Read(context.Background(), cfg, "")
				if err != nil {
					return nil, err
				}
				_, res, err := Train(context.Background(), cfg, d, Hooks{})
				if err != nil {
					return nil, err
				}
				return res.Test, nil
			}
			raw, err := train("none")
			if err != nil {
				t.Fatal(err)
			}
			for _, method := range []string{"temperature", "monotone"} {
				cal, err := train(method)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(cal.Predicted, raw.Predicted) {
					t.Errorf("%s changed decisions: accuracy %.4f, without %.4f", method, cal.Report.Accuracy, raw.Report.Accuracy)
				}
			}
		})
	}
}

// With a weighting learnt from the labels (vectorizer.weighting nb), the
// network calibration scores its held-out rows with sees features weighted
// without their labels: changing every held-out label leaves its scores of
// them exactly as they were. Weighted with every label (as the model's own
// rows are), they change: the check can fail.
func TestCalibrationNeverSeesHeldOutLabels(t *testing.T) {
	dir := filepath.Join(testenv.Root(t), "testdata", "topics")
	cfg, err := config.Load(filepath.Join(dir, "topics.yaml"), []string{"data.train=" + filepath.Join(dir, "train.jsonl"), "data.test=", "vectorizer.weighting=nb"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := Read(context.Background(), cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	classes := d.Train.Classes()
	plan, err := Build(cfg.ForClasses(len(classes)))
	if err != nil {
		t.Fatal(err)
	}
	f, err := plan.fit(d.Train)
	if err != nil {
		t.Fatal(err)
	}
	y, err := targets(d.Train, classes, false)
	if err != nil {
		t.Fatal(err)
	}
	// scores runs calibration's held-out network with the labels y and
	// the rows reweigh gives, and returns its scores of the held-out rows.
	strata := y.Class
	scores := func(y mlp.Targets, reweigh func([]int) (*sparse.Matrix, error)) (held []int, z []float64) {
		h := Hooks{Calibrating: func(p *CalibrationPart) { held = slices.Clone(p.Held) }}
		score := func(_ *mlp.Network, _ int, _, zz []float64) { z = append(z, zz...) }
		// The strata are the true labels, so both runs hold the same rows out.
		if _, err := eachHeldOut(context.Background(), plan, f.x, y, strata, len(classes), h, nil, score, nil, reweigh); err != nil {
			t.Fatal(err)
		}
		return held, z
	}
	held, want := scores(y, labelWeighing(f, y, len(classes)))
	if len(held) == 0 {
		t.Fatal("nothing held out")
	}
	other := y
	other.Class = slices.Clone(y.Class)
	for _, r := range held {
		other.Class[r] = (other.Class[r] + 1) % int32(len(classes))
	}
	if _, got := scores(other, labelWeighing(f, other, len(classes))); !slices.Equal(got, want) {
		t.Error("the held-out labels changed the calibration network's scores of the held-out rows")
	}
	// As the model's rows are weighted: from every label, the held-out ones too.
	leaky := func(y mlp.Targets) func([]int) (*sparse.Matrix, error) {
		every := complement(f.x.Rows, nil)
		return func([]int) (*sparse.Matrix, error) { return f.vec.NBWeighed(f.plain, y.Class, len(classes), every) }
	}
	_, a := scores(y, leaky(y))
	_, b := scores(other, leaky(other))
	if slices.Equal(a, b) {
		t.Error("weighted with every label, the held-out labels left the scores alone: the test cannot fail")
	}
}
