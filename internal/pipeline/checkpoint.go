package pipeline

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/dlc-dev/dlc/internal/checkpoint"
	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/parallel"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// Checkpointing makes Train save checkpoints into the config's
// checkpoint.dir at its cadence (and when it is interrupted), and resume
// from one.
type Checkpointing struct {
	// ConfigPath (absolute) and Sets are what the run was started from,
	// recorded so that a resume can load the same config again.
	ConfigPath string
	Sets       []string
	DLCVersion string
	// Resume, when set, is the checkpoint to go on from: Train refuses it
	// (a *ResumeError) when the config or the data differ from its.
	Resume *checkpoint.Checkpoint
	// Saved, when set, is told of every checkpoint written.
	Saved func(path string, c *checkpoint.Checkpoint)
}

// ResumeError is a resume refused: the config keys or data files that
// changed since the checkpoint was written.
type ResumeError struct {
	Keys  []string // config keys
	Files []string // "data.train (path)"
	Other string   // the vectorizer, when the keys and files are the same
}

func (e *ResumeError) Error() string {
	var parts []string
	if len(e.Keys) > 0 {
		parts = append(parts, "the config's "+strings.Join(e.Keys, ", "))
	}
	if len(e.Files) > 0 {
		parts = append(parts, "the data of "+strings.Join(e.Files, ", "))
	}
	if e.Other != "" {
		parts = append(parts, e.Other)
	}
	return fmt.Sprintf("cannot resume: %s changed since the checkpoint was written; only %s may change on a resume (start afresh without --resume to train with the new values)",
		strings.Join(parts, " and "), strings.Join(config.Resumable, ", "))
}

// dataFiles are the fingerprints of the data d holds; train, when set, is
// the training data's (streamed: d does not hold it).
func dataFiles(d *Data, train *checkpoint.DataFile) []checkpoint.DataFile {
	var out []checkpoint.DataFile
	if train != nil {
		out = append(out, *train)
	}
	for _, f := range []struct {
		key, path string
		e         *data.Examples
	}{{"data.train", d.Paths.Train, d.Train}, {"data.validation", d.Paths.Validation, d.Validation}, {"data.test", d.Paths.Test, d.Test}} {
		if f.e != nil {
			out = append(out, checkpoint.DataFile{Key: f.key, Path: f.path, SHA256: f.e.Fingerprint(), Examples: f.e.Len()})
		}
	}
	return out
}

