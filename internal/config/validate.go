package config

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// Tasks are the values of data.task.
var Tasks = []string{"classification", "regression"}

// where says where the value of key came from, for messages.
func (c *Config) where(key string) string {
	if w, ok := c.src[key]; ok {
		return w
	}
	if c.Path != "" {
		return c.Path
	}
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

// validate checks values and combinations that no single type check catches.
func (c *Config) validate() error {
	d := &c.Data
	if d.Dataset != "" && d.Train != "" {
		return c.Errorf("data.train", "set data.dataset or data.train, not both")
	}
	if d.ValidationSplit < 0 || d.ValidationSplit >= 1 {
		return c.Errorf("data.validation_split", "data.validation_split must be at least 0 and below 1, not %v", d.ValidationSplit)
	}
	if d.ValidationSplit > 0 && d.Validation != "" {
		return c.Errorf("data.validation", "set data.validation or data.validation_split, not both")
	}
	if d.TextField == "" || d.LabelField == "" {
		return c.Errorf("data.text_field", "data.text_field and data.label_field must not be empty")
	}
	if err := oneOf(c, "data.task", d.Task, Tasks); err != nil {
		return err
	}
	if err := oneOf(c, "vectorizer.mode", c.Vectorizer.Mode, vectorize.Modes); err != nil {
		return err
	}
	if err := oneOf(c, "vectorizer.scale", c.Vectorizer.Scale, vectorize.Scales); err != nil {
		return err
	}
	dense := c.Vectorizer.Mode == string(vectorize.Dense)
	if !dense && c.Vectorizer.Scale != string(vectorize.ScaleNone) {
		return c.Errorf("vectorizer.scale", "vectorizer.scale applies to vectorizer.mode dense (numeric columns), not %s", c.Vectorizer.Mode)
	}
	switch v := c.Vectorizer; {
	case !(v.Divisor >= 0) || math.IsInf(v.Divisor, 0):
		return c.Errorf("vectorizer.divisor", "vectorizer.divisor must be a number above 0, not %v", v.Divisor)
	case v.Scale == string(vectorize.ScaleFixed) && v.Divisor == 0:
		return c.Errorf(c.setOr("vectorizer.divisor", "vectorizer.scale"), "vectorizer.scale fixed divides every value by vectorizer.divisor; set it (255 for 8-bit pixels)")
	case v.Scale != string(vectorize.ScaleFixed) && v.Divisor != 0:
		return c.Errorf("vectorizer.divisor", "vectorizer.divisor applies to vectorizer.scale fixed, not %s; remove it or set vectorizer.scale: fixed", v.Scale)
	}
	if !dense && len(c.Data.Features) > 0 {
		return c.Errorf("data.features", "data.features names numeric columns, which only vectorizer.mode dense reads; set vectorizer.mode: dense")
	}
	if c.Vectorizer.MaxTokens < 1 {
		return c.Errorf("vectorizer.max_tokens", "vectorizer.max_tokens must be at least 1, not %d", c.Vectorizer.MaxTokens)
	}
	if c.Vectorizer.NGrams < 1 || c.Vectorizer.NGrams > vectorize.MaxNGrams {
		return c.Errorf("vectorizer.ngrams", "vectorizer.ngrams must be between 1 and %d, not %d", vectorize.MaxNGrams, c.Vectorizer.NGrams)
	}
	if err := c.validateVectorizer(); err != nil {
		return err
	}
	for i, l := range c.Model.Layers {
		if !slices.Contains(mlp.HiddenActivations, mlp.Activation(l.Activation)) {
			return c.Errorf("model.layers", "model.layers[%d].activation %q is not one of %v", i, l.Activation, mlp.HiddenActivations)
		}
	}
	if err := oneOf(c, "model.output", c.Model.Output, mlp.OutputActivations); err != nil {
		return err
	}
	if err := oneOf(c, "loss", c.Loss, mlp.Losses); err != nil {
		return err
	}
	if err := mlp.CheckLoss(mlp.Loss(c.Loss), mlp.Activation(c.Model.Output), c.Regression()); err != nil {
		return c.Errorf("loss", "%v", err)
	}
	if !(c.Model.L2 >= 0) {
		return c.Errorf("model.l2", "model.l2 must be at least 0, not %v", c.Model.L2)
	}
	if err := oneOf(c, "model.precision", c.Model.Precision, []string{mlp.Float64, mlp.Float32}); err != nil {
		return err
	}
	if err := oneOf(c, "optimizer.name", c.Optimizer.Name, gd.OptimizerNames); err != nil {
		return err
	}
	if !(c.Optimizer.LearningRate > 0) {
		return c.Errorf("optimizer.learning_rate", "optimizer.learning_rate must be above 0, not %v", c.Optimizer.LearningRate)
	}
	if c.Optimizer.Rho <= 0 || c.Optimizer.Rho >= 1 {
		return c.Errorf("optimizer.rho", "optimizer.rho must be between 0 and 1, not %v", c.Optimizer.Rho)
	}
	if !(c.Optimizer.Epsilon > 0) {
		return c.Errorf("optimizer.epsilon", "optimizer.epsilon must be above 0, not %v", c.Optimizer.Epsilon)
	}
	for _, p := range []struct {
		key string
		v   float64
	}{{"optimizer.momentum", c.Optimizer.Momentum}, {"optimizer.beta_1", c.Optimizer.Beta1}, {"optimizer.beta_2", c.Optimizer.Beta2}} {
		if !(p.v > 0 && p.v < 1) {
			return c.Errorf(p.key, "%s must be between 0 and 1, not %v", p.key, p.v)
		}
	}
	if !(c.Optimizer.InitialAccumulator >= 0) {
		return c.Errorf("optimizer.initial_accumulator", "optimizer.initial_accumulator must be at least 0, not %v", c.Optimizer.InitialAccumulator)
	}
	sch := c.Optimizer.Schedule
	if err := oneOf(c, "optimizer.schedule.name", sch.Name, gd.ScheduleNames); err != nil {
		return err
	}
	if sch.Name != gd.Constant {
		if sch.DecaySteps < 1 {
			return c.Errorf(c.setOr("optimizer.schedule.decay_steps", "optimizer.schedule.name"), "optimizer.schedule.decay_steps must be at least 1 for schedule %s, not %d", sch.Name, sch.DecaySteps)
		}
		if err := c.Schedule().Validate(); err != nil {
			return c.Errorf(c.setOr("optimizer.schedule.decay_rate", "optimizer.schedule.name"), "optimizer.%v", err)
		}
	}
	if err := oneOf(c, "training.method", c.Training.Method, gd.Methods); err != nil {
		return err
	}
	if c.Training.BatchSize < 1 {
		return c.Errorf("training.batch_size", "training.batch_size must be at least 1, not %d", c.Training.BatchSize)
	}
	if c.Training.Epochs < 1 {
		return c.Errorf("training.epochs", "training.epochs must be at least 1, not %d", c.Training.Epochs)
	}
	if c.Training.Seed < 0 {
		return c.Errorf("training.seed", "training.seed must not be negative, not %d", c.Training.Seed)
	}
	if !(c.Training.Tolerance >= 0) {
		return c.Errorf("training.tolerance", "training.tolerance must be at least 0 (0 = off), not %v", c.Training.Tolerance)
	}
	if c.Training.Patience < 1 {
		return c.Errorf("training.patience", "training.patience must be at least 1, not %d", c.Training.Patience)
	}
	es := c.Training.EarlyStopping
	if es.Monitor != "" && es.Monitor != "none" {
		if err := oneOf(c, "training.early_stopping.monitor", es.Monitor, gd.Monitors); err != nil {
			return err
		}
		if strings.HasPrefix(es.Monitor, "val_") && d.ValidationSplit == 0 && d.Validation == "" {
			return c.Errorf("training.early_stopping.monitor", "training.early_stopping.monitor %s needs validation data: set data.validation_split or data.validation", es.Monitor)
		}
		if strings.HasSuffix(es.Monitor, "accuracy") && c.Regression() {
			return c.Errorf("training.early_stopping.monitor", "a regression has no accuracy to monitor: use val_loss or loss")
		}
	}
	if es.Patience < 1 {
		return c.Errorf("training.early_stopping.patience", "training.early_stopping.patience must be at least 1, not %d", es.Patience)
	}
	if !(es.MinDelta >= 0) {
		return c.Errorf("training.early_stopping.min_delta", "training.early_stopping.min_delta must be at least 0, not %v", es.MinDelta)
	}
	if c.Training.ClassWeight.IsSet() && c.Regression() {
		return c.Errorf("training.class_weight", "training.class_weight weighs classes, and a regression has none; remove it")
	}
	if c.Output.Model == "" {
		return c.Errorf("output.model", "output.model must name a file")
	}
	return nil
}

// CheckModel validates the loss/output pairing for a task with the given
// number of classes, naming the config keys involved.
func (c *Config) CheckModel(spec mlp.Spec) error {
	if err := spec.Validate(); err != nil {
		return c.Errorf("loss", "%v", err)
	}
	return nil
}

// validateVectorizer checks the tokenizer filters, the document-frequency
// bounds and hashing.
func (c *Config) validateVectorizer() error {
	v := &c.Vectorizer
	if err := oneOf(c, "vectorizer.stop_words", v.StopWords, vectorize.StopWordLists); err != nil {
		return err
	}
	if v.MinTokenLength < 1 {
		return c.Errorf("vectorizer.min_token_length", "vectorizer.min_token_length must be at least 1, not %d", v.MinTokenLength)
	}
	if v.SublinearTF && v.Mode != string(vectorize.TFIDF) {
		return c.Errorf("vectorizer.sublinear_tf", "vectorizer.sublinear_tf applies to mode tf_idf, not %s", v.Mode)
	}
	for _, b := range []struct {
		key   string
		bound vectorize.DFBound
	}{{"vectorizer.min_df", v.MinDF}, {"vectorizer.max_df", v.MaxDF}} {
		switch x := b.bound; {
		case x.Value < 0:
			return c.Errorf(b.key, "%s must not be negative, not %s", b.key, x)
		case x.Fraction && x.Value > 1:
			return c.Errorf(b.key, "%s must be a fraction from 0.0 to 1.0 or a whole number of documents, not %s", b.key, x)
		case b.key == "vectorizer.max_df" && x.Value == 0:
			return c.Errorf(b.key, "vectorizer.max_df of %s would keep no n-gram; use a fraction above 0 or at least 1 document", x)
		}
	}
	if h := v.Hashing; h != 0 {
		if h < 2 || h > vectorize.MaxHashing || h&(h-1) != 0 {
			return c.Errorf("vectorizer.hashing", "vectorizer.hashing must be 0 (off) or a power of two from 2 to %d (2^24), not %d", vectorize.MaxHashing, h)
		}
		if !v.MinDF.NoMin() {
			return c.Errorf("vectorizer.min_df", "vectorizer.min_df needs a vocabulary, and vectorizer.hashing keeps none; remove one of them")
		}
		if !v.MaxDF.NoMax() {
			return c.Errorf("vectorizer.max_df", "vectorizer.max_df needs a vocabulary, and vectorizer.hashing keeps none; remove one of them")
		}
	}
	return nil
}
