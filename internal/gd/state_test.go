package gd_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/mlp"
)

// saved is a State copied out of Train, with the dropout source's state
// beside it (what a caller keeps with it).
type saved struct {
	st      gd.State
	dropout []byte
}

// recorder saves a copy of every State Train offers (Due always true),
// as a checkpoint file would hold it.
type recorder struct {
	dropout *rand.PCG
	states  []saved
	due     func(epochEnd bool) bool
}

func (r *recorder) Due(epochEnd bool) bool { return r.due == nil || r.due(epochEnd) }

func (r *recorder) Save(st *gd.State) error {
	c := *st
	c.Order = slices.Clone(st.Order)
	c.Shuffle = slices.Clone(st.Shuffle)
	c.History = slices.Clone(st.History)
	c.Params = slices.Clone(st.Params)
	c.BestParams = slices.Clone(st.BestParams)
	c.Optimizer.Slots = maps.Clone(st.Optimizer.Slots)
	for k, v := range c.Optimizer.Slots {
		c.Optimizer.Slots[k] = slices.Clone(v)
	}
	c.Optimizer.Done = slices.Clone(st.Optimizer.Done)
	d, _ := r.dropout.MarshalBinary()
	r.states = append(r.states, saved{c, d})
	return nil
}

type resumeCase struct {
	name  string
	opt   gd.OptimizerConfig
	cfg   gd.Config
	spec  mlp.Spec
	valid bool // score a validation loss after each epoch (early stopping)
}

func resumeCases() []resumeCase {
	spec := mlp.Spec{Inputs: 300, Outputs: 1, Output: mlp.Sigmoid, Loss: mlp.BinaryCrossEntropy,
		Hidden: []mlp.LayerSpec{{Units: 6, Activation: mlp.ReLU, Dropout: 0.2}}}
	f32 := spec
	f32.Precision = mlp.Float32
	mb := gd.Config{Method: gd.MiniBatch, BatchSize: 16, Epochs: 3, Seed: 3}
	var cases []resumeCase
	for _, name := range gd.OptimizerNames {
		for _, dense := range []bool{false, true} {
			if dense && name == gd.NameLazyAdam {
				continue // it has no dense form
			}
			cases = append(cases, resumeCase{name: fmt.Sprintf("%s dense=%v", name, dense),
				opt: gd.OptimizerConfig{Name: name, LearningRate: 0.01, Dense: dense}, cfg: mb, spec: spec})
		}
	}
	es := mb
	es.Epochs = 8
	es.EarlyStopping = gd.EarlyStopping{Monitor: "val_loss", Patience: 2, Stop: true, RestoreBest: true}
	cases = append(cases,
		resumeCase{name: "nesterov float32", opt: gd.OptimizerConfig{Name: gd.NameNesterov, LearningRate: 0.05}, cfg: mb, spec: f32},
		resumeCase{name: "adam float32, exponential schedule", opt: gd.OptimizerConfig{Name: gd.NameAdam, LearningRate: 0.05,
			Schedule: gd.Schedule{Name: gd.Exponential, DecayRate: 0.5, DecaySteps: 7}}, cfg: mb, spec: f32},
		resumeCase{name: "rmsprop early stopping", opt: gd.OptimizerConfig{Name: gd.NameRMSprop, LearningRate: 0.05}, cfg: es, spec: spec, valid: true},
		resumeCase{name: "sgd method, step schedule", opt: gd.OptimizerConfig{Name: gd.NameSGD, LearningRate: 0.1, Schedule: gd.Schedule{Name: gd.Step, DecayRate: 0.5, DecaySteps: 50}},
			cfg: gd.Config{Method: gd.Stochastic, Epochs: 2, Seed: 4, Tolerance: 1e-9, Patience: 1}, spec: spec},
	)
	return cases
}

