package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/model"
)

type evaluateOptions struct {
	Model       string
	Data        string
	Config      string
	Format      string
	MinAccuracy float64
}

func newEvaluateCmd(g *globals, stdio *IO) *cobra.Command {
	o := &evaluateOptions{}
	cmd := &cobra.Command{
		Use:     "evaluate --model FILE [--data PATH | --config FILE]",
		Aliases: []string{"eval"},
		Short:   "Score a model on held-out labelled data",
		Long: `evaluate scores a model on labelled data: accuracy, mean loss, per-class
precision, recall, F1 and support, macro-F1, and the confusion matrix.

The data is --data PATH, else the test data of --config FILE, else the test
data of the config the model was trained with.

--min-accuracy X turns evaluate into a CI gate: it exits with status 3 when
the accuracy is below X.

` + exitStatusHelp,
		Example: `  dlc evaluate --model imdb.dlc
  dlc eval --model imdb.dlc --data reviews.jsonl --format json
  dlc eval --model imdb.dlc --min-accuracy 0.87 || echo "model got worse"`,
		Args: exactArgs(0, "no arguments (the model is --model FILE)"),
		RunE: func(c *cobra.Command, _ []string) error {
			return runEvaluate(g, stdio, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Model, "model", "m", "", "the model file (required)")
	f.StringVarP(&o.Data, "data", "d", "", "labelled data: "+data.Formats)
	f.StringVarP(&o.Config, "config", "c", "", "take the test data of this config")
	f.VarP(newEnum(&o.Format, "text", "text", "json"), "format", "f", "output format")
	f.Float64Var(&o.MinAccuracy, "min-accuracy", 0, "exit with status 3 when accuracy is below this")
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
	Model           string                 `json:"model"`
	Data            string                 `json:"data"`
	N               int                    `json:"n"`
	Accuracy        float64                `json:"accuracy"`
	Loss            float64                `json:"loss"`
	MacroF1         float64                `json:"macro_f1"`
	WeightedF1      float64                `json:"weighted_f1"`
	PerClass        map[string]classReport `json:"per_class"`
	Labels          []string               `json:"labels"`
	ConfusionMatrix [][]int                `json:"confusion_matrix"`
}

func runEvaluate(g *globals, stdio *IO, o *evaluateOptions) error {
	if o.Model == "" {
		return usageErrorf("dlc evaluate needs --model FILE; see dlc evaluate --help")
	}
	if o.Data != "" && o.Config != "" {
		return usageErrorf("give --data or --config, not both")
	}
	if o.MinAccuracy < 0 || o.MinAccuracy > 1 || math.IsNaN(o.MinAccuracy) {
		return usageErrorf("--min-accuracy must be between 0 and 1, not %v", o.MinAccuracy)
	}
	m, err := model.Load(o.Model)
	if err != nil {
		return err
	}
	path, err := evaluationData(g, o, m)
	if err != nil {
		return err
	}
	s, err := scoreFile(m, path)
	if err != nil {
		return err
	}
	if s.Regression != nil {
		return reportRegression(stdio, o, path, s)
	}
	ev := evaluation{
		Model: o.Model, Data: path, N: s.Report.N, Accuracy: s.Report.Accuracy, Loss: s.Loss,
		MacroF1: s.Report.MacroF1, WeightedF1: s.Report.WeightedF1,
		PerClass: map[string]classReport{}, Labels: m.Labels, ConfusionMatrix: s.Report.Confusion,
	}
	for i, c := range s.Report.Classes {
		ev.PerClass[m.Labels[i]] = classReport(c)
	}
	if o.Format == "json" {
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(ev); err != nil {
			return err
		}
	} else if err := printEvaluation(stdio.Out, &ev); err != nil {
		return err
	}
	if o.MinAccuracy > 0 && ev.Accuracy < o.MinAccuracy {
		return &gateError{fmt.Sprintf("accuracy %.4f is below --min-accuracy %g", ev.Accuracy, o.MinAccuracy)}
	}
	return nil
}

// evaluationData picks the data evaluate scores: --data, the test data of
// --config, or the test data of the model's own config.
func evaluationData(g *globals, o *evaluateOptions, m *model.Model) (string, error) {
	if o.Data != "" {
		return o.Data, nil
	}
	cfg := m.Config
	if o.Config != "" {
		c, err := config.Load(o.Config, nil)
		if err != nil {
			return "", err
		}
		cfg = c
	}
	paths, err := resolveData(cfg, g.DataDir)
	if err != nil {
		return "", err
	}
	if paths.Test == "" {
		return "", usageErrorf("the model's config names no test data; give --data PATH")
	}
	return paths.Test, nil
}

func printEvaluation(w io.Writer, ev *evaluation) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "model\t%s\ndata\t%s\nexamples\t%d\naccuracy\t%.4f\nloss\t%.4f\nmacro_f1\t%.4f\nweighted_f1\t%.4f\n\n",
		ev.Model, ev.Data, ev.N, ev.Accuracy, ev.Loss, ev.MacroF1, ev.WeightedF1)
	fmt.Fprintln(tw, "label\tprecision\trecall\tf1\tsupport")
	for _, l := range ev.Labels {
		c := ev.PerClass[l]
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%.4f\t%d\n", l, c.Precision, c.Recall, c.F1, c.Support)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nconfusion matrix (rows: true label, columns: predicted label)")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\t"+strings.Join(ev.Labels, "\t")+"\t")
	for i, row := range ev.ConfusionMatrix {
		fmt.Fprint(tw, ev.Labels[i])
		for _, v := range row {
			fmt.Fprintf(tw, "\t%d", v)
		}
		fmt.Fprintln(tw, "\t")
	}
	return tw.Flush()
}
