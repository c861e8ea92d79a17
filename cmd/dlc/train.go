package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/dlc-dev/dlc/internal/atomicfile"
	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

type trainOptions struct {
	Config  string
	Sets    []string
	Out     string
	History string
}

func newTrainCmd(g *globals, stdio *IO) *cobra.Command {
	o := &trainOptions{}
	cmd := &cobra.Command{
		Use:   "train --config FILE",
		Short: "Train a model from a YAML config",
		Long: `train reads the config, reads and vectorizes the training data, trains the
network by gradient descent and writes one model file (config, vocabulary,
labels, weights, training record). When the config names test data, the
model is scored on it at the end.

Values come from, in order of precedence: --set key=value, DLC_* environment
variables (DLC_TRAINING_EPOCHS=3 for training.epochs), the YAML file, the
defaults. The keys:

` + keysHelp() + `
Progress (one line per epoch, a bar on a terminal) goes to stderr; the
final summary to stdout. The same config and seed give a byte-identical
model file.`,
		Example: `  dlc train --config configs/imdb.yaml
  dlc train --config configs/imdb.yaml --set training.epochs=3 --out imdb3.dlc
  DLC_OPTIMIZER_LEARNING_RATE=0.01 dlc train -c configs/imdb.yaml --history hist.csv`,
		Args: exactArgs(0, "no arguments (the config is --config FILE)"),
		RunE: func(c *cobra.Command, _ []string) error {
			return runTrain(c.Context(), g, stdio, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Config, "config", "c", "", "the YAML config (required)")
	f.StringArrayVar(&o.Sets, "set", nil, "override a config key: --set training.epochs=3 (repeatable)")
	f.StringVarP(&o.Out, "out", "o", "", "where to write the model (default: output.model of the config)")
	f.StringVar(&o.History, "history", "", "write per-epoch loss and accuracy to this CSV file")
	return cmd
}

func keysHelp() string {
	var b strings.Builder
	for _, k := range config.Keys() {
		fmt.Fprintf(&b, "  %-24s %s (default %s)\n", k.Name, k.Doc, orNone(k.Default))
	}
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func runTrain(ctx context.Context, g *globals, stdio *IO, o *trainOptions) error {
	if o.Config == "" {
		return usageErrorf("dlc train needs --config FILE; see dlc train --help")
	}
	sets := o.Sets
	if o.Out != "" {
		sets = append(sets[:len(sets):len(sets)], "output.model="+o.Out)
	}
	cfg, err := config.Load(o.Config, sets)
	if err != nil {
		return err
	}
	start := time.Now()
	paths, err := resolveData(cfg, g.DataDir)
	if err != nil {
		return err
	}
	if paths.Train == "" {
		return cfg.Errorf("data.train", "the config names no training data; set data.dataset or data.train")
	}
	trainSet, err := data.Read(paths.Train, fieldsOf(cfg))
	if err != nil {
		return err
	}
	seed := uint64(cfg.Training.Seed)
	var valSet *data.Dataset
	switch {
	case cfg.Data.ValidationSplit > 0:
		trainSet, valSet = splitValidation(trainSet, cfg.Data.ValidationSplit, seed)
	case paths.Validation != "":
		if valSet, err = data.Read(paths.Validation, fieldsOf(cfg)); err != nil {
			return err
		}
	}
	var testSet *data.Dataset
	if paths.Test != "" {
		if testSet, err = data.Read(paths.Test, fieldsOf(cfg)); err != nil {
			return err
		}
	}
	classes := classNames(trainSet.Labels)
	if len(classes) < 2 {
		return fmt.Errorf("%s has only the label %s; a classifier needs at least two", paths.Train, quoteList(classes, 1))
	}
	readSecs := time.Since(start).Seconds()

	vecStart := time.Now()
	vec, err := vectorize.Fit(trainSet.Texts, vectorizerOptions(cfg))
	if err != nil {
		return err
	}
	x := vec.Transform(trainSet.Texts)
	y, err := targets(trainSet, classes)
	if err != nil {
		return err
	}
	vecSecs := time.Since(vecStart).Seconds()

	spec := mlp.Spec{
		Inputs:  vec.Features(),
		Output:  mlp.Activation(cfg.Model.Output),
		Loss:    mlp.Loss(cfg.Loss),
		Outputs: mlp.OutputsFor(len(classes), mlp.Activation(cfg.Model.Output), false),
	}
	for _, l := range cfg.Model.Layers {
		spec.Hidden = append(spec.Hidden, mlp.LayerSpec{Units: l.Units, Activation: mlp.Activation(l.Activation)})
	}
	if err := cfg.CheckModel(spec); err != nil {
		return err
	}
	net, err := mlp.New(spec, rand.New(rand.NewPCG(seed, 0x91e10da5c79e7b1d)))
	if err != nil {
		return err
	}
	opt, err := gd.NewOptimizer(gd.OptimizerConfig{
		Name: cfg.Optimizer.Name, LearningRate: cfg.Optimizer.LearningRate,
		Rho: cfg.Optimizer.Rho, Epsilon: cfg.Optimizer.Epsilon,
	}, len(net.Params()))
	if err != nil {
		return cfg.Errorf("optimizer.name", "%v", err)
	}
	gcfg := gd.Config{
		Method: gd.Method(cfg.Training.Method), BatchSize: cfg.Training.BatchSize,
		Epochs: cfg.Training.Epochs, NoShuffle: !cfg.Training.Shuffle, Seed: seed,
	}

	var xVal = x
	var yVal mlp.Targets
	if valSet != nil {
		if yVal, err = targets(valSet, classes); err != nil {
			return err
		}
		xVal = vec.Transform(valSet.Texts)
	}
	stdio.Progressf("%d training examples, %d classes, %d features; %s\n", x.Rows, len(classes), vec.Features(), describe(spec))
	var bar *progressbar.ProgressBar
	cb := gd.Callbacks{
		OnEpoch: func(st *gd.EpochStats) error {
			if bar != nil {
				bar.Finish()
				bar = nil
			}
			if valSet != nil {
				s := score(net, xVal, yVal, len(classes))
				st.ValLoss, st.ValAccuracy = s.Loss, s.Report.Accuracy
			}
			stdio.Progressf("%s\n", epochLine(st, gcfg.Epochs))
			return nil
		},
	}
	if stdio.ErrIsTerminal && !stdio.Quiet {
		epoch := 0
		cb.OnStep = func(done, total int) {
			if bar == nil {
				epoch++
				bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(stdio.Err),
					progressbar.OptionSetDescription(fmt.Sprintf("epoch %d/%d", epoch, gcfg.Epochs)),
					progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100*time.Millisecond))
			}
			bar.Set(done)
		}
	}
	trainStart := time.Now()
	res, err := gd.Train(ctx, &mlp.Objective{Net: net, X: x, Y: y}, opt, gcfg, cb)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("training interrupted after %d epochs; no model was written: %w", len(res.History), err)
		}
		return err
	}
	history := res.History
	trainSecs := time.Since(trainStart).Seconds()

	m := &model.Model{Config: cfg, Vectorizer: vec, Net: net, Labels: classes, Record: model.Record{
		DLCVersion: version, Seed: cfg.Training.Seed, TrainExamples: x.Rows,
		DataSHA256: model.Fingerprint(trainSet.Texts, trainSet.Labels),
	}}
	for _, st := range history {
		m.Record.Epochs = append(m.Record.Epochs, epochRecord(st))
	}
	var test scored
	if testSet != nil {
		if test, err = scoreData(m, testSet); err != nil {
			return err
		}
		m.Record.Test = &model.TestRecord{N: test.Report.N, Accuracy: test.Report.Accuracy, Loss: test.Loss}
	}
	if err := model.Save(cfg.Output.Model, m); err != nil {
		return err
	}
	if o.History != "" {
		if err := writeHistory(o.History, history); err != nil {
			return err
		}
	}
	stdio.Progressf("read %.2fs, vectorize %.2fs, train %.2fs, total %.2fs\n", readSecs, vecSecs, trainSecs, time.Since(start).Seconds())
	if testSet != nil {
		fmt.Fprintf(stdio.Out, "test accuracy %.4f, loss %.4f on %d examples of %s\n", test.Report.Accuracy, test.Loss, test.Report.N, paths.Test)
	}
	fmt.Fprintf(stdio.Out, "model written to %s\n", cfg.Output.Model)
	return nil
}

