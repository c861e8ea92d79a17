package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"text/tabwriter"

	"github.com/dlc-dev/dlc/internal/metrics"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/pipeline"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// regressionEvaluation is the JSON report of evaluate for a regression
// model: there are no classes, so no accuracy, F1 or confusion matrix.
type regressionEvaluation struct {
	Model string       `json:"model"`
	Data  string       `json:"data"`
	N     int          `json:"n"`
	Loss  float64      `json:"loss"` // mean squared error
	RMSE  float64      `json:"rmse"`
	MAE   float64      `json:"mae"`
	R2    float64      `json:"r2"`
	Gates []gateResult `json:"gates,omitempty"`
}

// reportRegression prints evaluate's report for a regression model.
func reportRegression(stdio *IO, o *evaluateOptions, path string, s *pipeline.Scores) error {
	// The gates and the comparison are for classifiers.
	for _, g := range []struct {
		set  bool
		flag string
	}{{o.minAccuracySet, "--min-accuracy"}, {o.minMacroF1Set, "--min-macro-f1"}} {
		if g.set {
			return usageErrorf("%s gates a classifier; %s is a regression model (its rmse is %.6g): use --max-rmse, --max-mae or --min-r2", g.flag, o.Model, s.Regression.RMSE)
		}
	}
	if o.Baseline != "" {
		return usageErrorf("--baseline compares two classifiers' right and wrong answers (McNemar's test); %s is a regression model", o.Model)
	}
	r := s.Regression
	ev := regressionEvaluation{Model: o.Model, Data: path, N: r.N, Loss: s.Loss, RMSE: r.RMSE, MAE: r.MAE, R2: r.R2}
	var gs gates
	o.regressionGates.apply(&gs, r)
	ev.Gates = gs.results
	if o.Format == "json" {
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(ev); err != nil {
			return err
		}
		return gs.err()
	}
	tw := tabwriter.NewWriter(stdio.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "model\t%s\ndata\t%s\nexamples\t%d\nloss\t%.6g\n", ev.Model, ev.Data, ev.N, ev.Loss)
	printRegression(tw, r)
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(ev.Gates) > 0 {
		fmt.Fprintln(stdio.Out)
		if err := printGates(stdio, ev.Gates); err != nil {
			return err
		}
	}
	return gs.err()
}

// checkRegression refuses predict's options that only mean something for a
// classifier; a regression model answers each input with one number.
func (o *predictOptions) checkRegression(m *model.Model) error {
	switch {
	case o.TopK != 1:
		return usageErrorf("--top-k ranks labels; %s is a regression model, which predicts one number", o.Model)
	case o.Threshold.Set:
		return usageErrorf("--threshold cuts a two-label model's probability; %s is a regression model, which predicts one number", o.Model)
	case o.Explain > 0:
		return usageErrorf("--explain is for classifiers; %s is a regression model", o.Model)
	case o.TextField != "" && m.Vectorizer.Mode == vectorize.Dense:
		return usageErrorf("--text-field is for text models; %s reads lines of numbers", o.Model)
	}
	return nil
}

// printRegression writes the regression lines of a report, aligned as the
// classification report is.
func printRegression(w io.Writer, r *metrics.RegressionReport) {
	fmt.Fprintf(w, "rmse\t%.6g\nmae\t%.6g\nr2\t%.6f\n", r.RMSE, r.MAE, r.R2)
}

// regressionGates are evaluate's quality gates for a regression model:
// --max-rmse, --max-mae and --min-r2, each exiting with status 3 when not
// met, as the classification gates do.
type regressionGates struct {
	MaxRMSE, MaxMAE, MinR2          float64
	maxRMSESet, maxMAESet, minR2Set bool
}

// check refuses limits no model could be held to.
func (r *regressionGates) check() error {
	for _, g := range []struct {
		name string
		set  bool
		v    float64
	}{{"--max-rmse", r.maxRMSESet, r.MaxRMSE}, {"--max-mae", r.maxMAESet, r.MaxMAE}} {
		if g.set && (g.v < 0 || math.IsNaN(g.v) || math.IsInf(g.v, 0)) {
			return usageErrorf("%s must be a number of at least 0, not %v", g.name, g.v)
		}
	}
	if r.minR2Set && (r.MinR2 > 1 || math.IsNaN(r.MinR2) || math.IsInf(r.MinR2, 0)) {
		return usageErrorf("--min-r2 must be a number of at most 1, not %v", r.MinR2)
	}
	return nil
}

// given reports whether any regression gate was asked for.
func (r *regressionGates) given() bool { return r.maxRMSESet || r.maxMAESet || r.minR2Set }

// first names the first regression gate given, for messages.
func (r *regressionGates) first() string {
	switch {
	case r.maxRMSESet:
		return "--max-rmse"
	case r.maxMAESet:
		return "--max-mae"
	}
	return "--min-r2"
}

// apply checks the gates given against the report.
func (r *regressionGates) apply(g *gates, m *metrics.RegressionReport) {
	if r.maxRMSESet {
		g.check("max_rmse", m.RMSE, r.MaxRMSE, m.RMSE <= r.MaxRMSE, fmt.Sprintf("rmse %.6g is above --max-rmse %g", m.RMSE, r.MaxRMSE))
	}
	if r.maxMAESet {
		g.check("max_mae", m.MAE, r.MaxMAE, m.MAE <= r.MaxMAE, fmt.Sprintf("mae %.6g is above --max-mae %g", m.MAE, r.MaxMAE))
	}
	if r.minR2Set {
		g.check("min_r2", m.R2, r.MinR2, m.R2 >= r.MinR2, fmt.Sprintf("r2 %.4f is below --min-r2 %g", m.R2, r.MinR2))
	}
}
