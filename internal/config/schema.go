package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/dlc-dev/dlc/internal/calibrate"
	"github.com/dlc-dev/dlc/internal/dist"
	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// Layer is one hidden layer of model.layers.
type Layer struct {
	Units      int    `yaml:"units" json:"units"`
	Activation string `yaml:"activation" json:"activation"`
	// Dropout is the fraction of the layer's outputs dropped in training.
	Dropout float64 `yaml:"dropout" json:"dropout,omitempty"`
}

// ClassWeight is training.class_weight: none, "balanced", or a weight per
// label. The labels keep their case (viper would lower-case map keys, so
// the value is read from the YAML itself).
type ClassWeight struct {
	Balanced bool               `json:"balanced,omitempty"`
	Weights  map[string]float64 `json:"weights,omitempty"`
}

// DefaultOn is a switch that is on unless a config turns it off. It is
// left out of a model file's config when on, so that a model trained
// before the switch existed and one trained after it with the switch left
// alone are stored alike.
type DefaultOn bool

// IsZero reports whether the switch is at its default, on (for JSON's
// omitzero).
func (d DefaultOn) IsZero() bool { return bool(d) }

// IsSet reports whether any class weighting was asked for.
func (w ClassWeight) IsSet() bool { return w.Balanced || len(w.Weights) > 0 }

