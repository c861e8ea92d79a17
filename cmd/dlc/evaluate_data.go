package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/dlc-dev/dlc/internal/atomicfile"
	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/objstore"
	"github.com/dlc-dev/dlc/internal/pipeline"
)

// evaluationData picks the data evaluate scores: --data, the test data of
// --config, or the test data the model was trained with. It also returns
// how its fields are named, where they differ from the model's own
// config: as --config names them, then as the data flags do.
func (o *evaluateOptions) evaluationData(g *globals, m *model.Model) (string, []config.Override, error) {
	var fields []config.Override
	path := o.Data
	if o.Config != "" {
		c, err := config.Load(o.Config, nil)
		if err != nil {
			return "", nil, err
		}
		for _, f := range []struct {
			key   string
			value any
		}{{"data.text_field", c.Data.TextField}, {"data.label_field", c.Data.LabelField}, {"data.features", c.Data.Features}} {
			if c.IsSet(f.key) {
				fields = append(fields, config.Override{Key: f.key, Value: f.value, Flag: c.Where(f.key)})
			}
		}
		if path == "" {
			paths, err := pipeline.Resolve(c, g.DataDir)
			if err != nil {
				return "", nil, err
			}
			if paths.Test == "" {
				return "", nil, c.Errorf("data.test", "%s names no test data; give --data PATH", o.Config)
			}
			if paths.Test == c.Data.Test && !exists(paths.Test) {
				return "", nil, c.Missing("data.test")
			}
			path = paths.Test
		}
	}
	if path == "" {
		p, err := pipeline.TestPath(m.Config, g.DataDir)
		if err != nil {
			return "", nil, err
		}
		path = p
	}
	return path, append(fields, o.dataOptions.overrides()...), nil
}

// exists reports whether path names a file (or folder) that exists.
func exists(path string) bool {
	if objstore.IsURL(path) {
		_, err := objstore.Stat(context.Background(), path)
		return !errors.Is(err, fs.ErrNotExist) // other errors: said when it is read
	}
	_, err := os.Stat(path)
	return err == nil
}

// readAs reads the labelled data at path for m, its fields renamed by
// fields and --set.
func readAs(m *model.Model, o *evaluateOptions, fields []config.Override, path string) (*data.Examples, error) {
	cfg, err := m.Config.With(o.Sets, fields, pipeline.DataKeys, pipeline.WhyDataKeys)
	if err != nil {
		return nil, err
	}
	return pipeline.ReadWith(m, cfg, path)
}

// writePredictions writes --predictions: one row per example, with where
// it is in the data, the --keep fields, the true and predicted label, the
// predicted label's probability and whether it is right (for a
// regression, the true and predicted number and the error); TSV, CSV or
// JSONL as the file's name says, written atomically.
func (o *evaluateOptions) writePredictions(m *model.Model, e *data.Examples, s *pipeline.Scores, path string) error {
	if o.Predictions == "" {
		return nil
	}
	lines, kept, err := pipeline.Locations(e, o.Keep)
	if err != nil {
		return err
	}
	where := "line"
	if data.RecordFormat(e.Path) == "" {
		where = "example"
	}
	regression := s.Regression != nil
	head := append([]string{where}, o.Keep...)
	if regression {
		head = append(head, "true", "predicted", "error")
	} else {
		head = append(head, "true", "predicted", "probability", "correct")
	}
	format := data.RecordFormat(o.Predictions)
	return atomicfile.Write(o.Predictions, 0o644, func(out io.Writer) error {
		w := newRowWriter(out, format, head)
		for i := range e.Len() {
			row := make([]cell, 0, len(head))
			row = append(row, cell{text: lines[i], number: true})
			if kept != nil {
				for _, f := range kept[i] {
					row = append(row, cell{text: f.Text, number: f.Found && !f.String, null: !f.Found})
				}
			}
			score := pipeline.ExampleScore(m, s, i)
			if regression {
				row = append(row, cell{text: e.Labels[i]}, num(score), num(score-mustFloat(e.Labels[i])))
			} else {
				correct := s.Predicted[i] == s.Truth[i]
				row = append(row, cell{text: m.Labels[s.Truth[i]]}, cell{text: m.Labels[s.Predicted[i]]}, num(score),
					cell{text: strconv.FormatBool(correct), number: true})
			}
			if err := w.write(row); err != nil {
				return err
			}
		}
		return w.flush()
	})
}

// mustFloat is a regression label as the number targets has already
// parsed it.
func mustFloat(s string) float64 {
	x, _ := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return x
}

// cell is one value of a --predictions row: text, or a number (a boolean)
// that JSON writes unquoted; null for a --keep field a record lacks.
type cell struct {
	text         string
	number, null bool
}

func num(x float64) cell { return cell{text: strconv.FormatFloat(x, 'g', 8, 64), number: true} }

// rowWriter writes rows as TSV (the default), CSV or JSONL.
type rowWriter struct {
	format string
	head   []string
	bw     *bufio.Writer
	csv    *csv.Writer
}

func newRowWriter(out io.Writer, format string, head []string) *rowWriter {
	w := &rowWriter{format: format, head: head, bw: bufio.NewWriter(out)}
	switch format {
	case data.FormatCSV:
		w.csv = csv.NewWriter(w.bw)
		w.csv.Write(head)
	case data.FormatJSONL:
	default:
		w.tsv(head)
	}
	return w
}

func (w *rowWriter) tsv(fields []string) {
	for i, f := range fields {
		if i > 0 {
			w.bw.WriteByte('\t')
		}
		w.bw.WriteString(data.EscapeField(f))
	}
	w.bw.WriteByte('\n')
}

func (w *rowWriter) write(row []cell) error {
	texts := make([]string, len(row))
	for i, c := range row {
		texts[i] = c.text
	}
	switch w.format {
	case data.FormatCSV:
		return w.csv.Write(texts)
	case data.FormatJSONL:
		w.bw.WriteByte('{')
		for i, c := range row {
			if i > 0 {
				w.bw.WriteByte(',')
			}
			k, _ := json.Marshal(w.head[i])
			w.bw.Write(k)
			w.bw.WriteByte(':')
			switch {
			case c.null:
				w.bw.WriteString("null")
			case c.number:
				w.bw.WriteString(c.text)
			default:
				v, _ := json.Marshal(c.text)
				w.bw.Write(v)
			}
		}
		w.bw.WriteString("}\n")
	default:
		w.tsv(texts)
	}
	return nil
}

func (w *rowWriter) flush() error {
	if w.csv != nil {
		w.csv.Flush()
		if err := w.csv.Error(); err != nil {
			return err
		}
	}
	return w.bw.Flush()
}

// sortedLabels orders the per-class table: by label, or by a metric,
// highest first (the weakest classes last, ties by label).
func sortedLabels(ev *evaluation, by string) []string {
	labels := slices.Clone(ev.Labels)
	if by == "label" || by == "" {
		return labels
	}
	key := func(l string) float64 {
		c := ev.PerClass[l]
		switch by {
		case "f1":
			return c.F1
		case "precision":
			return c.Precision
		case "recall":
			return c.Recall
		}
		return float64(c.Support)
	}
	slices.SortStableFunc(labels, func(a, b string) int {
		ka, kb := key(a), key(b)
		switch {
		case ka > kb:
			return -1
		case ka < kb:
			return 1
		}
		return strings.Compare(a, b)
	})
	return labels
}
