package main

import (
	"fmt"
	"path/filepath"
	"text/tabwriter"

	"github.com/dlc-dev/dlc/internal/calibrate"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/metrics"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/pipeline"
)

// multiEvaluation is the JSON report of evaluate for a multi-label model.
// Accuracy is its subset accuracy (every label of a text right), so that a
// script reading accuracy reads the strictest score.
type multiEvaluation struct {
	Model string `json:"model"`
	Data  string `json:"data"`
	Task  string `json:"task"` // "multilabel"
	metrics.MultiLabelReport
	Accuracy      float64                `json:"accuracy"`
	Loss          float64                `json:"loss"`
	LogLoss       float64                `json:"log_loss"`
	Brier         float64                `json:"brier"`
	ECE           float64                `json:"ece"`
	Probabilities string                 `json:"probabilities"`
	Networks      int                    `json:"networks,omitempty"` // an ensemble's, as evaluation's
	Reliability   []calibrate.Bin        `json:"reliability"`
	Decision      string                 `json:"decision"`
	Threshold     *float64               `json:"threshold,omitempty"`
	Thresholds    *calibrate.Thresholds  `json:"thresholds"`
	PerClass      map[string]classReport `json:"per_class"`
	Labels        []string               `json:"labels"`
	Baseline      *multiBaseline         `json:"baseline,omitempty"`
	Gates         []gateResult           `json:"gates,omitempty"`
}

// multiBaseline compares a multi-label model with --baseline on the same
// examples: paired approximate randomization of the micro-F1.
type multiBaseline struct {
	Model             string  `json:"model"`
	MicroF1           float64 `json:"micro_f1"`
	MacroF1           float64 `json:"macro_f1"`
	SubsetAccuracy    float64 `json:"subset_accuracy"`
	HammingLoss       float64 `json:"hamming_loss"`
	Loss              float64 `json:"loss"`
	MicroF1Difference float64 `json:"micro_f1_difference"`
	Randomization     struct {
		Method string  `json:"method"`
		Rounds int     `json:"rounds"`
		PValue float64 `json:"p_value"`
	} `json:"randomization"`
	Alpha   float64 `json:"alpha"`
	Verdict string  `json:"verdict"`
}

// randomizationMethod names the paired test in reports.
const randomizationMethod = "paired approximate randomization of micro-F1, examples swapped whole"

// sameKind refuses a baseline that gives texts one label where the model
// gives several, or the other way round: their scores do not compare.
func sameKind(o *evaluateOptions, m, base *model.Model) error {
	switch {
	case m.MultiLabel() && !base.MultiLabel():
		return usageErrorf("the baseline %s gives a text one label, and %s several: compare multi-label models with multi-label models", o.Baseline, o.Model)
	case !m.MultiLabel() && base.MultiLabel():
		return usageErrorf("the baseline %s gives a text several labels, and %s one: compare single-label models with single-label models", o.Baseline, o.Model)
	}
	return nil
}

// multiReport is evaluate's report of a multi-label model's evaluation.
func multiReport(m *model.Model, s *pipeline.Evaluation, t pipeline.Threshold) *multiEvaluation {
	r := *s.Multi
	ev := &multiEvaluation{
		Task: "multilabel", MultiLabelReport: r, Accuracy: r.SubsetAccuracy, Loss: s.Loss,
		LogLoss: s.Quality.LogLoss, Brier: s.Quality.Brier, ECE: s.Quality.ECE,
		Probabilities: pipeline.ProbabilitiesAre(m), Networks: ensembleSize(m), Reliability: s.Bins,
		Decision: "every label at or above its threshold; " + labelRange(m.Thresholds), Thresholds: m.Thresholds,
		PerClass: map[string]classReport{}, Labels: m.Labels,
	}
	if t.Set {
		ev.Threshold = &t.Value
		ev.Decision = t.Describe(m) + "; " + labelRange(m.Thresholds)
	}
	for i, c := range r.Classes {
		ev.PerClass[m.Labels[i]] = classReport(c)
	}
	return ev
}

