package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/pipeline"
)

// stopSummary says how a model's training ended, from its record: the
// epochs run of the config's cap, why it stopped, which epoch's weights it
// holds. A file of an older dlc did not record why, which is said when its
// epochs fall short of the cap.
func stopSummary(r model.Record, c *config.Config) string {
	run, capped := len(r.Epochs), c.Training.Epochs
	out := fmt.Sprintf("%d of %d run", run, capped)
	switch r.Stopped {
	case model.StopInterrupted:
		out += fmt.Sprintf("; interrupted in epoch %d, after %s updates in all", run+1, thousands(r.InterruptedSteps))
	case model.StopConverged:
		out += fmt.Sprintf("; converged: the loss improved by less than %g for %s", c.Training.Tolerance, epochs(max(1, c.Training.Patience)))
	case model.StopEarly:
		out += fmt.Sprintf("; early stopping: %s did not improve for %s", c.Training.EarlyStopping.Monitor, epochs(max(1, c.Training.EarlyStopping.Patience)))
	default:
		if run < capped {
			out += "; why it stopped short was not recorded (a model written by an older dlc)"
		} else {
			out += " (training.epochs)"
		}
	}
	if e := r.RestoredEpoch; e > 0 {
		out += fmt.Sprintf("; holds the weights of epoch %d, the best %s", e, c.Training.EarlyStopping.Monitor)
		if v, ok := monitored(r, e, c.Training.EarlyStopping.Monitor); ok {
			out += fmt.Sprintf(" (%.4f)", v)
		}
	}
	return out
}

// monitored is the monitored metric of epoch e of the record.
func monitored(r model.Record, e int, monitor string) (float64, bool) {
	for _, ep := range r.Epochs {
		if ep.Epoch != e {
			continue
		}
		var p *float64
		switch monitor {
		case "loss":
			return ep.Loss, true
		case "accuracy":
			p = ep.Accuracy
		case "val_loss":
			p = ep.ValLoss
		case "val_accuracy":
			p = ep.ValAccuracy
		}
		if p != nil {
			return *p, true
		}
	}
	return 0, false
}

// initSummary says which model training continued from.
func initSummary(i *model.InitRecord) string {
	return fmt.Sprintf("%s, after its %s (training data sha256 %s)", i.From, epochs(i.Epochs), i.DataSHA256)
}

// printTopFeatures writes the features that push each label most.
func printTopFeatures(w io.Writer, t *pipeline.TopFeatures, labels int) {
	fmt.Fprintf(w, "\ntop features per label (--top N); a feature's push is %s\n", t.Method)
	width := 0
	for _, l := range t.Labels {
		width = max(width, len(data.EscapeField(l.Label)))
	}
	for _, l := range t.Labels {
		parts := make([]string, len(l.Features))
		for i, f := range l.Features {
			parts[i] = f.Feature + " " + strconv.FormatFloat(f.Weight, 'f', 3, 64)
			if f.Weight >= 0 {
				parts[i] = f.Feature + " +" + strconv.FormatFloat(f.Weight, 'f', 3, 64)
			}
		}
		fmt.Fprintf(w, "  %-*s  %s\n", width, data.EscapeField(l.Label), strings.Join(parts, ", "))
	}
}

// distributedSummary says how several processes trained a model.
func distributedSummary(d *model.DistributedRecord) string {
	when := "at the end of every epoch"
	if d.SyncEvery > 0 {
		when = fmt.Sprintf("every %d updates and at the end of every epoch", d.SyncEvery)
	}
	what := "their weights"
	if d.AverageOptimizer {
		what = "their weights and optimizer state"
	}
	return fmt.Sprintf("%d, each trained on its share of the examples, averaging %s %s", d.Processes, what, when)
}
