package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/dist"
	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/testenv"
)

// recipeSets make the tiny task a recipe of the kind the README's are:
// tf-idf, dropout, hinge, Adagrad on its lazy path.
var recipeSets = []string{"vectorizer.mode=tf_idf", "model.layers=[{units: 8, activation: relu, dropout: 0.5}]",
	"model.output=linear", "loss=hinge", "optimizer.name=adagrad", "optimizer.learning_rate=0.03"}

// tinyTrain trains the tiny task with sets over its config, as the
// process of comm (nil: alone).
func tinyTrain(t *testing.T, sets []string, comm dist.Comm) (*model.Model, *Result, error) {
	t.Helper()
	dir := filepath.Join(testenv.Root(t), "testdata", "tiny")
	cfg, err := config.Load(filepath.Join(dir, "tiny.yaml"), append([]string{
		"data.train=" + filepath.Join(dir, "train.jsonl"), "data.test=" + filepath.Join(dir, "test.jsonl")}, sets...))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Read(context.Background(), cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	return Train(context.Background(), cfg, d, Hooks{Comm: comm})
}

// weightsHash is the sha256 of a model's weights and temperature.
func weightsHash(m *model.Model) string {
	s := sha256.New()
	for _, p := range m.Net.Params() {
		binary.Write(s, binary.LittleEndian, p)
	}
	binary.Write(s, binary.LittleEndian, m.Calibration.Temperature)
	return hex.EncodeToString(s.Sum(nil))
}

// One process trains exactly what dlc trained before runs of several
// processes existed (the hashes were taken from the commit before them),
// with training.distributed set or not, alone or in a world of one.
func TestOneProcessTrainsAsBefore(t *testing.T) {
	distributed := []string{"training.distributed.sync_every=2", "training.distributed.average_optimizer=true"}
	for _, c := range []struct {
		name string
		sets []string
		want string
	}{
		{"tiny", nil, "0a42aadcfae34575438ffda36690e8b3b8a86109e0d509b8cc2b427a3b65afbe"},
		{"recipe", recipeSets, "eb476ee7fcc854b73fdfd3123e8e3f2b23d6fa54faa974720094276da48f092f"},
	} {
		for _, comm := range []dist.Comm{nil, dist.One{}, dist.Local(1)[0]} {
			for _, sets := range [][]string{c.sets, append(slices.Clone(c.sets), distributed...)} {
				m, _, err := tinyTrain(t, sets, comm)
				if err != nil {
					t.Fatal(err)
				}
				if got := weightsHash(m); got != c.want {
					t.Errorf("%s with %T and %q: weights %s, want %s", c.name, comm, sets, got, c.want)
				}
				if m.Record.Distributed != nil {
					t.Errorf("%s: a model of one process records %+v", c.name, *m.Record.Distributed)
				}
			}
		}
	}
}

// sameEpochs compares two histories but for the seconds they took.
func sameEpochs(a, b []gd.EpochStats) bool {
	return slices.EqualFunc(a, b, func(x, y gd.EpochStats) bool {
		return x.Epoch == y.Epoch && x.Loss == y.Loss && x.Accuracy == y.Accuracy && x.Steps == y.Steps
	})
}

// runAll trains the tiny task on n processes that are goroutines, and
// returns each one's model and error.
func runAll(t *testing.T, n int, sets []string, skip int) ([]*model.Model, []*Result, []error) {
	comms := dist.Local(n)
	models, results, errs := make([]*model.Model, n), make([]*Result, n), make([]error, n)
	var wg sync.WaitGroup
	for r := range n {
		if r == skip {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			models[r], results[r], errs[r] = tinyTrain(t, sets, comms[r])
		}()
	}
	wg.Wait()
	return models, results, errs
}

// Several processes end with the same weights, the same on every run of
// the same number of them, and as accurate as one process within a few
// examples of the 100 test texts; the epochs' loss is the same on all,
// and rank 0 alone scores the test split.
func TestProcessesAgree(t *testing.T) {
	alone, res1, err := tinyTrain(t, recipeSets, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		n    int
		sets []string
	}{
		{2, recipeSets},
		{3, append(slices.Clone(recipeSets), "training.distributed.sync_every=2", "training.distributed.average_optimizer=true")},
		{3, []string{"training.distributed.sync_every=1"}}, // rmsprop
	} {
		var first string
		for run := range 2 {
			models, results, errs := runAll(t, c.n, c.sets, -1)
			for r, err := range errs {
				if err != nil {
					t.Fatalf("%d processes, rank %d: %v", c.n, r, err)
				}
			}
			h := weightsHash(models[0])
			for r, m := range models[1:] {
				if got := weightsHash(m); got != h {
					t.Errorf("%d processes: rank %d's weights %s differ from rank 0's %s", c.n, r+1, got, h)
				}
				if !sameEpochs(results[r+1].History, results[0].History) {
					t.Errorf("%d processes: rank %d's epochs %v differ from rank 0's %v", c.n, r+1, results[r+1].History, results[0].History)
				}
				if results[r+1].Test != nil {
					t.Errorf("%d processes: rank %d scored the test split", c.n, r+1)
				}
			}
			if run == 0 {
				first = h
			} else if h != first {
				t.Errorf("%d processes: a second run's weights %s differ from the first's %s", c.n, h, first)
			}
			rec := models[0].Record.Distributed
			if rec == nil || rec.Processes != c.n {
				t.Errorf("%d processes: the model records %+v", c.n, rec)
			}
			// Each process makes 1/n of the updates of one per epoch, and
			// an average moves the weights as far as one process's updates
			// (not n times as far): on 200 examples and 10 epochs that is
			// short of one process's 0.99, far above chance.
			if acc := results[0].Test.Report.Accuracy; acc < 0.8 {
				t.Errorf("%d processes: test accuracy %.4f, one process %.4f", c.n, acc, res1.Test.Report.Accuracy)
			}
			if run == 0 && weightsHash(alone) == h {
				t.Errorf("%d processes trained the weights of one", c.n)
			}
		}
	}
}

// A process that never comes makes the others stop after the timeout,
// each naming it, with no model.
func TestDeadProcessIsNamed(t *testing.T) {
	// Long enough for rank 1 to read and vectorize the data on a loaded
	// machine, so that only rank 2 is late.
	models, _, errs := runAll(t, 3, []string{"training.distributed.timeout=3"}, 2)
	for r := range 2 {
		var te *dist.TimeoutError
		if !errors.As(errs[r], &te) || te.Rank != 2 {
			t.Fatalf("rank %d: %v, want a timeout naming rank 2", r, errs[r])
		}
		want := "rank 2 of 3 did not reach the check that the ranks read the same data within 3s (training.distributed.timeout): it died or stalled, so the run stops and writes no model"
		if errs[r].Error() != want {
			t.Errorf("rank %d: %q, want %q", r, errs[r], want)
		}
		if models[r] != nil {
			t.Errorf("rank %d returned a model", r)
		}
	}
}

// Processes that read other data are refused before they average
// anything, naming the one that differs.
func TestProcessesReadTheSameData(t *testing.T) {
	comms := dist.Local(2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for r := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sets := slices.Clone(recipeSets)
			if r == 1 {
				sets = append(sets, "vectorizer.max_tokens=50")
			}
			_, _, errs[r] = tinyTrain(t, sets, comms[r])
		}()
	}
	wg.Wait()
	for r, err := range errs {
		if err == nil || !strings.HasPrefix(err.Error(), "rank 1 read other training data than rank 0, or fitted another vocabulary or network") {
			t.Errorf("rank %d: %v", r, err)
		}
	}
}

// What several processes cannot do is refused by key.
func TestProcessesRefuse(t *testing.T) {
	comms := dist.Local(2)
	_, _, err := tinyTrain(t, []string{"training.streaming=true"}, comms[0])
	if err == nil || !strings.Contains(err.Error(), "training.streaming: a run of several processes (mpirun) trains in memory") {
		t.Errorf("streaming: %v", err)
	}
	_, _, err = tinyTrain(t, []string{"model.ensemble=3"}, comms[0])
	if err == nil || !strings.Contains(err.Error(), "model.ensemble: a run of several processes (mpirun) trains one network, and model.ensemble asks for 3") {
		t.Errorf("ensemble: %v", err)
	}
}
