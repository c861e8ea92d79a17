package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/testenv"
)

// dlcRun runs the dlc command line in-process and returns stdout, stderr
// and the exit code.
func dlcRun(t testing.TB, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &IO{In: strings.NewReader(stdin), Out: &out, Err: &errb})
	return out.String(), errb.String(), code
}

func mustRun(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	out, errs, code := dlcRun(t, stdin, args...)
	if code != 0 {
		t.Fatalf("dlc %s: exit %d\n%s", strings.Join(args, " "), code, errs)
	}
	return out
}

// TestIMDBNotebook is the IMDB notebook on the real 50,000 reviews: fetch
// from the archive, train configs/imdb.yaml, evaluate on the 25,000 test
// reviews, retrain for a byte-identical model, and predict.
func TestIMDBNotebook(t *testing.T) {
	testenv.Long(t)
	archive := testenv.Dataset(t, "aclImdb_v1.tar.gz")
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "datasets")
	mustRun(t, "", "fetch", "imdb", "--from", archive, "--sha256", sharedIMDBSHA256, "--data-dir", dataDir)

	cfg := filepath.Join(testenv.Root(t), "configs", "imdb.yaml")
	first, second := filepath.Join(dir, "a.dlc"), filepath.Join(dir, "b.dlc")
	mustRun(t, "", "train", "--config", cfg, "--data-dir", dataDir, "--out", first, "--quiet")
	mustRun(t, "", "train", "--config", cfg, "--data-dir", dataDir, "--out", second, "--quiet")
	a, _ := os.ReadFile(first)
	b, _ := os.ReadFile(second)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("two trainings with seed 42 gave different model files (%d and %d bytes)", len(a), len(b))
	}

	var ev evaluation
	out := mustRun(t, "", "evaluate", "--model", first, "--data-dir", dataDir, "--format", "json", "--min-accuracy", "0.875")
	if err := json.Unmarshal([]byte(out), &ev); err != nil {
		t.Fatalf("evaluate --format json printed %q: %v", out, err)
	}
	if ev.N != 25000 {
		t.Errorf("evaluated %d reviews, want the 25,000 test reviews", ev.N)
	}
	// PyTorch with the same recipe reaches 0.884 here (../shared/BENCHMARKS.md).
	if ev.Accuracy < 0.875 {
		t.Errorf("test accuracy %.4f is below the floor 0.875", ev.Accuracy)
	}
	// Calibrated: 0.0083 measured (the network's sigmoid alone: 0.0130).
	if ev.ECE > 0.015 {
		t.Errorf("test ECE %.4f is above 0.015", ev.ECE)
	}
	t.Logf("IMDB test accuracy %.4f, macro-F1 %.4f, ECE %.4f", ev.Accuracy, ev.MacroF1, ev.ECE)

	out = mustRun(t, "A wonderful, moving film.\nThe worst movie I have ever seen.\n", "predict", "--model", first)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "pos\t") || !strings.HasPrefix(lines[1], "neg\t") {
		t.Errorf("predict printed %q, want a pos line then a neg line", out)
	}
}
