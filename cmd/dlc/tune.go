package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/dlc-dev/dlc/internal/atomicfile"
	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/pipeline"
	"github.com/dlc-dev/dlc/internal/tune"
)

type tuneOptions struct {
	Config  string
	Sets    []string
	Budget  time.Duration
	Trials  int
	Folds   int
	Out     string
	Format  string
	Train   bool
	Model   string
	Offline bool
}

// defaultBudget is the search's time when neither --budget nor --trials
// is given.
const defaultBudget = 5 * time.Minute

func newTuneCmd(g *globals, stdio *IO) *cobra.Command {
	o := &tuneOptions{}
	cmd := &cobra.Command{
		Use:   "tune --config FILE [--budget 5m | --trials N]",
		Short: "Search for the recipe that suits a config's data best",
		Long: `tune searches the keys the config leaves unset — the vectorizer (mode,
n-grams, max_tokens, min_df, sublinear tf), the network (no hidden layer or
one of 32 to 512 relu units, dropout), the loss (hinge or cross-entropy),
the update rule and its learning rate, the batch size and the number of
epochs — by k-fold cross-validation on the training split: the test split
(and any validation data) is never read. Keys the config sets (in the file,
the environment or by --set) are kept as they are.

The trials are spent by Hyperband: brackets of successive halving that
train many recipes for 3 epochs on every fold, promote the best third to 9
epochs and the best of those to 27, a fold stopping early when its accuracy
has not improved for 3 epochs. The first trials are the config as it is
and the two recipes of configs/ (words, and words with pairs), then random
draws. Each fold is vectorized once per vectorizer setting and shared; two
trainings run side by side. The same config, seed and --trials give the
same search.

Each trial scored is printed as the search goes (its mean accuracy over the
folds ± their standard deviation, the epoch of the best mean, how long its
trainings took), each rung's promotions and prunings, and at the end a
leaderboard. The winner is written to --out as a commented YAML config
with training.epochs at its best epoch and the range it should score in on
new data (its mean ± 2 standard deviations of one accuracy: the folds', or
the binomial one of a fold's size when the folds agree more closely); --train also trains it on the
whole training split, as dlc train would, and writes the model.

The search stops when --budget has passed (the trainings under way are
left out) or --trials trials have climbed their brackets. Ctrl-C stops it
at once and writes the best config found so far; the exit status is then
130.`,
		Example: `  dlc tune --config data-only.yaml                     # 5 minutes, writes best.yaml
  dlc tune -c data-only.yaml --budget 20m --train --model best.dlc
  dlc tune -c configs/reuters.yaml --set model.layers=[] --trials 20 --folds 5 --out linear.yaml
  dlc tune -c data-only.yaml --format json > search.jsonl`,
		Args: exactArgs(0, "no arguments (the config is --config FILE)"),
		RunE: func(c *cobra.Command, _ []string) error {
			return runTune(c.Context(), g, stdio, o, c.Flags().Changed("budget"), c.Flags().Changed("trials"), c.Flags().Changed("folds"))
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Config, "config", "c", "", "the base YAML config: its data, and whatever it fixes (required)")
	f.StringArrayVar(&o.Sets, "set", nil, "override a config key of the base: --set training.seed=7 (repeatable)")
	f.DurationVar(&o.Budget, "budget", defaultBudget, "stop searching after this long (5m, 1h30m)")
	f.IntVar(&o.Trials, "trials", 0, "stop after this many trials instead of after --budget")
	f.IntVar(&o.Folds, "folds", 0, fmt.Sprintf("k of the k-fold cross-validation (default %d, or 2 for %d training examples or more)", tune.DefaultFolds, tune.BigFolds))
	f.StringVarP(&o.Out, "out", "o", "best.yaml", "where to write the winning config")
	f.Var(newEnum(&o.Format, "text", "text", "json"), "format", "text, or json: one object per line")
	f.BoolVar(&o.Train, "train", false, "train the winner on the whole training split and write the model")
	f.StringVar(&o.Model, "model", "", "with --train: where to write the model (default: output.model of the config)")
	f.BoolVar(&o.Offline, "offline", false, "never download: fail when data.dataset is not fetched yet")
	return cmd
}

func runTune(ctx context.Context, g *globals, stdio *IO, o *tuneOptions, budgetSet, trialsSet, foldsSet bool) error {
	switch {
	case o.Config == "":
		return usageErrorf("dlc tune needs --config FILE; see dlc tune --help")
	case budgetSet && trialsSet:
		return usageErrorf("give --budget or --trials, not both")
	// --trials 0 would otherwise fall back on the 5-minute budget.
	case trialsSet && o.Trials < 1:
		return usageErrorf("--trials must be at least 1, not %d", o.Trials)
	case o.Trials == 0 && o.Budget <= 0:
		return usageErrorf("--budget must be above 0, not %v", o.Budget)
	case o.Folds < 2 && (o.Folds != 0 || foldsSet):
		return usageErrorf("--folds must be at least 2, not %d", o.Folds)
	case o.Model != "" && !o.Train:
		return usageErrorf("--model names the model --train writes; add --train")
	}
	budget := o.Budget
	if o.Trials > 0 {
		budget = 0
	}
	cfg, err := config.Load(o.Config, o.Sets)
	if err != nil {
		return err
	}
	modelPath, modelName := cfg.Output.Model, "output.model ("+cfg.Where("output.model")+")"
	if o.Model != "" {
		modelPath, modelName = o.Model, "--model"
	}
	outputs := []namedPath{{o.Out, "--out"}}
	if o.Train {
		outputs = append(outputs, namedPath{modelPath, modelName})
	}
	for _, out := range outputs {
		if err := checkOutput(out.path, out.name); err != nil {
			return err
		}
	}
	if err := fetchForConfig(ctx, g, stdio, cfg, o.Offline); err != nil {
		return err
	}
	paths, err := pipeline.Resolve(cfg, g.DataDir)
	if err != nil {
		return err
	}
	if err := checkOutputs(outputs, inputsOf(o.Config, paths)); err != nil {
		return err
	}

	p := &tunePrinter{stdio: stdio, json: o.Format == "json"}
	res, err := tune.Search(ctx, tune.Options{
		Config: o.Config, Sets: o.Sets, DataDir: g.DataDir, Folds: o.Folds, Budget: budget, Trials: o.Trials,
		OnStart: func(r *tune.Result) {
			limit := fmt.Sprintf("a budget of %v", budget)
			if o.Trials > 0 {
				limit = fmt.Sprintf("%d trials", o.Trials)
			}
			stdio.Progressf("%d training examples of %s, %d labels; %d-fold cross-validation, %s\n",
				r.Data.Train.Len(), r.Data.Paths.Train, len(r.Classes), r.Folds, limit)
		},
		OnEvaluation: p.evaluation,
		OnRung:       p.rung,
	})
	if err != nil {
		return interruptedOr(err)
	}
	// From here a signal waits for the winner to be written.
	release := shutdown.hold()
	defer release()
	p.result(res)
	if res.Best == nil {
		if res.Stopped == tune.StopInterrupted {
			return interrupted("interrupted before any trial was scored; nothing was written")
		}
		return tune.ErrNoWinner
	}
	text, err := res.WinnerYAML(filepath.Dir(o.Out))
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(o.Out, []byte(text), 0o644); err != nil {
		return err
	}
	p.wrote(res, o.Out)
	if res.Stopped == tune.StopInterrupted {
		return interrupted("interrupted; wrote the best config found so far (trial %d) to %s", res.Best.Trial.ID, o.Out)
	}
	release()
	if !o.Train {
		return nil
	}
	return trainWinner(ctx, stdio, res, o, modelPath)
}

// trainWinner trains the winning config on the whole training split (the
// search read nothing else, and neither does this) and writes the model.
func trainWinner(ctx context.Context, stdio *IO, res *tune.Result, o *tuneOptions, modelPath string) error {
	cfg, err := res.Winner()
	if err != nil {
		return err
	}
	release := func() {}
	defer func() { release() }()
	hooks := pipeline.Hooks{
		Started: func(s *pipeline.Setup) {
			release = shutdown.hold()
			stdio.Progressf("training the winner on all %d training examples: %s\n", s.Examples, describe(s.Spec))
		},
		Epoch: func(st *gd.EpochStats) error {
			stdio.Progressf("%s\n", epochLine(st, cfg.Training.Epochs, false))
			return nil
		},
	}
	m, tr, err := pipeline.Train(ctx, cfg, res.Data, hooks)
	if err != nil {
		return interruptedOr(err)
	}
	m.Record.DLCVersion = version
	if err := model.Save(modelPath, m); err != nil {
		return err
	}
	if o.Format == "json" {
		json.NewEncoder(stdio.Out).Encode(struct {
			Event       string `json:"event"`
			Model       string `json:"model"`
			Epochs      int    `json:"epochs"`
			Interrupted bool   `json:"interrupted"`
		}{"model", modelPath, len(tr.History), tr.Interrupted})
	} else {
		fmt.Fprintf(stdio.Out, "model written to %s (dlc evaluate --model %s scores it on the test split)\n", modelPath, modelPath)
	}
	if tr.Interrupted {
		return interrupted("interrupted in epoch %d of the final training; wrote the weights as they were to %s", len(tr.History)+1, modelPath)
	}
	return nil
}

// tunePrinter prints the search as it goes, as text or one JSON object per
// line; the search calls it one event at a time.
type tunePrinter struct {
	stdio *IO
	json  bool
	mu    sync.Mutex
	best  *tune.Evaluation
}

func (p *tunePrinter) emit(v any) {
	json.NewEncoder(p.stdio.Out).Encode(v)
}

// evalJSON is an evaluation as --format json prints it.
type evalJSON struct {
	Event            string            `json:"event"`
	Trial            int               `json:"trial"`
	Origin           string            `json:"origin"`
	Bracket          int               `json:"bracket"`
	Rung             int               `json:"rung"`
	MaxEpochs        int               `json:"max_epochs"`
	Params           map[string]string `json:"params"`
	Recipe           string            `json:"recipe,omitempty"`
	Mean             *float64          `json:"cv_mean,omitempty"`
	Std              *float64          `json:"cv_std,omitempty"`
	BestEpoch        int               `json:"best_epoch,omitempty"`
	Curve            []float64         `json:"curve,omitempty"`
	FoldEpochs       []int             `json:"fold_epochs,omitempty"`
	Seconds          float64           `json:"seconds"`
	VectorizeSeconds float64           `json:"vectorize_seconds"`
	Error            string            `json:"error,omitempty"`
}

func toJSON(e *tune.Evaluation) evalJSON {
	t := e.Trial
	j := evalJSON{Event: "evaluation", Trial: t.ID, Origin: t.Origin, Bracket: t.Bracket, Rung: e.Rung + 1, MaxEpochs: e.Epochs,
		Params: map[string]string{}, Seconds: round3(e.Seconds), VectorizeSeconds: round3(e.VectorizeSeconds)}
	for _, kv := range t.Params {
		j.Params[kv.Key] = kv.Value
	}
	if c := t.Config(); c != nil {
		j.Recipe = tune.Describe(c)
	}
	if e.Err != nil {
		j.Error = e.Err.Error()
		return j
	}
	j.Mean, j.Std, j.BestEpoch = &e.Mean, &e.Std, e.BestEpoch
	for _, v := range e.Curve {
		j.Curve = append(j.Curve, math.Round(v*1e6)/1e6)
	}
	for _, f := range e.Folds {
		j.FoldEpochs = append(j.FoldEpochs, len(f.Accuracy))
	}
	return j
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

func (p *tunePrinter) evaluation(e *tune.Evaluation) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		p.emit(toJSON(e))
		return
	}
	t := e.Trial
	head := fmt.Sprintf("trial %3d %-6s rung %d/3 ≤%2d ep", t.ID, t.Origin, e.Rung+1, e.Epochs)
	if e.Err != nil {
		fmt.Fprintf(p.stdio.Out, "%s  failed: %v\n", head, e.Err)
		return
	}
	mark := ""
	if p.best == nil || e.Mean > p.best.Mean {
		p.best, mark = e, "  best so far"
	}
	secs := fmt.Sprintf("%6.1fs", e.Seconds)
	if e.VectorizeSeconds > 0 {
		secs += fmt.Sprintf(" +%.1fs vectorizing", e.VectorizeSeconds)
	}
	fmt.Fprintf(p.stdio.Out, "%s  %.4f ± %.4f @%2d  %s  %s%s\n", head, e.Mean, e.Std, e.BestEpoch, secs, tune.Describe(t.Config()), mark)
}

