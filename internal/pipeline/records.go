package pipeline

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// Input formats beside data's record formats: one input per line.
const FormatLines = "lines"

// InputFormats are the values of Input.Format.
var InputFormats = []string{FormatLines, data.FormatJSONL, data.FormatCSV, data.FormatTSV}

// format is how in is read: as it says, else as its file's name says;
// "" for lines and IDX images.
func (in Input) format() string {
	switch {
	case in.Format == FormatLines:
		return ""
	case in.Format != "":
		return in.Format
	case in.R == nil:
		return data.RecordFormat(in.Path)
	}
	return ""
}

// fieldNames are the fields a record's input is read from: the text field
// of a text model, the feature columns of a dense one (by name, so a label
// or id column anywhere in the file is left alone), and then Keep.
func (p *Predictor) fieldNames(in Input) (names []string, inputs int) {
	if p.m.Vectorizer.Mode == vectorize.Dense {
		names = slices.Clone(in.Features)
		if len(names) == 0 {
			names = slices.Clone(p.m.Vectorizer.Columns())
		}
	} else {
		text := in.TextField
		if text == "" {
			text = p.m.Config.Data.TextField
		}
		names = []string{text}
	}
	return append(names, in.Keep...), len(names)
}

// records answers every record of a JSONL, CSV or TSV input: its text
// field, or a dense model's feature columns, in blocks (one by one when
// streaming), each answer carrying the record's Keep fields.
func (p *Predictor) records(in Input, format string, fn func(*Answer) error, idle func() error) error {
	names, inputs := p.fieldNames(in)
	v := p.m.Vectorizer
	dense := v.Mode == vectorize.Dense
	if dense && len(names[:inputs]) != v.Features() {
		return fmt.Errorf("--features names %d columns, but the model reads %d (%s)", inputs, v.Features(), data.QuoteList(v.Columns(), 10))
	}
	r, name := in.R, in.Name
	if r == nil {
		var file io.Closer
		var err error
		if r, file, err = data.OpenText(in.Path); err != nil {
			return err
		}
		defer file.Close()
		name = in.Path
	}
	var texts []string
	var values []float64
	var kept [][]data.Value
	block := Block
	if in.Stream {
		block = 1
	}
	flush := func() error {
		i := 0
		keep := func(a *Answer) error {
			a.Keep = nil
			if len(kept) > 0 {
				a.Keep = kept[i]
			}
			i++
			return fn(a)
		}
		var err error
		if dense {
			err = p.PredictRows(v.TransformValues(values), keep)
		} else {
			err = p.PredictTexts(texts, keep)
		}
		texts, values, kept = texts[:0], values[:0], kept[:0]
		return err
	}
	err := data.EachRecord(r, name, format, names, func(fields []data.Value, line int) error {
		if dense {
			for i, f := range fields[:inputs] {
				x, err := strconv.ParseFloat(strings.TrimSpace(f.Text), 64)
				if err != nil || !f.Found || math.IsNaN(x) || math.IsInf(x, 0) {
					return &data.LineError{Path: name, Line: line, Msg: fmt.Sprintf("column %q holds %q, which is not a finite number", names[i], f.Text)}
				}
				values = append(values, x)
			}
		} else {
			t := fields[0]
			switch {
			case !t.Found:
				return &data.LineError{Path: name, Line: line, Msg: fmt.Sprintf("no field %q; name the field that holds the text with --text-field", names[0])}
			case !t.String:
				return &data.LineError{Path: name, Line: line, Msg: fmt.Sprintf("field %q is %s, not a string", names[0], t.Text)}
			}
			texts = append(texts, t.Text)
		}
		if len(in.Keep) > 0 {
			kept = append(kept, slices.Clone(fields[inputs:]))
		}
		if len(texts) < block && len(values) < block*inputs {
			return nil
		}
		if err := flush(); err != nil {
			return err
		}
		if in.Stream {
			return idle()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// sniffer returns what lines shows the first line of in to: a check that
// warns (Input.Warn) when it starts records rather than lines; nil
// without Warn.
func (in Input) sniffer(p *Predictor, name string) func([]byte) {
	if in.Warn == nil {
		return nil
	}
	text, label := in.TextField, in.LabelField
	if text == "" {
		text = p.m.Config.Data.TextField
	}
	if label == "" {
		label = p.m.Config.Data.LabelField
	}
	return func(line []byte) {
		if w := p.sniff(line, name, text, label); w != "" {
			in.Warn(w)
		}
	}
}

// sniff says whether the first line of input read as lines looks like a
// file of records instead, a CSV or TSV header naming the text or label
// field (or a dense model's columns) or a JSON object, and if so, the
// warning to give: the header and the label column would otherwise be
// answered as inputs.
func (p *Predictor) sniff(line []byte, name, text, label string) string {
	s := strings.TrimSpace(string(line))
	if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") && data.IsJSONObject(line) {
		return fmt.Sprintf("%s looks like JSONL (its first line is a JSON object), but is read as one text per line; --input-format jsonl reads the text field of each object", name)
	}
	format, comma := data.FormatCSV, ','
	if strings.Contains(s, "\t") {
		format, comma = data.FormatTSV, '\t'
	}
	r := csv.NewReader(strings.NewReader(s))
	r.Comma, r.LazyQuotes = comma, true
	cols, err := r.Read()
	if err != nil || len(cols) < 2 {
		return ""
	}
	known := append([]string{text, label}, p.m.Vectorizer.Columns()...)
	if p.m.Vectorizer.Mode != vectorize.Dense {
		known = known[:2]
	}
	for i := range cols {
		cols[i] = strings.TrimSpace(cols[i])
	}
	for _, c := range cols {
		if slices.Contains(known, c) {
			return fmt.Sprintf("%s looks like %s with a header (its first line names the columns %s), but is read as one input per line, header and every column included; --input-format %s reads its columns by name",
				name, strings.ToUpper(format), data.QuoteList(cols, 5), format)
		}
	}
	return ""
}