// run trains the case, from resume when it is not nil, offering states to
// cp; it returns the final weights and result.
func (c resumeCase) run(t *testing.T, resume *saved, cp *recorder, ctx context.Context) ([]float64, *gd.Result, error) {
	t.Helper()
	x, y := sparseTexts(120, 7)
	xv, yv := sparseTexts(40, 8)
	net, err := mlp.New(c.spec, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	o, err := gd.NewOptimizer(c.opt, len(net.Params()))
	if err != nil {
		t.Fatal(err)
	}
	src := rand.NewPCG(2, 2)
	cb := gd.Callbacks{}
	if resume != nil {
		if err := src.UnmarshalBinary(resume.dropout); err != nil {
			t.Fatal(err)
		}
		cb.Resume = &resume.st
	}
	if cp != nil {
		cp.dropout = src
		cb.Checkpoint = cp
	}
	if c.valid {
		vrows := make([]int, xv.Rows)
		for i := range vrows {
			vrows[i] = i
		}
		cb.OnEpoch = func(st *gd.EpochStats) error {
			var ws mlp.Workspace
			out := net.Predict(xv, vrows, nil, &ws)
			loss := 0.0
			for i, p := range out {
				if yv[i] == 1 {
					loss -= math.Log(p)
				} else {
					loss -= math.Log(1 - p)
				}
			}
			st.ValLoss = loss / float64(len(out))
			return nil
		}
	}
	obj := &mlp.Objective{Net: net, X: x, Y: mlp.Targets{Class: y}, Dropout: rand.New(src)}
	res, err := gd.Train(ctx, obj, o, c.cfg, cb)
	return net.Params(), res, err
}

func sameRun(t *testing.T, what string, wantP, gotP []float64, want, got *gd.Result) {
	t.Helper()
	for i := range wantP {
		if math.Float64bits(wantP[i]) != math.Float64bits(gotP[i]) {
			t.Fatalf("%s: weight %d is %v, the run that was not stopped has %v", what, i, gotP[i], wantP[i])
		}
	}
	if want.Steps != got.Steps || want.Stopped != got.Stopped || want.BestEpoch != got.BestEpoch || want.Restored != got.Restored || len(want.History) != len(got.History) {
		t.Fatalf("%s: result %d steps, %s, best %d, restored %v, %d epochs; want %d, %s, %d, %v, %d", what,
			got.Steps, got.Stopped, got.BestEpoch, got.Restored, len(got.History), want.Steps, want.Stopped, want.BestEpoch, want.Restored, len(want.History))
	}
	for e := range want.History {
		a, b := want.History[e], got.History[e]
		a.Seconds, b.Seconds = 0, 0
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("%s: epoch %d is %+v, want %+v", what, e+1, b, a)
		}
	}
}

// TestResumeIsExact: for every update rule (lazy and dense), a float32
// first layer, early stopping with a validation loss, the sgd method with
// a schedule and convergence, a run resumed from any state Train saved —
// mid-epoch or between epochs — ends with the same weights, bit for bit,
// and the same history as the run that was never stopped.
func TestResumeIsExact(t *testing.T) {
	for _, c := range resumeCases() {
		t.Run(c.name, func(t *testing.T) {
			rec := &recorder{}
			wantP, want, err := c.run(t, nil, rec, context.Background())
			if err != nil {
				t.Fatal(err)
			}
			plainP, _, _ := c.run(t, nil, nil, context.Background())
			if !slices.Equal(plainP, wantP) {
				t.Fatal("saving checkpoints changed the training")
			}
			if len(rec.states) < 3 {
				t.Fatalf("only %d states saved", len(rec.states))
			}
			epochEnds := 0
			for i, s := range rec.states {
				if s.st.Pos == 0 {
					epochEnds++
				}
				if i%5 != 0 && i != len(rec.states)-1 && s.st.Pos != 0 {
					continue
				}
				gotP, got, err := c.run(t, &s, nil, context.Background())
				if err != nil {
					t.Fatal(err)
				}
				sameRun(t, fmt.Sprintf("resumed at epoch %d, example %d", s.st.Epoch, s.st.Pos), wantP, gotP, want, got)
			}
			if epochEnds == 0 {
				t.Error("no state saved between epochs")
			}
		})
	}
}