func (p *tunePrinter) rung(r *tune.Rung) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var promoted, pruned []int
	for _, e := range r.Evaluations {
		if slices.Contains(r.Promoted, e.Trial) {
			promoted = append(promoted, e.Trial.ID)
		} else if r.Promoted != nil {
			pruned = append(pruned, e.Trial.ID)
		}
	}
	if p.json {
		p.emit(struct {
			Event     string `json:"event"`
			Bracket   int    `json:"bracket"`
			Rung      int    `json:"rung"`
			MaxEpochs int    `json:"max_epochs"`
			Scored    int    `json:"scored"`
			Promoted  []int  `json:"promoted"`
			Pruned    []int  `json:"pruned"`
		}{"rung", r.Bracket, r.Rung + 1, r.Epochs, len(r.Evaluations), orEmpty(promoted), orEmpty(pruned)})
		return
	}
	if r.Promoted == nil {
		fmt.Fprintf(p.stdio.Out, "bracket %d, rung %d/3 done: %d scored at up to %d epochs\n", r.Bracket, r.Rung+1, len(r.Evaluations), r.Epochs)
		return
	}
	fmt.Fprintf(p.stdio.Out, "bracket %d, rung %d/3 done: %s promoted to %d epochs, %s pruned\n",
		r.Bracket, r.Rung+1, trialList(promoted), tune.RungEpochs(r.Rung+1), trialList(pruned))
}

