package config

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/dlc-dev/dlc/internal/calibrate"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/option"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// MaxEnsemble is the most networks model.ensemble trains: past a few
// dozen, averaging more gains nothing measurable and costs as much again.
const MaxEnsemble = 64

// Tasks are the values of data.task.
var Tasks = []string{"classification", "regression", "multilabel"}

// where says where the value of key came from, for messages.
func (c *Config) where(key string) string {
	key, _, _ = strings.Cut(key, "[") // data.train[2] was set where data.train was
	if w, ok := c.src[key]; ok {
		return w
	}
	// A key chosen for another is located where that one was set.
	if other, ok := c.derived[key]; ok {
		if w, ok := c.src[other]; ok {
			return w
		}
	}
	// A default is not the file's doing: blaming the file would send the
	// user looking for a line that is not there.
	return "default " + key
}

// setOr returns key if it was set, else other: a value left at its default
// is reported where the key that needs it was set.
func (c *Config) setOr(key, other string) string {
	if _, ok := c.src[key]; ok {
		return key
	}
	return other
}

// Errorf returns a config error about key, located where its value was set.
func (c *Config) Errorf(key, format string, args ...any) error {
	return &Error{Where: c.where(key), Msg: fmt.Sprintf(format, args...)}
}

func oneOf[T ~string](c *Config, key string, v string, allowed []T) error {
	if slices.Contains(allowed, T(v)) {
		return nil
	}
	return c.Errorf(key, "%s %q is not one of %v", key, v, allowed)
}

// neededBy names, for a key whose default a component may refuse (0 =
// unset), the key that made it needed: the error is located there when
// the key itself was not set.
var neededBy = map[string]string{
	"vectorizer.divisor":             "vectorizer.scale",
	"optimizer.schedule.decay_steps": "optimizer.schedule.name",
	"optimizer.schedule.decay_rate":  "optimizer.schedule.name",
}

// optionError turns err, a component's refusal of an option of section
// ("" for a top-level key such as loss), into a config error that names
// the key and where it was set, keeping the component's words. Any other
// error is located at fallback.
func (c *Config) optionError(section, fallback string, err error) error {
	var e *option.Error
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &e):
		return c.Errorf(fallback, "%v", err)
	}
	key := e.Name
	if section != "" {
		key = section + "." + e.Name
	}
	// model.layers[0].dropout was set as part of model.layers.
	at, _, _ := strings.Cut(key, "[")
	if other, ok := neededBy[at]; ok {
		at = c.setOr(at, other)
	}
	return c.Errorf(at, "%s %s", key, e.Msg)
}

// modelError is optionError for mlp, whose options are keys of the model
// section but for loss, a key of its own.
func (c *Config) modelError(err error) error {
	if e, ok := errors.AsType[*option.Error](err); ok && e.Name == "loss" {
		return c.optionError("", "loss", err)
	}
	return c.optionError("model", "loss", err)
}

// Validate checks a config made in Go (Load has checked what it returns):
// what validate checks.
func (c *Config) Validate() error { return c.validate() }