// Config is a whole training config. Default() gives every field its
// default; Load overlays a file, the environment and --set on it.
type Config struct {
	Data struct {
		Dataset         string  `json:"dataset"`
		Train           Files   `json:"train"`
		Test            string  `json:"test"`
		Validation      string  `json:"validation"`
		ValidationSplit float64 `json:"validation_split"`
		TextField       string  `json:"text_field"`
		LabelField      string  `json:"label_field"`
		Task            string  `json:"task"`
		// LabelSeparator cuts a CSV/TSV label field into the labels of a
		// multi-label example ("" = not set).
		LabelSeparator string `json:"label_separator,omitempty"`
		// Features are the numeric columns of vectorizer.mode dense; empty
		// means every column but the label.
		Features []string `json:"features,omitempty"`
	} `json:"data"`
	Vectorizer struct {
		Mode      string `json:"mode"`
		MaxTokens int    `json:"max_tokens"`
		NGrams    int    `json:"ngrams"`
		Lowercase bool   `json:"lowercase"`
		StripHTML bool   `json:"strip_html"`
		Scale     string `json:"scale,omitempty"`
		// Divisor is what scale fixed divides by; 0 = not set.
		Divisor float64 `json:"divisor,omitempty"`
		// The tokenizer's filters and the vocabulary's bounds.
		StopWords      string            `json:"stop_words"`
		MinTokenLength int               `json:"min_token_length"`
		SublinearTF    bool              `json:"sublinear_tf"`
		MinDF          vectorize.DFBound `json:"min_df"`
		MaxDF          vectorize.DFBound `json:"max_df"`
		Hashing        int               `json:"hashing"`
		// Character n-grams and the naive-Bayes weighting (issue 22);
		// empty when unused, so that older configs keep their bytes.
		CharNGrams   []int   `json:"char_ngrams,omitempty"`
		CharAnalyzer string  `json:"char_analyzer,omitempty"`
		Weighting    string  `json:"weighting,omitempty"`
		NBAlpha      float64 `json:"nb_alpha,omitempty"`
	} `json:"vectorizer"`
	Model struct {
		Layers []Layer `json:"layers"`
		Output string  `json:"output"`
		L2     float64 `json:"l2,omitempty"`
		// Precision is "float64" or "float32" (mlp.Spec.Precision).
		Precision string `json:"precision,omitempty"`
		// Ensemble is the number of networks trained and averaged.
		Ensemble int `json:"ensemble,omitempty"`
	} `json:"model"`
	Loss      string `json:"loss"`
	Optimizer struct {
		Name               string    `json:"name"`
		LearningRate       float64   `json:"learning_rate"`
		Rho                float64   `json:"rho"`
		Epsilon            float64   `json:"epsilon"`
		Momentum           float64   `json:"momentum"`
		Beta1              float64   `json:"beta_1"`
		Beta2              float64   `json:"beta_2"`
		InitialAccumulator float64   `json:"initial_accumulator"`
		Lazy               DefaultOn `json:"lazy,omitzero"`
		Schedule           struct {
			Name       string  `json:"name"`
			DecayRate  float64 `json:"decay_rate,omitempty"`
			DecaySteps int     `json:"decay_steps,omitempty"`
		} `json:"schedule"`
	} `json:"optimizer"`
	Training struct {
		Method        string  `json:"method"`
		BatchSize     int     `json:"batch_size"`
		Epochs        int     `json:"epochs"`
		Seed          int     `json:"seed"`
		Shuffle       bool    `json:"shuffle"`
		Tolerance     float64 `json:"tolerance,omitempty"`
		Patience      int     `json:"patience"`
		EarlyStopping struct {
			Monitor            string  `json:"monitor,omitempty"`
			Patience           int     `json:"patience"`
			MinDelta           float64 `json:"min_delta,omitempty"`
			RestoreBestWeights bool    `json:"restore_best_weights"`
		} `json:"early_stopping"`
		ClassWeight ClassWeight `json:"class_weight"`
		// Streaming and ShuffleBuffer: pipeline/stream.go.
		Streaming     bool `json:"streaming,omitempty"`
		ShuffleBuffer int  `json:"shuffle_buffer,omitempty"`
		// Distributed is how the processes of a run under mpirun or srun
		// keep together (pipeline/distributed.go). It is left out of a
		// model file, whose record says how many processes trained it
		// and how: a run of one process writes what it always wrote.
		Distributed struct {
			SyncEvery        int     `json:"sync_every"`
			AverageOptimizer bool    `json:"average_optimizer"`
			Timeout          float64 `json:"timeout"`
		} `json:"-"`
	} `json:"training"`
	Calibration struct {
		Method  string  `json:"method"`
		Holdout float64 `json:"holdout"`
		Folds   int     `json:"folds,omitempty"`
	} `json:"calibration"`
	Output struct {
		Model string `json:"model"`
	} `json:"output"`
	// Checkpoint is where and how often train saves where it stands. It
	// is left out of a model file: a run checkpointed or not, resumed or
	// not, writes the same bytes.
	// The default cadence is by time, not by epoch: a checkpoint costs
	// what writing the state costs (224 MB for the IMDB recipe, whose
	// epochs take seconds), and every 5 minutes bounds that to a small
	// share of any run, however large its network.
	Checkpoint struct {
		Dir          string  `json:"dir"`
		EveryUpdates int     `json:"every_updates"`
		EverySeconds float64 `json:"every_seconds"`
		EveryEpoch   bool    `json:"every_epoch"`
		Keep         int     `json:"keep"`
		// WaitForWrite makes a checkpoint due while the last is being
		// written wait for it, instead of being put off: checkpoints at
		// exactly every every_updates updates, training at the disk's pace.
		WaitForWrite bool `json:"wait_for_write"`
	} `json:"-"`

	// Path is the YAML file the config was read from ("" for none).
	Path string `json:"-"`
	// src records where each key not left at its default was set.
	src map[string]string
	// written keeps the relative paths as the file wrote them, before
	// they were made relative to the file's folder (resolvePaths).
	written map[string]string
	// derived says, for model.output and loss when the config did not set
	// them, why they were chosen (head.go).
	derived map[string]string
	// loaded says the config was read by Load, whose unset keys may be
	// chosen from the data; a model's config keeps what it was trained
	// with.
	loaded bool
	// general says Load gave the config the general recipe (it named only
	// its data): its output and loss are the recipe's, whatever the
	// number of labels.
	general bool
}

