package gd_test

import (
	"context"
	"slices"
	"testing"

	"github.com/dlc-dev/dlc/internal/gd"
)

// streamed is an objective that streams its examples: it keeps the rows
// of one batch, numbered 0.., and records the batches it was asked for.
type streamed struct {
	params []float64
	n      int
	epochs []int
	sizes  []int
	next   int
	batch  []int // the examples of the current batch
}

func (s *streamed) Params() []float64 { return s.params }
func (s *streamed) Len() int          { return s.n }
func (s *streamed) StartEpoch(epoch int) error {
	s.epochs = append(s.epochs, epoch)
	s.next = 0
	return nil
}
func (s *streamed) NextBatch(n int) ([]int, error) {
	s.sizes = append(s.sizes, n)
	s.batch = s.batch[:0]
	rows := make([]int, 0, n)
	for i := range n {
		s.batch = append(s.batch, s.next)
		s.next++
		rows = append(rows, i)
	}
	return rows, nil
}

// Gradient of the mean of (θ − example)²/2 over the batch's examples.
func (s *streamed) Gradient(rows []int, grad []float64) (float64, int) {
	grad[0] = 0
	loss := 0.0
	for _, r := range rows {
		d := s.params[0] - float64(s.batch[r])
		grad[0] += d / float64(len(rows))
		loss += d * d / 2
	}
	return loss, 0
}

// TestRowSource: an objective that streams its examples is asked for each
// epoch and each batch in turn, in batches that cover the epoch, and the
// loop's own shuffle does not touch them.
func TestRowSource(t *testing.T) {
	s := &streamed{params: []float64{0}, n: 10}
	opt, err := gd.NewOptimizer(gd.OptimizerConfig{Name: gd.NameSGD, LearningRate: 0.5}, 1)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gd.Train(context.Background(), s, opt, gd.Config{Method: gd.MiniBatch, BatchSize: 4, Epochs: 3, Patience: 1}, gd.Callbacks{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.epochs, []int{1, 2, 3}) || !slices.Equal(s.sizes, []int{4, 4, 2, 4, 4, 2, 4, 4, 2}) || res.Steps != 9 {
		t.Fatalf("epochs %v, batch sizes %v, %d steps", s.epochs, s.sizes, res.Steps)
	}
	if m := s.params[0]; m < 4 || m > 7 { // near the mean of 0..9
		t.Fatalf("θ = %v after streaming 0..9 three times", m)
	}
}
