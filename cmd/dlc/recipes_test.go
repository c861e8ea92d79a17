package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

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
		// the targets, and its macro-F1 (the 1+2-gram run's).
		minAccuracy, minMacroF1 float64
	}{
		{"imdb-ngrams.yaml", 25000, 0.905, 0.9024},
		{"reuters.yaml", 2568, 0.950, 0.7498},
		{"reuters8.yaml", 2189, 0.975, 0.9346},
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
			t.Logf("%s: test accuracy %.4f, macro-F1 %.4f", r.config, ev.Accuracy, ev.MacroF1)
		})
	}
}