// Default returns the config used when a key is not given: the IMDB
// notebook's model, trained as the book trains it. The optimizer's
// defaults are gd's (Keras').
func Default() *Config {
	c := &Config{}
	c.Data.TextField, c.Data.LabelField, c.Data.Task = "text", "label", "classification"
	c.Vectorizer.Mode, c.Vectorizer.MaxTokens, c.Vectorizer.NGrams = "multi_hot", 10000, 1
	c.Vectorizer.Lowercase, c.Vectorizer.StripHTML = true, true
	c.Vectorizer.StopWords, c.Vectorizer.MinTokenLength = "none", 1
	c.Vectorizer.MinDF, c.Vectorizer.MaxDF = vectorize.Docs(1), vectorize.Fraction(1)
	c.Model.Layers = []Layer{{Units: 16, Activation: "relu"}, {Units: 16, Activation: "relu"}}
	c.Model.Output, c.Model.Precision = "sigmoid", "float64"
	c.Loss = "binary_crossentropy"
	o := gd.DefaultOptimizer()
	c.Optimizer.Name, c.Optimizer.LearningRate = o.Name, o.LearningRate
	c.Optimizer.Rho, c.Optimizer.Epsilon = o.Rho, o.Epsilon
	c.Optimizer.Momentum, c.Optimizer.Beta1, c.Optimizer.Beta2 = o.Momentum, o.Beta1, o.Beta2
	c.Optimizer.InitialAccumulator = o.InitialAccumulator
	c.Optimizer.Lazy = DefaultOn(!o.Dense)
	c.Optimizer.Schedule.Name = o.Schedule.Name
	c.Vectorizer.Scale = "none"
	c.Vectorizer.CharNGrams = []int{}
	c.Vectorizer.CharAnalyzer = string(vectorize.CharWB)
	c.Vectorizer.Weighting = string(vectorize.NoWeighting)
	c.Vectorizer.NBAlpha = vectorize.DefaultNBAlpha
	c.Model.Ensemble = 1
	c.Training.Method, c.Training.BatchSize, c.Training.Epochs = "minibatch", 512, 4
	c.Training.Seed, c.Training.Shuffle = 42, true
	c.Training.Patience = 3
	c.Training.EarlyStopping.Patience = 3
	c.Training.EarlyStopping.RestoreBestWeights = true
	cal := calibrate.DefaultOptions()
	c.Calibration.Method, c.Calibration.Holdout, c.Calibration.Folds = cal.Method, cal.Holdout, cal.Folds
	c.Output.Model = "model.dlc"
	c.Checkpoint.EverySeconds, c.Checkpoint.Keep = 300, 3
	c.Training.Distributed.Timeout = dist.DefaultTimeout.Seconds()
	return c
}

// field is one leaf key of the schema, bound to the Config field it fills.
type field struct {
	key string
	ptr any // *string, *Files, *int, *float64, *bool, *[]string, *[]Layer or *ClassWeight
	doc string
}

