package main

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dlc-dev/dlc/internal/history"
	"github.com/dlc-dev/dlc/internal/plot"
)

type plotOptions struct {
	Out    string
	Metric string
	X      string
	Labels []string
	Title  string
	Smooth int
	LogX   bool
	LogY   bool
	YMin   float64
	YMax   float64
	Files  []string
	xSet   bool
}

func newPlotCmd(g *globals, stdio *IO) *cobra.Command {
	o := &plotOptions{}
	cmd := &cobra.Command{
		Use:   "plot --out FILE HISTORY.csv...",
		Short: "Draw one or more training histories in one chart",
		Long: `plot overlays the history files that dlc train writes — per epoch
(--history) or per update (--history-steps) — in one chart, to compare
runs: batch, mini-batch and stochastic gradient descent, two learning
rates, two optimizers.

--metric picks the column (loss, accuracy, val_loss, val_accuracy for
epoch files; loss or learning_rate for update files). --x step draws
against the update count, --x epoch against the epochs done (for update
files, the fraction of the training set seen so far). --smooth N draws a
series of more than N values thin and faint, with its moving average over
N values on top: the trend of one-example updates without hiding their
noise. Without --x, a chart of per-epoch files (or of both kinds) is drawn
against the epochs, one of per-update files against the updates. The file
name's extension chooses the format: .png, .svg or .pdf.`,
		Example: `  dlc train -c configs/imdb.yaml --set training.method=batch --set training.epochs=60 --history-steps batch.csv
  dlc train -c configs/imdb.yaml --history-steps minibatch.csv
  dlc plot --out loss.png --log-x --smooth 250 batch.csv minibatch.csv sgd.csv
  dlc plot --out acc.svg --metric val_accuracy --x epoch lr-0.001.csv lr-0.01.csv`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("dlc plot needs at least one history CSV file; see dlc plot --help")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			o.Files, o.xSet = args, c.Flags().Changed("x")
			return runPlot(stdio, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Out, "out", "o", "", "the image to write: .png, .svg or .pdf (required)")
	f.StringVarP(&o.Metric, "metric", "m", "loss", "the column to draw")
	f.VarP(newEnum(&o.X, "step", "step", "epoch"), "x", "x", "what the x axis counts")
	f.StringArrayVarP(&o.Labels, "label", "l", nil, "the legend of each file, in order (default: the file name)")
	f.StringVar(&o.Title, "title", "", "the chart's title (default: the metric and the x axis)")
	f.IntVar(&o.Smooth, "smooth", 0, "draw a moving average over N values on top of longer series")
	f.BoolVar(&o.LogX, "log-x", false, "logarithmic x axis")
	f.BoolVar(&o.LogY, "log-y", false, "logarithmic y axis")
	f.Float64Var(&o.YMin, "ymin", math.NaN(), "the bottom of the y axis (default: from the data)")
	f.Float64Var(&o.YMax, "ymax", math.NaN(), "the top of the y axis; curves above are clipped (default: from the data)")
	return cmd
}

func runPlot(stdio *IO, o *plotOptions) error {
	if o.Out == "" {
		return usageErrorf("dlc plot needs --out FILE (.png, .svg or .pdf); see dlc plot --help")
	}
	if err := plot.CheckFormat(o.Out); err != nil {
		return usageErrorf("--out: %v", err)
	}
	if len(o.Labels) > 0 && len(o.Labels) != len(o.Files) {
		return usageErrorf("--label was given %d times for %d files; give one per file or none", len(o.Labels), len(o.Files))
	}
	if o.Smooth < 0 {
		return usageErrorf("--smooth must be at least 0, not %d", o.Smooth)
	}
	if err := checkOutput(o.Out, "--out"); err != nil {
		return err
	}
	files := make([]*history.File, len(o.Files))
	perEpoch := false
	for i, path := range o.Files {
		h, err := history.Read(path)
		if err != nil {
			return err
		}
		files[i], perEpoch = h, perEpoch || !h.PerStep
	}
	// An epoch file cannot be drawn per update; update files can be drawn
	// per epoch: without --x, one of the first makes it epochs.
	if !o.xSet && perEpoch {
		o.X = "epoch"
	}
	panel := plot.Panel{Title: o.Title, XLabel: "update", YLabel: strings.ReplaceAll(o.Metric, "_", " "), LogX: o.LogX, LogY: o.LogY, YMin: o.YMin, YMax: o.YMax}
	if o.X == "epoch" {
		panel.XLabel, panel.Counts = "epoch", perEpoch
	}
	if panel.Title == "" {
		panel.Title = fmt.Sprintf("%s per %s", panel.YLabel, panel.XLabel)
	}
	for i, path := range o.Files {
		h := files[i]
		y, ok := h.Columns[o.Metric]
		if !ok {
			return fmt.Errorf("%s has no column %q (it has %s); choose one with --metric", path, o.Metric, strings.Join(h.Names(), ", "))
		}
		x, err := h.X(o.X)
		if err != nil {
			return err
		}
		label := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		if len(o.Labels) > 0 {
			label = o.Labels[i]
		}
		if o.Smooth > 1 && len(y) > o.Smooth {
			group := strconv.Itoa(i)
			panel.Series = append(panel.Series,
				plot.Series{Label: label, X: x, Y: y, Thin: true, Group: group},
				plot.Series{Label: fmt.Sprintf("%s, mean of %d", label, o.Smooth), X: x, Y: plot.MovingAverage(y, o.Smooth), Group: group})
			continue
		}
		panel.Series = append(panel.Series, plot.Series{Label: label, X: x, Y: y, Points: len(y) <= 100, Group: strconv.Itoa(i)})
	}
	if err := plot.Write(o.Out, []plot.Panel{panel}); err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "plot written to %s\n", o.Out)
	return nil
}
