package tune

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/gd"
)

// Param is one key of a trial's config and its value, written as YAML.
type Param struct{ Key, Value string }

// Params are what a trial sets, on top of its base config, in the order
// of the space's keys.
type Params []Param

// Sets returns the params as --set overrides (key=value).
func (p Params) Sets() []string {
	out := make([]string, len(p))
	for i, kv := range p {
		out[i] = kv.Key + "=" + kv.Value
	}
	return out
}

// String is the params in one line, key=value separated by spaces.
func (p Params) String() string {
	if len(p) == 0 {
		return "(the base config as it is)"
	}
	return strings.Join(p.Sets(), " ")
}

// SearchedKeys are the keys a Space chooses (those its base leaves
// unset), training.epochs aside.
var SearchedKeys = []string{
	"vectorizer.mode", "vectorizer.max_tokens", "vectorizer.ngrams", "vectorizer.min_df", "vectorizer.sublinear_tf",
	"vectorizer.weighting",
	"model.layers", "model.output", "loss",
	"optimizer.name", "optimizer.learning_rate", "optimizer.initial_accumulator", "training.batch_size",
}

// Space is what a search may choose for a base config: every key of the
// list below that the config leaves unset (a key set in the file, the
// environment or by --set is the user's choice and stays):
//
//   - vectorizer.mode: tf_idf, multi_hot; vectorizer.ngrams: 1 (words),
//     2 (words and pairs); vectorizer.max_tokens: 10k, 30k, 100k, 1M;
//     vectorizer.min_df: 1, 2, 3; vectorizer.sublinear_tf (tf_idf);
//     vectorizer.weighting: none or nb (the naive-Bayes ratios, learnt
//     on each fold's training half; not for multi-label data).
//   - model.layers: none, or one relu layer of 32 to 512 units with
//     dropout 0, 0.2, 0.3 or 0.5, its kernel at most MaxWeights weights
//     (max_tokens × units).
//   - loss and model.output: the hinge loss on a linear output, or
//     cross-entropy (softmax, or a sigmoid for two labels).
//   - optimizer.name: adagrad, lazyadam, rmsprop, momentum, sgd, and
//     optimizer.learning_rate, drawn log-uniformly from the rule's range
//     (Rates); Adagrad starts its accumulator at 1e-4. Adam is searched
//     as lazyadam, what its draws trained before adam's lazy path
//     followed the dense rule: the same seed finds what it found then,
//     and lazyadam scored above adam on IMDB (docs/recipes.md).
//   - training.batch_size: 16, 32, 64, 128.
//
// training.epochs is the search's to choose: each trial is trained for as
// many epochs as its rung allows, with early stopping inside each fold,
// and the winner keeps the number its folds scored best at.
type Space struct {
	base    *config.Config
	classes int
	dense   bool // vectorizer.mode dense (numbers): no text settings
}

// Rates are the learning-rate ranges the space draws from, per rule,
// wide around what works for each on tf-idf text with batches of 16-128.
var Rates = map[string][2]float64{
	gd.NameAdagrad:  {0.005, 0.1},
	gd.NameAdam:     {1e-4, 1e-2},
	gd.NameLazyAdam: {1e-4, 1e-2},
	gd.NameRMSprop:  {1e-4, 1e-2},
	gd.NameMomentum: {0.003, 0.3},
	gd.NameSGD:      {0.03, 3},
}

// MaxWeights bounds the first layer the space draws: max_tokens × units
// (1M words and pairs into 32 units, 100k words into 256). Each weight
// costs 8 bytes three or four times over (the weight, its gradient, the
// rule's state), and two trials train side by side.
const MaxWeights = 32 << 20

// Optimizers are the rules the space draws from.
var Optimizers = []string{gd.NameAdagrad, gd.NameLazyAdam, gd.NameRMSprop, gd.NameMomentum, gd.NameSGD}

// NewSpace returns the space of base for data with classes labels.
func NewSpace(base *config.Config, classes int) *Space {
	return &Space{base: base, classes: classes, dense: base.Vectorizer.Mode == "dense" && base.IsSet("vectorizer.mode")}
}

// Free reports whether the space chooses key (the base leaves it unset).
func (s *Space) Free(key string) bool {
	if s.dense && strings.HasPrefix(key, "vectorizer.") {
		return false
	}
	return !s.base.IsSet(key)
}

// choice is a point of the space as the searcher thinks of it, before the
// keys the base fixes are dropped.
type choice struct {
	mode        string
	ngrams      int
	maxTokens   int
	minDF       int
	sublinear   bool
	nb          bool
	units       int
	dropout     float64
	hinge       bool
	optimizer   string
	rate        float64
	accumulator float64
	batch       int
}

