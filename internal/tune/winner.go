package tune

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/dlc-dev/dlc/internal/config"
)

// Describe says what a trial's config trains, in one line: the features,
// the network, the loss, the update rule and the batch size.
func Describe(c *config.Config) string {
	v := c.Vectorizer
	var feats string
	switch v.Mode {
	case "dense":
		feats = "numbers"
		if v.Scale != "none" {
			feats += " (" + v.Scale + ")"
		}
	default:
		grams := "words"
		if v.NGrams == 2 {
			grams = "words+pairs"
		} else if v.NGrams > 2 {
			grams = fmt.Sprintf("1-%d-grams", v.NGrams)
		}
		feats = fmt.Sprintf("%s %s ≤%s", v.Mode, grams, count(v.MaxTokens))
		if !v.MinDF.NoMin() {
			feats += " min_df " + v.MinDF.String()
		}
		if v.Mode == "tf_idf" && v.SublinearTF {
			feats += " sublinear"
		}
		if v.Weighting == "nb" {
			feats += " nb"
		}
	}
	net := []string{feats}
	for _, l := range c.Model.Layers {
		h := fmt.Sprintf("%d %s", l.Units, l.Activation)
		if l.Dropout > 0 {
			h += " d" + strconv.FormatFloat(l.Dropout, 'g', -1, 64)
		}
		net = append(net, h)
	}
	net = append(net, c.Model.Output+" "+c.Loss)
	o := c.Optimizer
	rule := fmt.Sprintf("%s %s", o.Name, strconv.FormatFloat(o.LearningRate, 'g', -1, 64))
	if o.Name == "adagrad" {
		rule += " acc " + strconv.FormatFloat(o.InitialAccumulator, 'g', -1, 64)
	}
	return strings.Join(net, " → ") + "; " + rule + fmt.Sprintf(", batch %d", c.Training.BatchSize)
}