// vectorizerFingerprint is the SHA-256 of what a fitted vectorizer
// learned: its options, vocabulary and document frequencies.
func vectorizerFingerprint(v *vectorize.Vectorizer) string {
	h := sha256.New()
	opts, _ := json.Marshal(v.Options)
	h.Write(opts)
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(v.Docs))
	h.Write(n[:])
	for _, t := range v.Vocab {
		binary.LittleEndian.PutUint64(n[:], uint64(len(t)))
		h.Write(n[:])
		h.Write([]byte(t))
	}
	for _, f := range v.DocFreq {
		binary.LittleEndian.PutUint32(n[:4], uint32(f))
		h.Write(n[:4])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// checkResume refuses a checkpoint written from another config or other
// data than cfg and the data files now (what the fitted vectorizer says is
// checked later).
func checkResume(c *checkpoint.Checkpoint, cfg *config.Config, now []checkpoint.DataFile) error {
	e := &ResumeError{Keys: cfg.Changed(c.Config)}
	was := map[string]checkpoint.DataFile{}
	for _, f := range c.Data {
		was[f.Key] = f
	}
	for _, f := range now {
		if w, ok := was[f.Key]; !ok || w.SHA256 != f.SHA256 {
			e.Files = append(e.Files, fmt.Sprintf("%s (%s)", f.Key, f.Path))
		}
		delete(was, f.Key)
	}
	for _, f := range was {
		e.Files = append(e.Files, fmt.Sprintf("%s (%s, now not read)", f.Key, f.Path))
	}
	if len(e.Keys) > 0 || len(e.Files) > 0 {
		return e
	}
	return nil
}

// saver writes the checkpoints of a run: gd.Checkpointer for each
// network trained, and the boundaries between them.
//
// A checkpoint of the IMDB recipe is 224 MB (while calibrating too: the
// model's finished network is written once, into a file of its own that
// the calibrating checkpoints name; see checkpoint.WriteNetwork), and the
// recipe makes one every 100 updates if asked to, about every
// tenth of a second. Save only copies the state into buffers it keeps
// from one checkpoint to the next (a memcpy, on the training goroutine,
// which Train's contract asks for: its State is its own), but for the
// weights and the update rule's arrays of SGD and Adagrad (224 MB, of
// which 100 changed between two checkpoints of the IMDB recipe): Train
// protects their writes (the saver is a gd.DeferredCopier), and their
// copy is left to the writer, training copying the rows an update is
// about to write first when they are still to be copied (see
// deferredCopy). A goroutine copies, encodes, checksums, writes and
// renames while training goes on.
// There is never more than one write in flight: a checkpoint that falls
// due by count or time while the last one is still being written is put
// off until it is done (see Due); one after an epoch, or the one an
// interruption writes, waits for it. The last checkpoint of a run (and
// the one an interruption writes) is waited for before Train returns.
//
// Not every checkpoint is fsynced: a process killed loses nothing the
// kernel holds, and fsyncing 224 MB ten times a second made the disk, not
// training, the pace (the kernel also drops the pages of a checkpoint
// pruned before they were written back, so most of them never reach the
// disk). One is fsynced when none has been for syncEvery, counted from the
// run's start (fsyncing the first at once cost a short run a fresh file
// and an fsync it did not need: a machine that crashes before syncEvery
// loses at most that much training), and the last of a run that stops
// before its end always (see finish); pruning keeps the newest fsynced
// one besides the keep newest, so a machine that crashes leaves at least
// a checkpoint at most syncEvery older than the newest.
type saver struct {
	dir          string
	everyUpdates int
	every        time.Duration
	everyEpoch   bool
	waitForWrite bool // never put a checkpoint off (checkpoint.wait_for_write)
	keep         int
	saved        func(string, *checkpoint.Checkpoint)

	base    checkpoint.Checkpoint // what every checkpoint of the run shares
	seq     int
	last    time.Time
	updates int // since the last checkpoint
	// The network being trained: its dropout source; the per-update
	// history (nil when not kept); the model's network once trained and
	// the calibration's progress (stage calibrating).
	dropout    *rand.PCG
	history    *[]gd.UpdateStats
	stage      string
	main       *gd.Result
	mainParams []float64
	cal        *checkpoint.Calibration
	// mainFile and mainSum name the file of the folder that holds
	// mainParams once the writer has written it (see
	// checkpoint.WriteNetwork); empty before.
	mainFile, mainSum string

	// snap is the copy the writer writes, its buffers reused. sizes are
	// its first buffers' (see prepare), until they are being made;
	// prepared is closed once they are made (nil: not asked).
	snap     snapshot
	sizes    *bufferSizes
	prepared chan struct{}
	// pending is the write in flight (nil: none), its result sent once.
	pending chan written
	// synced is when a checkpoint was last fsynced (the run's start before
	// the first; zero: fsync the first) and its number; unsynced
	// is the fsync of the newest checkpoint when it was not (nil when it was).
	synced    time.Time
	syncedSeq int
	unsynced  func() error
}

// syncEvery is how often a checkpoint is fsynced at most.
const syncEvery = 30 * time.Second

// written is a write's outcome.
type written struct {
	path   string
	c      *checkpoint.Checkpoint
	synced bool
	sync   func() error // when not synced
	err    error
	// mainFile and mainSum: the model's network's file, once written.
	mainFile, mainSum string
}

// snapshot is the copy of a checkpoint's arrays the writer writes.
type snapshot struct {
	c           checkpoint.Checkpoint
	st          gd.State
	cal         checkpoint.Calibration
	params      []float64
	best        []float64
	order       []int
	shuffle     []byte
	history     []gd.EpochStats
	slots       map[string][]float64
	done        []int64
	updates     []gd.UpdateStats
	calZ, calU  []float64
	calTruth    []int
	dropout     []byte
	mainHistory []gd.EpochStats
	main        gd.Result
	// from is the tracker of the State the weights and the update rule's
	// arrays were last taken from (nil: none, or one without): while the
	// States come with the same tracker, only what it says changed is
	// copied, over the last take's copy.
	from *gd.ChangeTracker
	// copy and group are takeWeights' tasks and their goroutines.
	copy  rangeCopy
	group parallel.Group
	// later is the copy of the weights left to the writer (a Deferred
	// State's), and copying the last take's, when it left one (nil
	// otherwise).
	later   deferredCopy
	copying *deferredCopy
}

// fill copies src into *buf, reusing its memory, and returns the copy; nil
// stays nil.
func fill[T any](buf *[]T, src []T) []T {
	if src == nil {
		return nil
	}
	if cap(*buf) < len(src) || *buf == nil {
		*buf = make([]T, len(src))
	}
	*buf = (*buf)[:len(src)]
	copy(*buf, src)
	return *buf
}

// take copies c (whose State, Updates and Calibration are the trainer's
// own, changing as soon as Save returns) into the snapshot; the model's
// finished network's weights (MainParams) do not change while it
// calibrates and are not copied.
func (sn *snapshot) take(c *checkpoint.Checkpoint) *checkpoint.Checkpoint {
	sn.copying = nil
	sn.c = *c
	out := &sn.c
	out.Dropout = fill(&sn.dropout, c.Dropout)
	out.Updates = fill(&sn.updates, c.Updates)
	if s := c.State; s != nil {
		sn.st = *s
		st := &sn.st
		incremental := s.Changed != nil && s.Changed == sn.from && !s.Changed.All() && s.Changed.Len() == len(s.Params)
		sn.from = s.Changed
		st.Changed, st.Deferred = nil, false
		sn.takeWeights(s, st, incremental)
		st.BestParams = fill(&sn.best, s.BestParams)
		st.Order = fill(&sn.order, s.Order)
		st.Shuffle = fill(&sn.shuffle, s.Shuffle)
		st.History = fill(&sn.history, s.History)
		st.Optimizer.Done = fill(&sn.done, s.Optimizer.Done)
		out.State = st
	}
	if c.Main != nil {
		sn.main = *c.Main
		sn.main.History = fill(&sn.mainHistory, c.Main.History)
		out.Main = &sn.main
	}
	if cal := c.Calibration; cal != nil {
		sn.cal = checkpoint.Calibration{Part: cal.Part, Parts: cal.Parts,
			Z: fill(&sn.calZ, cal.Z), Truth: fill(&sn.calTruth, cal.Truth), Uncal: fill(&sn.calU, cal.Uncal)}
		out.Calibration = &sn.cal
	}
	return out
}

// bufferSizes are the lengths of the weights and of the update rule's
// arrays, by name.
type bufferSizes struct {
	params int
	slots  map[string]int
}

// prepare tells the saver the size of the network trained (n weights) and
// its update rule (opt), for Due to make the snapshot's buffers and touch
// their memory on a goroutine of its own while training goes on: at the
// first update when checkpoints come by count (every_updates), or once
// half the wait for the first is over when they come by time. Left to the
// first Save,
// that was 224 MB of fresh memory for the IMDB recipe, faulted in on the
// training goroutine, which waited (on this VM a fresh page costs about
// 14 µs: 0.8 s, and 2.6 s at load 5-9, against 13-80 ms for a copy into
// buffers already there). Not at once by time: a run that ends before
// its first checkpoint (the default cadence is every 300 s) would have
// paid for nothing.
func (s *saver) prepare(n int, opt gd.Optimizer) {
	if s == nil || s.snap.params != nil {
		return
	}
	s.sizes = &bufferSizes{params: n, slots: gd.SlotLengths(opt)}
}

// startPreparing makes the buffers prepare was told of.
func (s *saver) startPreparing() {
	sz := s.sizes
	s.sizes = nil
	s.snap.from = nil // its buffers are new
	done := make(chan struct{})
	s.prepared = done
	go func() {
		defer close(done)
		s.snap.params = touched(sz.params)
		s.snap.slots = make(map[string][]float64, len(sz.slots))
		for k, l := range sz.slots {
			s.snap.slots[k] = touched(l)
		}
	}()
}

// touched returns n float64s with each page of their memory written to,
// so that the kernel has given it.
func touched(n int) []float64 {
	v := make([]float64, n)
	for i := 0; i < n; i += 512 { // 4 KiB
		v[i] = 0
	}
	return v
}

// wait waits for the write in flight, if any, and returns what failed.
func (s *saver) wait() error {
	if s == nil || s.pending == nil {
		return nil
	}
	w := <-s.pending
	s.pending = nil
	if w.err != nil {
		return w.err
	}
	s.mainFile, s.mainSum = w.mainFile, w.mainSum
	if w.synced {
		s.syncedSeq, s.unsynced = w.c.Seq, nil
	} else {
		s.unsynced = w.sync
	}
	if s.saved != nil {
		s.saved(w.path, w.c)
	}
	return nil
}

// finish waits for the last checkpoint to be written, removes the older
// ones beyond checkpoint.keep and the spare one kept to write over: before
// Train returns (a run interrupted exits right after). The last checkpoint
// of a run that stops before its end (interrupted, or failed) is made to
// reach the disk: it is the one to resume from. That of a run that
// completed is not (done): the model file, which is written next and
// synced, is what the run leaves, and a resume of the run from its
// checkpoints only ends at the same model again; so the newest synced one
// is kept besides the keep newest, as while training (syncing the IMDB
// recipe's last 224 MB checkpoint took from a quarter of a second to
// seconds of the run's end).
func (s *saver) finish(done bool) error {
	if s == nil {
		return nil
	}
	if err := s.wait(); err != nil {
		return err
	}
	switch {
	case s.unsynced != nil && done:
		s.unsynced = nil
		if err := checkpoint.Prune(s.dir, s.keep, s.syncedSeq, false); err != nil {
			return err
		}
	case s.unsynced != nil:
		if err := s.unsynced(); err != nil {
			return err
		}
		s.unsynced = nil
		if err := checkpoint.Prune(s.dir, s.keep, 0, false); err != nil {
			return err
		}
	}
	return checkpoint.RemoveSpare(s.dir)
}

// saverFor checks that the vectorizer fitted now is the one a resumed
// checkpoint was written with, and opens the saver when the config asks
// for checkpoints (nil otherwise; a nil saver saves nothing). Only then
// is the vectorizer hashed: a run without checkpoints pays nothing.
func saverFor(cfg *config.Config, ck *Checkpointing, resume *checkpoint.Checkpoint, files []checkpoint.DataFile, vec *vectorize.Vectorizer) (*saver, error) {
	if cfg.Checkpoint.Dir == "" && resume == nil {
		return nil, nil
	}
	vecPrint := vectorizerFingerprint(vec)
	if resume != nil && (resume.Features != vec.Features() || resume.Vectorizer != vecPrint) {
		return nil, &ResumeError{Other: "the vectorizer fitted on the training data"}
	}
	if cfg.Checkpoint.Dir == "" {
		return nil, nil
	}
	return newSaver(cfg, ck, files, vec.Features(), vecPrint)
}

func newSaver(cfg *config.Config, ck *Checkpointing, files []checkpoint.DataFile, features int, vec string) (*saver, error) {
	cp := cfg.Checkpoint
	if err := checkpoint.RemoveStale(cp.Dir); err != nil {
		return nil, err
	}
	seq, err := checkpoint.NextSeq(cp.Dir)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	return &saver{
		dir: cp.Dir, everyUpdates: cp.EveryUpdates, every: time.Duration(cp.EverySeconds * float64(time.Second)),
		everyEpoch: cp.EveryEpoch, waitForWrite: cp.WaitForWrite, keep: cp.Keep, saved: ck.Saved, seq: seq, last: now, synced: now, stage: checkpoint.Training,
		base: checkpoint.Checkpoint{DLCVersion: ck.DLCVersion, ConfigPath: ck.ConfigPath, Sets: ck.Sets, Config: cfg.Values(),
			Data: files, Features: features, Vectorizer: vec},
	}, nil
}

// Due implements gd.Checkpointer.
//
// checkpoint.every_updates and every_seconds are "at most this often": a
// checkpoint they make due while the last one is still being written is
// put off, not waited for, until the first update after that write is
// done (the count and the clock go on from the last checkpoint, so none
// is dropped, only moved later). Waiting instead made training the
// writer's pace: the IMDB recipe at every 100 updates asks for 224 MB
// about every 0.15 s, faster than one core checksums and writes it, and
// its training took 1.4× as long. What checkpoints exist then depends on
// how fast the disk is, never what they hold: each is the state at the
// update it was taken after. A checkpoint after every epoch
// (every_epoch) is never put off, nor is the one an interruption writes
// (Train calls Save without asking), nor the run's last write (finish
// waits for it); with checkpoint.wait_for_write none is (Save waits).
func (s *saver) Due(epochEnd bool) bool {
	if !epochEnd {
		s.updates++
	}
	if s.sizes != nil && (s.everyUpdates > 0 || s.every > 0 && 2*time.Since(s.last) >= s.every) {
		s.startPreparing()
	}
	if !epochEnd {
		if s.everyUpdates > 0 && s.updates >= s.everyUpdates {
			return !s.writing()
		}
	} else if s.everyEpoch {
		return true
	}
	return s.every > 0 && time.Since(s.last) >= s.every && !s.writing()
}

// writing reports whether a checkpoint is still being written (its
// outcome not yet sent), when one due now is to be put off.
func (s *saver) writing() bool {
	return !s.waitForWrite && s.pending != nil && len(s.pending) == 0
}

// Save implements gd.Checkpointer.
func (s *saver) Save(st *gd.State) error {
	// The snapshot's buffers are the writer's until it is done.
	if err := s.wait(); err != nil {
		return err
	}
	if s.prepared != nil {
		<-s.prepared
		s.prepared = nil
	}
	c := s.base
	c.Seq, c.Written, c.Stage = s.seq, time.Now().UTC().Format(time.RFC3339), s.stage
	c.State = st
	if s.dropout != nil && st != nil {
		b, err := s.dropout.MarshalBinary()
		if err != nil {
			return err
		}
		c.Dropout = b
	}
	if s.history != nil {
		c.Updates = *s.history
		if c.Updates == nil {
			c.Updates = []gd.UpdateStats{}
		}
	}
	c.Main, c.MainParams, c.Calibration = s.main, s.mainParams, s.cal
	c.MainFile, c.MainSHA256 = s.mainFile, s.mainSum
	snap := s.snap.take(&c)
	later := s.snap.copying
	sync := time.Since(s.synced) >= syncEvery
	if sync {
		s.synced = time.Now()
	}
	pin := s.syncedSeq
	s.pending = make(chan written, 1)
	go func(done chan<- written) {
		if later != nil {
			later.run()
		}
		var w written
		var err error
		if snap.MainParams != nil && snap.MainFile == "" {
			// The model's finished network goes into its own file once;
			// this checkpoint and the later ones name it.
			snap.MainFile, snap.MainSHA256, err = checkpoint.WriteNetwork(s.dir, snap.MainParams)
		}
		w.mainFile, w.mainSum = snap.MainFile, snap.MainSHA256
		var path string
		var syncf func() error
		if err == nil {
			path, syncf, err = checkpoint.Write(s.dir, snap)
		}
		w.path, w.c, w.synced, w.sync, w.err = path, snap, sync, syncf, err
		if err == nil && sync {
			// The older ones go only once this one is on the disk.
			w.err = syncf()
			pin = snap.Seq
		}
		if w.err == nil {
			w.err = checkpoint.Prune(s.dir, s.keep, pin, true)
		}
		done <- w
	}(s.pending)
	s.seq++
	s.last, s.updates = time.Now(), 0
	return nil
}

// Protect implements gd.DeferredCopier.
func (s *saver) Protect(spans [][2]int) {
	if s.snap.copying != nil {
		s.snap.copying.protect(spans)
	}
}

// Settle implements gd.DeferredCopier.
func (s *saver) Settle() {
	if s.snap.copying != nil {
		s.snap.copying.settle()
	}
}

// boundary saves a checkpoint between two networks' trainings (no gd
// state: the next network begins afresh) when one is due.
func (s *saver) boundary() error {
	if !s.Due(true) {
		return nil
	}
	return s.Save(nil)
}

// keepUpdates makes the per-update history go into sv's checkpoints and,
// on a resume, come back from the checkpoint (reported to h.Update again)
// before the run goes on.
func keepUpdates(h *Hooks, sv *saver, resume *checkpoint.Checkpoint) {
	if h.Update == nil || (sv == nil && resume == nil) {
		return
	}
	var updates []gd.UpdateStats
	if resume != nil {
		updates = slices.Clone(resume.Updates)
	}
	report := h.Update
	for i := range updates {
		report(&updates[i])
	}
	h.Update = func(u *gd.UpdateStats) {
		updates = append(updates, *u)
		report(u)
	}
	if sv != nil {
		sv.history = &updates
	}
}
