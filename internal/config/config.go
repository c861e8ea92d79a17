// Package config is dlc's YAML schema: the keys a training config may hold,
// their defaults, strict decoding with messages that name the key and where
// its value came from, and the precedence flag (--set) > DLC_* environment
// variable > YAML file > default.
package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"

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

// IsSet reports whether any class weighting was asked for.
func (w ClassWeight) IsSet() bool { return w.Balanced || len(w.Weights) > 0 }

// Config is a whole training config. Default() gives every field its
// default; Load overlays a file, the environment and --set on it.
type Config struct {
	Data struct {
		Dataset         string  `json:"dataset"`
		Train           string  `json:"train"`
		Test            string  `json:"test"`
		Validation      string  `json:"validation"`
		ValidationSplit float64 `json:"validation_split"`
		TextField       string  `json:"text_field"`
		LabelField      string  `json:"label_field"`
		Task            string  `json:"task"`
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
	} `json:"vectorizer"`
	Model struct {
		Layers []Layer `json:"layers"`
		Output string  `json:"output"`
		L2     float64 `json:"l2,omitempty"`
		// Precision is "float64" or "float32" (mlp.Spec.Precision).
		Precision string `json:"precision,omitempty"`
	} `json:"model"`
	Loss      string `json:"loss"`
	Optimizer struct {
		Name               string  `json:"name"`
		LearningRate       float64 `json:"learning_rate"`
		Rho                float64 `json:"rho"`
		Epsilon            float64 `json:"epsilon"`
		Momentum           float64 `json:"momentum"`
		Beta1              float64 `json:"beta_1"`
		Beta2              float64 `json:"beta_2"`
		InitialAccumulator float64 `json:"initial_accumulator"`
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
	} `json:"training"`
	Output struct {
		Model string `json:"model"`
	} `json:"output"`

	// Path is the YAML file the config was read from ("" for none).
	Path string `json:"-"`
	// src records where each key not left at its default was set.
	src map[string]string
}

// Default returns the config used when a key is not given: the IMDB
// notebook's model, trained as the book trains it.
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
	c.Optimizer.Name, c.Optimizer.LearningRate = "rmsprop", 0.001
	c.Optimizer.Rho, c.Optimizer.Epsilon = 0.9, 1e-7
	c.Optimizer.Momentum, c.Optimizer.Beta1, c.Optimizer.Beta2 = 0.9, 0.9, 0.999
	c.Optimizer.InitialAccumulator = 0.1
	c.Optimizer.Schedule.Name = "constant"
	c.Vectorizer.Scale = "none"
	c.Training.Method, c.Training.BatchSize, c.Training.Epochs = "minibatch", 512, 4
	c.Training.Seed, c.Training.Shuffle = 42, true
	c.Training.Patience = 3
	c.Training.EarlyStopping.Patience = 3
	c.Training.EarlyStopping.RestoreBestWeights = true
	c.Output.Model = "model.dlc"
	return c
}

// field is one leaf key of the schema, bound to the Config field it fills.
type field struct {
	key string
	ptr any // *string, *int, *float64, *bool, *[]string, *[]Layer or *ClassWeight
	doc string
}