// orEmpty is ids, or an empty list rather than JSON's null.
func orEmpty(ids []int) []int {
	if ids == nil {
		return []int{}
	}
	return ids
}

func trialList(ids []int) string {
	if len(ids) == 0 {
		return "none"
	}
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	word := "trials "
	if len(ids) == 1 {
		word = "trial "
	}
	return word + strings.Join(s, ", ")
}

// trialJSON is one trial of the final report.
type trialJSON struct {
	Trial       int               `json:"trial"`
	Origin      string            `json:"origin"`
	Params      map[string]string `json:"params"`
	Recipe      string            `json:"recipe,omitempty"`
	Status      string            `json:"status"`
	Rungs       int               `json:"rungs"`
	Mean        *float64          `json:"cv_mean,omitempty"`
	Std         *float64          `json:"cv_std,omitempty"`
	BestEpoch   int               `json:"best_epoch,omitempty"`
	Seconds     float64           `json:"seconds"`
	Error       string            `json:"error,omitempty"`
	Evaluations []evalJSON        `json:"evaluations"`
}

// resultJSON is the search's last word with --format json.
type resultJSON struct {
	Event           string      `json:"event"`
	Stopped         string      `json:"stopped"`
	Seconds         float64     `json:"seconds"`
	Folds           int         `json:"folds"`
	Train           string      `json:"train"`
	Examples        int         `json:"examples"`
	Labels          int         `json:"labels"`
	Brackets        int         `json:"brackets"`
	Summary         string      `json:"summary"`
	FoldsVectorized int         `json:"folds_vectorized"`
	FoldsReused     int         `json:"folds_reused"`
	Best            *bestJSON   `json:"best,omitempty"`
	Trials          []trialJSON `json:"trials"`
}

