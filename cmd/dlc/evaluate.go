package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/dlc-dev/dlc/internal/calibrate"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/pipeline"
	"github.com/dlc-dev/dlc/internal/plot"
)

type evaluateOptions struct {
	Model  string
	Data   string
	Config string
	dataOptions
	Format    string
	Confusion string
	Sort      string
	// Predictions is the file of one row per example; Keep the input
	// fields it carries.
	Predictions string
	Keep        []string
	regressionGates

	MinAccuracy, MinMacroF1, MinMicroF1          float64
	minAccuracySet, minMacroF1Set, minMicroF1Set bool
	confusionSet                                 bool
	Threshold                                    pipeline.Threshold

	Plot string

	Baseline    string
	FailIfWorse bool
	Alpha       float64
	alphaSet    bool
}

func newEvaluateCmd(g *globals, stdio *IO) *cobra.Command {
	o := &evaluateOptions{}
	cmd := &cobra.Command{
		Use:     "evaluate --model FILE [--data PATH | --config FILE]",
		Aliases: []string{"eval"},
		Short:   "Score a model on held-out labelled data",
		Long: `evaluate scores a model on labelled data: accuracy, mean loss, per-class
precision, recall, F1 and support, macro- and weighted F1, the confusion
matrix, and for two-label models the ROC AUC (of the second label's
score, ties counted as scikit-learn counts them).

The data is --data PATH, else the test data of --config FILE, else the test
data the model was trained with (a model records the absolute paths of its
data; the report's data line says which file was read). The fields are read
as the model's config names them, unless --config FILE names them otherwise
or --text-field, --label-field, --features or --set data.* do: a model
trained on a CSV of category,body scores a JSONL of text,label.

--predictions FILE writes one row per example (.tsv, .csv or .jsonl, by its
name): where it is in the data (its line), the --keep fields of its record
(an id), the true label, the predicted label, the probability of the
predicted label (a score for linear outputs) and whether it is correct; for
a regression the true and predicted numbers and the error. The file is
written whole or not at all.

The confusion matrix (rows: true label, columns: predicted) is printed
whole when it fits in 120 columns, with class numbers for column heads when
only the names are too wide; larger ones (Reuters' 52 × 52) are summed up
as the most frequent confusions (--confusion full|top chooses). The JSON
report always holds the whole K × K matrix, with its labels; for a model
of more than 1000 labels, the report (per-class scores, labels, matrix)
covers those in the data or the predictions, and model_labels says how
many the model has.

A multi-label model (data.task multilabel) is scored on each text's set of
labels: micro- and macro-averaged precision, recall and F1, samples-F1,
per-label precision, recall, F1 and support, subset accuracy (every label
of a text right) and Hamming loss (the share of text-label decisions that
are wrong); it has no confusion matrix.

Quality gates for CI, each exiting with status 3 when not met (all gates
are checked and each failure is one line on stderr):
  --min-accuracy X   accuracy (a multi-label model's subset accuracy) below X
  --min-macro-f1 X   macro-F1 below X
  --min-micro-f1 X   micro-F1 (a single-label model's accuracy) below X
  --fail-if-worse    with --baseline: the model is significantly worse
  --max-rmse X, --max-mae X, --min-r2 X   the same for a regression model

--baseline OTHER.dlc scores a second model on the same examples and tests
the difference with McNemar's test on the examples exactly one of the two
gets right: an exact binomial test under 25 such examples, else chi-square
with continuity correction (the report says which). The verdict is
"better" or "worse" when p < --alpha (default 0.05), else "no significant
difference". With --fail-if-worse, "worse" exits with status 3, so CI fails
on a real regression and not on noise. On IMDB, the notebook's 4-epoch model
gets 213 test reviews right that the 3-epoch one gets wrong, and 309 the
other way round: accuracy 0.8840 against 0.8879, p = 3e-5, significantly
worse. Had the split been 250 against 262, p would be 0.63: noise. Two
multi-label models are compared by their micro-F1 instead, with a paired
approximate randomization test (each of 9999 rounds swaps the two models'
answers to every text, its labels together, with probability one half).

--threshold X applies to both models.`,
		Example: `  dlc evaluate --model imdb.dlc
  dlc eval --model imdb.dlc --data reviews.jsonl --format json
  dlc eval --model imdb.dlc --min-accuracy 0.87 --min-macro-f1 0.85 || echo "model got worse"
  dlc eval --model new.dlc --baseline old.dlc --fail-if-worse --format json
  dlc eval --model spam.dlc --threshold 0.9    # flag spam only when p(spam) ≥ 0.9
  dlc eval --model news.dlc --data more.jsonl --text-field text --label-field label --predictions errors.tsv --keep id
  dlc eval --model prices.dlc --max-rmse 0.5 --min-r2 0.9`,
		Args: exactArgs(0, "no arguments (the model is --model FILE)"),
		RunE: func(c *cobra.Command, _ []string) error {
			f := c.Flags()
			o.minAccuracySet, o.minMacroF1Set, o.minMicroF1Set = f.Changed("min-accuracy"), f.Changed("min-macro-f1"), f.Changed("min-micro-f1")
			o.confusionSet = f.Changed("confusion")
			o.maxRMSESet, o.maxMAESet, o.minR2Set = f.Changed("max-rmse"), f.Changed("max-mae"), f.Changed("min-r2")
			o.Threshold.Set, o.alphaSet = f.Changed("threshold"), f.Changed("alpha")
			return runEvaluate(g, stdio, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Model, "model", "m", "", "the model file (required)")
	f.StringVarP(&o.Data, "data", "d", "", "labelled data: "+data.Formats)
	f.StringVarP(&o.Config, "config", "c", "", "take the test data of this config, and its field names")
	o.dataOptions.AddFlags(f, "name the data's fields as config keys: --set data.text_field=body (repeatable; data.text_field, data.label_field, data.features)")
	f.StringVar(&o.Predictions, "predictions", "", "write one row per example (line, true and predicted label, probability, correct) to this .tsv, .csv or .jsonl file")
	f.StringSliceVar(&o.Keep, "keep", nil, "with --predictions: carry these fields of each record into it: --keep id")
	f.Var(newEnum(&o.Sort, "label", "label", "f1", "precision", "recall", "support"), "sort", "order of the per-class table (highest first but for label)")
	f.Float64Var(&o.MaxRMSE, "max-rmse", 0, "regression models: exit with status 3 when the rmse is above this")
	f.Float64Var(&o.MaxMAE, "max-mae", 0, "regression models: exit with status 3 when the mae is above this")
	f.Float64Var(&o.MinR2, "min-r2", 0, "regression models: exit with status 3 when r2 is below this")
	f.VarP(newEnum(&o.Format, "text", "text", "json"), "format", "f", "output format")
	f.Var(newEnum(&o.Confusion, "auto", "auto", "full", "top"), "confusion", "how the text report shows the confusion matrix")
	f.Float64Var(&o.MinAccuracy, "min-accuracy", 0, "exit with status 3 when accuracy is below this")
	f.Float64Var(&o.MinMacroF1, "min-macro-f1", 0, "exit with status 3 when macro-F1 is below this")
	f.Float64Var(&o.MinMicroF1, "min-micro-f1", 0, "exit with status 3 when micro-F1 is below this (for one label per text, the accuracy)")
	f.Float64Var(&o.Threshold.Value, "threshold", 0, "two-label models: predict the second label when its probability reaches this; multi-label models: every label whose probability reaches it (default: the model's own cuts)")
	f.StringVar(&o.Plot, "plot", "", "draw the reliability diagram (accuracy against confidence, per bin) into this .png, .svg or .pdf file")
	f.StringVar(&o.Baseline, "baseline", "", "compare with this model on the same data (McNemar's test)")
	f.BoolVar(&o.FailIfWorse, "fail-if-worse", false, "with --baseline: exit with status 3 when the model is significantly worse")
	f.Float64Var(&o.Alpha, "alpha", 0.05, "with --baseline: significance level of McNemar's test")
	for _, name := range []string{"model", "baseline"} {
		cmd.MarkFlagFilename(name, "dlc")
	}
	cmd.MarkFlagFilename("config", "yaml", "yml")
	cmd.RegisterFlagCompletionFunc("set", completeSet(pipeline.DataKeys))
	return cmd
}

// classReport is one label's line of the JSON report.
type classReport struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
}

// evaluation is the JSON report of evaluate.
type evaluation struct {
	Model      string  `json:"model"`
	Data       string  `json:"data"`
	N          int     `json:"n"`
	Accuracy   float64 `json:"accuracy"`
	Loss       float64 `json:"loss"`
	MacroF1    float64 `json:"macro_f1"`
	WeightedF1 float64 `json:"weighted_f1"`
	// The probabilities the model answers with, scored: log loss, Brier
	// score (summed over the labels), the expected calibration error over
	// 15 equal-width confidence bins and those bins; Probabilities says
	// what they are (calibrated or not).
	LogLoss       float64 `json:"log_loss"`
	Brier         float64 `json:"brier"`
	ECE           float64 `json:"ece"`
	Probabilities string  `json:"probabilities"`
	// Networks is how many networks scored each example: an ensemble's
	// members (absent for one network).
	Networks    int                     `json:"networks,omitempty"`
	Reliability []calibrate.Bin         `json:"reliability"`
	Thresholds  []pipeline.ThresholdRow `json:"thresholds,omitempty"`
	// ROCAUC is that of the second label's score, for two-label models
	// whose data holds both labels.
	ROCAUC          *float64               `json:"roc_auc,omitempty"`
	PositiveLabel   string                 `json:"positive_label,omitempty"`
	Threshold       *float64               `json:"threshold,omitempty"`
	PerClass        map[string]classReport `json:"per_class"`
	Labels          []string               `json:"labels"`
	ConfusionMatrix [][]int                `json:"confusion_matrix"`
	// ModelLabels is set when the model has more labels than a confusion
	// matrix is made for (metrics.MaxMatrixClasses): then per_class,
	// labels and the matrix cover only those present in the data or the
	// predictions, and the matrix is null when even those are too many.
	ModelLabels int             `json:"model_labels,omitempty"`
	Baseline    *baselineReport `json:"baseline,omitempty"`
	Gates       []gateResult    `json:"gates,omitempty"`

	thresholdRule string // "p(pos) ≥ 0.7", for the text report
}

// baselineReport compares the model with --baseline on the same examples.
type baselineReport struct {
	Model      string  `json:"model"`
	Accuracy   float64 `json:"accuracy"`
	Loss       float64 `json:"loss"`
	MacroF1    float64 `json:"macro_f1"`
	WeightedF1 float64 `json:"weighted_f1"`
	// AccuracyDifference is the model's accuracy minus the baseline's.
	AccuracyDifference float64 `json:"accuracy_difference"`
	McNemar            struct {
		ModelOnlyCorrect    int     `json:"model_only_correct"`
		BaselineOnlyCorrect int     `json:"baseline_only_correct"`
		Method              string  `json:"method"`
		Statistic           float64 `json:"statistic"`
		PValue              float64 `json:"p_value"`
	} `json:"mcnemar"`
	Alpha float64 `json:"alpha"`
	// Verdict is "better", "worse" or "no significant difference": the
	// model compared with the baseline.
	Verdict string `json:"verdict"`
}

// gateResult is one quality gate: its measured value, its limit, and
// whether it passed.
type gateResult struct {
	Gate   string  `json:"gate"` // min_accuracy, min_macro_f1, fail_if_worse
	Value  float64 `json:"value"`
	Limit  float64 `json:"limit"`
	Passed bool    `json:"passed"`
	// Message says why a gate failed (also printed on stderr).
	Message string `json:"message,omitempty"`
}

func (o *evaluateOptions) check() error {
	switch {
	case o.Model == "":
		return usageErrorf("dlc evaluate needs --model FILE; see dlc evaluate --help")
	case o.Data != "" && o.Config != "":
		return usageErrorf("give --data or --config, not both")
	case o.Baseline == "" && o.FailIfWorse:
		return usageErrorf("--fail-if-worse needs --baseline OTHER.dlc to compare with")
	case o.Baseline == "" && o.alphaSet:
		return usageErrorf("--alpha is the significance level of the --baseline comparison; give --baseline OTHER.dlc")
	case !(o.Alpha > 0 && o.Alpha < 1):
		return usageErrorf("--alpha must be between 0 and 1 (exclusive), not %v", o.Alpha)
	}
	if o.Plot != "" {
		if err := plot.CheckFormat(o.Plot); err != nil {
			return usageErrorf("--plot: %v", err)
		}
		if err := checkOutput(o.Plot, "--plot"); err != nil {
			return err
		}
	}
	for _, g := range []struct {
		name string
		v    float64
	}{{"--min-accuracy", o.MinAccuracy}, {"--min-macro-f1", o.MinMacroF1}, {"--min-micro-f1", o.MinMicroF1}} {
		if g.v < 0 || g.v > 1 || math.IsNaN(g.v) {
			return usageErrorf("%s must be between 0 and 1, not %v", g.name, g.v)
		}
	}
	if len(o.Keep) > 0 && o.Predictions == "" {
		return usageErrorf("--keep carries fields into the --predictions file; give --predictions FILE")
	}
	if err := checkOutput(o.Predictions, "--predictions"); err != nil {
		return err
	}
	return o.regressionGates.check()
}

func runEvaluate(g *globals, stdio *IO, o *evaluateOptions) error {
	if err := o.check(); err != nil {
		return err
	}
	m, err := model.Load(o.Model)
	if err != nil {
		return err
	}
	if err := o.Threshold.Check(m); err != nil {
		return flagError(err)
	}
	var base *model.Model
	if o.Baseline != "" && !m.Net.Spec().Regression { // refused for a regression below
		if base, err = model.Load(o.Baseline); err != nil {
			return err
		}
		if err := o.Threshold.Check(base); err != nil {
			return usageErrorf("the baseline %s: %v", o.Baseline, flagError(err))
		}
		if err := sameKind(o, m, base); err != nil {
			return err
		}
	}
	path, fields, err := o.evaluationData(g, m)
	if err != nil {
		return err
	}
	if err := checkOutputs([]namedPath{{o.Predictions, "--predictions"}}, []namedPath{{path, "the data"}, {o.Model, "the model"}, {o.Baseline, "the baseline"}}); err != nil {
		return err
	}
	e, err := readAs(m, o, fields, path)
	if err != nil {
		return err
	}
	if m.MultiLabel() {
		return evaluateMultiLabel(stdio, o, m, base, path, e)
	}
	if m.Net.Spec().Regression {
		s, err := pipeline.Score(m, e)
		if err != nil {
			return err
		}
		if err := o.writePredictions(m, e, s, path); err != nil {
			return err
		}
		return reportRegression(stdio, o, path, s)
	}
	if o.regressionGates.given() {
		return usageErrorf("%s gates a regression model; %s is a classifier (use --min-accuracy or --min-macro-f1)", o.regressionGates.first(), o.Model)
	}
	scored, err := pipeline.Evaluate(m, e, o.Threshold)
	if err != nil {
		return err
	}
	ev := report(m, scored, o.Threshold)
	ev.Model, ev.Data = o.Model, path
	if base != nil {
		be, err := readAs(base, o, fields, path)
		if err != nil {
			return fmt.Errorf("the baseline %s cannot read this data: %w", o.Baseline, err)
		}
		baseScored, err := pipeline.Evaluate(base, be, o.Threshold)
		if err != nil {
			return fmt.Errorf("the baseline %s cannot score this data: %w", o.Baseline, err)
		}
		ev.Baseline = baselineFor(ev, report(base, baseScored, o.Threshold), pipeline.Compare(scored.Correct, baseScored.Correct, o.Alpha), o)
	}
	var gs gates
	if o.minAccuracySet {
		gs.check("min_accuracy", ev.Accuracy, o.MinAccuracy, ev.Accuracy >= o.MinAccuracy,
			fmt.Sprintf("accuracy %.4f is below --min-accuracy %g", ev.Accuracy, o.MinAccuracy))
	}
	if o.minMacroF1Set {
		gs.check("min_macro_f1", ev.MacroF1, o.MinMacroF1, ev.MacroF1 >= o.MinMacroF1,
			fmt.Sprintf("macro-F1 %.4f is below --min-macro-f1 %g", ev.MacroF1, o.MinMacroF1))
	}
	if o.minMicroF1Set { // with one label given per text, micro-F1 is the accuracy
		gs.check("min_micro_f1", ev.Accuracy, o.MinMicroF1, ev.Accuracy >= o.MinMicroF1,
			fmt.Sprintf("micro-F1 (the accuracy, for one label per text) %.4f is below --min-micro-f1 %g", ev.Accuracy, o.MinMicroF1))
	}
	if o.FailIfWorse {
		b := ev.Baseline
		gs.check("fail_if_worse", b.McNemar.PValue, o.Alpha, b.Verdict != pipeline.Worse,
			fmt.Sprintf("the model is significantly worse than the baseline %s: accuracy %.4f vs %.4f, McNemar p = %.3g < --alpha %g",
				o.Baseline, ev.Accuracy, b.Accuracy, b.McNemar.PValue, o.Alpha))
	}
	if o.Plot != "" {
		title := fmt.Sprintf("%s: ECE %.4f on %d examples", filepath.Base(o.Model), ev.ECE, ev.N)
		if err := plotReliability(o.Plot, title, ev.Reliability); err != nil {
			return err
		}
	}
	ev.Gates = gs.results
	if err := o.writePredictions(m, e, scored.Scores, path); err != nil {
		return err
	}
	if o.Format == "json" {
		if err := writeJSONReport(stdio.Out, ev); err != nil {
			return err
		}
	} else if err := printEvaluation(stdio, ev, o); err != nil {
		return err
	}
	return gs.err()
}

// plotReliability draws evaluate --plot's reliability diagram of the
// bins to path, for a single-label and a multi-label report alike.
func plotReliability(path, title string, rel []calibrate.Bin) error {
	bins := make([]plot.Bin, len(rel))
	for i, b := range rel {
		bins[i] = plot.Bin{Lo: b.Lo, Hi: b.Hi, Count: b.Count, Confidence: b.Confidence, Accuracy: b.Accuracy}
	}
	return plot.WriteReliability(path, title, bins)
}

// writeJSONReport writes evaluate --format json's report: indented, with
// a label's <, > and & kept as they are rather than escaped for HTML, so
// that a script reading the report finds the labels of its data.
func writeJSONReport(w io.Writer, report any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(report)
}

// ensembleSize is the number of networks of an ensemble, 0 for one network.
func ensembleSize(m *model.Model) int {
	if len(m.Members) > 1 {
		return len(m.Members)
	}
	return 0
}

// report is evaluate's report of a classifier's evaluation.
func report(m *model.Model, s *pipeline.Evaluation, t pipeline.Threshold) *evaluation {
	r := s.Report
	ev := &evaluation{
		N: r.N, Accuracy: r.Accuracy, Loss: s.Loss, MacroF1: r.MacroF1, WeightedF1: r.WeightedF1,
		LogLoss: s.Quality.LogLoss, Brier: s.Quality.Brier, ECE: s.Quality.ECE,
		Probabilities: pipeline.ProbabilitiesAre(m), Reliability: s.Bins, Thresholds: pipeline.Thresholds(m, s),
		Networks: ensembleSize(m),
		PerClass: map[string]classReport{}, Labels: m.Labels, ConfusionMatrix: r.Confusion,
	}
	if r.Labels != nil { // too many labels for all of them: those present
		ev.Labels, ev.ModelLabels = make([]string, len(r.Labels)), len(m.Labels)
		for i, c := range r.Labels {
			ev.Labels[i] = m.Labels[c]
			ev.PerClass[m.Labels[c]] = classReport(r.Classes[c])
		}
	} else {
		for i, c := range r.Classes {
			ev.PerClass[m.Labels[i]] = classReport(c)
		}
	}
	if t.Set {
		ev.Threshold, ev.thresholdRule = &t.Value, t.Describe(m)
	}
	if s.HasROCAUC {
		auc := s.ROCAUC
		ev.ROCAUC, ev.PositiveLabel = &auc, m.Labels[1]
	}
	return ev
}

// baselineFor reports the comparison of the model with --baseline.
func baselineFor(ev, base *evaluation, c pipeline.Comparison, o *evaluateOptions) *baselineReport {
	b := &baselineReport{
		Model: o.Baseline, Accuracy: base.Accuracy, Loss: base.Loss, MacroF1: base.MacroF1, WeightedF1: base.WeightedF1,
		AccuracyDifference: ev.Accuracy - base.Accuracy, Alpha: o.Alpha, Verdict: c.Verdict,
	}
	t := c.McNemar
	b.McNemar.ModelOnlyCorrect, b.McNemar.BaselineOnlyCorrect = t.OnlyA, t.OnlyB
	b.McNemar.Method, b.McNemar.Statistic, b.McNemar.PValue = t.Method, t.Statistic, t.P
	return b
}