// validate checks the config: the ranges of the components' options by
// asking each component to validate the options build.go makes of its
// section, then what only the config knows — which keys go together and
// what the data must hold for them.
func (c *Config) validate() error {
	d := &c.Data
	if d.Dataset != "" && len(d.Train) > 0 {
		return c.Errorf("data.train", "set data.dataset or data.train, not both")
	}
	if d.ValidationSplit < 0 || d.ValidationSplit >= 1 {
		return c.Errorf("data.validation_split", "data.validation_split must be at least 0 and below 1, not %v", d.ValidationSplit)
	}
	if d.ValidationSplit > 0 && d.Validation != "" {
		return c.Errorf("data.validation", "set data.validation or data.validation_split, not both")
	}
	// Each where it was emptied: the other may be a default no file set.
	for _, f := range []struct{ key, value string }{{"data.text_field", d.TextField}, {"data.label_field", d.LabelField}} {
		if f.value == "" {
			return c.Errorf(f.key, "%s must name a field, not be empty", f.key)
		}
	}
	if err := oneOf(c, "data.task", d.Task, Tasks); err != nil {
		return err
	}
	if err := c.validateMultiLabel(); err != nil {
		return err
	}

	if n := len(c.Vectorizer.CharNGrams); n != 0 && n != 2 {
		return c.Errorf("vectorizer.char_ngrams", "vectorizer.char_ngrams must be [min, max] (two numbers) or [], not %d numbers", n)
	}
	if err := c.optionError("vectorizer", "vectorizer.mode", c.VectorizerOptions().Validate()); err != nil {
		return err
	}
	// At its default it changes nothing, and a config dlc wrote holds every
	// key (train writes the config it used): as char_analyzer's char_wb
	// without char_ngrams, it is accepted.
	if _, set := c.src["vectorizer.nb_alpha"]; set && c.Vectorizer.Weighting != string(vectorize.NB) && c.Vectorizer.NBAlpha != vectorize.DefaultNBAlpha {
		return c.Errorf("vectorizer.nb_alpha", "vectorizer.nb_alpha applies to vectorizer.weighting nb, not %s", c.Vectorizer.Weighting)
	}
	if c.Vectorizer.Weighting == string(vectorize.NB) && c.Regression() {
		return c.Errorf("vectorizer.weighting", "vectorizer.weighting nb weighs features by how they tell labels apart, and a regression has none; remove it")
	}
	if k := c.Model.Ensemble; k < 1 || k > MaxEnsemble {
		return c.Errorf("model.ensemble", "model.ensemble must be a number of networks from 1 to %d, not %d", MaxEnsemble, k)
	}
	if k := c.Model.Ensemble; k > 1 && c.Checkpoint.Dir != "" {
		return c.Errorf("model.ensemble", "model.ensemble's networks train side by side and are not saved in checkpoints: remove checkpoint.dir (or model.ensemble)")
	}
	if c.Vectorizer.Weighting == string(vectorize.NB) && c.MultiLabel() {
		return c.Errorf("vectorizer.weighting", "vectorizer.weighting nb weighs features by the one label of each text, and data.task multilabel gives a text several: remove it")
	}
	// The scaling is FitDense's and the columns are a table's: the text
	// modes would ignore them.
	dense := c.Vectorizer.Mode == string(vectorize.Dense)
	if !dense && c.Vectorizer.Scale != string(vectorize.ScaleNone) {
		return c.Errorf("vectorizer.scale", "vectorizer.scale applies to vectorizer.mode dense (numeric columns), not %s", c.Vectorizer.Mode)
	}
	if err := c.optionError("vectorizer", "vectorizer.scale", c.Scaling().Validate()); err != nil {
		return err
	}
	if !dense && len(c.Data.Features) > 0 {
		return c.Errorf("data.features", "data.features names numeric columns, which only vectorizer.mode dense reads; set vectorizer.mode: dense")
	}

	// The data decide the inputs and the classes. Until they are read, the
	// smallest network the config can describe stands in (one input, two
	// classes), which leaves out only what CheckModel adds once they are.
	if err := c.modelError(c.Spec(1, 2).Validate()); err != nil {
		return err
	}
	if err := c.optionError("optimizer", "optimizer.name", c.OptimizerConfig().Validate()); err != nil {
		return err
	}
	if err := c.optionError("training", "training.method", c.TrainingConfig().Validate()); err != nil {
		return err
	}
	if err := c.validateStreaming(); err != nil {
		return err
	}
	if c.Training.Seed < 0 {
		return c.Errorf("training.seed", "training.seed must not be negative, not %d", c.Training.Seed)
	}
	if es := c.Training.EarlyStopping; es.Monitor != "" && es.Monitor != "none" {
		if strings.HasPrefix(es.Monitor, "val_") && d.ValidationSplit == 0 && d.Validation == "" {
			return c.Errorf("training.early_stopping.monitor", "training.early_stopping.monitor %s needs validation data: set data.validation_split or data.validation", es.Monitor)
		}
		if strings.HasSuffix(es.Monitor, "accuracy") && c.Regression() {
			return c.Errorf("training.early_stopping.monitor", "a regression has no accuracy to monitor: use val_loss or loss")
		}
	}
	if c.Training.ClassWeight.IsSet() && c.Regression() {
		return c.Errorf("training.class_weight", "training.class_weight weighs classes, and a regression has none; remove it")
	}
	if err := c.optionError("calibration", "calibration.method", c.CalibrationOptions().Validate()); err != nil {
		return err
	}
	if m := c.Calibration.Method; c.Regression() && m != calibrate.Auto && m != calibrate.None {
		return c.Errorf("calibration.method", "calibration.method %s calibrates probabilities, and a regression predicts a number: remove it or set none", m)
	}
	if err := c.validateDistributed(); err != nil {
		return err
	}
	cp := c.Checkpoint
	if cp.EveryUpdates < 0 {
		return c.Errorf("checkpoint.every_updates", "checkpoint.every_updates must be at least 0 (0 = not by count), not %d", cp.EveryUpdates)
	}
	if !(cp.EverySeconds >= 0) || math.IsInf(cp.EverySeconds, 0) {
		return c.Errorf("checkpoint.every_seconds", "checkpoint.every_seconds must be at least 0 (0 = not by time), not %v", cp.EverySeconds)
	}
	if cp.Keep < 1 {
		return c.Errorf("checkpoint.keep", "checkpoint.keep must be at least 1, not %d", cp.Keep)
	}
	return nil
}

