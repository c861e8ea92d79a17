package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/dlc-dev/dlc/internal/checkpoint"
	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/history"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/objstore"
	"github.com/dlc-dev/dlc/internal/pipeline"
	"github.com/dlc-dev/dlc/internal/plot"
)

type trainOptions struct {
	Config string
	dataOptions
	// TrainData, TestData and ValidationData name the data without a
	// config (or over its own): data.train, data.test, data.validation.
	TrainData, TestData, ValidationData string
	// Init is the model whose weights training continues from.
	Init         string
	PrintConfig  bool
	Out          string
	History      string
	HistorySteps string
	Plot         string
	Offline      bool
	// Checkpoint is checkpoint.dir; Resume the folder to resume from,
	// and resumedConfig the config file of the run it resumes ("" for a
	// run without one, which writes its config beside the model).
	Checkpoint    string
	Resume        string
	resumedConfig string
}

func newTrainCmd(g *globals, stdio *IO) *cobra.Command {
	o := &trainOptions{}
	cmd := &cobra.Command{
		Use:   "train (--config FILE | --train FILE [--test FILE] | --init MODEL)",
		Short: "Train a model from a YAML config",
		Long: `train reads the config, reads and vectorizes the training data, trains the
network by gradient descent and writes one model file (config, vocabulary,
labels, weights, training record). When the config names test data, the
model is scored on it at the end. A relative path in a config file is
relative to the file's folder, so a config trains the same from any
directory; a path given on the command line is relative to the current one.

Without a config, --train FILE [--test FILE] (with --text-field and
--label-field naming the columns, and any --set) trains with the defaults
and writes the whole config it used beside the model (model.yaml beside
model.dlc): dlc train --config model.yaml trains the same model again.
--print-config prints the config a run would use, the choices made from the
data included, and trains nothing: a start for a config file of your own.

When the config leaves model.output and loss out, the data choose them:
two labels get sigmoid and binary_crossentropy, more get softmax and
categorical_crossentropy, a regression linear and mse (one of the two given
brings the other it needs); the choice is printed.

--init MODEL continues training MODEL's weights for training.epochs more
epochs, on the config's data (--config) or on the data MODEL was trained on;
its vectorizer (vocabulary and all) and labels are kept, so the config must
ask for the same vectorizer and network, which is checked. The optimizer
starts afresh (a model file keeps weights, not the optimizer's state).

Values come from, in order of precedence: --set key=value, DLC_* environment
variables (DLC_TRAINING_EPOCHS=3 for training.epochs), the YAML file, the
defaults. A text classification config that sets none of the vectorizer,
model, loss or optimizer keys trains the general recipe (tf-idf of 10,000
words → 256 relu, dropout 0.3 → linear, hinge loss, adagrad 0.03 with
initial_accumulator 1e-4, batch 32, 10 epochs), chosen by cross-validation
on IMDB, R52 and R8; one that sets any of them gets the defaults below. The
keys:

` + keysHelp() + `
Progress (one line per epoch, a bar on a terminal) goes to stderr; the
final summary to stdout. The same config and seed give a byte-identical
model file.

--history writes one CSV row per epoch (loss, accuracy, val_loss,
val_accuracy); --history-steps one row per update (its batch's loss and
learning rate), which dlc plot draws; --plot draws the training and
validation loss and accuracy per epoch into a .png, .svg or .pdf file.

Ctrl-C stops training after the current batch and writes the model as it
stands (with the best weights when training.early_stopping monitors a
metric); the exit status is then 130. A second Ctrl-C stops at once.

--checkpoint DIR (checkpoint.dir) saves where training stands into DIR:
every 5 minutes by default (checkpoint.every_seconds; or every N updates,
checkpoint.every_updates, or after every epoch, checkpoint.every_epoch),
and when Ctrl-C or SIGTERM stops it; the newest 3 are kept (checkpoint.keep). Each is written
atomically with a checksum, while training goes on. The seconds and the
updates are "at most this often": a checkpoint that falls due while the
last is still being written is put off to the first update after that
write (the one after an epoch and the one Ctrl-C writes are not;
checkpoint.wait_for_write makes them all wait). --resume DIR goes on from the newest whole
checkpoint in DIR (a torn one is passed over, said in one line) and ends
with exactly the model file the run that was never stopped writes; it
trains with the config recorded in the checkpoint (with --set and --out
over it), or with --config FILE, and keeps saving checkpoints into DIR. A
resume that changes a config key or a data file is refused, naming them;
only these keys may change: ` + strings.Join(config.Resumable, ", ") + `.
dlc inspect DIR shows where a checkpoint stands.`,
		Example: `  dlc train --config configs/imdb.yaml
  dlc train --train news.csv --test news-test.csv --text-field body --label-field category --out news.dlc
  dlc train --train news.csv --text-field body --label-field category --print-config > news.yaml
  dlc train --init news.dlc --set training.epochs=5 --out news-more.dlc
  dlc train --config configs/imdb.yaml --set training.epochs=3 --out imdb3.dlc --plot curves.png
  dlc train -c configs/imdb.yaml --set training.method=sgd --set optimizer.name=sgd --set optimizer.learning_rate=0.01 --history-steps sgd.csv
  DLC_OPTIMIZER_LEARNING_RATE=0.01 dlc train -c configs/imdb.yaml --history hist.csv
  dlc train -c configs/imdb-ngrams.yaml --checkpoint ckpt/ --set checkpoint.every_updates=100
  dlc train --resume ckpt/`,
		Args: exactArgs(0, "no arguments (the config is --config FILE, the data --train FILE)"),
		RunE: func(c *cobra.Command, _ []string) error {
			return runTrain(c.Context(), g, stdio, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Config, "config", "c", "", "the YAML config")
	o.dataOptions.AddFlags(f, "override a config key: --set training.epochs=3 (repeatable)")
	f.StringVar(&o.TrainData, "train", "", "the training data (data.train); without --config, train with the defaults")
	f.StringVar(&o.TestData, "test", "", "the test data (data.test)")
	f.StringVar(&o.ValidationData, "validation", "", "the validation data (data.validation)")
	f.StringVar(&o.Init, "init", "", "continue training the weights of this model file")
	f.BoolVar(&o.PrintConfig, "print-config", false, "print the config this run would use (choices made from the data included) and train nothing")
	f.StringVarP(&o.Out, "out", "o", "", "where to write the model (default: output.model of the config)")
	f.StringVar(&o.History, "history", "", "write per-epoch loss and accuracy to this CSV file")
	f.BoolVar(&o.Offline, "offline", false, "never download: fail when data.dataset is not fetched yet")
	f.StringVar(&o.HistorySteps, "history-steps", "", "write the loss of every update to this CSV file (for dlc plot)")
	f.StringVar(&o.Plot, "plot", "", "draw loss and accuracy per epoch into this .png, .svg or .pdf file")
	f.StringVar(&o.Checkpoint, "checkpoint", "", "save checkpoints into this folder (checkpoint.dir), to --resume from")
	f.StringVar(&o.Resume, "resume", "", "go on from the newest checkpoint in this folder, to the same model")
	cmd.MarkFlagFilename("config", "yaml", "yml")
	cmd.MarkFlagFilename("init", "dlc")
	cmd.RegisterFlagCompletionFunc("set", completeSet(nil))
	return cmd
}

func keysHelp() string {
	var b strings.Builder
	keys := config.Keys()
	width := 0
	for _, k := range keys {
		width = max(width, len(k.Name))
	}
	for _, k := range keys {
		fmt.Fprintf(&b, "  %-*s  %s (default %s)\n", width, k.Name, k.Doc, orNone(k.Default))
	}
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// interrupted is a cancellation that says what it left behind (exit
// status 130 or 143, the message on stderr).
func interrupted(format string, args ...any) error {
	return &interruptError{fmt.Sprintf(format, args...)}
}

func runTrain(ctx context.Context, g *globals, stdio *IO, o *trainOptions) error {
	var resume *checkpoint.Checkpoint
	if o.Resume != "" {
		if o.Init != "" {
			return usageErrorf("--resume goes on from a checkpoint and --init from a model: give one of them")
		}
		c, err := newestCheckpoint(stdio, o.Resume)
		if err != nil {
			return err
		}
		resume, o.resumedConfig = c, c.ConfigPath
	}
	if o.Config == "" && o.TrainData == "" && o.Init == "" && resume == nil {
		return usageErrorf("dlc train needs --config FILE, or --train FILE to train without one, or --init MODEL, or --resume DIR; see dlc train --help")
	}
	if o.Plot != "" {
		if err := plot.CheckFormat(o.Plot); err != nil {
			return usageErrorf("--plot: %v", err)
		}
	}
	cfg, from, err := o.load(resume)
	if err != nil {
		return err
	}
	if resume != nil && cfg.Checkpoint.Dir == "" {
		// A resumed run goes on saving where it was saved.
		cfg.Checkpoint.Dir = o.Resume
	}
	if o.PrintConfig {
		return printConfig(ctx, g, stdio, o, cfg, from)
	}
	world, err := joinWorld(g, stdio)
	if err != nil {
		return err
	}
	modelFlag := "output.model (" + cfg.Where("output.model") + ")"
	if o.Out != "" {
		modelFlag = "--out"
	}
	outputs := []namedPath{{cfg.Output.Model, modelFlag}, {o.History, "--history"}, {o.HistorySteps, "--history-steps"}, {o.Plot, "--plot"}}
	beside := o.besideConfig(cfg)
	if beside != "" {
		outputs = append(outputs, namedPath{beside, "the config written beside the model"})
	}
	for _, out := range outputs {
		if err := checkOutput(out.path, out.name); err != nil {
			return err
		}
	}
	if err := checkBeside(beside); err != nil {
		return err
	}
	if err := fetchForConfig(ctx, g, stdio, cfg, o.Offline); err != nil {
		return err
	}
	paths, err := pipeline.Resolve(cfg, g.DataDir)
	if err != nil {
		return err
	}
	inputs := append(inputsOf(o.Config, paths), namedPath{o.Init, "the model to continue from (--init)"})
	if err := checkOutputs(outputs, inputs); err != nil {
		return err
	}

	start := time.Now()
	d, err := pipeline.Read(ctx, cfg, g.DataDir)
	if err != nil {
		return interruptedOr(err)
	}
	readSecs := time.Since(start).Seconds()
	regression := cfg.Regression()
	gcfg := cfg.TrainingConfig()

	var bar *progressbar.ProgressBar
	var steps []gd.UpdateStats
	lastCheckpoint := ""
	ck := &pipeline.Checkpointing{ConfigPath: absPath(o.Config), Sets: o.Sets, DLCVersion: version, Resume: resume,
		Saved: func(path string, _ *checkpoint.Checkpoint) { lastCheckpoint = path }}
	if resume != nil && o.Config == "" && o.TrainData == "" {
		ck.ConfigPath, ck.Sets = resume.ConfigPath, append(slices.Clone(resume.Sets), o.Sets...)
	}
	release := func() {}
	defer func() { release() }()
	hooks := pipeline.Hooks{
		Started: func(s *pipeline.Setup) {
			// From here a signal ends training after the current batch,
			// and the model is written: the stop waits for it.
			release = shutdown.hold()
			task := fmt.Sprintf("%d classes", len(s.Classes))
			switch {
			case regression:
				task = "regression"
			case s.MultiLabel:
				task = fmt.Sprintf("%d labels, any number per text", len(s.Classes))
			}
			for _, c := range s.Chosen {
				stdio.Progressf("%s\n", c)
			}
			for _, w := range s.Warnings {
				fmt.Fprintf(stdio.Err, "dlc: warning: %s\n", w)
			}
			stdio.Progressf("%d training examples, %s, %d features; %s\n", s.Examples, task, s.Features, describe(s.Spec))
			if s.Processes > 1 {
				stdio.Progressf("%s\n", shareLine(s, cfg))
			}
			if s.ClassWeights != nil {
				parts := make([]string, len(s.Classes))
				for i, c := range s.Classes {
					parts[i] = fmt.Sprintf("%s %.4g", c, s.ClassWeights[i])
				}
				stdio.Progressf("class weights: %s\n", strings.Join(parts, ", "))
			}
		},
		Epoch: func(st *gd.EpochStats) error {
			if bar != nil {
				bar.Finish()
				bar = nil
			}
			stdio.Progressf("%s\n", epochLine(st, gcfg.Epochs, regression))
			return nil
		},
	}
	if o.HistorySteps != "" {
		hooks.Update = func(u *gd.UpdateStats) { steps = append(steps, *u) }
	}
	hooks.Checkpoint = ck
	hooks.Comm = world
	if stdio.ErrIsTerminal && !stdio.Quiet {
		epoch := 0
		if resume != nil && resume.State != nil && resume.Stage == checkpoint.Training {
			epoch = resume.State.Epoch - 1
		}
		hooks.Step = func(done, total int) {
			if bar == nil {
				epoch++
				bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(stdio.Err),
					progressbar.OptionSetDescription(fmt.Sprintf("epoch %d/%d", epoch, gcfg.Epochs)),
					progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100*time.Millisecond))
			}
			bar.Set(done)
		}
	}
	hooks.Calibrating = func(p *pipeline.CalibrationPart) {
		if bar != nil {
			bar.Finish()
			bar = nil
		}
		if p.Parts == 1 {
			stdio.Progressf("calibration: a network trained on %d of the %d training examples scores the other %d\n", p.NTrained, p.NTrained+p.NHeld, p.NHeld)
			return
		}
		stdio.Progressf("calibration: network %d of %d, trained without fold %d (%d examples)\n", p.Part, p.Parts, p.Part, p.NHeld)
	}
	hooks.Member = func(p *pipeline.MemberPart) {
		held := ""
		if len(p.Held) > 0 {
			held = fmt.Sprintf(", holding out %d for calibration", len(p.Held))
		}
		line := fmt.Sprintf("ensemble: network %d of %d, seed %d, trained on %d examples%s", p.Member, p.Members, p.Seed, len(p.Trained), held)
		if p.Member == 1 {
			line += " (its epochs are shown below; the others train beside it)"
		}
		stdio.Progressf("%s\n", line)
	}
	m, res, err := trainOrContinue(ctx, cfg, d, from, hooks)
	if bar != nil {
		bar.Exit()
	}
	if err != nil {
		return interruptedOr(err)
	}
	if world.Rank() != 0 {
		// Rank 0 writes the model and everything else.
		if res.Interrupted {
			return interrupted("stopped with the other ranks in epoch %d; rank 0 writes the model", len(res.History)+1)
		}
		stdio.Progressf("done; rank 0 writes the model\n")
		return nil
	}
	m.Record.DLCVersion = version
	if from != nil {
		m.Record.Init.From = o.Init
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(stdio.Err, "dlc: warning: %s\n", w)
	}
	// The model first: whatever fails after it, the training is not lost,
	// and the error says what was written.
	if err := model.Save(cfg.Output.Model, m); err != nil {
		return err
	}
	written := []string{cfg.Output.Model}
	for _, w := range []struct {
		path  string
		write func() error
	}{
		{o.History, func() error { return history.WriteEpochs(o.History, res.History, regression) }},
		{o.HistorySteps, func() error { return history.WriteSteps(o.HistorySteps, steps) }},
		{o.Plot, func() error { return plot.Write(o.Plot, curves(res.History, regression, m.Record.RestoredEpoch)) }},
		{beside, func() error { return writeBeside(beside, m.Config, o) }},
	} {
		if w.path == "" || (w.path == o.Plot && len(res.History) == 0) {
			continue
		}
		if err := w.write(); err != nil {
			return fmt.Errorf("wrote %s, but %w", strings.Join(written, " and "), err)
		}
		written = append(written, w.path)
	}
	if c := m.Calibration; c != nil {
		stdio.Progressf("calibration: %s, fitted on %s; their ECE %.4f → %.4f, log loss %.4f → %.4f\n",
			c, c.Fitted, c.Before.ECE, c.After.ECE, c.Before.LogLoss, c.After.LogLoss)
	}
	if th := m.Thresholds; th != nil && th.Values != nil {
		stdio.Progressf("thresholds: %d of %d labels tuned on their own, the others at %.4g; held-out micro-F1 %.4f → %.4f, macro-F1 %.4f → %.4f\n",
			th.Tuned, len(th.Values), th.Global, th.Before.MicroF1, th.After.MicroF1, th.Before.MacroF1, th.After.MacroF1)
	}
	if res.Uncalibrated != "" {
		fmt.Fprintf(stdio.Err, "dlc: warning: the model is not calibrated: %s\n", res.Uncalibrated)
	}
	if res.Interrupted && res.While == "calibrating" {
		fmt.Fprintf(stdio.Out, "model written to %s\n", cfg.Output.Model)
		return interrupted("interrupted while calibrating; wrote the model uncalibrated to %s%s", cfg.Output.Model, savedTo(lastCheckpoint))
	}
	if res.Interrupted {
		what := "the weights as they were after the last update"
		if res.Restored {
			what = fmt.Sprintf("the weights of epoch %d, the best %s (%.4f)", res.BestEpoch, gcfg.EarlyStopping.Monitor, res.Best)
		}
		// On a terminal the one line on stderr says it all; a script
		// reading stdout still finds the model there.
		if !stdio.outIsTerminal() {
			fmt.Fprintf(stdio.Out, "model written to %s\n", cfg.Output.Model)
		}
		return interrupted("interrupted in epoch %d after %d updates; wrote %s to %s%s", len(res.History)+1, res.Steps, what, cfg.Output.Model, savedTo(lastCheckpoint))
	}
	stdio.Progressf("%s\n", stopLine(&res.Result, gcfg))
	stdio.Progressf("read %.2fs, vectorize %.2fs, train %.2fs, total %.2fs\n", readSecs, res.VectorizeSeconds, res.TrainSeconds, time.Since(start).Seconds())
	if test := res.Test; test != nil {
		if r := test.Regression; r != nil {
			fmt.Fprintf(stdio.Out, "test rmse %.6g, mae %.6g, r2 %.4f on %d examples of %s\n", r.RMSE, r.MAE, r.R2, r.N, res.TestPath)
		} else if r := test.Multi; r != nil {
			fmt.Fprintf(stdio.Out, "test micro-F1 %.4f, macro-F1 %.4f, subset accuracy %.4f, Hamming loss %.4f, loss %.4f on %d examples of %s\n",
				r.MicroF1, r.MacroF1, r.SubsetAccuracy, r.HammingLoss, test.Loss, r.N, res.TestPath)
		} else {
			fmt.Fprintf(stdio.Out, "test accuracy %.4f, loss %.4f on %d examples of %s\n", test.Report.Accuracy, test.Loss, test.Report.N, res.TestPath)
		}
	}
	fmt.Fprintf(stdio.Out, "model written to %s\n", cfg.Output.Model)
	if beside != "" {
		fmt.Fprintf(stdio.Out, "config written to %s (dlc train --config %s trains the same model again)\n", beside, beside)
	}
	return nil
}

// savedTo says where the checkpoint to resume from was written, if one was.
func savedTo(path string) string {
	if path == "" {
		return ""
	}
	return fmt.Sprintf(", and the checkpoint %s (dlc train --resume %s goes on from it)", path, filepath.Dir(path))
}

// newestCheckpoint reads the newest whole checkpoint of dir for --resume,
// saying in one line each which newer one was torn, and where it resumes.
func newestCheckpoint(stdio *IO, dir string) (*checkpoint.Checkpoint, error) {
	c, path, skipped, err := checkpoint.Newest(dir)
	for _, s := range skipped {
		fmt.Fprintf(stdio.Err, "dlc: %v; resuming from an earlier one\n", s.Err)
	}
	if errors.Is(err, checkpoint.ErrNone) {
		return nil, fmt.Errorf("--resume %s: %v; start a run that saves them with --checkpoint %s", dir, err, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("--resume %s: %v", dir, err)
	}
	stdio.Progressf("resuming from %s: %s\n", path, whereCheckpoint(c))
	return c, nil
}

// whereCheckpoint says where a checkpoint stands, in a few words.
func whereCheckpoint(c *checkpoint.Checkpoint) string {
	if c.Stage == checkpoint.Calibrating {
		cal := c.Calibration
		s := fmt.Sprintf("calibrating, network %d of %d", cal.Part, cal.Parts)
		if c.State != nil {
			s += fmt.Sprintf(", epoch %d after %d updates", c.State.Epoch, c.State.Steps)
		}
		return s + fmt.Sprintf(" (the model's network trained: %s, %d updates)", epochs(len(c.Main.History)), c.Main.Steps)
	}
	st := c.State
	n := 0
	for _, d := range c.Data {
		if d.Key == "data.train" {
			n = d.Examples
		}
	}
	if st.Pos == 0 {
		return fmt.Sprintf("the start of epoch %d, after %d updates", st.Epoch, st.Steps)
	}
	return fmt.Sprintf("epoch %d, example %d of %d, after %d updates", st.Epoch, st.Pos, n, st.Steps)
}

// absPath is path made absolute ("" stays "").
func absPath(path string) string {
	if path == "" || objstore.IsURL(path) {
		return path
	}
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// interruptedOr reports an interruption before training had a model as
// interrupted does; other errors pass as they are.
func interruptedOr(err error) error {
	var ie *pipeline.InterruptedError
	if errors.As(err, &ie) {
		return interrupted("%v; no model was written", err)
	}
	return err
}

// epochs is "1 epoch" or "n epochs".
func epochs(n int) string {
	if n == 1 {
		return "1 epoch"
	}
	return fmt.Sprintf("%d epochs", n)
}

// stopLine says how training ended and how many updates it made.
func stopLine(res *gd.Result, c gd.Config) string {
	done := len(res.History)
	var why string
	switch res.Stopped {
	case gd.StopConverged:
		why = fmt.Sprintf("converged: the loss improved by less than %g for %s", c.Tolerance, epochs(max(1, c.Patience)))
	case gd.StopEarly:
		why = fmt.Sprintf("early stopping: %s did not improve for %s", c.EarlyStopping.Monitor, epochs(max(1, c.EarlyStopping.Patience)))
	default:
		why = "reached training.epochs"
	}
	line := fmt.Sprintf("stopped after epoch %d of %d (%s); %d updates", done, c.Epochs, why, res.Steps)
	if res.Restored {
		line += fmt.Sprintf("; restored the weights of epoch %d, the best %s (%.4f)", res.BestEpoch, c.EarlyStopping.Monitor, res.Best)
	}
	return line
}

func describe(s mlp.Spec) string {
	parts := []string{fmt.Sprint(s.Inputs)}
	for _, h := range s.Hidden {
		p := fmt.Sprintf("%d %s", h.Units, h.Activation)
		if h.Dropout > 0 {
			p += fmt.Sprintf(" (dropout %g)", h.Dropout)
		}
		parts = append(parts, p)
	}
	parts = append(parts, fmt.Sprintf("%d %s", s.Outputs, s.Output))
	out := strings.Join(parts, " → ") + ", loss " + string(s.Loss)
	if s.L2 > 0 {
		out += fmt.Sprintf(" + %g·L2", s.L2)
	}
	if s.Precision == mlp.Float32 {
		out += "; first layer in float32"
	}
	return out
}

func epochLine(st *gd.EpochStats, epochs int, regression bool) string {
	line := fmt.Sprintf("epoch %d/%d  loss %.4f", st.Epoch, epochs, st.Loss)
	if !regression {
		line += fmt.Sprintf("  accuracy %.4f", st.Accuracy)
	}
	if !math.IsNaN(st.ValLoss) {
		line += fmt.Sprintf("  val_loss %.4f", st.ValLoss)
		if !regression {
			line += fmt.Sprintf("  val_accuracy %.4f", st.ValAccuracy)
		}
	}
	return line + fmt.Sprintf("  %.2fs", st.Seconds)
}

// curves are the Keras notebook's two figures: training and validation
// loss, and accuracy, per epoch (loss only for a regression); a line marks
// the epoch whose weights early stopping restored (0: none).
func curves(history []gd.EpochStats, regression bool, restored int) []plot.Panel {
	n := len(history)
	ep, loss, vloss, acc, vacc := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	validated := false
	for i, st := range history {
		ep[i], loss[i], vloss[i], acc[i], vacc[i] = float64(st.Epoch), st.Loss, st.ValLoss, st.Accuracy, st.ValAccuracy
		validated = validated || !math.IsNaN(st.ValLoss)
	}
	// A title names only what is drawn: no validation data, no
	// "validation" in it.
	title := "Training %s"
	if validated {
		title = "Training and validation %s"
	}
	var marks []plot.Mark
	if restored > 0 {
		marks = []plot.Mark{{X: float64(restored), Label: fmt.Sprintf("restored (epoch %d)", restored)}}
	}
	panel := func(what string, train, val []float64) plot.Panel {
		return plot.Panel{Title: fmt.Sprintf(title, what), XLabel: "epoch", YLabel: what, YMin: plot.Auto, YMax: plot.Auto, Counts: true, Marks: marks, Series: []plot.Series{
			{Label: "training " + what, X: ep, Y: train, Points: true},
			{Label: "validation " + what, X: ep, Y: val},
		}}
	}
	panels := []plot.Panel{panel("loss", loss, vloss)}
	if !regression {
		panels = append(panels, panel("accuracy", acc, vacc))
	}
	return panels
}