// fields lists every key a config may hold. Adding a key is adding a line.
func (c *Config) fields() []field {
	return []field{
		{"data.dataset", &c.Data.Dataset, "a fetched dataset (dlc fetch --list); sets train and test"},
		{"data.train", &c.Data.Train, "training data: .jsonl, .csv, .tsv (also .gz) or a folder per label"},
		{"data.test", &c.Data.Test, "held-out data, same formats"},
		{"data.validation", &c.Data.Validation, "validation data measured after every epoch"},
		{"data.validation_split", &c.Data.ValidationSplit, "fraction of the training data held out for validation, drawn per label with training.seed (every label keeps at least one training example)"},
		{"data.text_field", &c.Data.TextField, "JSONL/CSV field holding the text"},
		{"data.label_field", &c.Data.LabelField, "JSONL/CSV field holding the label"},
		{"data.task", &c.Data.Task, "classification | regression (the label is a number)"},
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
		{"model.layers", &c.Model.Layers, "hidden layers in order: [{units: 16, activation: relu, dropout: 0.5}, ...]; [] for the one-layer models"},
		{"model.output", &c.Model.Output, "sigmoid | softmax | linear"},
		{"model.l2", &c.Model.L2, "L2 weight decay: adds l2·Σw² over the kernels to the training loss"},
		{"model.precision", &c.Model.Precision, "float64 | float32: the arithmetic of the first layer, where nearly all the work is (float32: about twice as fast there; the weights and the optimizer stay float64)"},
		{"loss", &c.Loss, "mse | binary_crossentropy | categorical_crossentropy | hinge | squared_hinge"},
		{"optimizer.name", &c.Optimizer.Name, "sgd | momentum | nesterov | rmsprop | adam | adagrad"},
		{"optimizer.learning_rate", &c.Optimizer.LearningRate, "step size (the schedule's initial rate)"},
		{"optimizer.rho", &c.Optimizer.Rho, "rmsprop: decay of the squared-gradient average"},
		{"optimizer.epsilon", &c.Optimizer.Epsilon, "rmsprop, adam, adagrad: added to the root in the denominator"},
		{"optimizer.momentum", &c.Optimizer.Momentum, "momentum, nesterov: decay of the velocity"},
		{"optimizer.beta_1", &c.Optimizer.Beta1, "adam: decay of the gradient average"},
		{"optimizer.beta_2", &c.Optimizer.Beta2, "adam: decay of the squared-gradient average"},
		{"optimizer.initial_accumulator", &c.Optimizer.InitialAccumulator, "adagrad: starting sum of squared gradients"},
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
		{"output.model", &c.Output.Model, "where train writes the model file"},
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
		out = append(out, Key{Name: f.key, Default: format(f.ptr), Doc: f.doc})
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
	case *ClassWeight:
		switch {
		case p.Balanced:
			return "balanced"
		case len(p.Weights) > 0:
			keys := make([]string, 0, len(p.Weights))
			for k := range p.Weights {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			parts := make([]string, len(keys))
			for i, k := range keys {
				parts[i] = fmt.Sprintf("%s: %g", k, p.Weights[k])
			}
			return "{" + strings.Join(parts, ", ") + "}"
		}
		return "none"
	}
	return ""
}

// EnvName is the environment variable that overrides key.
func EnvName(key string) string {
	return "DLC_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// Error is a config fault; it names the key and where its value came from.
type Error struct {
	Where string // "configs/imdb.yaml:12", "DLC_TRAINING_EPOCHS", "--set", ...
	Msg   string
}

func (e *Error) Error() string {
	if e.Where == "" {
		return e.Msg
	}
	return e.Where + ": " + e.Msg
}

// Load reads the config file at path (none when ""), then the DLC_*
// environment, then the --set overrides ("key=value", the value parsed as
// YAML), and returns the validated result.
func Load(path string, sets []string) (*Config, error) {
	c := Default()
	c.src = map[string]string{}
	fields := c.fields()
	byKey := map[string]field{}
	v := viper.New()
	for _, f := range fields {
		byKey[f.key] = f
		v.SetDefault(f.key, nil)
	}
	var lines map[string]int
	var nodes map[string]*yaml.Node
	if path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, &Error{Msg: fmt.Sprintf("config file %s does not exist", path)}
			}
			return nil, &Error{Msg: fmt.Sprintf("cannot read config file %s: %v", path, err)}
		}
		if lines, nodes, err = checkKeys(raw, path, byKey); err != nil {
			return nil, err
		}
		v.SetConfigType("yaml")
		if err := v.ReadConfig(strings.NewReader(string(raw))); err != nil {
			return nil, &Error{Where: path, Msg: "is not valid YAML: " + oneLine(err)}
		}
		c.Path = path
	}
	// The environment is read per key below rather than with viper's
	// AutomaticEnv: DLC_DATA (the data directory) would otherwise shadow the
	// whole data: section.
	setFrom := map[string]any{}
	for _, s := range sets {
		key, val, ok := strings.Cut(s, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			return nil, &Error{Where: "--set " + printable(s), Msg: "expected key=value, such as training.epochs=3"}
		}
		if _, known := byKey[key]; !known {
			return nil, &Error{Where: "--set " + printable(s), Msg: unknownKey(key, byKey)}
		}
		parsed, err := parseScalar(val)
		if err != nil {
			return nil, &Error{Where: "--set " + printable(s), Msg: "value is not valid YAML: " + oneLine(err)}
		}
		setFrom[key] = parsed
	}
	for _, f := range fields {
		var where string
		val := v.Get(f.key)
		set, isSet := setFrom[f.key]
		switch env, inEnv := os.LookupEnv(EnvName(f.key)); {
		case isSet:
			where = "--set " + f.key
			// Taken as parsed: viper would lower-case the keys of a map.
			val = set
		case inEnv && env != "":
			where = EnvName(f.key)
			parsed, err := parseScalar(env)
			if err != nil {
				return nil, &Error{Where: where, Msg: "value is not valid YAML: " + oneLine(err)}
			}
			val = parsed
		case v.InConfig(f.key):
			where = fmt.Sprintf("%s:%d", path, lines[f.key])
			if _, isMap := f.ptr.(*ClassWeight); isMap {
				// Read from the YAML itself: viper lower-cases map keys,
				// and labels are case-sensitive.
				var raw any
				if err := nodes[f.key].Decode(&raw); err != nil {
					return nil, &Error{Where: where, Msg: oneLine(err)}
				}
				val = raw
			}
		default:
			continue // keep the default
		}
		if err := assign(f, val); err != nil {
			return nil, &Error{Where: where, Msg: err.Error()}
		}
		c.src[f.key] = where
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// parseScalar reads an environment or --set value as YAML, so that numbers,
// booleans and lists ([{units: 64}]) come out typed.
func parseScalar(s string) (any, error) {
	var out any
	if err := yaml.Unmarshal([]byte(s), &out); err != nil {
		return nil, err
	}
	if out == nil && strings.TrimSpace(s) != "" && strings.TrimSpace(s) != "null" && strings.TrimSpace(s) != "~" {
		return s, nil
	}
	return out, nil
}

// printable is s as typed when it prints as itself, else Go-quoted: an
// error message echoing user input stays one readable line.
func printable(s string) string {
	if q := strconv.Quote(s); q[1:len(q)-1] != s {
		return q
	}
	return s
}

// oneLine is a YAML parser's error as one line: without the parsers'
// prefixes, its list of faults joined by "; ".
func oneLine(err error) string {
	var parts []string
	for _, line := range strings.Split(err.Error(), "\n") {
		line = strings.TrimSpace(line)
		for _, prefix := range []string{"While parsing config:", "yaml:", "unmarshal errors:"} {
			line = strings.TrimSpace(strings.TrimPrefix(line, prefix))
		}
		if line != "" {
			parts = append(parts, line)
		}
	}
	return strings.Join(parts, "; ")
}

// checkKeys walks the YAML document and rejects any key the schema does not
// have, naming it and its line. It returns the line and the value node of
// every leaf key.
func checkKeys(raw []byte, path string, known map[string]field) (map[string]int, map[string]*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, nil, &Error{Where: path, Msg: "is not valid YAML: " + oneLine(err)}
	}
	lines := map[string]int{}
	nodes := map[string]*yaml.Node{}
	if len(doc.Content) == 0 {
		return lines, nodes, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, nil, &Error{Where: fmt.Sprintf("%s:%d", path, root.Line), Msg: "a config is a mapping of keys (data:, model:, training:, ...)"}
	}
	var walk func(n *yaml.Node, prefix string) error
	walk = func(n *yaml.Node, prefix string) error {
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			key := k.Value
			if prefix != "" {
				key = prefix + "." + k.Value
			}
			// A key given twice would have one of its values silently
			// win; YAML itself forbids it.
			if first, twice := seen[k.Value]; twice {
				return &Error{Where: fmt.Sprintf("%s:%d", path, k.Line), Msg: fmt.Sprintf("%q is given a second time (first at line %d); keep one", key, first)}
			}
			seen[k.Value] = k.Line
			if _, leaf := known[key]; leaf {
				lines[key] = k.Line
				nodes[key] = val
				if err := checkItems(val, key, path); err != nil {
					return err
				}
				continue
			}
			if isSection(key, known) {
				if val.Kind != yaml.MappingNode {
					if val.Tag == "!!null" {
						continue
					}
					return &Error{Where: fmt.Sprintf("%s:%d", path, k.Line), Msg: fmt.Sprintf("%q is a section and holds keys, not a value", key)}
				}
				if err := walk(val, key); err != nil {
					return err
				}
				continue
			}
			return &Error{Where: fmt.Sprintf("%s:%d", path, k.Line), Msg: unknownKey(key, known)}
		}
		return nil
	}
	return lines, nodes, walk(root, "")
}

