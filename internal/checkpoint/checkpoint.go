// Package checkpoint is dlc's checkpoint file and folder: everything a
// training run needs to go on after it was stopped and end at exactly the
// model the run that was not stopped writes — gradient descent's state
// (weights, the update rule's state, the shuffling source, the order and
// the position in the epoch, early stopping), the dropout source, the
// calibration's progress, the per-update history, and what the run was
// started from (the config's values, the data's fingerprints) — written
// atomically with a checksum, one file per checkpoint (and one file of the
// model's finished network that the checkpoints of calibration share),
// the last few kept.
package checkpoint

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/dlc-dev/dlc/internal/gd"
)

// The stages of a run a checkpoint can stand in.
const (
	Training    = "training"    // the model's network
	Calibrating = "calibrating" // the networks trained to calibrate it
)

// DataFile is one file of data the run read, by its config key.
type DataFile struct {
	Key      string `json:"key"` // data.train, data.validation, data.test
	Path     string `json:"path"`
	SHA256   string `json:"sha256"` // the examples' fingerprint (data.Examples.Fingerprint)
	Examples int    `json:"examples"`
}

// Checkpoint is one checkpoint.
type Checkpoint struct {
	DLCVersion string `json:"dlc_version"`
	Written    string `json:"written"` // RFC 3339, for people
	Seq        int    `json:"seq"`     // its number in the folder
	Stage      string `json:"stage"`
	// ConfigPath is the config file (absolute) and Sets the --set values
	// the run was started with; Config is every key's value.
	ConfigPath string            `json:"config_path"`
	Sets       []string          `json:"sets,omitempty"`
	Config     map[string]string `json:"config"`
	Data       []DataFile        `json:"data"`
	// Features and Vectorizer are the fitted vectorizer's width and
	// fingerprint: a resumed run fits it again and must get the same.
	Features   int    `json:"features"`
	Vectorizer string `json:"vectorizer"`
	// Dropout is the dropout source's state (a PCG's MarshalBinary) of
	// the network being trained.
	Dropout []byte `json:"dropout"`

	// State is gradient descent's, of the model's network (stage
	// training) or of the calibration network being trained; nil when
	// that network has not begun.
	State *gd.State `json:"-"`
	// Main is the model's network's training, once it is over (stage
	// calibrating): its result and final weights.
	Main       *gd.Result `json:"-"`
	MainParams []float64  `json:"-"`
	// MainFile, when set, names the file of the checkpoint's folder that
	// holds MainParams (see WriteNetwork), and MainSHA256 their SHA-256:
	// the checkpoint file then does not hold them itself.
	MainFile   string `json:"main_file,omitempty"`
	MainSHA256 string `json:"main_sha256,omitempty"`
	// Calibration is the calibration's progress (stage calibrating).
	Calibration *Calibration `json:"calibration,omitempty"`
	// Updates is the per-update history so far (when it is kept).
	Updates []gd.UpdateStats `json:"-"`
}

// Calibration is how far calibrating has gone: Part of Parts is the
// network being trained (1-based), and Z, Truth and Uncal the held-out
// scores of the parts done. Truth holds a single-label model's label per
// example; a multi-label model's, per example, its number of labels, then
// its labels.
type Calibration struct {
	Part  int       `json:"part"`
	Parts int       `json:"parts"`
	Z     []float64 `json:"-"`
	Truth []int     `json:"-"`
	Uncal []float64 `json:"-"`
}

// meta is the JSON of the header: Checkpoint's plain fields, and the
// scalars of its gd states.
type meta struct {
	*Checkpoint
	State *stateMeta  `json:"state,omitempty"`
	Main  *resultMeta `json:"main,omitempty"`
}

type stateMeta struct {
	Epoch        int          `json:"epoch"`
	Pos          int          `json:"pos"`
	Shuffled     bool         `json:"shuffled"`
	EpochSteps   int          `json:"epoch_steps"`
	LossSum      Float        `json:"loss_sum"`
	Correct      int          `json:"correct"`
	LearningRate Float        `json:"learning_rate"`
	EpochSeconds Float        `json:"epoch_seconds"`
	Steps        int          `json:"steps"`
	History      []epochMeta  `json:"history"`
	BestEpoch    int          `json:"best_epoch"`
	Best         Float        `json:"best"`
	BestVal      Float        `json:"best_val"`
	Wait         int          `json:"wait"`
	ConvBest     Float        `json:"conv_best"`
	ConvWait     int          `json:"conv_wait"`
	Optimizer    optimizerMet `json:"optimizer"`
}