// TestInterruptSavesAndResumes: a run cancelled in the middle saves its
// state without being asked (Due false), and resuming from it ends where
// the run that was not stopped ends.
func TestInterruptSavesAndResumes(t *testing.T) {
	c := caseNamed("momentum dense=false")
	for _, stopAt := range []int{1, 7, 8, 19} {
		wantP, want, _ := c.run(t, nil, nil, context.Background())
		ctx, cancel := context.WithCancel(context.Background())
		rec := &recorder{due: func(bool) bool { return false }}
		n := 0
		rec.due = func(epochEnd bool) bool {
			if !epochEnd {
				if n++; n == stopAt {
					cancel()
				}
			}
			return false
		}
		_, _, err := c.run(t, nil, rec, ctx)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("stopped at %d: err %v", stopAt, err)
		}
		if len(rec.states) != 1 {
			t.Fatalf("stopped at %d: %d states saved, want 1", stopAt, len(rec.states))
		}
		if s := rec.states[0].st; s.Steps != stopAt {
			t.Fatalf("stopped at %d: the state is at update %d", stopAt, s.Steps)
		}
		gotP, got, err := c.run(t, &rec.states[0], nil, context.Background())
		if err != nil {
			t.Fatal(err)
		}
		sameRun(t, fmt.Sprintf("stopped at %d", stopAt), wantP, gotP, want, got)
	}
}

// TestResumeRefusesAForeignState: a state of another rule or shape is an
// error naming what does not fit, never a panic.
func TestResumeRefusesAForeignState(t *testing.T) {
	c := caseNamed("rmsprop dense=false")
	rec := &recorder{}
	c.run(t, nil, rec, context.Background())
	s := rec.states[len(rec.states)-3] // in the last epoch
	for _, tc := range []struct {
		name   string
		break_ func(*gd.State)
		want   string
	}{
		{"params", func(s *gd.State) { s.Params = s.Params[1:] }, "parameters"},
		{"order", func(s *gd.State) { s.Order[0] = s.Order[1] }, "not a permutation"},
		{"rule", func(s *gd.State) { s.Optimizer.Name = "adam" }, "update rule adam"},
		{"slot", func(s *gd.State) { delete(s.Optimizer.Slots, "avg") }, `"avg"`},
		{"history", func(s *gd.State) { s.History = nil }, "epochs of history"},
		{"shuffle", func(s *gd.State) { s.Shuffle = []byte("x") }, "shuffling source"},
	} {
		b := s
		b.st.Order = slices.Clone(s.st.Order)
		b.st.Optimizer.Slots = maps.Clone(s.st.Optimizer.Slots)
		tc.break_(&b.st)
		_, _, err := c.run(t, &b, nil, context.Background())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want one saying %q", tc.name, err, tc.want)
		}
	}
}

// TestResumeRefusesOldLazyAdam: a lazy adam state without row counters was
// written before adam's lazy path followed the dense rule (its m and v
// are lazyadam's): resuming it is refused, saying what to do; a dense
// adam state never had counters and resumes.
func TestResumeRefusesOldLazyAdam(t *testing.T) {
	c := caseNamed("adam dense=false")
	rec := &recorder{}
	c.run(t, nil, rec, context.Background())
	b := rec.states[len(rec.states)-3]
	b.st.Optimizer.Now, b.st.Optimizer.Done, b.st.Optimizer.Behind = 0, nil, nil
	_, _, err := c.run(t, &b, nil, context.Background())
	want := "cannot resume: the saved adam state was written by a dlc whose lazy adam did not follow the dense rule (that rule is now optimizer.name lazyadam); start afresh without --resume"
	if err == nil || err.Error() != want {
		t.Errorf("err %v, want %q", err, want)
	}
	d := caseNamed("adam dense=true")
	rec = &recorder{}
	wantP, wantRes, _ := d.run(t, nil, rec, context.Background())
	if rec.states[3].st.Optimizer.Done != nil {
		t.Fatal("dense adam saved row counters")
	}
	gotP, gotRes, err := d.run(t, &rec.states[3], nil, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sameRun(t, "dense adam resumed", wantP, gotP, wantRes, gotRes)
}

func caseNamed(name string) resumeCase {
	for _, c := range resumeCases() {
		if c.name == name {
			return c
		}
	}
	panic("no case " + name)
}
