package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/dlc-dev/dlc/internal/checkpoint"
)

// isCheckpoint reports whether inspect's argument is a checkpoint folder
// or file rather than a model.
func isCheckpoint(path string) bool {
	if strings.HasSuffix(path, ".dlcc") {
		return true
	}
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

type checkpointFile struct {
	Path  string `json:"path"`
	Whole bool   `json:"whole"`
	Error string `json:"error,omitempty"`
}

type checkpointEpoch struct {
	Epoch       int      `json:"epoch"`
	Loss        float64  `json:"loss"`
	Accuracy    *float64 `json:"accuracy,omitempty"`
	ValLoss     *float64 `json:"val_loss,omitempty"`
	ValAccuracy *float64 `json:"val_accuracy,omitempty"`
}

type checkpointInspection struct {
	Path       string `json:"path"`
	Written    string `json:"written"`
	DLCVersion string `json:"dlc_version"`
	Stage      string `json:"stage"`
	Where      string `json:"where"`
	// Epoch and Updates are the network being trained's; Examples its
	// position in the epoch.
	Epoch      int                   `json:"epoch,omitempty"`
	Example    int                   `json:"example,omitempty"`
	Updates    int                   `json:"updates"`
	Optimizer  string                `json:"optimizer,omitempty"`
	BestEpoch  int                   `json:"best_epoch,omitempty"`
	Best       *float64              `json:"best,omitempty"`
	Monitor    string                `json:"monitor,omitempty"`
	History    []checkpointEpoch     `json:"history"`
	Config     string                `json:"config"`
	Sets       []string              `json:"sets,omitempty"`
	Data       []checkpoint.DataFile `json:"data"`
	Features   int                   `json:"features"`
	Vectorizer string                `json:"vectorizer_sha256"`
	Folder     []checkpointFile      `json:"folder,omitempty"`
}

func finiteOrNil(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// runInspectCheckpoint shows the newest whole checkpoint of a folder (and
// the state of every checkpoint file in it), or one checkpoint file.
func runInspectCheckpoint(stdio *IO, o *inspectOptions) error {
	var c *checkpoint.Checkpoint
	var path string
	var folder []checkpointFile
	if st, err := os.Stat(o.Model); err == nil && st.IsDir() {
		list, err := checkpoint.List(o.Model)
		if err != nil {
			return err
		}
		for _, e := range list {
			f := checkpointFile{Path: e.Path, Whole: true}
			if _, err := checkpoint.Read(e.Path); err != nil {
				f.Whole, f.Error = false, err.Error()
			}
			folder = append(folder, f)
		}
		c, path, _, err = checkpoint.Newest(o.Model)
		if err != nil {
			return err
		}
	} else {
		if c, err = checkpoint.Read(o.Model); err != nil {
			return err
		}
		path = o.Model
	}
	in := checkpointInspection{Path: path, Written: c.Written, DLCVersion: c.DLCVersion, Stage: c.Stage, Where: whereCheckpoint(c),
		Config: c.ConfigPath, Sets: c.Sets, Data: c.Data, Features: c.Features, Vectorizer: c.Vectorizer, Folder: folder,
		Monitor: c.Config["training.early_stopping.monitor"]}
	history := c.Main
	if c.State != nil {
		in.Epoch, in.Example, in.Updates = c.State.Epoch, c.State.Pos, c.State.Steps
		in.Optimizer = c.State.Optimizer.Name
	}
	if c.Stage == checkpoint.Training {
		in.BestEpoch, in.Best = c.State.BestEpoch, finiteOrNil(c.State.Best)
		for _, e := range c.State.History {
			in.History = append(in.History, checkpointEpoch{e.Epoch, e.Loss, finiteOrNil(e.Accuracy), finiteOrNil(e.ValLoss), finiteOrNil(e.ValAccuracy)})
		}
	} else if history != nil {
		in.BestEpoch, in.Best = history.BestEpoch, finiteOrNil(history.Best)
		for _, e := range history.History {
			in.History = append(in.History, checkpointEpoch{e.Epoch, e.Loss, finiteOrNil(e.Accuracy), finiteOrNil(e.ValLoss), finiteOrNil(e.ValAccuracy)})
		}
	}
	if in.BestEpoch == 0 {
		in.Best = nil
	}
	if o.Format == "json" {
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(in)
	}
	w := tabwriter.NewWriter(stdio.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "checkpoint\t%s\n", in.Path)
	fmt.Fprintf(w, "written\t%s by dlc %s\n", in.Written, in.DLCVersion)
	fmt.Fprintf(w, "stands at\t%s\n", in.Where)
	if in.Optimizer != "" {
		fmt.Fprintf(w, "update rule\t%s\n", in.Optimizer)
	}
	if in.Best != nil {
		fmt.Fprintf(w, "best so far\tepoch %d, %s %.4f\n", in.BestEpoch, in.Monitor, *in.Best)
	}
	config := in.Config
	if len(in.Sets) > 0 {
		config += " --set " + strings.Join(in.Sets, " --set ")
	}
	fmt.Fprintf(w, "config\t%s\n", config)
	for _, d := range in.Data {
		fmt.Fprintf(w, "%s\t%s: %d examples, sha256 %s\n", d.Key, d.Path, d.Examples, d.SHA256)
	}
	fmt.Fprintf(w, "vectorizer\t%d features, sha256 %s\n", in.Features, in.Vectorizer)
	w.Flush()
	if len(in.History) > 0 {
		fmt.Fprintln(stdio.Out, "\nepochs done:")
		t := tabwriter.NewWriter(stdio.Out, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(t, "epoch\tloss\taccuracy\tval_loss\tval_accuracy\t")
		for _, e := range in.History {
			fmt.Fprintf(t, "%d\t%.4f\t%s\t%s\t%s\t\n", e.Epoch, e.Loss, orDash(e.Accuracy), orDash(e.ValLoss), orDash(e.ValAccuracy))
		}
		t.Flush()
	}
	if len(folder) > 0 {
		fmt.Fprintf(stdio.Out, "\n%d checkpoint files in %s:\n", len(folder), o.Model)
		sort.Slice(folder, func(i, j int) bool { return folder[i].Path < folder[j].Path })
		for _, f := range folder {
			state := "whole"
			if !f.Whole {
				state = "torn or corrupt"
			}
			fmt.Fprintf(stdio.Out, "  %s  %s\n", filepath.Base(f.Path), state)
		}
	}
	return nil
}

func orDash(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.4f", *v)
}