// itemKeys lists the keys allowed in the mappings of list-valued keys.
var itemKeys = map[string][]string{
	"model.layers": {"units", "activation", "dropout"},
}

// checkItems rejects unknown keys inside the items of a list-valued key,
// naming the item's own line.
func checkItems(val *yaml.Node, key, path string) error {
	allowed, ok := itemKeys[key]
	if !ok || val.Kind != yaml.SequenceNode {
		return nil
	}
	for i, item := range val.Content {
		if item.Kind != yaml.MappingNode {
			continue
		}
		for j := 0; j+1 < len(item.Content); j += 2 {
			k := item.Content[j]
			if !slices.Contains(allowed, k.Value) {
				return &Error{Where: fmt.Sprintf("%s:%d", path, k.Line), Msg: fmt.Sprintf("%s[%d] has unknown key %q; an item has %s", key, i, k.Value, strings.Join(allowed, ", "))}
			}
		}
	}
	return nil
}

func isSection(key string, known map[string]field) bool {
	for k := range known {
		if strings.HasPrefix(k, key+".") {
			return true
		}
	}
	return false
}

// unknownKey says a key does not exist, suggesting the closest one.
func unknownKey(key string, known map[string]field) string {
	best, bestD := "", 4
	names := make([]string, 0, len(known))
	for k := range known {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if d := editDistance(key, k); d < bestD {
			best, bestD = k, d
		}
	}
	msg := fmt.Sprintf("unknown key %q", key)
	if best != "" {
		msg += fmt.Sprintf("; did you mean %q?", best)
	} else {
		msg += "; dlc train --help lists the keys"
	}
	return msg
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// assign converts a YAML-typed value into the field, with a message that
// names the key and the expected type.
func assign(f field, val any) error {
	switch p := f.ptr.(type) {
	case *string:
		switch x := val.(type) {
		case string:
			*p = x
		case nil:
			*p = ""
		default:
			return fmt.Errorf("%s must be a string, not %v", f.key, val)
		}
	case *int:
		n, ok := asInt(val)
		if !ok {
			return fmt.Errorf("%s must be a whole number, not %v", f.key, show(val))
		}
		*p = n
	case *float64:
		x, ok := asFloat(val)
		if !ok {
			return fmt.Errorf("%s must be a number, not %v", f.key, show(val))
		}
		*p = x
	case *bool:
		b, ok := val.(bool)
		if !ok {
			return fmt.Errorf("%s must be true or false, not %v", f.key, show(val))
		}
		*p = b
	case *vectorize.DFBound:
		switch x := val.(type) {
		case float64:
			*p = vectorize.Fraction(x)
		default:
			n, ok := asInt(val)
			if !ok {
				return fmt.Errorf("%s must be a number of documents (2) or a fraction of them (0.5), not %v", f.key, show(val))
			}
			*p = vectorize.Docs(n)
		}
	case *[]Layer:
		layers, err := asLayers(f.key, val)
		if err != nil {
			return err
		}
		*p = layers
	case *[]string:
		list, err := asStrings(f.key, val)
		if err != nil {
			return err
		}
		*p = list
	case *ClassWeight:
		w, err := asClassWeight(f.key, val)
		if err != nil {
			return err
		}
		*p = w
	}
	return nil
}

func asStrings(key string, v any) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s must be a list such as [x1, x2], not %v", key, show(v))
	}
	out := make([]string, len(list))
	for i, item := range list {
		switch x := item.(type) {
		case string:
			out[i] = x
		case int, int64, uint64, float64, bool:
			out[i] = fmt.Sprint(x) // a column called 1 is the column "1"
		default:
			return nil, fmt.Errorf("%s[%d] must be a column name, not %v", key, i, show(item))
		}
	}
	return out, nil
}

