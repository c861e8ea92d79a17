package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestClassWeightKeepsCase: labels are case-sensitive, but viper lower-cases
// map keys; the weights must come through with their labels as written,
// from the file, from --set and from the environment.
func TestClassWeightKeepsCase(t *testing.T) {
	p := writeConfig(t, "training:\n  class_weight: {POS: 2.5, neg: 1, Mixed: 0}\n")
	c, err := Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := c.Training.ClassWeight.Weights
	if len(w) != 3 || w["POS"] != 2.5 || w["neg"] != 1 || w["Mixed"] != 0 {
		t.Errorf("file: weights %v, want POS 2.5, neg 1, Mixed 0", w)
	}
	c, err = Load(p, []string{"training.class_weight={Spam: 3}"})
	if err != nil || c.Training.ClassWeight.Weights["Spam"] != 3 || len(c.Training.ClassWeight.Weights) != 1 {
		t.Errorf("--set: %+v, %v", c.Training.ClassWeight, err)
	}
	t.Setenv("DLC_TRAINING_CLASS_WEIGHT", "{Ham: 4}")
	c, err = Load(p, nil)
	if err != nil || c.Training.ClassWeight.Weights["Ham"] != 4 {
		t.Errorf("environment: %+v, %v", c.Training.ClassWeight, err)
	}
	t.Setenv("DLC_TRAINING_CLASS_WEIGHT", "balanced")
	if c, err = Load(p, nil); err != nil || !c.Training.ClassWeight.Balanced {
		t.Errorf("balanced: %+v, %v", c.Training.ClassWeight, err)
	}
	t.Setenv("DLC_TRAINING_CLASS_WEIGHT", "")
	// Numeric labels written as YAML numbers are labels too.
	c, err = Load(writeConfig(t, "training:\n  class_weight: {0: 1, 1: 5}\n"), nil)
	if err != nil || c.Training.ClassWeight.Weights["1"] != 5 {
		t.Errorf("numeric labels: %+v, %v", c.Training.ClassWeight, err)
	}
}

func TestNewKeys(t *testing.T) {
	p := writeConfig(t, `data:
  train: d.csv
  task: regression
  features: [x1, x2]
  validation_split: 0.2
vectorizer:
  mode: dense
  scale: standard
model:
  layers:
    - {units: 8, activation: tanh, dropout: 0.5}
  output: linear
  l2: 0.001
loss: mse
optimizer:
  name: adam
  learning_rate: 0.01
  beta_2: 0.99
  schedule:
    name: exponential
    decay_rate: 0.5
    decay_steps: 100
training:
  method: batch
  tolerance: 1e-9
  patience: 4
  early_stopping:
    monitor: val_loss
    patience: 2
    min_delta: 0.001
`)
	c, err := Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Regression() || c.Data.Features[1] != "x2" || c.Vectorizer.Scale != "standard" || c.Model.L2 != 0.001 {
		t.Errorf("data/vectorizer/model: %+v %+v %+v", c.Data, c.Vectorizer, c.Model)
	}
	if h := c.Hidden(); len(h) != 1 || h[0].Dropout != 0.5 {
		t.Errorf("hidden layers %+v", h)
	}
	oc := c.OptimizerConfig()
	if oc.Name != "adam" || oc.Beta2 != 0.99 || oc.Schedule != (gd.Schedule{Name: "exponential", DecayRate: 0.5, DecaySteps: 100}) {
		t.Errorf("optimizer %+v", oc)
	}
	tc := c.TrainingConfig()
	want := gd.EarlyStopping{Monitor: "val_loss", Patience: 2, Stop: true, MinDelta: 0.001, RestoreBest: true}
	if tc.Method != gd.Batch || tc.Tolerance != 1e-9 || tc.Patience != 4 || tc.EarlyStopping != want {
		t.Errorf("training %+v", tc)
	}
	// Early stopping is off unless a monitor is named.
	if d, _ := Load("", nil); d.TrainingConfig().EarlyStopping.Monitor != "" {
		t.Error("early stopping is on by default")
	}
}

