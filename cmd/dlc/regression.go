package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"

	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/sparse"
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
func reportRegression(stdio *IO, o *evaluateOptions, path string, s scored) error {
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

// predictNumbers answers each line of stdin with the number a regression
// model predicts for it: text, or comma-separated feature values for a
// model of numeric columns.
func predictNumbers(stdio *IO, o *predictOptions, m *model.Model) error {
	switch {
	case o.TopK != 1:
		return usageErrorf("--top-k ranks labels; %s is a regression model, which predicts one number", o.Model)
	case o.Threshold.set:
		return usageErrorf("--threshold cuts a two-label model's probability; %s is a regression model, which predicts one number", o.Model)
	case o.Explain > 0:
		return usageErrorf("--explain is for classifiers; %s is a regression model", o.Model)
	case o.TextField != "":
		return usageErrorf("--text-field is for text models; %s reads lines of numbers", o.Model)
	}
	src, name := stdio.In, "stdin"
	if o.Input != "" && o.Input != "-" {
		f, err := os.Open(o.Input)
		if err != nil {
			return fmt.Errorf("cannot read --input %s: %v", o.Input, pathError(err))
		}
		defer f.Close()
		if src, err = data.TextReader(f, o.Input); err != nil {
			return err
		}
		name = o.Input
	}
	enc := m.Vectorizer.NewEncoder()
	x := sparse.New(m.Vectorizer.Features(), false)
	in := newLineReader(src, name)
	out := bufio.NewWriterSize(stdio.Out, 1<<16)
	if o.Format == "tsv" {
		out.WriteString("value\n")
	}
	var ws mlp.Workspace
	rows := []int{0}
	var buf []byte
	var pred []float64
	for {
		line, err := in.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		idx, vals := enc.Encode(string(line))
		if err := enc.Err(); err != nil {
			out.Flush()
			return fmt.Errorf("%s line %d %v", name, in.n, err)
		}
		// nil vals (multi-hot text) reads as all ones.
		x.Rows, x.Indptr, x.Indices, x.Values = 1, append(x.Indptr[:0], 0, len(idx)), idx, vals
		pred = m.Net.Predict(x, rows, pred, &ws)
		buf = buf[:0]
		if o.Format == "json" {
			buf = append(buf, `{"value":`...)
			buf = strconv.AppendFloat(buf, pred[0], 'g', -1, 64)
			buf = append(buf, '}')
		} else {
			buf = strconv.AppendFloat(buf, pred[0], 'g', 8, 64)
		}
		out.Write(append(buf, '\n'))
		if !in.Waiting() {
			if err := out.Flush(); err != nil {
				return err
			}
		}
	}
	return out.Flush()
}
