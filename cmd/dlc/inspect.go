package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/dlc-dev/dlc/internal/model"
)

type inspectOptions struct {
	Model  string
	Format string
}

func newInspectCmd(g *globals, stdio *IO) *cobra.Command {
	o := &inspectOptions{}
	cmd := &cobra.Command{
		Use:   "inspect MODEL",
		Short: "Show a model's architecture, vocabulary, labels and training record",
		Example: `  dlc inspect imdb.dlc
  dlc inspect imdb.dlc --format json | jq .layers`,
		Args: exactArgs(1, "one MODEL file"),
		RunE: func(c *cobra.Command, args []string) error {
			o.Model = args[0]
			return runInspect(stdio, o)
		},
	}
	cmd.Flags().VarP(newEnum(&o.Format, "text", "text", "json"), "format", "f", "output format")
	return cmd
}

type layerSummary struct {
	Name       string `json:"name"`
	Inputs     int    `json:"inputs"`
	Units      int    `json:"units"`
	Activation string `json:"activation"`
	Params     int    `json:"params"`
}

type inspection struct {
	Model      string         `json:"model"`
	DLCVersion string         `json:"dlc_version"`
	Layers     []layerSummary `json:"layers"`
	Params     int            `json:"params"`
	Loss       string         `json:"loss"`
	Vectorizer struct {
		Mode      string `json:"mode"`
		Features  int    `json:"features"`
		NGrams    int    `json:"ngrams"`
		TrainDocs int    `json:"train_docs"`
	} `json:"vectorizer"`
	Labels   []string     `json:"labels"`
	Training model.Record `json:"training"`
	Config   any          `json:"config"`
}

func runInspect(stdio *IO, o *inspectOptions) error {
	m, err := model.Load(o.Model)
	if err != nil {
		return err
	}
	in := inspection{Model: o.Model, DLCVersion: m.Record.DLCVersion, Loss: string(m.Net.Spec().Loss), Labels: m.Labels, Training: m.Record, Config: m.Config}
	for i, l := range m.Net.Layers {
		n := l.In*l.Out + l.Out
		in.Layers = append(in.Layers, layerSummary{fmt.Sprintf("dense_%d", i), l.In, l.Out, string(l.Activation), n})
		in.Params += n
	}
	v := m.Vectorizer
	in.Vectorizer.Mode, in.Vectorizer.Features, in.Vectorizer.NGrams, in.Vectorizer.TrainDocs = string(v.Mode), v.Features(), v.NGrams, v.Docs
	if o.Format == "json" {
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(in)
	}
	w := tabwriter.NewWriter(stdio.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "model\t%s (dlc %s)\n", o.Model, in.DLCVersion)
	fmt.Fprintf(w, "vectorizer\t%s, %d features, %d-grams, fitted on %d texts\n", v.Mode, v.Features(), v.NGrams, v.Docs)
	fmt.Fprintf(w, "labels\t%s\n\n", quoteList(m.Labels, 20))
	fmt.Fprintln(w, "layer\tinput\toutput\tactivation\tparams")
	for _, l := range in.Layers {
		fmt.Fprintf(w, "%s\t%d\t%d\t%s\t%d\n", l.Name, l.Inputs, l.Units, l.Activation, l.Params)
	}
	fmt.Fprintf(w, "total\t\t\t\t%d\n\n", in.Params)
	fmt.Fprintf(w, "loss\t%s\n", in.Loss)
	r := m.Record
	fmt.Fprintf(w, "trained on\t%d examples (data sha256 %.12s), seed %d\n", r.TrainExamples, r.DataSHA256, r.Seed)
	for _, e := range r.Epochs {
		fmt.Fprintf(w, "epoch %d\tloss %.4f\taccuracy %.4f\n", e.Epoch, e.Loss, e.Accuracy)
	}
	if r.Test != nil {
		fmt.Fprintf(w, "test\taccuracy %.4f\tloss %.4f\ton %d examples\n", r.Test.Accuracy, r.Test.Loss, r.Test.N)
	}
	return w.Flush()
}