// TestBadValues: every new key says what is wrong with it and where.
func TestBadValues(t *testing.T) {
	cases := []struct {
		sets []string
		want string
	}{
		{[]string{"loss=squared_hinge", "model.output=softmax"}, "--set loss: loss squared_hinge needs output linear (or sigmoid), not softmax"},
		{[]string{"data.task=regression", "loss=binary_crossentropy"}, "loss binary_crossentropy cannot fit a numeric target: use loss mse with output linear"},
		{[]string{"data.task=ranking"}, `data.task "ranking" is not one of [classification regression multilabel]`},
		{[]string{"data.task=multilabel", "model.output=softmax", "loss=categorical_crossentropy"}, "--set model.output: model.output softmax makes the labels share one unit of probability, so a text could not have several: use output sigmoid (with binary_crossentropy) or linear (with hinge)"},
		{[]string{"data.task=multilabel", "model.output=linear", "loss=categorical_crossentropy"}, "--set loss: loss categorical_crossentropy picks one label per text: for several, use binary_crossentropy with output sigmoid (a probability per label) or hinge with output linear (a margin per label)"},
		{[]string{"data.task=multilabel", "vectorizer.mode=dense"}, "--set data.task: data.task multilabel reads texts, and vectorizer.mode dense reads numeric columns or pixels with one label each; use a text mode (multi_hot, count, tf_idf)"},
		{[]string{"data.task=multilabel", "training.class_weight=balanced"}, "--set training.class_weight: training.class_weight weighs the one class of each example, and with data.task multilabel a text has any number of labels; remove it"},
		{[]string{"data.task=multilabel", "calibration.method=platt"}, "--set calibration.method: calibration.method platt is not made for data.task multilabel, whose labels are calibrated by one temperature shared by all of them: use auto, temperature or none"},
		{[]string{"data.label_separator=|"}, `--set data.label_separator: data.label_separator is empty; give the characters between two labels in quotes, such as "|"`},
		{[]string{"data.label_separator=;"}, "--set data.label_separator: data.label_separator cuts a label field into several labels, which only data.task multilabel reads; set data.task: multilabel or remove it"},
		{[]string{"optimizer.name=adamw"}, `optimizer.name "adamw" is not one of [sgd momentum nesterov rmsprop adam lazyadam adagrad]`},
		{[]string{"optimizer.momentum=1"}, "optimizer.momentum must be between 0 and 1, not 1"},
		{[]string{"optimizer.schedule.name=step"}, "--set optimizer.schedule.name: optimizer.schedule.decay_steps must be at least 1 for schedule step, not 0"},
		{[]string{"optimizer.schedule.name=step", "optimizer.schedule.decay_steps=10"}, "--set optimizer.schedule.name: optimizer.schedule.decay_rate must be above 0 and at most 1 for schedule step, not 0"},
		{[]string{"optimizer.schedule.name=cosine"}, `optimizer.schedule.name "cosine" is not one of [constant step exponential inverse_time]`},
		{[]string{"training.early_stopping.monitor=val_loss"}, "training.early_stopping.monitor val_loss needs validation data: set data.validation_split or data.validation"},
		{[]string{"training.early_stopping.monitor=val_f1"}, `training.early_stopping.monitor "val_f1" is not one of [val_loss val_accuracy loss accuracy]`},
		{[]string{"training.patience=0"}, "training.patience must be at least 1, not 0"},
		{[]string{"training.tolerance=-1"}, "training.tolerance must be at least 0 (0 = off), not -1"},
		{[]string{"training.class_weight=heavy"}, `training.class_weight must be none, balanced or a mapping {label: weight}, not "heavy"`},
		{[]string{"training.class_weight={pos: -1}"}, `training.class_weight["pos"] must be a number of at least 0, not -1`},
		{[]string{"model.layers=[{units: 4, dropout: 1}]"}, "model.layers[0].dropout must be a fraction of at least 0 and below 1, not 1"},
		{[]string{"model.l2=-0.1"}, "model.l2 must be at least 0, not -0.1"},
		{[]string{"vectorizer.scale=standard"}, "vectorizer.scale applies to vectorizer.mode dense (numeric columns), not multi_hot"},
		{[]string{"data.features=[a]"}, "data.features names numeric columns, which only vectorizer.mode dense reads; set vectorizer.mode: dense"},
		{[]string{"data.task=regression", "loss=mse", "model.output=linear", "training.class_weight=balanced"}, "a regression has none"},
	}
	for _, c := range cases {
		_, err := Load("", c.sets)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("--set %v: got %v, want %q", c.sets, err, c.want)
		}
	}
}

func TestUnknownNestedKey(t *testing.T) {
	p := writeConfig(t, "training:\n  early_stopping:\n    monitr: val_loss\n")
	_, err := Load(p, nil)
	if err == nil || !strings.HasSuffix(err.Error(), `c.yaml:3: unknown key "training.early_stopping.monitr"; did you mean "training.early_stopping.monitor"?`) {
		t.Errorf("got %v", err)
	}
}

// TestKeysAreUnique: a key listed twice in the schema would be documented
// twice and assigned in an order that hides one of its lines.
func TestKeysAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range Keys() {
		if seen[k.Name] {
			t.Errorf("key %s is in the schema twice", k.Name)
		}
		seen[k.Name] = true
	}
}

