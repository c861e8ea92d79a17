package main

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/pipeline"
	"github.com/dlc-dev/dlc/internal/testenv"
)

// TestIMDBEvaluatePredict checks evaluate, predict and the baseline
// comparison on the real IMDB notebook: the ROC AUC, that predicting the
// 25,000 test reviews from a file gives exactly evaluate's decisions, and
// that McNemar's test tells the 4-epoch model from the 3-epoch one (the
// book's overfitting lesson: one more epoch, 0.4 points lower, p ≈ 3e-5).
func TestIMDBEvaluatePredict(t *testing.T) {
	testenv.Long(t)
	dir := t.TempDir()
	dataDir := fetchedData(t, "imdb")
	cfg := filepath.Join(testenv.Root(t), "configs", "imdb.yaml")
	four, three := filepath.Join(dir, "four.dlc"), filepath.Join(dir, "three.dlc")
	mustRun(t, "", "train", "--config", cfg, "--data-dir", dataDir, "--out", four, "--quiet")
	mustRun(t, "", "train", "--config", cfg, "--data-dir", dataDir, "--out", three, "--quiet", "--set", "training.epochs=3")

	var ev evaluation
	out := mustRun(t, "", "evaluate", "--model", four, "--data-dir", dataDir, "--baseline", three, "--format", "json")
	if err := json.Unmarshal([]byte(out), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.ROCAUC == nil || *ev.ROCAUC < 0.94 {
		t.Errorf("ROC AUC %v, want at least 0.94 (0.9501 when written)", ev.ROCAUC)
	}
	b := ev.Baseline
	if b == nil {
		t.Fatal("no baseline in the report")
	}
	t.Logf("IMDB: accuracy 4 epochs %.4f, 3 epochs %.4f; McNemar %d vs %d, %s, p = %.3g: %s",
		ev.Accuracy, b.Accuracy, b.McNemar.ModelOnlyCorrect, b.McNemar.BaselineOnlyCorrect, b.McNemar.Method, b.McNemar.PValue, b.Verdict)
	if b.McNemar.Method != "chi-square with continuity correction" || b.McNemar.ModelOnlyCorrect+b.McNemar.BaselineOnlyCorrect < 100 {
		t.Errorf("McNemar: %+v; hundreds of discordant reviews call for chi-square", b.McNemar)
	}
	if d := float64(b.McNemar.ModelOnlyCorrect-b.McNemar.BaselineOnlyCorrect) / float64(ev.N); math.Abs(d-b.AccuracyDifference) > 1e-12 {
		t.Errorf("accuracy difference %v, but the discordant split gives %v", b.AccuracyDifference, d)
	}
	want := pipeline.Same
	switch {
	case b.McNemar.PValue >= 0.05:
	case b.AccuracyDifference < 0:
		want = pipeline.Worse
	default:
		want = pipeline.Better
	}
	if b.Verdict != want {
		t.Errorf("verdict %q at p = %v, difference %v; want %q", b.Verdict, b.McNemar.PValue, b.AccuracyDifference, want)
	}

	// The block path (a file) decides as evaluate does, review for review.
	test := filepath.Join(dataDir, "imdb", "test.jsonl")
	pred := mustRun(t, "", "predict", "--model", four, "--input", test)
	f, err := os.Open(test)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	answers := strings.Split(strings.TrimSuffix(pred, "\n"), "\n")
	right, n := 0, 0
	for ; sc.Scan(); n++ {
		var ex struct{ Label string }
		if err := json.Unmarshal(sc.Bytes(), &ex); err != nil {
			t.Fatal(err)
		}
		if n < len(answers) && strings.HasPrefix(answers[n], ex.Label+"\t") {
			right++
		}
	}
	if n != len(answers) || float64(right)/float64(n) != ev.Accuracy {
		t.Errorf("predict --input: %d answers for %d reviews, accuracy %v; evaluate says %v", len(answers), n, float64(right)/float64(n), ev.Accuracy)
	}

	// --explain on a real review: the sentiment words lead.
	var p pipeline.Prediction
	out = mustRun(t, "An absolutely wonderful film, though the ending was a bit boring.\n", "predict", "--model", four, "--format", "json", "--explain=2")
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	if p.Explain == nil || len(*p.Explain) != 2 {
		t.Fatalf("explain: %s", out)
	}
	got := map[string]float64{}
	for _, e := range *p.Explain {
		got[e.Token] = e.Effect
	}
	if p.Label != "pos" || got["wonderful"] <= 0 || got["boring"] >= 0 {
		t.Errorf(`want pos, pushed up by "wonderful" and down by "boring": %s`, out)
	}
}