// asClassWeight reads none, balanced, or a {label: weight} mapping.
func asClassWeight(key string, v any) (ClassWeight, error) {
	var w ClassWeight
	var m map[string]any
	switch x := v.(type) {
	case nil:
		return w, nil
	case string:
		switch x {
		case "", "none":
			return w, nil
		case "balanced":
			w.Balanced = true
			return w, nil
		}
		return w, fmt.Errorf("%s must be none, balanced or a mapping {label: weight}, not %q", key, x)
	case map[string]any:
		m = x
	case map[any]any: // labels that YAML reads as numbers: {0: 1, 1: 5}
		m = make(map[string]any, len(x))
		for k, val := range x {
			m[fmt.Sprint(k)] = val
		}
	default:
		return w, fmt.Errorf("%s must be none, balanced or a mapping {label: weight}, not %v", key, show(v))
	}
	w.Weights = make(map[string]float64, len(m))
	for label, val := range m {
		f, ok := asFloat(val)
		if !ok || f < 0 {
			return w, fmt.Errorf("%s[%q] must be a number of at least 0, not %v", key, label, show(val))
		}
		w.Weights[label] = f
	}
	return w, nil
}

func show(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v)
}

func asInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	case uint64:
		if x <= math.MaxInt64 {
			return int(x), true
		}
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int(x), true
		}
	}
	return 0, false
}