// evaluateMultiLabel is evaluate for a multi-label model m (and a
// multi-label baseline base, or nil) on the examples e read from path.
func evaluateMultiLabel(stdio *IO, o *evaluateOptions, m, base *model.Model, path string, e *data.Examples) error {
	if o.confusionSet {
		return usageErrorf("--confusion chooses how the confusion matrix is shown, and a multi-label model has none (its report has per-label scores)")
	}
	scored, err := pipeline.Evaluate(m, e, o.Threshold)
	if err != nil {
		return err
	}
	ev := multiReport(m, scored, o.Threshold)
	ev.Model, ev.Data = o.Model, path
	if base != nil {
		be, err := pipeline.ReadFor(base, path)
		if err != nil {
			return fmt.Errorf("the baseline %s cannot read this data: %w", o.Baseline, err)
		}
		bs, err := pipeline.Evaluate(base, be, o.Threshold)
		if err != nil {
			return fmt.Errorf("the baseline %s cannot score this data: %w", o.Baseline, err)
		}
		c := pipeline.CompareMulti(scored, bs, o.Alpha)
		r := bs.Multi
		b := &multiBaseline{Model: o.Baseline, MicroF1: r.MicroF1, MacroF1: r.MacroF1, SubsetAccuracy: r.SubsetAccuracy,
			HammingLoss: r.HammingLoss, Loss: bs.Loss, MicroF1Difference: ev.MicroF1 - r.MicroF1, Alpha: o.Alpha, Verdict: c.Verdict}
		b.Randomization.Method, b.Randomization.Rounds, b.Randomization.PValue = randomizationMethod, c.Randomization.Rounds, c.Randomization.P
		ev.Baseline = b
	}
	var gs gates
	if o.minAccuracySet {
		gs.check("min_accuracy", ev.SubsetAccuracy, o.MinAccuracy, ev.SubsetAccuracy >= o.MinAccuracy,
			fmt.Sprintf("subset accuracy %.4f is below --min-accuracy %g", ev.SubsetAccuracy, o.MinAccuracy))
	}
	if o.minMicroF1Set {
		gs.check("min_micro_f1", ev.MicroF1, o.MinMicroF1, ev.MicroF1 >= o.MinMicroF1,
			fmt.Sprintf("micro-F1 %.4f is below --min-micro-f1 %g", ev.MicroF1, o.MinMicroF1))
	}
	if o.minMacroF1Set {
		gs.check("min_macro_f1", ev.MacroF1, o.MinMacroF1, ev.MacroF1 >= o.MinMacroF1,
			fmt.Sprintf("macro-F1 %.4f is below --min-macro-f1 %g", ev.MacroF1, o.MinMacroF1))
	}
	if o.FailIfWorse {
		b := ev.Baseline
		gs.check("fail_if_worse", b.Randomization.PValue, o.Alpha, b.Verdict != pipeline.Worse,
			fmt.Sprintf("the model is significantly worse than the baseline %s: micro-F1 %.4f vs %.4f, randomization p = %.3g < --alpha %g",
				o.Baseline, ev.MicroF1, b.MicroF1, b.Randomization.PValue, o.Alpha))
	}
	ev.Gates = gs.results
	if o.Plot != "" {
		title := fmt.Sprintf("%s: ECE %.4f over the %d labels of %d examples", filepath.Base(o.Model), ev.ECE, len(m.Labels), ev.N)
		if err := plotReliability(o.Plot, title, ev.Reliability); err != nil {
			return err
		}
	}
	if o.Format == "json" {
		if err := writeJSONReport(stdio.Out, ev); err != nil {
			return err
		}
	} else if err := printMultiEvaluation(stdio, ev); err != nil {
		return err
	}
	return gs.err()
}

func printMultiEvaluation(stdio *IO, ev *multiEvaluation) error {
	w := stdio.Out
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "model\t%s\ndata\t%s\nexamples\t%d\nlabels\t%d, any number per text: %.3f per text, %.3f given\n",
		ev.Model, ev.Data, ev.N, len(ev.Labels), ev.TrueCardinality, ev.PredictedCardinality)
	fmt.Fprintf(tw, "micro_f1\t%.4f\t(precision %.4f, recall %.4f)\n", ev.MicroF1, ev.MicroPrecision, ev.MicroRecall)
	fmt.Fprintf(tw, "macro_f1\t%.4f\t(precision %.4f, recall %.4f, over the labels in the data or the answers)\n", ev.MacroF1, ev.MacroPrecision, ev.MacroRecall)
	fmt.Fprintf(tw, "samples_f1\t%.4f\nsubset_accuracy\t%.4f\t(every label of a text right)\nhamming_loss\t%.4f\t(of the text-label decisions, those wrong)\nloss\t%.4f\n",
		ev.SamplesF1, ev.SubsetAccuracy, ev.HammingLoss, ev.Loss)
	fmt.Fprintf(tw, "log_loss\t%.4f\t(of each text's set of labels)\nbrier\t%.4f\nece\t%.4f\t(15 bins of the labels' probabilities)\nprobabilities\t%s\n",
		ev.LogLoss, ev.Brier, ev.ECE, ev.Probabilities)
	if ev.Networks > 1 {
		fmt.Fprintf(tw, "networks\t%d\t(an ensemble: each example scored by all %d, %d× the time of one)\n", ev.Networks, ev.Networks, ev.Networks)
	}
	fmt.Fprintf(tw, "decision\t%s\n", ev.Decision)
	if ev.Threshold == nil {
		fmt.Fprintf(tw, "thresholds\t%s\n", describeThresholds(ev.Thresholds))
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "label\tprecision\trecall\tf1\tsupport")
	for _, l := range ev.Labels {
		c := ev.PerClass[l]
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%.4f\t%d\n", data.EscapeField(l), c.Precision, c.Recall, c.F1, c.Support)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if b := ev.Baseline; b != nil {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "baseline\t%s, on the same %d examples\n", b.Model, ev.N)
		fmt.Fprintln(tw, "\tmodel\tbaseline\tdifference")
		for _, r := range []struct {
			name        string
			model, base float64
		}{
			{"micro_f1", ev.MicroF1, b.MicroF1},
			{"macro_f1", ev.MacroF1, b.MacroF1},
			{"subset_accuracy", ev.SubsetAccuracy, b.SubsetAccuracy},
			{"hamming_loss", ev.HammingLoss, b.HammingLoss},
			{"loss", ev.Loss, b.Loss},
		} {
			fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%+.4f\n", r.name, r.model, r.base, r.model-r.base)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(w, "%s, %d rounds: p = %.3g\n", randomizationMethod, b.Randomization.Rounds, b.Randomization.PValue)
		switch b.Verdict {
		case pipeline.Better:
			fmt.Fprintf(w, "verdict: %s than the baseline (p < %g)\n", stdio.paint(styleGood, "significantly better"), b.Alpha)
		case pipeline.Worse:
			fmt.Fprintf(w, "verdict: %s than the baseline (p < %g)\n", stdio.paint(styleBad, "significantly worse"), b.Alpha)
		default:
			fmt.Fprintf(w, "verdict: no significant difference from the baseline (p ≥ %g)\n", b.Alpha)
		}
	}
	if len(ev.Gates) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	return printGates(stdio, ev.Gates)
}