// count writes a token count short: 10k, 1M.
func count(n int) string {
	switch {
	case n >= 1000000 && n%1000000 == 0:
		return strconv.Itoa(n/1000000) + "M"
	case n >= 1000 && n%1000 == 0:
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}

// Config returns the trial's config (nil when its params made none).
func (t *Trial) Config() *config.Config { return t.cfg }

// ErrNoWinner is returned for a search that scored no trial.
var ErrNoWinner = errors.New("the search scored no trial: give it more time (--budget) or look at the trials' errors")

// Winner returns the best trial's config for training on the whole
// training split: the base, the trial's params and training.epochs at the
// epoch its folds scored best. The extra sets, if any, come last.
func (r *Result) Winner() (*config.Config, error) {
	if r.Best == nil {
		return nil, ErrNoWinner
	}
	return config.Load(r.options.Config, r.winnerSets())
}

func (r *Result) winnerSets() []string {
	sets := slices.Clone(r.options.Sets)
	sets = append(sets, r.Best.Trial.Params.Sets()...)
	return append(sets, "training.epochs="+strconv.Itoa(r.Best.BestEpoch))
}

// WinnerYAML writes the winner as a YAML config with comments that say
// how it scored and how it was found: every key the base config set and
// every key the search chose (so that a later dlc with other defaults
// trains the same recipe). Its file paths are written relative to dir,
// the folder the file goes in, as a config's paths are read.
func (r *Result) WinnerYAML(dir string) (string, error) {
	cfg, err := r.Winner()
	if err != nil {
		return "", err
	}
	e := r.Best
	t := e.Trial
	chosen := map[string]bool{"training.epochs": true, "training.seed": true}
	for _, p := range t.Params {
		chosen[p.Key] = true
	}
	if len(t.Params) == 0 && r.Base.NamesOnlyData() {
		// The base won with dlc's general recipe: spelled out, so that
		// the file keeps its recipe whatever a later dlc's defaults.
		for _, k := range SearchedKeys {
			chosen[k] = true
		}
	}
	origin := map[string]string{"base": "the base config as it was", "design": "a point of the starting design", "random": "a random draw"}[t.Origin]
	var b strings.Builder
	for _, par := range []string{
		fmt.Sprintf("The recipe dlc tune found for %s (%d examples, %d labels): %s, %s.",
			r.Data.Paths.Train, r.Data.Train.Len(), len(r.Classes), Describe(cfg), epochsWord(e.BestEpoch)),
		fmt.Sprintf("%d-fold cross-validation on the training split (the test split was not read): mean validation accuracy %.4f ± %.4f (the folds' standard deviation) after epoch %d. Trained on the whole split, it should score %s on new data of the same kind.",
			r.Folds, e.Mean, e.Std, e.BestEpoch, r.ExpectWords(e)),
		fmt.Sprintf("Found by trial %d of %d (%s), in bracket %d of Hyperband (η = %d), scored at rung %d of %d (at most %d epochs a fold, stopped after %d without improvement); %s. The search took %s; seed %d; base config %s.",
			t.ID, len(r.Trials), origin, t.Bracket, Eta, e.Rung+1, rungs, e.Epochs, Patience, r.Summary(), r.stopWords(), r.Base.Training.Seed, baseName(r.options.Config, r.options.Sets)),
		"  dlc train --config THIS_FILE",
	} {
		if b.Len() > 0 {
			b.WriteString("#\n")
		}
		b.WriteString(comment(par))
	}
	b.WriteString(cfg.RelativeTo(dir).KeysYAML(func(key string) bool { return chosen[key] || r.Base.IsSet(key) }))
	return b.String(), nil
}

// Spread is the standard deviation of one accuracy of e's recipe: the
// folds' own, or, when the few folds agree more closely than their size
// allows, the binomial standard deviation of an accuracy measured on
// HeldOut examples, √(p(1−p)/n). Three folds are three samples, and their
// spread can be a fraction of the true one: three folds of R8 that agreed
// within ±0.0008 would promise a test score within ±0.0016, where the
// 2,189 newswires of its test split vary by ±0.0034 on their own.
func (r *Result) Spread(e *Evaluation) float64 {
	sd := e.Std
	if r.HeldOut > 0 {
		p := min(max(e.Mean, 0), 1)
		sd = max(sd, math.Sqrt(p*(1-p)/float64(r.HeldOut)))
	}
	return sd
}

// Expect is the range e's recipe, trained on the whole split, should
// score on new data of the same kind: its cross-validated mean ± two
// Spreads, within [0, 1]. Trained on all the examples rather than a
// fold's share, it tends to land in the upper half.
func (r *Result) Expect(e *Evaluation) (lo, hi float64) {
	sd := r.Spread(e)
	return max(e.Mean-2*sd, 0), min(e.Mean+2*sd, 1)
}

// ExpectWords writes Expect for people: "0.9664 to 0.9814 (its mean ±
// 2 × 0.0037, ...)".
func (r *Result) ExpectWords(e *Evaluation) string {
	lo, hi := r.Expect(e)
	sd := r.Spread(e)
	why := "the folds' standard deviation"
	if sd != e.Std {
		why = fmt.Sprintf("the binomial standard deviation of an accuracy on %d held-out examples, larger than the folds'", r.HeldOut)
	}
	return fmt.Sprintf("%.4f to %.4f (the mean ± 2 × %.4f, %s)", lo, hi, sd, why)
}

// Summary counts the trials: how many were scored, pruned at each rung,
// finished, failed.
func (r *Result) Summary() string {
	pruned := make([]int, rungs)
	var finished, failed, unscored int
	for _, t := range r.Trials {
		switch {
		case t.Best() == nil && len(t.Evaluations) > 0:
			failed++
		case len(t.Evaluations) == 0:
			unscored++
		case t.Pruned >= 0:
			pruned[t.Pruned]++
		default:
			finished++
		}
	}
	parts := []string{fmt.Sprintf("%d trials", len(r.Trials))}
	for i, n := range pruned {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d pruned after %d epochs", n, RungEpochs(i)))
		}
	}
	if finished > 0 {
		parts = append(parts, fmt.Sprintf("%d not pruned", finished))
	}
	if failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", failed))
	}
	if unscored > 0 {
		parts = append(parts, fmt.Sprintf("%d not scored when the search stopped", unscored))
	}
	return strings.Join(parts, ", ")
}

// stopWords says how long the search ran and why it ended.
func (r *Result) stopWords() string {
	why := map[string]string{
		StopTrials: "every trial asked for was run", StopBudget: "its time budget ran out",
		StopInterrupted: "interrupted", StopSpace: "no untried config was left",
	}[r.Stopped]
	return fmt.Sprintf("%.0f s and ended because %s", r.Seconds, why)
}

func baseName(path string, sets []string) string {
	if path == "" {
		path = "none (the defaults)"
	}
	if len(sets) > 0 {
		path += " with --set " + strings.Join(sets, " --set ")
	}
	return path
}

func epochsWord(n int) string {
	if n == 1 {
		return "1 epoch"
	}
	return fmt.Sprintf("%d epochs", n)
}

// comment writes a paragraph as YAML comment lines of at most 76
// characters (a line that starts with spaces is kept as it is).
func comment(par string) string {
	if strings.HasPrefix(par, " ") {
		return "#" + par + "\n"
	}
	var b strings.Builder
	line := "#"
	for _, w := range strings.Fields(par) {
		if len([]rune(line))+1+len([]rune(w)) > 76 && line != "#" {
			b.WriteString(line + "\n")
			line = "#"
		}
		line += " " + w
	}
	b.WriteString(line + "\n")
	return b.String()
}
