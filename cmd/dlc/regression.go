package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/dlc-dev/dlc/internal/metrics"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/pipeline"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// regressionEvaluation is the JSON report of evaluate for a regression
// model: there are no classes, so no accuracy, F1 or confusion matrix.
type regressionEvaluation struct {
	Model string  `json:"model"`
	Data  string  `json:"data"`
	N     int     `json:"n"`
	Loss  float64 `json:"loss"` // mean squared error
	RMSE  float64 `json:"rmse"`
	MAE   float64 `json:"mae"`
	R2    float64 `json:"r2"`
}

// reportRegression prints evaluate's report for a regression model.
func reportRegression(stdio *IO, o *evaluateOptions, path string, s *pipeline.Scores) error {
	// The gates and the comparison are for classifiers.
	for _, g := range []struct {
		set  bool
		flag string
	}{{o.minAccuracySet, "--min-accuracy"}, {o.minMacroF1Set, "--min-macro-f1"}} {
		if g.set {
			return usageErrorf("%s gates a classifier; %s is a regression model (its rmse is %.6g)", g.flag, o.Model, s.Regression.RMSE)
		}
	}
	if o.Baseline != "" {
		return usageErrorf("--baseline compares two classifiers' right and wrong answers (McNemar's test); %s is a regression model", o.Model)
	}
	r := s.Regression
	ev := regressionEvaluation{Model: o.Model, Data: path, N: r.N, Loss: s.Loss, RMSE: r.RMSE, MAE: r.MAE, R2: r.R2}
	if o.Format == "json" {
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(ev)
	}
	tw := tabwriter.NewWriter(stdio.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "model\t%s\ndata\t%s\nexamples\t%d\nloss\t%.6g\n", ev.Model, ev.Data, ev.N, ev.Loss)
	printRegression(tw, r)
	return tw.Flush()
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
