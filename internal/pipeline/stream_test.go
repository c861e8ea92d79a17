package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/testenv"
)

// TestAutoStream: training data that would take more than half of the
// memory streams, and the log says why; a config that says
// training.streaming: false is obeyed; n-grams count for more memory per
// byte than words.
func TestAutoStream(t *testing.T) {
	defer func(f func() uint64) { totalMemory = f }(totalMemory)
	totalMemory = func() uint64 { return 100 << 10 } // 100 KiB: the tiny data is too much
	sets := []string{"data.train=../../testdata/tiny/train.jsonl", "data.test="}
	cfg, err := config.Load("../../testdata/tiny/tiny.yaml", sets)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Read(context.Background(), cfg, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Training.Streaming || d.Train != nil || !strings.HasPrefix(d.Streamed, "chosen: the training data (") {
		t.Fatalf("streaming %v, training examples in memory %v, why %q", cfg.Training.Streaming, d.Train != nil, d.Streamed)
	}
	cfg, err = config.Load("../../testdata/tiny/tiny.yaml", append(sets, "training.streaming=false"))
	if err != nil {
		t.Fatal(err)
	}
	if d, err = Read(context.Background(), cfg, t.TempDir()); err != nil || d.Train == nil || cfg.Training.Streaming {
		t.Fatalf("training.streaming=false: streamed anyway (%v)", err)
	}
	totalMemory = func() uint64 { return 1 << 40 }
	cfg, _ = config.Load("../../testdata/tiny/tiny.yaml", sets)
	if d, err = Read(context.Background(), cfg, t.TempDir()); err != nil || d.Train == nil {
		t.Fatalf("1 TiB of memory: streamed anyway (%v)", err)
	}
	// Word pairs take four times the memory per byte of words alone: with
	// half the memory eight times the file, words train in memory and
	// pairs stream.
	st, err := os.Stat("../../testdata/tiny/train.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	totalMemory = func() uint64 { return uint64(16 * st.Size()) }
	for _, c := range []struct {
		ngrams string
		stream bool
	}{{"1", false}, {"2", true}} {
		cfg, _ = config.Load("../../testdata/tiny/tiny.yaml", append(sets, "vectorizer.ngrams="+c.ngrams))
		if d, err = Read(context.Background(), cfg, t.TempDir()); err != nil || cfg.Training.Streaming != c.stream || (d.Train == nil) != c.stream {
			t.Fatalf("vectorizer.ngrams %s, memory 16 times the data: streaming %v, want %v (%v)", c.ngrams, cfg.Training.Streaming, c.stream, err)
		}
	}
}

// TestStreamHeldOutBounded: streamed calibration holds out
// calibration.holdout's share of the examples, but no more than about
// maxStreamHeldOut of them (their scores stay in memory), and fits on
// what it held out.
func TestStreamHeldOutBounded(t *testing.T) {
	defer func(n int) { maxStreamHeldOut = n }(maxStreamHeldOut)
	dir := t.TempDir()
	raw, err := os.ReadFile(filepath.Join(testenv.Root(t), "testdata", "topics", "train.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	train := filepath.Join(dir, "train.jsonl") // the cache goes beside it
	os.WriteFile(train, raw, 0o644)
	for _, c := range []struct {
		max, lo, hi int
	}{{1 << 16, 50, 76}, {20, 10, 30}} { // 210 examples, holdout 0.3: 63 expected
		maxStreamHeldOut = c.max
		var part CalibrationPart
		h := Hooks{Calibrating: func(p *CalibrationPart) { part = *p }}
		cfg, err := config.Load(filepath.Join(testenv.Root(t), "testdata", "topics", "topics.yaml"),
			[]string{"data.train=" + train, "data.test=", "training.streaming=true", "calibration.holdout=0.3"})
		if err != nil {
			t.Fatal(err)
		}
		d, err := Read(context.Background(), cfg, "")
		if err != nil {
			t.Fatal(err)
		}
		m, _, err := Train(context.Background(), cfg, d, h)
		if err != nil {
			t.Fatal(err)
		}
		if part.NHeld < c.lo || part.NHeld > c.hi || part.NTrained+part.NHeld != 210 {
			t.Fatalf("at most %d held out: %d held, %d trained; want %d to %d held of 210", c.max, part.NHeld, part.NTrained, c.lo, c.hi)
		}
		if want := fmt.Sprintf("%d training examples held out of a network trained on the other %d", part.NHeld, part.NTrained); m.Calibration == nil || !strings.HasPrefix(m.Calibration.Fitted, want) {
			t.Fatalf("at most %d held out: the calibration was fitted on %q, want %q", c.max, m.Calibration.Fitted, want)
		}
	}
}