// params turns a choice into the params of the keys the base leaves free.
// The loss and the output go together: when the base sets one, the other
// follows it.
func (s *Space) params(c choice) Params {
	var p Params
	add := func(key, value string) {
		if s.Free(key) {
			p = append(p, Param{key, value})
		}
	}
	add("vectorizer.mode", c.mode)
	add("vectorizer.max_tokens", strconv.Itoa(c.maxTokens))
	add("vectorizer.ngrams", strconv.Itoa(c.ngrams))
	add("vectorizer.min_df", strconv.Itoa(c.minDF))
	mode := c.mode
	if !s.Free("vectorizer.mode") {
		mode = s.base.Vectorizer.Mode
	}
	if mode == "tf_idf" {
		add("vectorizer.sublinear_tf", strconv.FormatBool(c.sublinear))
	}
	if !s.base.MultiLabel() {
		weighting := "none"
		if c.nb {
			weighting = "nb"
		}
		add("vectorizer.weighting", weighting)
	}
	layers := "[]"
	if c.units > 0 {
		layers = fmt.Sprintf("[{units: %d, activation: relu, dropout: %s}]", c.units, num(c.dropout))
	}
	add("model.layers", layers)
	output, loss := s.lossPair(c.hinge)
	add("model.output", output)
	add("loss", loss)
	name := c.optimizer
	if !s.Free("optimizer.name") {
		name = s.base.Optimizer.Name
	}
	add("optimizer.name", name)
	rate := c.rate
	if name != c.optimizer {
		// The base's rule: draw the rate at the same place in its range.
		rate = round2(rescale(c.rate, Rates[c.optimizer], Rates[name]))
	}
	add("optimizer.learning_rate", num(rate))
	if name == gd.NameAdagrad {
		add("optimizer.initial_accumulator", num(c.accumulator))
	}
	add("training.batch_size", strconv.Itoa(c.batch))
	return p
}

// lossPair returns the output and loss of a choice: the hinge loss on a
// linear output, or cross-entropy; a base that sets one of the two keys
// decides the other.
func (s *Space) lossPair(hinge bool) (output, loss string) {
	ce := "softmax"
	ceLoss := "categorical_crossentropy"
	if s.classes == 2 {
		ce, ceLoss = "sigmoid", "binary_crossentropy"
	}
	output, loss = "linear", "hinge"
	if !hinge {
		output, loss = ce, ceLoss
	}
	switch {
	case !s.Free("loss"):
		loss = s.base.Loss
		switch loss {
		case "hinge", "squared_hinge", "mse":
			output = "linear"
		case "binary_crossentropy":
			output = "sigmoid"
		case "categorical_crossentropy":
			output = "softmax"
		}
	case !s.Free("model.output"):
		output = s.base.Model.Output
		switch output {
		case "linear":
			loss = "hinge"
		case "sigmoid":
			loss = "binary_crossentropy"
		case "softmax":
			loss = "categorical_crossentropy"
		}
	}
	return output, loss
}

// rescale maps v from one log range to another.
func rescale(v float64, from, to [2]float64) float64 {
	if to == ([2]float64{}) {
		return v
	}
	f := math.Log(v/from[0]) / math.Log(from[1]/from[0])
	return to[0] * math.Pow(to[1]/to[0], f)
}

// num writes a number as YAML.
func num(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// round2 rounds v to two significant digits: the float nearest the
// two-digit decimal, so that it prints as that decimal (0.00049, where
// scaling by a power of ten gave 0.0004900000000000001).
func round2(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 2, 64), 64)
	return r
}

// design are the first points a search tries, before any drawn at random:
// the base config as it is (the defaults of what it leaves unset), then
// the two recipes the hand search behind configs/ found best on its
// three text sets (docs/recipes.md): the 10,000 most frequent words into
// 256 units (configs/reuters.yaml, the general recipe), and every word and
// pair seen twice, weighted by its naive-Bayes ratio, into 32
// (configs/imdb-ngrams.yaml), both tf-idf with the hinge loss and Adagrad.
// Tried first, they are what a short budget scores (a search of 5 minutes
// on IMDB's 25,000 reviews may score no more than these). A point the
// base's own keys make equal to an earlier one is skipped.
func (s *Space) design() []Params {
	words := choice{mode: "tf_idf", ngrams: 1, maxTokens: 10000, minDF: 1, units: 256, dropout: 0.3, hinge: true,
		optimizer: gd.NameAdagrad, rate: 0.03, accumulator: 1e-4, batch: 32}
	pairs := choice{mode: "tf_idf", ngrams: 2, maxTokens: 1000000, minDF: 2, sublinear: true, nb: true, units: 32, dropout: 0.5, hinge: true,
		optimizer: gd.NameAdagrad, rate: 0.03, accumulator: 1e-4, batch: 32}
	return []Params{nil, s.params(words), s.params(pairs)}
}

// sample draws a point of the space at random.
func (s *Space) sample(rng *rand.Rand) Params {
	pick := func(xs ...int) int { return xs[rng.IntN(len(xs))] }
	c := choice{
		mode:      []string{"tf_idf", "tf_idf", "multi_hot"}[rng.IntN(3)],
		ngrams:    pick(1, 2),
		maxTokens: pick(10000, 30000, 100000, 1000000),
		minDF:     pick(1, 2, 3),
		sublinear: rng.IntN(2) == 1,
		nb:        rng.IntN(2) == 1,
		units:     pick(0, 32, 64, 128, 256, 512),
		dropout:   []float64{0, 0.2, 0.3, 0.5}[rng.IntN(4)],
		hinge:     rng.IntN(2) == 1,
		optimizer: Optimizers[rng.IntN(len(Optimizers))],
		batch:     pick(16, 32, 64, 128),
	}
	maxTokens := c.maxTokens
	if !s.Free("vectorizer.max_tokens") {
		maxTokens = s.base.Vectorizer.MaxTokens
	}
	for c.units > 0 && c.units*maxTokens > MaxWeights {
		c.units /= 2 // 512 → 256 → … → 32 → 16 → 0
		if c.units < 32 {
			c.units = 0
		}
	}
	r := Rates[c.optimizer]
	c.rate = round2(r[0] * math.Pow(r[1]/r[0], rng.Float64()))
	c.accumulator = 1e-4
	return s.params(c)
}