func describe(s mlp.Spec) string {
	parts := []string{fmt.Sprint(s.Inputs)}
	for _, h := range s.Hidden {
		parts = append(parts, fmt.Sprintf("%d %s", h.Units, h.Activation))
	}
	parts = append(parts, fmt.Sprintf("%d %s", s.Outputs, s.Output))
	return strings.Join(parts, " → ") + ", loss " + string(s.Loss)
}

func epochLine(st *gd.EpochStats, epochs int) string {
	line := fmt.Sprintf("epoch %d/%d  loss %.4f  accuracy %.4f", st.Epoch, epochs, st.Loss, st.Accuracy)
	if !math.IsNaN(st.ValLoss) {
		line += fmt.Sprintf("  val_loss %.4f  val_accuracy %.4f", st.ValLoss, st.ValAccuracy)
	}
	return line + fmt.Sprintf("  %.2fs", st.Seconds)
}

func epochRecord(st gd.EpochStats) model.EpochRecord {
	r := model.EpochRecord{Epoch: st.Epoch, Loss: st.Loss, Accuracy: st.Accuracy}
	if !math.IsNaN(st.ValLoss) {
		vl, va := st.ValLoss, st.ValAccuracy
		r.ValLoss, r.ValAccuracy = &vl, &va
	}
	return r
}

// writeHistory writes one CSV row per epoch (Keras' History, as a file).
func writeHistory(path string, history []gd.EpochStats) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.Write([]string{"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds"})
		f := func(x float64) string {
			if math.IsNaN(x) {
				return ""
			}
			return strconv.FormatFloat(x, 'g', 10, 64)
		}
		for _, st := range history {
			cw.Write([]string{strconv.Itoa(st.Epoch), f(st.Loss), f(st.Accuracy), f(st.ValLoss), f(st.ValAccuracy), strconv.FormatFloat(st.Seconds, 'f', 3, 64)})
		}
		cw.Flush()
		return cw.Error()
	})
}
