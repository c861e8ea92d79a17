package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/pipeline"
	"github.com/dlc-dev/dlc/internal/testenv"
)

// TestRecipes trains each recipe of configs/ on its real data and holds it to
// the bar it was made for: above the best linear classic measured on this
// project's machine (scikit-learn's LinearSVC on tf-idf, ../shared/BENCHMARKS.md),
// in accuracy and in macro-F1. docs/recipes.md says how each was chosen.
func TestRecipes(t *testing.T) {
	testenv.Long(t)
	dir := t.TempDir()
	var dataDir string
	for _, name := range []string{"imdb", "reuters", "reuters8"} {
		dataDir = fetchedData(t, name)
	}

	for _, r := range []struct {
		config string
		n      int
		// The floors: LinearSVC's best test accuracy here, rounded up to
		// the targets where the recipe reaches them (issue 22:
		// imdb-nb-trigrams reaches IMDB's 0.918 at seed 42; imdb-ngrams,
		// with the naive-Bayes weighting, 0.915); R8's recipe scores 0.9767
		// at seed 42 (2,138 of 2,189), under the 0.978, so its
		// floor is 0.976, above LinearSVC's 0.9744. And LinearSVC's
		// macro-F1 (the 1+2-gram run's).
		minAccuracy, minMacroF1 float64
		// The ceiling of the calibrated probabilities' expected
		// calibration error (measured at seed 42: 0.0281, 0.0255,
		// 0.0230, 0.0078; the hinge margins through a plain softmax:
		// 0.0721, 0.6136, 0.2448 before the weighting).
		maxECE float64
	}{
		{"imdb-ngrams.yaml", 25000, 0.915, 0.9024, 0.035},
		{"imdb-nb-trigrams.yaml", 25000, 0.918, 0.9024, 0.035},
		{"reuters.yaml", 2568, 0.950, 0.7498, 0.03},
		{"reuters8.yaml", 2189, 0.976, 0.9346, 0.015},
	} {
		t.Run(r.config, func(t *testing.T) {
			model := filepath.Join(dir, r.config+".dlc")
			mustRun(t, "", "train", "--config", filepath.Join(testenv.Root(t), "configs", r.config), "--data-dir", dataDir, "--out", model, "--quiet")
			var ev evaluation
			out := mustRun(t, "", "evaluate", "--model", model, "--data-dir", dataDir, "--format", "json")
			if err := json.Unmarshal([]byte(out), &ev); err != nil {
				t.Fatalf("evaluate --format json printed %q: %v", out, err)
			}
			if ev.N != r.n {
				t.Errorf("evaluated %d examples, want the %d of the test split", ev.N, r.n)
			}
			if ev.Accuracy < r.minAccuracy {
				t.Errorf("test accuracy %.4f is below the floor %.4f", ev.Accuracy, r.minAccuracy)
			}
			if ev.MacroF1 < r.minMacroF1 {
				t.Errorf("test macro-F1 %.4f is below LinearSVC's %.4f", ev.MacroF1, r.minMacroF1)
			}
			if ev.ECE > r.maxECE {
				t.Errorf("test ECE %.4f is above %.3f: the probabilities are not calibrated", ev.ECE, r.maxECE)
			}
			// Every answer's probabilities sum to 1.
			answers := mustRun(t, "", "predict", "--model", model, "--format", "json", "--input", filepath.Join(dataDir, map[string]string{
				"imdb-ngrams.yaml": "imdb", "imdb-nb-trigrams.yaml": "imdb", "reuters.yaml": "reuters", "reuters8.yaml": "reuters8"}[r.config], "test.jsonl"))
			for i, line := range strings.Split(strings.TrimSpace(answers), "\n") {
				var p pipeline.Prediction
				if err := json.Unmarshal([]byte(line), &p); err != nil {
					t.Fatal(err)
				}
				var sum float64
				for _, v := range p.Scores {
					sum += v
				}
				if math.Abs(sum-1) > 1e-9 || p.Probability < 0 || p.Probability > 1 {
					t.Fatalf("answer %d: probability %v, scores summing to %v", i+1, p.Probability, sum)
				}
			}
			t.Logf("%s: test accuracy %.4f, macro-F1 %.4f, ECE %.4f, log loss %.4f", r.config, ev.Accuracy, ev.MacroF1, ev.ECE, ev.LogLoss)
		})
	}
}