// FuzzLoad: no config file and no --set makes Load panic, and what it
// refuses it refuses in one line (the CLI prints it as one sentence after
// "dlc: ").
func FuzzLoad(f *testing.F) {
	f.Add([]byte("training:\n  epochs: 4\n"), "optimizer.learning_rate=0.01")
	f.Add([]byte("model:\n  layers:\n    - {units: 16, activation: relu}\n"), "model.layers=[{units: 8}]")
	f.Add([]byte("training:\n  class_weight: {a: 1}\n"), "training.class_weight=balanced")
	f.Add([]byte("loss: hinge\nmodel: {output: linear}\n"), "vectorizer.ngrams=2")
	f.Add([]byte("data: [1, 2\n"), "=")
	f.Add([]byte("training:\n  epochs: 1\ntraining:\n  epochs: 2\n"), "training.epochs=-1")
	f.Fuzz(func(t *testing.T, body []byte, set string) {
		p := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, sets := range [][]string{nil, {set}} {
			_, err := Load(p, sets)
			if err != nil && strings.ContainsAny(err.Error(), "\n\r") {
				t.Errorf("the error is not one line: %q", err)
			}
		}
	})
}

// TestComponentErrorsNameTheKey: a value a component refuses is reported
// in the component's words, under the config key and at the line it was
// set at; a key left unset that another needs, at the line of that other.
func TestComponentErrorsNameTheKey(t *testing.T) {
	cases := []struct {
		body string
		line int
		want string
	}{
		{"vectorizer:\n  mode: count\n  max_tokens: 0\n", 3, "vectorizer.max_tokens must be at least 1, not 0"},
		{"vectorizer:\n  max_df: 0\n", 2, "vectorizer.max_df of 0 would keep no n-gram; use a fraction above 0 or at least 1 document"},
		{"vectorizer:\n  max_df: 0.0\n", 2, "vectorizer.max_df of 0 would keep no n-gram; use a fraction above 0 or at least 1 document"},
		{"vectorizer:\n  hashing: 1024\n  max_df: 0.5\n", 3, "vectorizer.max_df needs a vocabulary, and vectorizer.hashing keeps none; remove one of them"},
		{"vectorizer:\n  mode: dense\n  scale: fixed\n", 3, "vectorizer.divisor must be set: vectorizer.scale fixed divides every value by it (255 for 8-bit pixels)"},
		{"vectorizer:\n  mode: dense\n  scale: max\n  divisor: 255\n", 4, "vectorizer.divisor applies to vectorizer.scale fixed, not max; remove it or set vectorizer.scale: fixed"},
		{"model:\n  layers:\n    - {units: 4, activation: gelu}\n", 2, `model.layers[0].activation "gelu" is not one of [relu sigmoid tanh linear]`},
		{"model:\n  layers:\n    - {units: 0}\n", 2, "model.layers[0].units must be at least 1, not 0"},
		{"model:\n  output: relu\n", 2, `model.output "relu" is not one of [sigmoid softmax linear]`},
		{"model:\n  output: softmax\nloss: hinge\n", 3, "loss hinge needs output linear (or sigmoid), not softmax: the margin is taken on raw scores"},
		{"data:\n  task: regression\nloss: mse\nmodel:\n  output: softmax\n", 5, "model.output softmax cannot predict a number: use output linear with loss mse"},
		{"optimizer:\n  name: adam\n  beta_1: 0\n", 3, "optimizer.beta_1 must be between 0 and 1, not 0"},
		{"optimizer:\n  rho: 0\n", 2, "optimizer.rho must be between 0 and 1, not 0"},
		{"optimizer:\n  schedule:\n    name: step\n", 3, "optimizer.schedule.decay_steps must be at least 1 for schedule step, not 0"},
		{"optimizer:\n  schedule:\n    name: inverse_time\n    decay_steps: 10\n    decay_rate: -1\n", 5, "optimizer.schedule.decay_rate must be at least 0 for schedule inverse_time, not -1"},
		{"training:\n  method: minibatch\n  batch_size: 0\n", 3, "training.batch_size must be at least 1, not 0"},
		{"training:\n  epochs: 0\n", 2, "training.epochs must be at least 1, not 0"},
		{"training:\n  early_stopping:\n    monitor: loss\n    patience: 0\n", 4, "training.early_stopping.patience must be at least 1, not 0"},
		{"training:\n  early_stopping:\n    min_delta: -1\n", 3, "training.early_stopping.min_delta must be at least 0, not -1"},
	}
	for _, c := range cases {
		p := writeConfig(t, c.body)
		_, err := Load(p, nil)
		var e *Error
		if want := fmt.Sprintf("%s:%d: %s", p, c.line, c.want); err == nil || err.Error() != want || !errors.As(err, &e) {
			t.Errorf("%q:\n got %v\nwant %s", c.body, err, want)
		}
	}
}

