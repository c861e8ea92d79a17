package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dlc-dev/dlc/internal/data"
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
noise. The file name's extension chooses the format: .png, .svg or .pdf.`,
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
			o.Files = args
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

// history is one history file, column by column.
type history struct {
	path    string
	perStep bool // a --history-steps file
	cols    map[string][]float64
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
	panel := plot.Panel{Title: o.Title, XLabel: "update", YLabel: strings.ReplaceAll(o.Metric, "_", " "), LogX: o.LogX, LogY: o.LogY, YMin: o.YMin, YMax: o.YMax}
	if o.X == "epoch" {
		panel.XLabel = "epoch"
	}
	if panel.Title == "" {
		panel.Title = fmt.Sprintf("%s per %s", panel.YLabel, panel.XLabel)
	}
	for i, path := range o.Files {
		h, err := readHistory(path)
		if err != nil {
			return err
		}
		y, ok := h.cols[o.Metric]
		if !ok {
			return fmt.Errorf("%s has no column %q (it has %s); choose one with --metric", path, o.Metric, strings.Join(h.names(), ", "))
		}
		x, err := h.xAxis(o.X)
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
				plot.Series{Label: fmt.Sprintf("%s, mean of %d", label, o.Smooth), X: x, Y: movingAverage(y, o.Smooth), Group: group})
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

// readHistory reads a history CSV written by dlc train.
func readHistory(path string) (*history, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("history file %s does not exist", path)
		}
		return nil, fmt.Errorf("cannot read history file %s: %v", path, err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	header, err := cr.Read()
	if err != nil || len(header) == 0 || (header[0] != "epoch" && header[0] != "step") {
		return nil, fmt.Errorf("%s:1: is not a dlc history file (its header must start with epoch or step, as dlc train --history or --history-steps writes)", path)
	}
	h := &history{path: path, perStep: header[0] == "step", cols: map[string][]float64{}}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, data.CSVError(path, err, len(header))
		}
		line, _ := cr.FieldPos(0)
		for i, name := range header {
			v := math.NaN()
			if rec[i] != "" {
				if v, err = strconv.ParseFloat(rec[i], 64); err != nil {
					return nil, fmt.Errorf("%s:%d: column %q holds %q, not a number", path, line, name, rec[i])
				}
			}
			h.cols[name] = append(h.cols[name], v)
		}
	}
	if len(h.cols[header[0]]) == 0 {
		return nil, fmt.Errorf("%s holds no rows", path)
	}
	return h, nil
}

func (h *history) names() []string {
	var out []string
	for k := range h.cols {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// xAxis returns the x value of every row: the update or epoch count; for
// an update file and --x epoch, the epochs done after each update (the
// examples seen so far over the examples of the first epoch).
func (h *history) xAxis(kind string) ([]float64, error) {
	if !h.perStep {
		if kind == "step" {
			return nil, fmt.Errorf("%s has one row per epoch (dlc train --history); draw it with --x epoch, or write one row per update with --history-steps", h.path)
		}
		return h.cols["epoch"], nil
	}
	if kind == "step" {
		return h.cols["step"], nil
	}
	epochs, examples := h.cols["epoch"], h.cols["examples"]
	if epochs == nil || examples == nil {
		return nil, fmt.Errorf("%s lacks the epoch and examples columns that --x epoch needs", h.path)
	}
	var perEpoch float64
	for i, e := range epochs {
		if e == epochs[0] {
			perEpoch += examples[i]
		}
	}
	x := make([]float64, len(epochs))
	var seen float64
	for i := range x {
		seen += examples[i]
		x[i] = seen / perEpoch
	}
	return x, nil
}

// movingAverage is the mean of the last n values at each point (fewer at
// the start).
func movingAverage(y []float64, n int) []float64 {
	out := make([]float64, len(y))
	var sum float64
	count := 0
	for i, v := range y {
		sum += v
		count++
		if i >= n {
			sum -= y[i-n]
			count--
		}
		out[i] = sum / float64(count)
	}
	return out
}