// CheckModel checks the network once the data have given its inputs and
// classes, naming the config keys involved.
func (c *Config) CheckModel(spec mlp.Spec) error {
	return c.modelError(spec.Validate())
}

// validateStreaming refuses what training.streaming cannot do, and a
// shuffle buffer that cannot hold a row.
func (c *Config) validateStreaming() error {
	t := c.Training
	if t.ShuffleBuffer < 0 {
		return c.Errorf("training.shuffle_buffer", "training.shuffle_buffer must be at least 1 row (0 = the default, 32768), not %d", t.ShuffleBuffer)
	}
	if !t.Streaming {
		return nil
	}
	return c.streamingRefusal()
}

// CanStream reports whether training.streaming could train c (what
// choosing it automatically asks): nil, or the error naming the key that
// keeps c in memory.
func (c *Config) CanStream() error {
	return c.streamingRefusal()
}

// streamingRefusal is the error of the first key that training.streaming
// cannot train, or nil.
func (c *Config) streamingRefusal() error {
	switch {
	case c.Vectorizer.Mode == "dense":
		return c.Errorf("training.streaming", "training.streaming streams texts, and vectorizer.mode dense reads numeric columns or pixels, which train in memory: remove training.streaming")
	case c.Data.ValidationSplit > 0:
		return c.Errorf("training.streaming", "training.streaming cannot draw data.validation_split from a stream it reads once per epoch; give data.validation a file instead")
	case c.Calibration.Folds >= 2:
		return c.Errorf("training.streaming", "training.streaming calibrates on a held-out share of the stream (calibration.holdout), not on folds; remove calibration.folds")
	case c.MultiLabel():
		return c.Errorf("training.streaming", "training.streaming trains one label per text, and data.task multilabel gives a text several: train it in memory")
	case c.Training.Method == "batch":
		return c.Errorf("training.method", "training.method batch computes one gradient over every example at once, and training.streaming holds one batch in memory: use minibatch")
	case c.Model.Ensemble > 1:
		return c.Errorf("training.streaming", "training.streaming trains one network on a stream, and model.ensemble %d trains several side by side in memory: remove one of them", c.Model.Ensemble)
	case c.Vectorizer.Weighting == string(vectorize.NB):
		return c.Errorf("training.streaming", "training.streaming cannot weigh features by the labels (vectorizer.weighting nb), which needs every row before the first is weighed: train in memory or remove the weighting")
	}
	return nil
}

// validateMultiLabel checks what goes with data.task multilabel: texts
// (the numeric columns and pixels of mode dense have one label each), no
// class weights (they weigh the one class of an example) and a calibration
// that keeps each label on its own (see pipeline's multilabel.go).
func (c *Config) validateMultiLabel() error {
	if _, set := c.src["data.label_separator"]; set && c.Data.LabelSeparator == "" {
		// YAML reads a bare | or > as the start of a block of text.
		return c.Errorf("data.label_separator", "data.label_separator is empty; give the characters between two labels in quotes, such as \"|\"")
	}
	if !c.MultiLabel() {
		if c.Data.LabelSeparator != "" {
			return c.Errorf("data.label_separator", "data.label_separator cuts a label field into several labels, which only data.task multilabel reads; set data.task: multilabel or remove it")
		}
		return nil
	}
	switch {
	case c.Vectorizer.Mode == string(vectorize.Dense):
		return c.Errorf("data.task", "data.task multilabel reads texts, and vectorizer.mode dense reads numeric columns or pixels with one label each; use a text mode (multi_hot, count, tf_idf)")
	case c.Training.ClassWeight.IsSet():
		return c.Errorf("training.class_weight", "training.class_weight weighs the one class of each example, and with data.task multilabel a text has any number of labels; remove it")
	case c.Calibration.Method == calibrate.Platt || c.Calibration.Method == calibrate.Isotonic || c.Calibration.Method == calibrate.Monotone:
		return c.Errorf("calibration.method", "calibration.method %s is not made for data.task multilabel, whose labels are calibrated by one temperature shared by all of them: use auto, temperature or none", c.Calibration.Method)
	}
	return nil
}

// validateDistributed checks training.distributed. Its keys mean nothing
// to a run of one process, which leaves them unused; what several
// processes cannot do with them the pipeline refuses when it knows there
// are several.
func (c *Config) validateDistributed() error {
	d := c.Training.Distributed
	if d.SyncEvery < 0 {
		return c.Errorf("training.distributed.sync_every", "training.distributed.sync_every must be at least 0 (0 = at the ends of epochs only), not %d", d.SyncEvery)
	}
	if !(d.Timeout > 0) || math.IsInf(d.Timeout, 0) {
		return c.Errorf("training.distributed.timeout", "training.distributed.timeout must be a number of seconds above 0, not %v", d.Timeout)
	}
	return nil
}
