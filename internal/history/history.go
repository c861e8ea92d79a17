// Package history is the CSV record of a training run that dlc train
// writes (--history: a row per epoch; --history-steps: a row per update)
// and dlc plot reads back.
package history

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"

	"github.com/dlc-dev/dlc/internal/atomicfile"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/gd"
)

// File is one history file, column by column.
type File struct {
	Path    string
	PerStep bool // one row per update (a --history-steps file)
	Columns map[string][]float64
}

// WriteEpochs writes one CSV row per epoch (Keras' History, as a file);
// a regression has no accuracy, and its columns stay empty.
func WriteEpochs(path string, history []gd.EpochStats, regression bool) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.Write([]string{"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds"})
		for _, st := range history {
			acc := st.Accuracy
			if regression {
				acc = math.NaN()
			}
			cw.Write([]string{strconv.Itoa(st.Epoch), formatFloat(st.Loss), formatFloat(acc), formatFloat(st.ValLoss), formatFloat(st.ValAccuracy), strconv.FormatFloat(st.Seconds, 'f', 3, 64)})
		}
		cw.Flush()
		return cw.Error()
	})
}

// WriteSteps writes one CSV row per update: its batch's mean loss
// (before the update) and the learning rate it used.
func WriteSteps(path string, steps []gd.UpdateStats) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.Write(stepHeader)
		for _, u := range steps {
			cw.Write([]string{strconv.Itoa(u.Step), strconv.Itoa(u.Epoch), strconv.Itoa(u.Examples), formatFloat(u.Loss), formatFloat(u.LearningRate)})
		}
		cw.Flush()
		return cw.Error()
	})
}

var stepHeader = []string{"step", "epoch", "examples", "loss", "learning_rate"}

func formatFloat(x float64) string {
	if math.IsNaN(x) {
		return ""
	}
	return strconv.FormatFloat(x, 'g', 10, 64)
}

// Read reads a history CSV written by WriteEpochs or WriteSteps.
func Read(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("history file %s does not exist", path)
		}
		return nil, fmt.Errorf("cannot read history file %s: %v", path, err)
	}
	defer f.Close()
	cr := data.NewCSVReader(f) // no record above 64 MiB
	header, err := cr.Read()
	if err != nil || len(header) == 0 || (header[0] != "epoch" && header[0] != "step") {
		return nil, fmt.Errorf("%s:1: is not a dlc history file (its header must start with epoch or step, as dlc train --history or --history-steps writes)", path)
	}
	h := &File{Path: path, PerStep: header[0] == "step", Columns: map[string][]float64{}}
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
					return nil, fmt.Errorf("%s:%d: column %s holds %s, not a number", path, line, data.Quote(name), data.Quote(rec[i]))
				}
			}
			h.Columns[name] = append(h.Columns[name], v)
		}
	}
	if len(h.Columns[header[0]]) == 0 {
		return nil, fmt.Errorf("%s holds no rows", path)
	}
	return h, nil
}

// Names returns the file's column names, sorted.
func (h *File) Names() []string {
	var out []string
	for k := range h.Columns {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// X returns the x value of every row: the update or epoch count; for
// an update file and --x epoch, the epochs done after each update (the
// examples seen so far over the examples of the first epoch).
func (h *File) X(kind string) ([]float64, error) {
	if !h.PerStep {
		if kind == "step" {
			return nil, fmt.Errorf("%s has one row per epoch (dlc train --history); draw it with --x epoch, or write one row per update with --history-steps", h.Path)
		}
		return h.Columns["epoch"], nil
	}
	if kind == "step" {
		return h.Columns["step"], nil
	}
	epochs, examples := h.Columns["epoch"], h.Columns["examples"]
	if epochs == nil || examples == nil {
		return nil, fmt.Errorf("%s lacks the epoch and examples columns that --x epoch needs", h.Path)
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
