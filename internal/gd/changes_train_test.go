package gd_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/mlp"
)

// changeChecker is a Checkpointer (due every few updates and after every
// epoch) that holds every State's weights and update-rule arrays against
// the last one's: whatever differs must be in a range the State's Changed
// names.
type changeChecker struct {
	t      *testing.T
	n      int
	last   [][]float64 // the weights, then the slots by name
	saves  int
	sparse int // saves with a tracker that was not All
	nilOK  bool
}

func (c *changeChecker) Due(epochEnd bool) bool { c.n++; return epochEnd || c.n%3 == 0 }

func (c *changeChecker) Save(st *gd.State) error {
	c.t.Helper()
	arrays := [][]float64{st.Params}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range st.Optimizer.Slots {
			if !yield(k) {
				return
			}
		}
	}) {
		arrays = append(arrays, st.Optimizer.Slots[k])
	}
	c.saves++
	switch ch := st.Changed; {
	case ch == nil:
		if !c.nilOK {
			c.t.Fatalf("save %d: no tracker", c.saves)
		}
	case c.last == nil && !ch.All():
		c.t.Fatalf("the first save's tracker does not say everything changed")
	case c.last != nil && !ch.All():
		c.sparse++
		in := make([]bool, len(st.Params))
		ch.Ranges(func(lo, hi int) {
			for i := lo; i < hi; i++ {
				in[i] = true
			}
		})
		for a, v := range arrays {
			if len(v) != len(st.Params) {
				c.t.Fatalf("array %d of %d values tracked with %d weights", a, len(v), len(st.Params))
			}
			for i, x := range v {
				if x != c.last[a][i] && !in[i] {
					c.t.Fatalf("save %d: array %d changed at %d, outside the tracker's ranges", c.saves, a, i)
				}
			}
		}
	}
	c.last = c.last[:0]
	for _, v := range arrays {
		c.last = append(c.last, slices.Clone(v))
	}
	return nil
}

// TestChangeTrackerSeesEveryChange: training a sparse-text MLP with SGD
// and Adagrad on the sparse path, every weight and accumulator that
// changed between two saved States lies in a range the later State's
// Changed names; the tracker does not say everything changed after the
// first save; the other rules, and the dense path, come without one.
func TestChangeTrackerSeesEveryChange(t *testing.T) {
	x, y := sparseTexts(120, 7)
	spec := mlp.Spec{Inputs: 300, Outputs: 1, Output: mlp.Sigmoid, Loss: mlp.BinaryCrossEntropy,
		Hidden: []mlp.LayerSpec{{Units: 6, Activation: mlp.ReLU, Dropout: 0.2}}}
	for _, name := range gd.OptimizerNames {
		for _, dense := range []bool{false, true} {
			if dense && name == gd.NameLazyAdam {
				continue
			}
			net, err := mlp.New(spec, rand.New(rand.NewPCG(1, 1)))
			if err != nil {
				t.Fatal(err)
			}
			o, err := gd.NewOptimizer(gd.OptimizerConfig{Name: name, LearningRate: 0.05, Dense: dense}, len(net.Params()))
			if err != nil {
				t.Fatal(err)
			}
			tracked := !dense && (name == gd.NameSGD || name == gd.NameAdagrad)
			cc := &changeChecker{t: t, nilOK: !tracked}
			obj := &mlp.Objective{Net: net, X: x, Y: mlp.Targets{Class: y}, Dropout: rand.New(rand.NewPCG(2, 2))}
			cfg := gd.Config{Method: gd.MiniBatch, BatchSize: 8, Epochs: 3, Seed: 3}
			if _, err := gd.Train(context.Background(), obj, o, cfg, gd.Callbacks{Checkpoint: cc}); err != nil {
				t.Fatal(err)
			}
			if tracked && cc.sparse != cc.saves-1 {
				t.Errorf("%s: %d of %d saves after the first had a tracker that was not All", name, cc.sparse, cc.saves)
			}
			if !tracked && cc.sparse > 0 {
				t.Errorf("%s dense=%v: saves came with a tracker", name, dense)
			}
		}
	}
}