// bestJSON is the winner in a line of --format json.
type bestJSON struct {
	Event  string  `json:"event,omitempty"`
	Out    string  `json:"out,omitempty"`
	Trial  int     `json:"trial"`
	Mean   float64 `json:"cv_mean"`
	Std    float64 `json:"cv_std"`
	Epochs int     `json:"epochs"`
	// Expect is the range the winner should score on new data: see
	// tune.Result.Expect.
	Expect []float64 `json:"expect,omitempty"`
}

// status says what became of a trial.
func status(r *tune.Result, t *tune.Trial) string {
	best := t.Best()
	switch {
	case r.Best != nil && r.Best.Trial == t:
		return "winner"
	case len(t.Evaluations) == 0:
		return "not scored (the search stopped)"
	case best == nil:
		return "failed"
	case t.Pruned >= 0:
		return fmt.Sprintf("pruned after %d epochs", tune.RungEpochs(t.Pruned))
	}
	return "not pruned"
}

// leaderboard ranks the trials by their best evaluation.
func leaderboard(r *tune.Result) []*tune.Trial {
	var ts []*tune.Trial
	for _, t := range r.Trials {
		if t.Best() != nil {
			ts = append(ts, t)
		}
	}
	slices.SortStableFunc(ts, func(a, b *tune.Trial) int {
		ea, eb := a.Best(), b.Best()
		switch {
		case ea.Mean != eb.Mean:
			if ea.Mean > eb.Mean {
				return -1
			}
			return 1
		case ea.Std != eb.Std:
			if ea.Std < eb.Std {
				return -1
			}
			return 1
		}
		return a.ID - b.ID
	})
	return ts
}