// fields lists every key a config may hold. Adding a key is adding a line.
func (c *Config) fields() []field {
	return []field{
		{"data.dataset", &c.Data.Dataset, "a fetched dataset (dlc fetch --list); sets train and test"},
		{"data.train", &c.Data.Train, "training data: .jsonl, .csv, .tsv (also .gz) or a folder per label, a pattern of files (part-*.jsonl.gz), or a list of them ([a.jsonl.gz, b.jsonl.gz]) read in order; a relative path is relative to the config file's folder"},
		{"data.test", &c.Data.Test, "held-out data, same formats"},
		{"data.validation", &c.Data.Validation, "validation data measured after every epoch"},
		{"data.validation_split", &c.Data.ValidationSplit, "fraction of the training data held out for validation, drawn per label with training.seed (every label keeps at least one training example)"},
		{"data.text_field", &c.Data.TextField, "JSONL/CSV field holding the text"},
		{"data.label_field", &c.Data.LabelField, "JSONL/CSV field holding the label"},
		{"data.task", &c.Data.Task, "classification | regression (the label is a number) | multilabel (a list of labels per text, any number of them)"},
		{"data.label_separator", &c.Data.LabelSeparator, "multilabel: what separates the labels of a text in a CSV/TSV label column (and a JSONL string), such as \"|\"; a JSONL list needs none"},
		{"data.features", &c.Data.Features, "vectorizer.mode dense: the numeric CSV columns; [] = every column but the label"},
		{"vectorizer.mode", &c.Vectorizer.Mode, "multi_hot | count | tf_idf | dense (numeric CSV columns)"},
		{"vectorizer.max_tokens", &c.Vectorizer.MaxTokens, "vocabulary size: the most frequent tokens/n-grams"},
		{"vectorizer.ngrams", &c.Vectorizer.NGrams, "1 = words, 2 = words + word pairs, 3 = + triples"},
		{"vectorizer.lowercase", &c.Vectorizer.Lowercase, "fold text to lower case"},
		{"vectorizer.strip_html", &c.Vectorizer.StripHTML, "treat HTML tags such as <br /> as separators"},
		{"vectorizer.scale", &c.Vectorizer.Scale, "mode dense: none | standard (zero mean, unit variance per column) | minmax (each column to [0,1]) | max (all values divided by the largest magnitude in the training data) | fixed (all values divided by vectorizer.divisor)"},
		{"vectorizer.divisor", &c.Vectorizer.Divisor, "scale fixed: the number every value is divided by, e.g. 255 for 8-bit pixels (the MNIST notebook's pixels / 255)"},
		{"vectorizer.stop_words", &c.Vectorizer.StopWords, "none | english (scikit-learn's list and its contractions), dropped before n-grams"},
		{"vectorizer.min_token_length", &c.Vectorizer.MinTokenLength, "drop tokens of fewer characters"},
		{"vectorizer.sublinear_tf", &c.Vectorizer.SublinearTF, "tf_idf: weigh a count c as 1 + ln(c)"},
		{"vectorizer.min_df", &c.Vectorizer.MinDF, "keep n-grams found in at least this many training texts (2), or this fraction of them (0.001)"},
		{"vectorizer.max_df", &c.Vectorizer.MaxDF, "keep n-grams found in at most this many training texts (5000), or this fraction of them (0.5)"},
		{"vectorizer.hashing", &c.Vectorizer.Hashing, "0 = a vocabulary; 2^k = hash n-grams into 2^k features (FNV-1a), no vocabulary, max_tokens unused"},
		{"vectorizer.char_ngrams", &c.Vectorizer.CharNGrams, "[min, max]: add character n-grams of min to max characters (Unicode code points) to the features, e.g. [2, 5]; with ngrams 0 they are the only features; [] = none"},
		{"vectorizer.char_analyzer", &c.Vectorizer.CharAnalyzer, "char_ngrams: char_wb (inside each word, marked <word>, as fastText's subwords) | char (across words, over the text with white space made single spaces, punctuation kept)"},
		{"vectorizer.weighting", &c.Vectorizer.Weighting, "none | nb: multiply each feature by its naive-Bayes log-count ratio from the training labels (NBSVM; one-vs-rest, the largest |ratio|, for more than two labels)"},
		{"vectorizer.nb_alpha", &c.Vectorizer.NBAlpha, "weighting nb: the smoothing added to every count"},
		{"model.layers", &c.Model.Layers, "hidden layers in order: [{units: 16, activation: relu, dropout: 0.5}, ...]; [] for the one-layer models"},
		{"model.output", &c.Model.Output, "sigmoid | softmax | linear; unset: the one loss needs, else from the data (sigmoid for two labels, softmax for more, linear for a regression)"},
		{"model.l2", &c.Model.L2, "L2 weight decay: adds l2·Σw² over the kernels to the training loss"},
		{"model.ensemble", &c.Model.Ensemble, "train this many networks from seeds derived from training.seed and answer with the average of their (calibrated) probabilities: predict and evaluate cost that many times one network"},
		{"model.precision", &c.Model.Precision, "float64 | float32: the arithmetic of the first layer, where nearly all the work is (float32: about twice as fast there; the weights and the optimizer stay float64)"},
		{"loss", &c.Loss, "mse | binary_crossentropy | categorical_crossentropy | hinge | squared_hinge; unset: the one model.output needs, else from the data (binary_crossentropy for two labels, categorical_crossentropy for more, mse for a regression)"},
		{"optimizer.name", &c.Optimizer.Name, "sgd | momentum | nesterov | rmsprop | adam | lazyadam | adagrad"},
		{"optimizer.learning_rate", &c.Optimizer.LearningRate, "step size (the schedule's initial rate)"},
		{"optimizer.rho", &c.Optimizer.Rho, "rmsprop: decay of the squared-gradient average"},
		{"optimizer.epsilon", &c.Optimizer.Epsilon, "rmsprop, adam, lazyadam, adagrad: added to the root in the denominator"},
		{"optimizer.momentum", &c.Optimizer.Momentum, "momentum, nesterov: decay of the velocity"},
		{"optimizer.beta_1", &c.Optimizer.Beta1, "adam, lazyadam: decay of the gradient average"},
		{"optimizer.beta_2", &c.Optimizer.Beta2, "adam, lazyadam: decay of the squared-gradient average"},
		{"optimizer.initial_accumulator", &c.Optimizer.InitialAccumulator, "adagrad: starting sum of squared gradients"},
		{"optimizer.lazy", (*bool)(&c.Optimizer.Lazy), "on sparse text, update only the first-layer rows of a batch's words, catching a skipped row up when it returns (the same as every row every step within rounding); false = every weight every step (not for lazyadam, whose lazy update is the rule)"},
		{"optimizer.schedule.name", &c.Optimizer.Schedule.Name, "learning rate per update t: constant | step (lr·rate^floor(t/steps)) | exponential (lr·rate^(t/steps)) | inverse_time (lr/(1+rate·t/steps))"},
		{"optimizer.schedule.decay_rate", &c.Optimizer.Schedule.DecayRate, "the schedule's rate"},
		{"optimizer.schedule.decay_steps", &c.Optimizer.Schedule.DecaySteps, "the schedule's steps (updates)"},
		{"training.method", &c.Training.Method, "batch | minibatch | sgd (one example per update)"},
		{"training.batch_size", &c.Training.BatchSize, "examples per update for minibatch"},
		{"training.epochs", &c.Training.Epochs, "passes over the training data (the cap)"},
		{"training.seed", &c.Training.Seed, "seeds weights, shuffling and dropout: same seed, same model file"},
		{"training.shuffle", &c.Training.Shuffle, "reshuffle the training data before every epoch"},
		{"training.tolerance", &c.Training.Tolerance, "stop at convergence: the epoch's training loss improved by less than this for training.patience epochs (0 = off)"},
		{"training.patience", &c.Training.Patience, "epochs of too little improvement before training.tolerance stops"},
		{"training.early_stopping.monitor", &c.Training.EarlyStopping.Monitor, "val_loss | val_accuracy | loss | accuracy: stop when it stops improving (none = off)"},
		{"training.early_stopping.patience", &c.Training.EarlyStopping.Patience, "epochs without improvement before stopping"},
		{"training.early_stopping.min_delta", &c.Training.EarlyStopping.MinDelta, "the least change that counts as an improvement"},
		{"training.early_stopping.restore_best_weights", &c.Training.EarlyStopping.RestoreBestWeights, "end with the weights of the best epoch, however training ended"},
		{"training.class_weight", &c.Training.ClassWeight, "none | balanced (n/(classes·count)) | a map {label: weight}"},
		{"training.streaming", &c.Training.Streaming, "train from disk in memory that does not grow with the data: a first pass fits the vocabulary, a second writes the rows to a checksummed cache file beside the data, every epoch streams it through a shuffle buffer"},
		{"training.shuffle_buffer", &c.Training.ShuffleBuffer, "training.streaming: the rows of the windowed shuffle (0 = 32768), fed from the cache's blocks in a shuffled order"},
		{"training.distributed.sync_every", &c.Training.Distributed.SyncEvery, "under mpirun or srun (a build with -tags mpi): average the processes' weights every this many updates of an epoch, as well as at its end (0 = at the ends of epochs only)"},
		{"training.distributed.average_optimizer", &c.Training.Distributed.AverageOptimizer, "under mpirun or srun: average the update rule's state (adagrad's sums, rmsprop's and adam's averages, the velocity) with the weights; false = each process keeps its own"},
		{"training.distributed.timeout", &c.Training.Distributed.Timeout, "under mpirun or srun: the seconds a process may go unheard from (dead or stalled) before the run stops, naming it; one alive but late to an average may be ten times this late"},
		{"calibration.method", &c.Calibration.Method, "how predicted probabilities are calibrated on examples the network was not trained on: auto (temperature for two labels, monotone for more: neither changes a decision) | temperature (scores / T before the softmax) | monotone (one increasing piecewise-linear map of the scores shared by the labels, before the softmax) | platt (σ(a·s + b), two labels) | isotonic (a monotone map per label) | none (the network's own outputs)"},
		{"calibration.holdout", &c.Calibration.Holdout, "share of the training data a second network is trained without, to fit the calibration on its scores (the model itself trains on all of it)"},
		{"calibration.folds", &c.Calibration.Folds, "0 = calibration.holdout; 2 or more = cross-fit that many networks instead (as scikit-learn's CalibratedClassifierCV): steadier, that many times the training"},
		{"output.model", &c.Output.Model, "where train writes the model file (relative to the config file's folder)"},
		{"checkpoint.dir", &c.Checkpoint.Dir, "train saves checkpoints into this folder (or --checkpoint DIR), from which --resume DIR goes on exactly; \"\" = none"},
		{"checkpoint.every_updates", &c.Checkpoint.EveryUpdates, "save a checkpoint at most every this many updates (0 = not by count): one due while the last is still being written is put off to the first update after that write, never dropped"},
		{"checkpoint.every_seconds", &c.Checkpoint.EverySeconds, "save a checkpoint when this many seconds have passed since the last (0 = not by time); put off, as every_updates, while the last is being written"},
		{"checkpoint.every_epoch", &c.Checkpoint.EveryEpoch, "save a checkpoint after every epoch (but the last)"},
		{"checkpoint.wait_for_write", &c.Checkpoint.WaitForWrite, "true: a checkpoint due while the last is still being written waits for it instead of being put off, so that they fall exactly every every_updates updates (training then goes at the disk's pace)"},
		{"checkpoint.keep", &c.Checkpoint.Keep, "keep the newest this many checkpoints, removing older ones (at least 1; 2 or more lets a resume fall back past a torn one)"},
	}
}

