package pipeline

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/dlc-dev/dlc/internal/checkpoint"
	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/gd"
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

// dataFiles are the fingerprints of the data d holds.
func dataFiles(d *Data) []checkpoint.DataFile {
	var out []checkpoint.DataFile
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
// data than cfg and d (what the fitted vectorizer says is checked later).
func checkResume(c *checkpoint.Checkpoint, cfg *config.Config, d *Data) error {
	e := &ResumeError{Keys: cfg.Changed(c.Config)}
	was := map[string]checkpoint.DataFile{}
	for _, f := range c.Data {
		was[f.Key] = f
	}
	now := dataFiles(d)
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
type saver struct {
	dir          string
	everyUpdates int
	every        time.Duration
	everyEpoch   bool
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
	// pending is the last checkpoint's wait for the disk, and the pruning
	// after it: the older checkpoints go only once the new one is there.
	pending chan error
}

// wait waits for the last checkpoint to reach the disk (and the older ones
// beyond checkpoint.keep to be removed), and returns what failed.
func (s *saver) wait() error {
	if s == nil || s.pending == nil {
		return nil
	}
	err := <-s.pending
	s.pending = nil
	return err
}

func newSaver(cfg *config.Config, ck *Checkpointing, d *Data, features int, vec string) (*saver, error) {
	cp := cfg.Checkpoint
	if err := checkpoint.RemoveStale(cp.Dir); err != nil {
		return nil, err
	}
	seq, err := checkpoint.NextSeq(cp.Dir)
	if err != nil {
		return nil, err
	}
	return &saver{
		dir: cp.Dir, everyUpdates: cp.EveryUpdates, every: time.Duration(cp.EverySeconds * float64(time.Second)),
		everyEpoch: cp.EveryEpoch, keep: cp.Keep, saved: ck.Saved, seq: seq, last: time.Now(), stage: checkpoint.Training,
		base: checkpoint.Checkpoint{DLCVersion: ck.DLCVersion, ConfigPath: ck.ConfigPath, Sets: ck.Sets, Config: cfg.Values(),
			Data: dataFiles(d), Features: features, Vectorizer: vec},
	}, nil
}

// Due implements gd.Checkpointer.
func (s *saver) Due(epochEnd bool) bool {
	if !epochEnd {
		s.updates++
		if s.everyUpdates > 0 && s.updates >= s.everyUpdates {
			return true
		}
	} else if s.everyEpoch {
		return true
	}
	return s.every > 0 && time.Since(s.last) >= s.every
}

// Save implements gd.Checkpointer.
func (s *saver) Save(st *gd.State) error {
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
	if err := s.wait(); err != nil {
		return err
	}
	path, sync, err := checkpoint.Write(s.dir, &c)
	if err != nil {
		return err
	}
	s.pending = make(chan error, 1)
	go func(done chan<- error) {
		err := sync()
		if err == nil {
			err = checkpoint.Prune(s.dir, s.keep)
		}
		done <- err
	}(s.pending)
	s.seq++
	s.last, s.updates = time.Now(), 0
	if s.saved != nil {
		s.saved(path, &c)
	}
	return nil
}

// boundary saves a checkpoint between two networks' trainings (no gd
// state: the next network begins afresh) when one is due.
func (s *saver) boundary() error {
	if !s.Due(true) {
		return nil
	}
	return s.Save(nil)
}