type optimizerMet struct {
	Name  string   `json:"name"`
	Steps int      `json:"steps"`
	Scale Float    `json:"scale"`
	Now   int64    `json:"now"`
	Slots []string `json:"slots"`
}

type epochMeta struct {
	Epoch        int   `json:"epoch"`
	Steps        int   `json:"steps"`
	Loss         Float `json:"loss"`
	Accuracy     Float `json:"accuracy"`
	LearningRate Float `json:"learning_rate"`
	Seconds      Float `json:"seconds"`
	ValLoss      Float `json:"val_loss"`
	ValAccuracy  Float `json:"val_accuracy"`
}

type resultMeta struct {
	Steps     int         `json:"steps"`
	Stopped   string      `json:"stopped"`
	BestEpoch int         `json:"best_epoch"`
	Best      Float       `json:"best"`
	Restored  bool        `json:"restored"`
	History   []epochMeta `json:"history"`
}

func epochsMeta(h []gd.EpochStats) []epochMeta {
	out := make([]epochMeta, len(h))
	for i, e := range h {
		out[i] = epochMeta{e.Epoch, e.Steps, Float(e.Loss), Float(e.Accuracy), Float(e.LearningRate), Float(e.Seconds), Float(e.ValLoss), Float(e.ValAccuracy)}
	}
	return out
}

func epochsOf(h []epochMeta) []gd.EpochStats {
	out := make([]gd.EpochStats, len(h))
	for i, e := range h {
		out[i] = gd.EpochStats{Epoch: e.Epoch, Steps: e.Steps, Loss: float64(e.Loss), Accuracy: float64(e.Accuracy), LearningRate: float64(e.LearningRate),
			Seconds: float64(e.Seconds), ValLoss: float64(e.ValLoss), ValAccuracy: float64(e.ValAccuracy)}
	}
	return out
}

// pack splits c into the header's metadata and the arrays.
func pack(c *Checkpoint) (*meta, *arrays) {
	m := &meta{Checkpoint: c}
	a := newArrays()
	if s := c.State; s != nil {
		o := s.Optimizer
		slots := slices.Sorted(maps.Keys(o.Slots))
		m.State = &stateMeta{Epoch: s.Epoch, Pos: s.Pos, Shuffled: s.Shuffled, EpochSteps: s.EpochSteps, LossSum: Float(s.LossSum),
			Correct: s.Correct, LearningRate: Float(s.LearningRate), EpochSeconds: Float(s.EpochSeconds), Steps: s.Steps,
			History: epochsMeta(s.History), BestEpoch: s.BestEpoch, Best: Float(s.Best), BestVal: Float(s.BestVal), Wait: s.Wait,
			ConvBest: Float(s.ConvBest), ConvWait: s.ConvWait,
			Optimizer: optimizerMet{Name: o.Name, Steps: o.Steps, Scale: Float(o.Scale), Now: o.Now, Slots: slots}}
		a.putF64("params", s.Params)
		if s.BestParams != nil {
			a.putF64("best_params", s.BestParams)
		}
		a.putInts("order", s.Order)
		a.putU8("shuffle", s.Shuffle)
		for _, k := range slots {
			a.putF64("optimizer."+k, o.Slots[k])
		}
		if o.Done != nil {
			a.putI64("optimizer.done", o.Done)
		}
		if o.Behind != nil {
			a.putI64("optimizer.behind", o.Behind)
		}
	}
	if r := c.Main; r != nil {
		m.Main = &resultMeta{Steps: r.Steps, Stopped: r.Stopped, BestEpoch: r.BestEpoch, Best: Float(r.Best), Restored: r.Restored, History: epochsMeta(r.History)}
		if c.MainFile == "" {
			a.putF64("main.params", c.MainParams)
		}
	}
	if cal := c.Calibration; cal != nil {
		a.putF64("calibration.z", cal.Z)
		a.putInts("calibration.truth", cal.Truth)
		a.putF64("calibration.uncal", cal.Uncal)
	}
	if c.Updates != nil {
		n := len(c.Updates)
		step, epoch, examples := make([]int64, n), make([]int64, n), make([]int64, n)
		loss, lr := make([]float64, n), make([]float64, n)
		for i, u := range c.Updates {
			step[i], epoch[i], examples[i], loss[i], lr[i] = int64(u.Step), int64(u.Epoch), int64(u.Examples), u.Loss, u.LearningRate
		}
		a.putI64("updates.step", step)
		a.putI64("updates.epoch", epoch)
		a.putI64("updates.examples", examples)
		a.putF64("updates.loss", loss)
		a.putF64("updates.learning_rate", lr)
	}
	return m, a
}

