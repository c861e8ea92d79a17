package pipeline

import (
	"context"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/config"
)

// TestAutoStream: training data that would take more than half of the
// memory streams, and the log says why; a config that says
// training.streaming: false is obeyed.
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
}
