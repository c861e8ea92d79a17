package gd

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Objective is anything gradient descent can minimise: a flat parameter
// vector and, for a batch of example indices, the summed loss and the
// gradient of the mean loss.
type Objective interface {
	// Params returns the parameters, which the optimiser updates in place.
	Params() []float64
	// Len is the number of training examples.
	Len() int
	// Gradient writes the gradient of the mean loss over the examples rows
	// into grad and returns their summed loss and how many of them were
	// predicted correctly (0 when that means nothing, as in regression).
	Gradient(rows []int, grad []float64) (lossSum float64, correct int)
}

// Method is how many examples one update looks at.
type Method string

// The three gradient descents of the lecture.
const (
	Batch     Method = "batch"     // every example, one update per epoch
	MiniBatch Method = "minibatch" // BatchSize examples per update
	SGD1      Method = "sgd"       // one example per update
)

// Methods lists the methods, for error messages.
var Methods = []Method{Batch, MiniBatch, SGD1}

// Config drives the training loop. Its zero value is not useful: Epochs
// must be at least 1.
type Config struct {
	Method    Method
	BatchSize int // examples per mini-batch; ignored by batch and sgd
	Epochs    int
	// NoShuffle keeps the examples in order; by default they are reshuffled
	// before every epoch, as Keras does, from a source seeded with Seed.
	NoShuffle bool
	Seed      uint64
}

// BatchRows returns the examples per update c uses for n examples.
func (c Config) BatchRows(n int) int {
	switch c.Method {
	case Batch:
		return n
	case SGD1:
		return 1
	}
	return min(c.BatchSize, n)
}

// Validate reports a config the loop cannot run.
func (c Config) Validate() error {
	switch c.Method {
	case Batch, SGD1:
	case MiniBatch:
		if c.BatchSize < 1 {
			return fmt.Errorf("training batch_size must be at least 1, not %d", c.BatchSize)
		}
	default:
		return fmt.Errorf("training method %q is not one of %v", c.Method, Methods)
	}
	if c.Epochs < 1 {
		return fmt.Errorf("training epochs must be at least 1, not %d", c.Epochs)
	}
	return nil
}

// EpochStats is what one epoch did. Callbacks may fill the validation fields.
type EpochStats struct {
	Epoch    int     // 1-based
	Steps    int     // updates made in this epoch
	Loss     float64 // mean training loss over the epoch's examples (as Keras reports it)
	Accuracy float64 // training accuracy over the epoch (0 for regression)
	Seconds  float64
	// Validation metrics, NaN unless a callback measured them.
	ValLoss, ValAccuracy float64
}

// Callbacks observe (and may stop) training. Nil fields are skipped.
type Callbacks struct {
	// OnStep is called after every update with the number of examples done
	// in the epoch so far; for progress bars.
	OnStep func(done, total int)
	// OnEpoch is called after every epoch; returning ErrStop ends training
	// without an error, any other error aborts it.
	OnEpoch func(*EpochStats) error
}

// ErrStop, returned by a callback, ends training early (early stopping).
var ErrStop = errors.New("gd: stop training")

// DivergedError reports a loss that became NaN or infinite.
type DivergedError struct {
	Epoch, Step int
	Loss        float64
}

func (e *DivergedError) Error() string {
	return fmt.Sprintf("training diverged: the loss became %v at epoch %d, update %d; lower the learning rate", e.Loss, e.Epoch, e.Step)
}

// Train runs gradient descent on obj and returns the stats of every epoch
// completed. When ctx is cancelled it stops after the current update and
// returns the history so far with ctx's error.
func Train(ctx context.Context, obj Objective, opt Optimizer, c Config, cb Callbacks) ([]EpochStats, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	n := obj.Len()
	if n == 0 {
		return nil, errors.New("no training examples")
	}
	rng := rand.New(rand.NewPCG(c.Seed, 0x9e3779b97f4a7c15))
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	params := obj.Params()
	grad := make([]float64, len(params))
	bs := c.BatchRows(n)
	var history []EpochStats
	for epoch := 1; epoch <= c.Epochs; epoch++ {
		start := time.Now()
		if !c.NoShuffle {
			rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		st := EpochStats{Epoch: epoch, ValLoss: math.NaN(), ValAccuracy: math.NaN()}
		var lossSum float64
		var correct int
		for lo := 0; lo < n; lo += bs {
			if err := ctx.Err(); err != nil {
				return history, err
			}
			rows := order[lo:min(n, lo+bs)]
			l, k := obj.Gradient(rows, grad)
			st.Steps++
			if math.IsNaN(l) || math.IsInf(l, 0) {
				return history, &DivergedError{Epoch: epoch, Step: st.Steps, Loss: l}
			}
			opt.Update(params, grad)
			lossSum += l
			correct += k
			if cb.OnStep != nil {
				cb.OnStep(min(n, lo+bs), n)
			}
		}
		st.Loss = lossSum / float64(n)
		st.Accuracy = float64(correct) / float64(n)
		st.Seconds = time.Since(start).Seconds()
		if cb.OnEpoch != nil {
			err := cb.OnEpoch(&st)
			history = append(history, st)
			if errors.Is(err, ErrStop) {
				return history, nil
			}
			if err != nil {
				return history, err
			}
			continue
		}
		history = append(history, st)
	}
	return history, nil
}