// unpack rebuilds a Checkpoint from the header's metadata and the arrays
// of a file of the given layout version, checking that the arrays it
// needs are there.
func unpack(m *meta, a *arrays, version int) (*Checkpoint, error) {
	c := m.Checkpoint
	if c.Stage != Training && c.Stage != Calibrating {
		return nil, fmt.Errorf("has the stage %q, neither %s nor %s", c.Stage, Training, Calibrating)
	}
	missing := func(name string) error { return fmt.Errorf("lacks its array %q", name) }
	f64 := func(name string) ([]float64, error) {
		v, ok := a.f64[name]
		if !ok {
			return nil, missing(name)
		}
		return v, nil
	}
	ints := func(name string) ([]int, error) {
		v, ok := a.i64[name]
		if !ok {
			return nil, missing(name)
		}
		out := make([]int, len(v))
		for i, x := range v {
			out[i] = int(x)
		}
		return out, nil
	}
	var err error
	if s := m.State; s != nil {
		o := s.Optimizer
		st := &gd.State{Epoch: s.Epoch, Pos: s.Pos, Shuffled: s.Shuffled, EpochSteps: s.EpochSteps, LossSum: float64(s.LossSum),
			Correct: s.Correct, LearningRate: float64(s.LearningRate), EpochSeconds: float64(s.EpochSeconds), Steps: s.Steps,
			History: epochsOf(s.History), BestEpoch: s.BestEpoch, Best: float64(s.Best), BestVal: float64(s.BestVal), Wait: s.Wait,
			ConvBest: float64(s.ConvBest), ConvWait: s.ConvWait,
			Optimizer: gd.OptimizerState{Name: o.Name, Steps: o.Steps, Scale: float64(o.Scale), Now: o.Now, Slots: map[string][]float64{}}}
		if st.Params, err = f64("params"); err != nil {
			return nil, err
		}
		st.BestParams = a.f64["best_params"]
		if st.Order, err = ints("order"); err != nil {
			return nil, err
		}
		if st.Shuffle = a.u8["shuffle"]; st.Shuffle == nil {
			return nil, missing("shuffle")
		}
		for _, k := range o.Slots {
			if st.Optimizer.Slots[k], err = f64("optimizer." + k); err != nil {
				return nil, err
			}
		}
		st.Optimizer.Done = a.i64["optimizer.done"]
		st.Optimizer.Behind = a.i64["optimizer.behind"]
		c.State = st
	}
	if r := m.Main; r != nil {
		c.Main = &gd.Result{Steps: r.Steps, Stopped: r.Stopped, BestEpoch: r.BestEpoch, Best: float64(r.Best), Restored: r.Restored, History: epochsOf(r.History)}
		switch {
		case c.MainFile == "" && c.MainSHA256 == "":
			if c.MainParams, err = f64("main.params"); err != nil {
				return nil, err
			}
		case version < 2:
			return nil, errors.New("names a file of its model's network, which its format version 1 does not")
		case !validNetworkRef(c.MainFile, c.MainSHA256):
			return nil, fmt.Errorf("names %q as the file of its model's network, not a network file's name", c.MainFile)
		}
	} else if c.MainFile != "" || c.MainSHA256 != "" {
		return nil, errors.New("names the file of a model's network it does not have")
	}
	if c.Stage == Training && c.State == nil {
		return nil, errors.New("is in the training stage without its state")
	}
	if c.Stage == Calibrating && (c.Main == nil || c.Calibration == nil) {
		return nil, errors.New("is in the calibrating stage without the model's network or the calibration's progress")
	}
	if cal := c.Calibration; cal != nil {
		if cal.Z, err = f64("calibration.z"); err != nil {
			return nil, err
		}
		if cal.Truth, err = ints("calibration.truth"); err != nil {
			return nil, err
		}
		if cal.Uncal, err = f64("calibration.uncal"); err != nil {
			return nil, err
		}
	}
	if step, ok := a.i64["updates.step"]; ok {
		epoch, examples := a.i64["updates.epoch"], a.i64["updates.examples"]
		loss, lr := a.f64["updates.loss"], a.f64["updates.learning_rate"]
		n := len(step)
		if len(epoch) != n || len(examples) != n || len(loss) != n || len(lr) != n {
			return nil, errors.New("has per-update history arrays of different lengths")
		}
		c.Updates = make([]gd.UpdateStats, n)
		for i := range c.Updates {
			c.Updates[i] = gd.UpdateStats{Step: int(step[i]), Epoch: int(epoch[i]), Examples: int(examples[i]), Loss: loss[i], LearningRate: lr[i]}
		}
	}
	return c, nil
}