// TestMultiLabelRecipe trains configs/reuters-modapte.yaml on the ModApte
// split of Reuters-21578 (90 topics, any number per newswire) and holds it
// above scikit-learn's one-vs-rest LinearSVC on tf-idf, which scores
// micro-F1 0.8580, macro-F1 0.3962 and subset accuracy 0.8009 on the 3,019
// test newswires (../shared/BENCHMARKS.md): the floors are the recipe's
// own 0.8836, 0.5355 and 0.8407 rounded down (the same seed trains the
// same five networks), and issue 15's micro-F1 0.88 and macro-F1 0.50
// among them. Its answers are the labels at or above their thresholds,
// with a probability each.
func TestMultiLabelRecipe(t *testing.T) {
	testenv.Long(t)
	dataDir := fetchedData(t, "reuters-modapte")
	model := filepath.Join(t.TempDir(), "modapte.dlc")
	mustRun(t, "", "train", "--config", filepath.Join(testenv.Root(t), "configs", "reuters-modapte.yaml"), "--data-dir", dataDir, "--out", model, "--quiet")
	var ev struct {
		N              int     `json:"n"`
		MicroF1        float64 `json:"micro_f1"`
		MacroF1        float64 `json:"macro_f1"`
		SubsetAccuracy float64 `json:"subset_accuracy"`
		HammingLoss    float64 `json:"hamming_loss"`
		PerClass       map[string]struct {
			Support int `json:"support"`
		} `json:"per_class"`
	}
	out := mustRun(t, "", "evaluate", "--model", model, "--data-dir", dataDir, "--format", "json")
	if err := json.Unmarshal([]byte(out), &ev); err != nil {
		t.Fatalf("evaluate --format json printed %q: %v", out, err)
	}
	if ev.N != 3019 || len(ev.PerClass) != 90 {
		t.Errorf("evaluated %d examples of %d labels, want the 3,019 of the test split and its 90 topics", ev.N, len(ev.PerClass))
	}
	if ev.MicroF1 < 0.88 || ev.MacroF1 < 0.53 || ev.SubsetAccuracy < 0.84 {
		t.Errorf("test micro-F1 %.4f, macro-F1 %.4f, subset accuracy %.4f: below the floors 0.88, 0.53 and 0.84", ev.MicroF1, ev.MacroF1, ev.SubsetAccuracy)
	}
	answers := mustRun(t, "", "predict", "--model", model, "--format", "json", "--input", filepath.Join(dataDir, "reuters-modapte", "test.jsonl"))
	lines := strings.Split(strings.TrimSpace(answers), "\n")
	if len(lines) != 3019 {
		t.Fatalf("predict answered %d lines for 3,019 newswires", len(lines))
	}
	for i, line := range lines {
		var p pipeline.MultiPrediction
		if err := json.Unmarshal([]byte(line), &p); err != nil {
			t.Fatal(err)
		}
		// Every training newswire has a topic: so has every answer.
		if len(p.Labels) == 0 || len(p.Scores) != 90 {
			t.Fatalf("answer %d: labels %q, %d scores", i+1, p.Labels, len(p.Scores))
		}
		for _, l := range p.Labels {
			if q, ok := p.Scores[l]; !ok || q < 0 || q > 1 {
				t.Fatalf("answer %d: label %q of probability %v", i+1, l, q)
			}
		}
	}
	t.Logf("reuters-modapte.yaml: test micro-F1 %.4f, macro-F1 %.4f, subset accuracy %.4f, Hamming loss %.4f", ev.MicroF1, ev.MacroF1, ev.SubsetAccuracy, ev.HammingLoss)
}
