package tune

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/config"
)

// writeTexts writes n labelled texts as JSONL: three topics, each with
// words of its own, words they share, and noise.
func writeTexts(t *testing.T, path string, n int, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 3))
	topics := [][]string{
		{"goal", "match", "team", "score", "league", "coach"},
		{"market", "shares", "profit", "bank", "trade", "price"},
		{"vote", "party", "minister", "election", "law", "court"},
	}
	var b strings.Builder
	for range n {
		c := rng.IntN(3)
		var words []string
		for range 6 + rng.IntN(8) {
			switch r := rng.Float64(); {
			case r < 0.45:
				words = append(words, topics[c][rng.IntN(6)])
			case r < 0.6:
				words = append(words, topics[rng.IntN(3)][rng.IntN(6)])
			default:
				words = append(words, fmt.Sprintf("w%d", rng.IntN(60)))
			}
		}
		line, _ := json.Marshal(map[string]string{"text": strings.Join(words, " "), "label": []string{"sport", "money", "politics"}[c]})
		b.Write(line)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// setup writes a training split, a test split that no reader could read
// (it is not JSON), and a base config naming both and nothing else.
func setup(t *testing.T) (cfgPath string) {
	t.Helper()
	dir := t.TempDir()
	writeTexts(t, filepath.Join(dir, "train.jsonl"), 240, 1)
	if err := os.WriteFile(filepath.Join(dir, "test.jsonl"), []byte("this is not JSON, and reading it fails\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgPath = filepath.Join(dir, "base.yaml")
	body := fmt.Sprintf("data:\n  train: %s\n  test: %s\n", filepath.Join(dir, "train.jsonl"), filepath.Join(dir, "test.jsonl"))
	if err := os.WriteFile(cfgPath, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfgPath
}

// fingerprint is what a search found, to compare searches by.
func fingerprint(r *Result) string {
	var b strings.Builder
	for _, t := range r.Trials {
		fmt.Fprintf(&b, "%d %s %s pruned %d:", t.ID, t.Origin, t.Params, t.Pruned)
		for _, e := range t.Evaluations {
			fmt.Fprintf(&b, " [r%d %v %d %.6f %.6f %v]", e.Rung, e.Curve, e.BestEpoch, e.Mean, e.Std, e.Err)
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "best trial %d epoch %d", r.Best.Trial.ID, r.Best.BestEpoch)
	return b.String()
}

// TestSearchIsReproducible: a search of 9 trials (the design's bracket:
// its points for 3 epochs, the best promoted to 9 and to 27; then
// Hyperband's first bracket with the rest: 3 epochs, a third promoted to
// 9, 1 to 27) reads the training split only (the test split is not JSON:
// reading it would fail), prunes by successive halving, scores each trial
// on every fold, and finds the same trials, scores and winner with one
// worker as with two, and again.
func TestSearchIsReproducible(t *testing.T) {
	cfgPath := setup(t)
	var rungsSeen []*Rung
	o := Options{Config: cfgPath, Trials: 9, Workers: 2, OnRung: func(r *Rung) { rungsSeen = append(rungsSeen, r) }}
	a, err := Search(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if a.Stopped != StopTrials || len(a.Trials) != 9 || a.Best == nil {
		t.Fatalf("stopped %q after %d trials, best %v", a.Stopped, len(a.Trials), a.Best)
	}
	if len(rungsSeen) != 6 || rungsSeen[2].Bracket != 1 || rungsSeen[3].Bracket != 2 {
		t.Fatalf("rungs: %d; want the design's bracket, then one of Hyperband's, 3 rungs each", len(rungsSeen))
	}
	d := len(rungsSeen[0].Evaluations)
	for _, e := range rungsSeen[0].Evaluations {
		if e.Trial.Origin == "random" {
			t.Errorf("trial %d, drawn at random, is in the design's bracket", e.Trial.ID)
		}
	}
	if d < 2 || len(rungsSeen[0].Promoted) != 1 || len(rungsSeen[1].Promoted) != 1 || len(rungsSeen[2].Evaluations) != 1 {
		t.Fatalf("the design's bracket: %d trials, %d promoted; want at least 2 scored, 1 promoted up to the top", d, len(rungsSeen[0].Promoted))
	}
	if n := len(rungsSeen[3].Evaluations); n != 9-d || len(rungsSeen[3].Promoted) != n/Eta ||
		len(rungsSeen[4].Promoted) != 1 || len(rungsSeen[5].Evaluations) != 1 {
		t.Fatalf("Hyperband's bracket: %d trials, %d promoted; want %d scored, a third promoted, then 1", n, len(rungsSeen[3].Promoted), 9-d)
	}
	// The promoted are the best of each bracket's first rung.
	for _, first := range []*Rung{rungsSeen[0], rungsSeen[3]} {
		for _, e := range first.Evaluations {
			promoted := false
			for _, p := range first.Promoted {
				promoted = promoted || p == e.Trial
			}
			for _, p := range first.Promoted {
				if !promoted && e.Err == nil && e.Mean > p.Evaluations[0].Mean {
					t.Errorf("trial %d (%.4f) was pruned, trial %d (%.4f) promoted", e.Trial.ID, e.Mean, p.ID, p.Evaluations[0].Mean)
				}
			}
			if e.Err == nil && (len(e.Folds) != DefaultFolds || len(e.Curve) == 0 || len(e.Curve) > FirstEpochs) {
				t.Errorf("trial %d: %d folds, a curve of %d epochs", e.Trial.ID, len(e.Folds), len(e.Curve))
			}
		}
	}
	if a.Trials[0].Origin != "base" || len(a.Trials[0].Params) != 0 {
		t.Errorf("the first trial is %s %v, want the base config as it is", a.Trials[0].Origin, a.Trials[0].Params)
	}
	if a.Best.Mean < 0.7 {
		t.Errorf("the best trial scores %.4f on three easy topics", a.Best.Mean)
	}
	if a.CacheHits == 0 {
		t.Error("no trial reused a vectorized fold")
	}
	o.Workers, rungsSeen = 1, nil
	b, err := Search(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if fa, fb := fingerprint(a), fingerprint(b); fa != fb {
		t.Errorf("two workers found\n%s\none found\n%s", fa, fb)
	}
}

// TestWinnerTrainsAsScored: the winner's YAML loads back to the winner's
// config, with training.epochs at its best epoch, and says how it scored.
func TestWinnerTrainsAsScored(t *testing.T) {
	cfgPath := setup(t)
	r, err := Search(context.Background(), Options{Config: cfgPath, Trials: 3, Sets: []string{"training.seed=7"}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	text, err := r.WinnerYAML(dir)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "best.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	back, err := config.Load(p, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	want, _ := r.Winner()
	if a, b := jsonOf(back), jsonOf(want); a != b {
		t.Errorf("the YAML loads to\n%s\nthe winner is\n%s", a, b)
	}
	if back.Training.Epochs != r.Best.BestEpoch || back.Training.Seed != 7 {
		t.Errorf("epochs %d seed %d, want %d and 7", back.Training.Epochs, back.Training.Seed, r.Best.BestEpoch)
	}
	if !strings.Contains(text, fmt.Sprintf("%.4f ± %.4f", r.Best.Mean, r.Best.Std)) {
		t.Errorf("the YAML does not give the score:\n%s", text)
	}
}

// TestWinnerSpellsOutTheGeneralRecipe: when the base config names only
// its data and wins, its YAML spells out the general recipe it trained
// (not left to the defaults of whichever dlc reads it) and loads back to
// the same config.
func TestWinnerSpellsOutTheGeneralRecipe(t *testing.T) {
	cfgPath := setup(t)
	r, err := Search(context.Background(), Options{Config: cfgPath, Trials: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.Best.Trial.Origin != "base" {
		t.Fatalf("the only trial is %s, not the base", r.Best.Trial.Origin)
	}
	dir := t.TempDir()
	text, err := r.WinnerYAML(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"  mode: tf_idf\n", "  max_tokens: 10000\n", "  output: linear\n", "loss: hinge\n", "  name: adagrad\n", "  learning_rate: 0.03\n", "  batch_size: 32\n", "units: 256"} {
		if !strings.Contains(text, want) {
			t.Errorf("the winner's YAML lacks %q:\n%s", want, text)
		}
	}
	p := filepath.Join(dir, "best.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	back, err := config.Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := r.Winner()
	if a, b := jsonOf(back), jsonOf(want); a != b {
		t.Errorf("the YAML loads to\n%s\nthe winner is\n%s", a, b)
	}
}

func jsonOf(c *config.Config) string {
	b, _ := json.Marshal(c)
	return string(b)
}

// TestInterruptedSearchKeepsTheBest: a search whose context is cancelled
// as its first trials are scored stops, and returns them.
func TestInterruptedSearchKeepsTheBest(t *testing.T) {
	cfgPath := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	scored := 0
	r, err := Search(ctx, Options{Config: cfgPath, Trials: 30, Workers: 1, OnEvaluation: func(*Evaluation) {
		if scored++; scored == 2 {
			cancel()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Stopped != StopInterrupted || r.Best == nil || scored != 2 {
		t.Fatalf("stopped %q, best %v, %d scored", r.Stopped, r.Best, scored)
	}
}

// TestSpaceKeepsWhatTheBaseSets: a key the base config sets is never
// searched, and the loss and output stay a pair that fits.
func TestSpaceKeepsWhatTheBaseSets(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "b.yaml")
	os.WriteFile(p, []byte("vectorizer:\n  ngrams: 3\nloss: binary_crossentropy\noptimizer:\n  name: adam\n"), 0o644)
	base, err := config.Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := NewSpace(base, 2)
	rng := rand.New(rand.NewPCG(1, 1))
	for range 200 {
		params := s.sample(rng)
		for _, kv := range params {
			if kv.Key == "vectorizer.ngrams" || kv.Key == "loss" || kv.Key == "optimizer.name" {
				t.Fatalf("the space chose %s, which the base sets", kv.Key)
			}
		}
		cfg, err := config.Load(p, params.Sets())
		if err != nil {
			t.Fatalf("%v: %v", params, err)
		}
		if cfg.Model.Output != "sigmoid" {
			t.Fatalf("output %s with binary_crossentropy", cfg.Model.Output)
		}
		if len(cfg.Model.Layers) > 0 && cfg.Model.Layers[0].Units*cfg.Vectorizer.MaxTokens > MaxWeights {
			t.Fatalf("a first layer of %d × %d weights", cfg.Vectorizer.MaxTokens, cfg.Model.Layers[0].Units)
		}
		r := Rates["adam"]
		if lr := cfg.Optimizer.LearningRate; lr < r[0]*0.95 || lr > r[1]*1.05 {
			t.Fatalf("adam's rate %v is outside %v", lr, r)
		}
	}
}