func (p *tunePrinter) result(r *tune.Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		var trials []trialJSON
		for _, t := range r.Trials {
			tj := trialJSON{Trial: t.ID, Origin: t.Origin, Params: map[string]string{}, Status: status(r, t), Rungs: len(t.Evaluations), Seconds: round3(t.Seconds())}
			for _, kv := range t.Params {
				tj.Params[kv.Key] = kv.Value
			}
			if c := t.Config(); c != nil {
				tj.Recipe = tune.Describe(c)
			}
			if b := t.Best(); b != nil {
				tj.Mean, tj.Std, tj.BestEpoch = &b.Mean, &b.Std, b.BestEpoch
			} else if len(t.Evaluations) > 0 && t.Evaluations[0].Err != nil {
				tj.Error = t.Evaluations[0].Err.Error()
			}
			for _, e := range t.Evaluations {
				tj.Evaluations = append(tj.Evaluations, toJSON(e))
			}
			trials = append(trials, tj)
		}
		out := resultJSON{Event: "result", Stopped: r.Stopped, Seconds: round3(r.Seconds), Folds: r.Folds,
			Train: r.Data.Paths.Train, Examples: r.Data.Train.Len(), Labels: len(r.Classes), Brackets: r.Brackets,
			Summary: r.Summary(), FoldsVectorized: r.CacheMisses, FoldsReused: r.CacheHits, Trials: trials}
		if b := r.Best; b != nil {
			out.Best = &bestJSON{Trial: b.Trial.ID, Mean: b.Mean, Std: b.Std, Epochs: b.BestEpoch}
		}
		p.emit(out)
		return
	}
	w := p.stdio.Out
	board := leaderboard(r)
	if len(board) > 0 {
		fmt.Fprintf(w, "\nleaderboard (each trial's best rung):\n%4s %5s %17s %6s %5s %8s  %s\n", "rank", "trial", "cv accuracy", "epochs", "rung", "seconds", "recipe")
		for i, t := range board[:min(10, len(board))] {
			e := t.Best()
			fmt.Fprintf(w, "%4d %5d %8.4f ± %.4f %6d %3d/3 %8.1f  %s\n", i+1, t.ID, e.Mean, e.Std, e.BestEpoch, e.Rung+1, t.Seconds(), tune.Describe(t.Config()))
		}
		if len(board) > 10 {
			fmt.Fprintf(w, "(%d more; --format json lists every trial)\n", len(board)-10)
		}
	}
	fmt.Fprintf(w, "\nsearched for %.0f s (%s): %s; folds vectorized %d times, reused %d times\n",
		r.Seconds, stopReason(r.Stopped), r.Summary(), r.CacheMisses, r.CacheHits)
	for _, t := range r.Trials {
		if b := t.Best(); b == nil && len(t.Evaluations) > 0 {
			fmt.Fprintf(w, "trial %d failed: %v\n", t.ID, t.Evaluations[0].Err)
		}
	}
}

func stopReason(s string) string {
	switch s {
	case tune.StopTrials:
		return "every trial asked for was run"
	case tune.StopBudget:
		return "the budget ran out"
	case tune.StopInterrupted:
		return "interrupted"
	}
	return "no untried config was left"
}

// wrote says where the winner went.
func (p *tunePrinter) wrote(r *tune.Result, out string) {
	e := r.Best
	if p.json {
		lo, hi := r.Expect(e)
		p.emit(bestJSON{Event: "wrote", Out: out, Trial: e.Trial.ID, Mean: e.Mean, Std: e.Std, Epochs: e.BestEpoch, Expect: []float64{lo, hi}})
		return
	}
	fmt.Fprintf(p.stdio.Out, "best: trial %d, %d-fold cross-validated accuracy %.4f ± %.4f after %s: %s\n",
		e.Trial.ID, r.Folds, e.Mean, e.Std, epochs(e.BestEpoch), tune.Describe(e.Trial.Config()))
	fmt.Fprintf(p.stdio.Out, "trained on the whole split, expect %s on new data of the same kind\n", r.ExpectWords(e))
	fmt.Fprintf(p.stdio.Out, "wrote %s; train it with: dlc train --config %s\n", out, out)
}