// Key documents one config key, for help texts.
type Key struct {
	Name, Default, Doc string
}

// Keys lists the schema with defaults, in file order.
func Keys() []Key {
	d := Default()
	var out []Key
	for _, f := range d.fields() {
		def := format(f.ptr)
		if f.key == "loss" || f.key == "model.output" {
			def = "chosen"
		}
		out = append(out, Key{Name: f.key, Default: def, Doc: f.doc})
	}
	return out
}

func format(ptr any) string {
	switch p := ptr.(type) {
	case *string:
		return *p
	case *int:
		return fmt.Sprint(*p)
	case *float64:
		return fmt.Sprint(*p)
	case *bool:
		return fmt.Sprint(*p)
	case *vectorize.DFBound:
		return p.String()
	case *[]Layer:
		parts := make([]string, len(*p))
		for i, l := range *p {
			parts[i] = fmt.Sprintf("{units: %d, activation: %s}", l.Units, l.Activation)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *[]string:
		return "[" + strings.Join(*p, ", ") + "]"
	case *[]int:
		return strings.ReplaceAll(fmt.Sprint(*p), " ", ", ")
	case *ClassWeight:
		return p.format(func(s string) string { return s })
	}
	return ""
}

// format writes the class weights as "balanced", "none" or a flow map
// sorted by label, each label written through label: the same map is
// shown in help texts and resume refusals (format, labels as they are)
// and written to a YAML config by KeysYAML (flow, labels quoted where
// YAML needs it).
func (w *ClassWeight) format(label func(string) string) string {
	switch {
	case w.Balanced:
		return "balanced"
	case len(w.Weights) > 0:
		keys := make([]string, 0, len(w.Weights))
		for k := range w.Weights {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s: %g", label(k), w.Weights[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return "none"
}

// EnvName is the environment variable that overrides key.
func EnvName(key string) string {
	return "DLC_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}
