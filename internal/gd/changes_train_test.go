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

// protectChecker is a gd.DeferredCopier that copies each State's weights
// and update-rule arrays as late as Train lets it: a value goes into its
// copy when a span given to Protect covers it, and the rest at the next
// Save or Settle, from the arrays as they stand then. It holds that copy
// against one made whole at the Save: a value Train wrote after the Save
// without protecting it first makes them differ.
type protectChecker struct {
	t                  *testing.T
	n, saves, deferred int
	live, want, got    [][]float64 // the State's arrays (Train's own), copied whole, copied late
	taken              []bool
}

func (c *protectChecker) Due(epochEnd bool) bool { c.n++; return epochEnd || c.n%3 == 0 }

func (c *protectChecker) Save(st *gd.State) error {
	c.Settle()
	c.saves++
	if st.Deferred {
		c.deferred++
	}
	c.live = [][]float64{st.Params}
	for _, v := range st.Optimizer.Slots {
		if len(v) == len(st.Params) {
			c.live = append(c.live, v)
		}
	}
	c.want, c.got = nil, nil
	for _, v := range c.live {
		c.want, c.got = append(c.want, slices.Clone(v)), append(c.got, make([]float64, len(v)))
	}
	c.taken = make([]bool, len(st.Params))
	return nil
}

func (c *protectChecker) Protect(spans [][2]int) {
	for _, s := range spans {
		for i := s[0]; i < s[1] && c.live != nil; i++ {
			c.take(i)
		}
	}
}

func (c *protectChecker) take(i int) {
	if !c.taken[i] {
		c.taken[i] = true
		for a, v := range c.live {
			c.got[a][i] = v[i]
		}
	}
}

func (c *protectChecker) Settle() {
	if c.live == nil {
		return
	}
	for i := range c.taken {
		c.take(i)
	}
	for a := range c.want {
		for i, x := range c.want[a] {
			if c.got[a][i] != x {
				c.t.Fatalf("save %d: array %d's value %d was written after the Save before Train protected it", c.saves, a, i)
			}
		}
	}
	c.live = nil
}

// TestTrainProtectsDeferredCopies: with SGD and Adagrad on the sparse
// path, Train tells a DeferredCopier that its States may be copied late,
// and writes nothing of the weights and the update rule's arrays after a
// Save that it did not give to Protect first, nor, restoring the best
// weights, before Settle.
func TestTrainProtectsDeferredCopies(t *testing.T) {
	x, y := sparseTexts(120, 7)
	spec := mlp.Spec{Inputs: 300, Outputs: 1, Output: mlp.Sigmoid, Loss: mlp.BinaryCrossEntropy,
		Hidden: []mlp.LayerSpec{{Units: 6, Activation: mlp.ReLU, Dropout: 0.2}}}
	for _, name := range []string{gd.NameSGD, gd.NameAdagrad} {
		net, err := mlp.New(spec, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		o, err := gd.NewOptimizer(gd.OptimizerConfig{Name: name, LearningRate: 0.05}, len(net.Params()))
		if err != nil {
			t.Fatal(err)
		}
		pc := &protectChecker{t: t}
		obj := &mlp.Objective{Net: net, X: x, Y: mlp.Targets{Class: y}, Dropout: rand.New(rand.NewPCG(2, 2))}
		cfg := gd.Config{Method: gd.MiniBatch, BatchSize: 8, Epochs: 4, Seed: 3,
			EarlyStopping: gd.EarlyStopping{Monitor: "accuracy", Patience: 1, RestoreBest: true}}
		if _, err := gd.Train(context.Background(), obj, o, cfg, gd.Callbacks{Checkpoint: pc}); err != nil {
			t.Fatal(err)
		}
		if pc.saves == 0 || pc.deferred != pc.saves {
			t.Errorf("%s: %d of %d States said they may be copied late", name, pc.deferred, pc.saves)
		}
		if pc.live != nil {
			t.Errorf("%s: Train returned without Settle", name)
		}
	}
}