func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, !math.IsNaN(x) && !math.IsInf(x, 0)
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	}
	return 0, false
}

func asLayers(key string, v any) ([]Layer, error) {
	if v == nil {
		return []Layer{}, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s must be a list such as [{units: 16, activation: relu}], not %v", key, show(v))
	}
	out := make([]Layer, 0, len(list))
	for i, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s[%d] must be a mapping such as {units: 16, activation: relu}, not %v", key, i, show(item))
		}
		l := Layer{Activation: "relu"}
		for k, val := range m {
			switch k {
			case "units":
				n, ok := asInt(val)
				if !ok || n < 1 {
					return nil, fmt.Errorf("%s[%d].units must be a whole number of at least 1, not %v", key, i, show(val))
				}
				l.Units = n
			case "activation":
				s, ok := val.(string)
				if !ok {
					return nil, fmt.Errorf("%s[%d].activation must be a string, not %v", key, i, show(val))
				}
				l.Activation = s
			case "dropout":
				p, ok := asFloat(val)
				if !ok || p < 0 || p >= 1 {
					return nil, fmt.Errorf("%s[%d].dropout must be a fraction of at least 0 and below 1, not %v", key, i, show(val))
				}
				l.Dropout = p
			default:
				return nil, fmt.Errorf("%s[%d] has unknown key %q; an item has %s", key, i, k, strings.Join(itemKeys[key], ", "))
			}
		}
		if l.Units == 0 {
			return nil, fmt.Errorf("%s[%d] needs units", key, i)
		}
		out = append(out, l)
	}
	return out, nil
}
