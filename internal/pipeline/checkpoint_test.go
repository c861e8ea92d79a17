package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dlc-dev/dlc/internal/checkpoint"
	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/testenv"
)

// trainBytes trains cfg (resuming from c when it is not nil) and returns
// the model file's bytes and the per-update history.
func trainBytes(t *testing.T, cfg *config.Config, c *checkpoint.Checkpoint) ([]byte, []gd.UpdateStats) {
	t.Helper()
	d, err := Read(context.Background(), cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	var updates []gd.UpdateStats
	h := Hooks{Update: func(u *gd.UpdateStats) { updates = append(updates, *u) }, Checkpoint: &Checkpointing{ConfigPath: cfg.Path, Resume: c}}
	m, _, err := Train(context.Background(), cfg, d, h)
	if err != nil {
		t.Fatal(err)
	}
	b, err := model.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return b, updates
}

// TestResumeWritesTheSameModel: for configs covering dropout, calibration
// by a held-out share and by folds, early stopping on a validation split
// and the sgd method, a run that saves checkpoints writes the model a run
// without them writes, and a run resumed from any of its checkpoints —
// in the model's training or in the calibration's — writes it too, with
// the same per-update history. Streamed training too: its rows cache (in a
// folder of the test's own, beside a copy of the data) is read again from
// each epoch's start on a resume. A multi-label model too: its
// calibration networks' held-out scores and label sets are checkpointed.
func TestResumeWritesTheSameModel(t *testing.T) {
	root := testenv.Root(t)
	for _, tc := range []struct {
		name string
		sets []string
	}{
		{"rmsprop dropout holdout", []string{"model.layers=[{units: 8, activation: relu, dropout: 0.3}]", "checkpoint.every_updates=5"}},
		{"momentum folds early stopping", []string{"optimizer.name=momentum", "calibration.folds=3", "data.validation_split=0.2",
			"training.early_stopping.monitor=val_loss", "training.early_stopping.patience=1", "training.epochs=12", "checkpoint.every_updates=7", "checkpoint.every_epoch=true"}},
		{"adam sgd method", []string{"optimizer.name=adam", "training.method=sgd", "training.epochs=2", "checkpoint.every_updates=61"}},
		{"streamed dropout holdout", []string{"training.streaming=true", "training.shuffle_buffer=50", "model.layers=[{units: 8, activation: relu, dropout: 0.3}]", "checkpoint.every_updates=6"}},
		{"multilabel folds", []string{"calibration.folds=2", "training.epochs=6", "checkpoint.every_updates=9"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			fixture := "topics"
			if strings.HasPrefix(tc.name, "multilabel") {
				fixture = "multilabel"
			}
			path := filepath.Join(root, "testdata", fixture, fixture+".yaml")
			train := filepath.Join(root, "testdata", fixture, "train.jsonl")
			if slices.Contains(tc.sets, "training.streaming=true") {
				b, err := os.ReadFile(train)
				if err != nil {
					t.Fatal(err)
				}
				train = filepath.Join(t.TempDir(), "train.jsonl")
				if err := os.WriteFile(train, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			data := []string{"data.train=" + train, "data.test=" + filepath.Join(root, "testdata", fixture, "test.jsonl")}
			load := func(extra ...string) *config.Config {
				cfg, err := config.Load(path, slices.Concat(data, tc.sets, extra))
				if err != nil {
					t.Fatal(err)
				}
				return cfg
			}
			want, wantUpdates := trainBytes(t, load(), nil)
			// Checkpoints put off while the last is written (the default:
			// which updates have one depends on the disk), then exactly
			// every every_updates updates (wait_for_write: both stages
			// and mid-epoch positions, every run).
			for _, wait := range []bool{false, true} {
				dir := filepath.Join(dir, fmt.Sprint("wait", wait))
				got, _ := trainBytes(t, load("checkpoint.dir="+dir, "checkpoint.keep=100000", fmt.Sprint("checkpoint.wait_for_write=", wait)), nil)
				if !bytes.Equal(got, want) {
					t.Fatalf("saving checkpoints (wait_for_write %v) changed the model file", wait)
				}
				list, err := checkpoint.List(dir)
				if err != nil {
					t.Fatal(err)
				}
				stages := map[string]int{}
				for i, e := range list {
					c, err := checkpoint.Read(e.Path)
					if err != nil {
						t.Fatal(err)
					}
					stages[c.Stage]++
					if c.Stage == checkpoint.Calibrating && c.MainFile == "" {
						t.Fatalf("calibrating checkpoint %s holds the model's network itself, not naming its file", e.Path)
					}
					if i%3 != 0 && i != len(list)-1 {
						continue
					}
					got, updates := trainBytes(t, load(), c)
					where := fmt.Sprintf("resumed from checkpoint %d of %d (wait_for_write %v, %s", i+1, len(list), wait, c.Stage)
					if c.State != nil {
						where += fmt.Sprintf(", epoch %d, example %d", c.State.Epoch, c.State.Pos)
					}
					where += ")"
					if !bytes.Equal(got, want) {
						t.Fatalf("%s: the model file differs from the uninterrupted run's", where)
					}
					if !slices.Equal(updates, wantUpdates) {
						t.Fatalf("%s: %d updates in the history, want %d", where, len(updates), len(wantUpdates))
					}
				}
				if wait && (stages[checkpoint.Training] == 0 || stages[checkpoint.Calibrating] == 0) {
					t.Fatalf("checkpoints by stage: %v; want both stages", stages)
				}
				if nets, _ := filepath.Glob(filepath.Join(dir, "net-*.dlcn")); stages[checkpoint.Calibrating] > 0 && len(nets) != 1 {
					t.Fatalf("%d network files %v, want the model's network written once", len(nets), nets)
				}
			}
		})
	}
}

// TestResumeRefusesChanges: a resume with a changed config key names it
// (and the epochs may change); with changed data it names the file.
func TestResumeRefusesChanges(t *testing.T) {
	root := testenv.Root(t)
	src := filepath.Join(root, "testdata", "topics")
	work := t.TempDir()
	for _, f := range []string{"topics.yaml", "train.jsonl", "test.jsonl"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(work, f), b, 0o644)
	}
	dir := filepath.Join(work, "ck")
	path := filepath.Join(work, "topics.yaml")
	data := []string{"data.train=" + filepath.Join(work, "train.jsonl"), "data.test=" + filepath.Join(work, "test.jsonl")}
	cfg, err := config.Load(path, append(data, "checkpoint.dir="+dir, "checkpoint.every_updates=10"))
	if err != nil {
		t.Fatal(err)
	}
	trainBytes(t, cfg, nil)
	c, _, _, err := checkpoint.Newest(dir)
	if err != nil {
		t.Fatal(err)
	}
	resume := func(sets ...string) error {
		cfg, err := config.Load(path, append(slices.Clone(data), sets...))
		if err != nil {
			t.Fatal(err)
		}
		d, err := Read(context.Background(), cfg, "")
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = Train(context.Background(), cfg, d, Hooks{Checkpoint: &Checkpointing{Resume: c}})
		return err
	}
	err = resume("optimizer.learning_rate=0.02", "training.batch_size=8", "training.epochs=9")
	var re *ResumeError
	if !errors.As(err, &re) || !slices.Equal(re.Keys, []string{"optimizer.learning_rate", "training.batch_size"}) {
		t.Fatalf("changed keys: %v", err)
	}
	if !strings.Contains(err.Error(), "training.epochs") {
		t.Errorf("the message does not list the keys that may change: %v", err)
	}
	if err := resume("training.epochs=9"); err != nil {
		t.Fatalf("more epochs: %v", err)
	}
	f, _ := os.OpenFile(filepath.Join(work, "test.jsonl"), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"label":"acq","text":"offer stake"}` + "\n")
	f.Close()
	err = resume()
	if !errors.As(err, &re) || len(re.Files) != 1 || !strings.Contains(re.Files[0], "data.test") {
		t.Fatalf("changed test file: %v", err)
	}
}

// TestSaverWritesWhatWasSaved: the writer writes the state as it stood
// when Save returned, though the trainer changes its arrays right after
// (the writer writes a copy, on its own goroutine); the first checkpoint
// is fsynced, the ones between not, and pruning keeps the newest fsynced
// one beside the keep newest; the last of a run that stops before its
// end is synced at finish (and the one pinned goes), that of a run that
// completed is not (the pinned one stays, also when finish is called
// again, as Train's deferred call does).
func TestSaverWritesWhatWasSaved(t *testing.T) {
	for _, done := range []bool{false, true} {
		t.Run(fmt.Sprint("done=", done), func(t *testing.T) { saverWritesWhatWasSaved(t, done) })
	}
}

func saverWritesWhatWasSaved(t *testing.T, done bool) {
	dir := t.TempDir()
	s := &saver{dir: dir, keep: 2, seq: 1, stage: checkpoint.Training}
	params := []float64{1, 2, 3, 4}
	acc := []float64{5, 6, 7, 8}
	history := []gd.UpdateStats{}
	s.history = &history
	st := &gd.State{Epoch: 1, Order: []int{0, 1}, Shuffle: []byte{1}, Params: params,
		Optimizer: gd.OptimizerState{Name: "adagrad", Slots: map[string][]float64{"acc": acc}}}
	for i := range 4 {
		st.Pos = i
		if i > 0 {
			history[i-1].Step = i
		}
		history = append(history, gd.UpdateStats{Step: i + 1})
		if err := s.Save(st); err != nil {
			t.Fatal(err)
		}
		// What training does next, while the checkpoint is written.
		for j := range params {
			params[j] += 10
			acc[j] += 100
		}
		history[i].Step = -1
	}
	if err := s.wait(); err != nil {
		t.Fatal(err)
	}
	list, _ := checkpoint.List(dir)
	if got := fmt.Sprint(list); len(list) != 3 || list[0].Seq != 1 || list[1].Seq != 3 {
		t.Fatalf("before the last is synced: %s, want 1 (synced) 3 4", got)
	}
	if s.unsynced == nil || s.syncedSeq != 1 {
		t.Fatalf("syncedSeq %d, unsynced %v: the first alone should be fsynced", s.syncedSeq, s.unsynced != nil)
	}
	if err := s.finish(done); err != nil {
		t.Fatal(err)
	}
	if err := s.finish(false); err != nil {
		t.Fatal(err)
	}
	list, _ = checkpoint.List(dir)
	if done {
		if len(list) != 3 || list[0].Seq != 1 || list[1].Seq != 3 {
			t.Fatalf("after finish of a completed run: %v, want 1 (synced) 3 4", list)
		}
		list = list[1:]
	} else if len(list) != 2 || list[0].Seq != 3 {
		t.Fatalf("after finish: %v, want 3 4", list)
	}
	for _, e := range list {
		c, err := checkpoint.Read(e.Path)
		if err != nil {
			t.Fatal(err)
		}
		i := e.Seq - 1
		want := float64(10 * i)
		if c.State.Pos != i || c.State.Params[0] != 1+want || c.State.Optimizer.Slots["acc"][3] != 8+10*want || len(c.Updates) != i+1 || c.Updates[i].Step != i+1 {
			t.Errorf("checkpoint %d holds pos %d, params %v, acc %v, updates %v", e.Seq, c.State.Pos, c.State.Params, c.State.Optimizer.Slots["acc"], c.Updates)
		}
	}
}

// TestDuePutsOffWhileWriting: a checkpoint due by count or by time while
// the last one is still being written is put off to the first update after
// that write is done, the count going on meanwhile (so the next comes
// every_updates after the one put off, not after it fell due); one after
// an epoch is not put off, nor any with checkpoint.wait_for_write.
func TestDuePutsOffWhileWriting(t *testing.T) {
	s := &saver{everyUpdates: 3, everyEpoch: true}
	s.pending = make(chan written, 1) // a write in flight
	for i := 1; i <= 5; i++ {
		if s.Due(false) {
			t.Fatalf("update %d: due while the last checkpoint is being written", i)
		}
	}
	if !s.Due(true) {
		t.Fatal("the end of an epoch was put off while a checkpoint is being written")
	}
	s.pending <- written{} // the write is done
	if !s.Due(false) || s.updates != 6 {
		t.Fatalf("not due at the first update after the write (count %d)", s.updates)
	}
	s.pending, s.updates = nil, 0 // what Save does
	for i := 1; i <= 3; i++ {
		if due := s.Due(false); due != (i == 3) {
			t.Fatalf("update %d after a checkpoint: due %v", i, due)
		}
	}

	s = &saver{every: time.Millisecond, last: time.Now().Add(-time.Second)}
	s.pending = make(chan written, 1)
	if s.Due(false) || s.Due(true) {
		t.Fatal("due by time while the last checkpoint is being written")
	}
	s.pending <- written{}
	if !s.Due(false) {
		t.Fatal("not due by time once the write is done")
	}

	// checkpoint.wait_for_write: due on time, Save waits for the write.
	s = &saver{everyUpdates: 2, waitForWrite: true}
	s.pending = make(chan written, 1)
	if s.Due(false) || !s.Due(false) {
		t.Fatal("with wait_for_write, not due exactly every_updates updates while a checkpoint is being written")
	}
}

// TestResumeMultiCalibrationRefusesMalformed: a multi-label calibration's
// labels in a checkpoint are each example's count, then its labels; any
// other shape is refused, never indexed past.
func TestResumeMultiCalibrationRefusesMalformed(t *testing.T) {
	z := []float64{1, 2, 3, 4, 5, 6}
	good := &checkpoint.Calibration{Z: z, Uncal: z, Truth: []int{2, 0, 2, 0}}
	sets, err := resumeMultiCalibration(good, 2, 3)
	if err != nil || fmt.Sprint(sets) != "[[0 2] []]" {
		t.Fatalf("%v, %v", sets, err)
	}
	for _, truth := range [][]int{{2, 0, 2}, {2, 0, 2, 0, 0}, {2, 2, 0, 0}, {1, 3, 0}, {-1, 0}, {4, 0, 1, 2, 0, 0}, {2, 0, 2, 9}, {1, 0}} {
		c := *good
		c.Truth = truth
		if _, err := resumeMultiCalibration(&c, 2, 3); err == nil {
			t.Errorf("labels %v accepted", truth)
		}
	}
	c := *good
	c.Uncal = z[:3]
	if _, err := resumeMultiCalibration(&c, 2, 3); err == nil {
		t.Error("3 probabilities for 2 examples of 3 labels accepted")
	}
}

// TestSaverPreparesItsBuffers: told the network's size and update rule,
// a saver whose checkpoints come by count makes the snapshot's buffers
// (the weights and Adam's two moments) at the first update, and the first
// Save copies into them instead of making its own; by time, not before
// half the wait is over.
func TestSaverPreparesItsBuffers(t *testing.T) {
	const n = 5000
	opt, err := gd.NewOptimizer(gd.OptimizerConfig{Name: "adam", LearningRate: 0.01}, n)
	if err != nil {
		t.Fatal(err)
	}
	byTime := &saver{every: time.Hour, last: time.Now()}
	byTime.prepare(n, opt)
	if byTime.Due(false) || byTime.prepared != nil {
		t.Fatal("a saver by time made its buffers before half the wait was over")
	}
	s := &saver{dir: t.TempDir(), keep: 2, seq: 1, stage: checkpoint.Training, everyUpdates: 3}
	s.prepare(n, opt)
	if s.Due(false) || s.prepared == nil {
		t.Fatal("a saver by count did not make its buffers at the first update")
	}
	<-s.prepared
	made := map[string]*float64{"params": &s.snap.params[0]}
	for k, v := range s.snap.slots {
		made[k] = &v[0]
	}
	if len(made) != 3 || len(s.snap.params) != n || len(s.snap.slots["m"]) != n || len(s.snap.slots["v"]) != n {
		t.Fatalf("buffers made: params %d, slots %d", len(s.snap.params), len(s.snap.slots))
	}
	params := make([]float64, n)
	st := &gd.State{Epoch: 1, Order: []int{0, 1}, Shuffle: []byte{1}, Params: params,
		Optimizer: gd.OptimizerState{Name: "adam", Slots: map[string][]float64{"m": make([]float64, n), "v": make([]float64, n)}}}
	if err := s.Save(st); err != nil {
		t.Fatal(err)
	}
	if err := s.finish(true); err != nil {
		t.Fatal(err)
	}
	if &s.snap.params[0] != made["params"] || &s.snap.slots["m"][0] != made["m"] || &s.snap.slots["v"][0] != made["v"] {
		t.Fatal("the first Save made buffers of its own")
	}
}

// TestFirstSyncCountsFromTheStart: a run's saver fsyncs a checkpoint once
// syncEvery has passed since the run began, not its first at once; the
// first is still the one to resume from, and it is fsynced when the run
// stops before its end (finish).
func TestFirstSyncCountsFromTheStart(t *testing.T) {
	cfg := config.Default()
	cfg.Checkpoint.Dir, cfg.Checkpoint.Keep = t.TempDir(), 2
	s, err := newSaver(cfg, &Checkpointing{}, nil, 4, "")
	if err != nil {
		t.Fatal(err)
	}
	st := &gd.State{Epoch: 1, Order: []int{0, 1}, Shuffle: []byte{1}, Params: []float64{1, 2}, Optimizer: gd.OptimizerState{Name: "sgd"}}
	if err := s.Save(st); err != nil {
		t.Fatal(err)
	}
	if err := s.wait(); err != nil {
		t.Fatal(err)
	}
	if s.unsynced == nil || s.syncedSeq != 0 {
		t.Fatalf("the first checkpoint of a run was fsynced at once (syncedSeq %d)", s.syncedSeq)
	}
	if err := s.finish(false); err != nil {
		t.Fatal(err)
	}
	if s.unsynced != nil {
		t.Fatal("the last checkpoint of a run stopped before its end was not fsynced")
	}
	if list, _ := checkpoint.List(cfg.Checkpoint.Dir); len(list) != 1 || list[0].Seq != 1 {
		t.Fatalf("checkpoints left: %v, want 1", list)
	}
}
