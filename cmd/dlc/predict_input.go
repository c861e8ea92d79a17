package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/pipeline"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// input says what predict reads and how: stdin or --input, as lines or
// records (--input-format, else the file's name), the fields the data
// flags name, and --keep; it refuses flags the input cannot honour.
func (o *predictOptions) input(m *model.Model, stdin bool, stdio *IO) (pipeline.Input, error) {
	cfg, err := m.Config.With(o.Sets, o.dataOptions.overrides(), pipeline.DataKeys, pipeline.WhyDataKeys)
	if err != nil {
		return pipeline.Input{}, err
	}
	in := pipeline.Input{Path: o.Input, Format: o.InputFormat, Keep: o.Keep}
	if cfg.IsSet("data.text_field") {
		in.TextField = cfg.Data.TextField
	}
	if cfg.IsSet("data.features") {
		in.Features = cfg.Data.Features
	}
	if cfg.IsSet("data.label_field") {
		in.LabelField = cfg.Data.LabelField
	}
	in.Warn = func(w string) { fmt.Fprintf(stdio.Err, "dlc: warning: %s\n", w) }
	name := o.Input
	if stdin {
		// A pipe or a terminal may be a person or a program waiting for
		// each answer: stream. A regular file (dlc predict < file) is a
		// batch: read and score it in blocks.
		in.R, in.Name, in.Path, in.Stream = stdio.In, "stdin", "", !isRegularFile(stdio.In)
		name = "stdin"
	}
	format := o.InputFormat
	if format == "" && !stdin {
		format = data.RecordFormat(o.Input)
	}
	dense := m.Vectorizer.Mode == vectorize.Dense
	records := format != "" && format != pipeline.FormatLines
	what := name + " is read as one input per line (--input-format csv, tsv or jsonl reads records)"
	if !stdin && data.IsIDX(o.Input) {
		what = o.Input + " holds IDX images"
		if o.InputFormat != "" {
			return in, usageErrorf("--input-format reads text input; %s", what)
		}
	}
	switch {
	case o.TextField != "" && dense:
		return in, usageErrorf("--text-field is for text models; %s reads numeric columns (--features names them)", o.Model)
	case len(o.Features) > 0 && !dense:
		return in, usageErrorf("--features names the numeric columns of a dense model; %s reads text (--text-field names its field)", o.Model)
	case !records && (o.TextField != "" || len(o.Features) > 0 || len(o.Keep) > 0):
		flag := "--text-field"
		if len(o.Features) > 0 {
			flag = "--features"
		}
		if len(o.Keep) > 0 {
			flag = "--keep"
		}
		return in, usageErrorf("%s names fields of JSONL, CSV or TSV records; %s", flag, what)
	}
	for _, k := range o.Keep {
		if taken := o.outputFields(m); slices.Contains(taken, k) {
			return in, usageErrorf("--keep %s: the answer already has a field %q; keep other fields (evaluate --predictions writes the true label beside the predicted one)", k, k)
		}
	}
	return in, nil
}

// outputFields are the names of the fields an answer writes, which a kept
// field may not take.
func (o *predictOptions) outputFields(m *model.Model) []string {
	out := []string{"label", "probability", "scores", "top_k", "explain", "value"}
	for k := 2; k <= o.TopK; k++ {
		out = append(out, fmt.Sprintf("label_%d", k), fmt.Sprintf("probability_%d", k))
	}
	for _, l := range m.Labels {
		out = append(out, "score_"+data.EscapeField(l))
	}
	return out
}

// keptText writes the kept fields of an answer as text and tsv do, each
// followed by a tab.
func (a *answerer) keptText(kept []data.Value) {
	for _, v := range kept {
		a.w.WriteString(data.EscapeField(v.Text))
		a.w.WriteByte('\t')
	}
}

// keptJSON is the kept fields of an answer as the first keys of its JSON
// object ("" without any): strings quoted, JSON numbers as they were, a
// field the record lacks as null.
func (a *answerer) keptJSON(kept []data.Value) string {
	if len(kept) == 0 {
		return ""
	}
	var b strings.Builder
	for i, v := range kept {
		k, _ := json.Marshal(a.o.Keep[i])
		b.Write(k)
		b.WriteByte(':')
		switch {
		case !v.Found:
			b.WriteString("null")
		case !v.String:
			b.WriteString(v.Text)
		default:
			s, _ := json.Marshal(v.Text)
			b.Write(s)
		}
		b.WriteByte(',')
	}
	return b.String()
}