// TestDefaultsAreTheComponents': the optimizer section's defaults are gd's,
// and the default config is valid to every component as translated.
func TestDefaultsAreTheComponents(t *testing.T) {
	c := Default()
	if got, want := c.OptimizerConfig(), gd.DefaultOptimizer(); got != want {
		t.Errorf("default optimizer %+v, gd's %+v", got, want)
	}
	for name, err := range map[string]error{
		"vectorizer": c.VectorizerOptions().Validate(),
		"scaling":    c.Scaling().Validate(),
		"model":      c.Spec(10, 2).Validate(),
		"optimizer":  c.OptimizerConfig().Validate(),
		"training":   c.TrainingConfig().Validate(),
	} {
		if err != nil {
			t.Errorf("default %s: %v", name, err)
		}
	}
}

// TestTranslation: build.go hands each component the section as given.
func TestTranslation(t *testing.T) {
	p := writeConfig(t, `data:
  task: classification
vectorizer:
  mode: tf_idf
  max_tokens: 500
  ngrams: 2
  lowercase: false
  stop_words: english
  min_token_length: 2
  sublinear_tf: true
  min_df: 2
  max_df: 0.5
model:
  layers: [{units: 8, activation: tanh, dropout: 0.25}]
  output: softmax
  l2: 0.01
  precision: float32
loss: categorical_crossentropy
`)
	c, err := Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantV := vectorize.Options{
		Mode: vectorize.TFIDF, MaxTokens: 500, NGrams: 2,
		Tokenizer:   vectorize.Tokenizer{StripHTML: true, StopWords: "english", MinLength: 2},
		SublinearTF: true, MinDF: vectorize.Docs(2), MaxDF: vectorize.Fraction(0.5),
	}
	if got := c.VectorizerOptions(); got != wantV {
		t.Errorf("vectorizer options %+v, want %+v", got, wantV)
	}
	if got := c.Scaling(); got != (vectorize.Scaling{Scale: vectorize.ScaleNone}) {
		t.Errorf("scaling %+v", got)
	}
	s := c.Spec(7, 3)
	if s.Inputs != 7 || s.Outputs != 3 || s.Output != mlp.Softmax || s.Loss != mlp.CategoricalCrossEntropy ||
		s.L2 != 0.01 || s.Precision != mlp.Float32 || s.Regression ||
		len(s.Hidden) != 1 || s.Hidden[0] != (mlp.LayerSpec{Units: 8, Activation: mlp.Tanh, Dropout: 0.25}) {
		t.Errorf("spec %+v", s)
	}
}

// TestLazySwitch: optimizer.lazy is on by default and turns into
// gd.OptimizerConfig.Dense when off; a model file's config records it only
// when off, so that the config of a model trained before the key existed
// reads back with it on, as one trained with it left alone.
func TestLazySwitch(t *testing.T) {
	c, err := Load(writeConfig(t, "optimizer:\n  name: adam\n"), nil)
	if err != nil || c.OptimizerConfig().Dense {
		t.Fatalf("default: dense %v, %v", c.OptimizerConfig().Dense, err)
	}
	b, _ := json.Marshal(c)
	if strings.Contains(string(b), `"lazy"`) {
		t.Errorf("the default switch is stored: %s", b)
	}
	c, err = Load(writeConfig(t, "optimizer:\n  lazy: false\n"), nil)
	if err != nil || !c.OptimizerConfig().Dense {
		t.Fatalf("lazy false: dense %v, %v", c.OptimizerConfig().Dense, err)
	}
	b, _ = json.Marshal(c)
	if !strings.Contains(string(b), `"lazy":false`) {
		t.Errorf("lazy: false is not stored: %s", b)
	}
	back := Default()
	if err := json.Unmarshal(b, back); err != nil || back.OptimizerConfig().Dense != true {
		t.Errorf("lazy: false read back as dense %v (%v)", back.OptimizerConfig().Dense, err)
	}
	old := Default()
	if err := json.Unmarshal([]byte(`{"optimizer": {"name": "rmsprop"}}`), old); err != nil || old.OptimizerConfig().Dense {
		t.Errorf("a config without the key read back as dense %v (%v)", old.OptimizerConfig().Dense, err)
	}
	if _, err := Load("", []string{"optimizer.lazy=sometimes"}); err == nil || !strings.Contains(err.Error(), "optimizer.lazy must be true or false") {
		t.Errorf("optimizer.lazy=sometimes: %v", err)
	}
}
