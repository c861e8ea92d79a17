package data

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"
)

// Table is numeric examples: named feature columns, one row of numbers per
// example, and their labels (class names, or numbers for a regression, kept
// as written).
type Table struct {
	Path    string
	Columns []string
	Values  []float64 // Len() × len(Columns), row-major
	Labels  []string  // nil when the file has no label column and f.Unlabelled
	Lines   []int     // the file line of each example, for messages
}

// Len returns the number of examples.
func (t *Table) Len() int { return len(t.Lines) }

// Row returns the numbers of example i.
func (t *Table) Row(i int) []float64 {
	d := len(t.Columns)
	return t.Values[i*d : (i+1)*d]
}

// Subset returns the examples idx of t, in that order.
func (t *Table) Subset(idx []int, path string) *Table {
	d := len(t.Columns)
	out := &Table{Path: path, Columns: t.Columns, Values: make([]float64, 0, len(idx)*d), Lines: make([]int, len(idx))}
	if t.Labels != nil {
		out.Labels = make([]string, len(idx))
	}
	for k, i := range idx {
		out.Values = append(out.Values, t.Row(i)...)
		out.Lines[k] = t.Lines[i]
		if t.Labels != nil {
			out.Labels[k] = t.Labels[i]
		}
	}
	return out
}

// TableFields says which columns of a numeric file are what.
type TableFields struct {
	Label string // default "label"
	// Features are the feature columns in the order the model reads them;
	// empty means every column but the label, in file order.
	Features []string
	// Unlabelled allows a file without the label column.
	Unlabelled bool
}

// TableFormats lists the formats ReadTable understands.
const TableFormats = ".csv or .tsv with a header row (optionally .gz)"

// ReadTable reads numeric examples from a CSV or TSV file with a header row
// (optionally gzipped): every feature column must hold a finite number on
// every line.
func ReadTable(path string, f TableFields) (*Table, error) {
	if f.Label == "" {
		f.Label = "label"
	}
	kind := strings.TrimSuffix(strings.ToLower(path), ".gz")
	comma := ','
	switch {
	case strings.HasSuffix(kind, ".csv"):
	case strings.HasSuffix(kind, ".tsv") || strings.HasSuffix(kind, ".txt"):
		comma = '\t'
	default:
		if st, err := os.Stat(path); err == nil && st.IsDir() {
			return nil, fmt.Errorf("%s is a folder; numeric data (vectorizer.mode dense) is a %s", path, TableFormats)
		}
		return nil, fmt.Errorf("%s: numeric data (vectorizer.mode dense) is a %s", path, TableFormats)
	}
	file, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, NotExist(path)
		}
		return nil, fmt.Errorf("cannot read data %s: %w", path, pathErr(err))
	}
	defer file.Close()
	r, err := TextReader(file, path)
	if err != nil {
		return nil, err
	}
	t, err := parseTable(r, path, comma, f)
	if err != nil {
		return nil, err
	}
	if t.Len() == 0 {
		return nil, &LineError{Path: path, Msg: "holds no examples"}
	}
	return t, nil
}

func parseTable(r io.Reader, path string, comma rune, f TableFields) (*Table, error) {
	cr := NewCSVReader(r)
	cr.Comma = comma
	cr.ReuseRecord = true
	if comma == '\t' {
		cr.LazyQuotes = true
	}
	t := &Table{Path: path}
	var cols []int // file column of each feature
	label := -1
	header := true
	width := 0 // fields in the header
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, CSVError(path, err, width)
		}
		line, _ := cr.FieldPos(0)
		if header {
			header, width = false, len(rec)
			if cols, label, err = tableHeader(rec, path, f); err != nil {
				return nil, err
			}
			t.Columns = make([]string, len(cols))
			for i, c := range cols {
				t.Columns[i] = strings.TrimSpace(rec[c])
			}
			if label >= 0 {
				t.Labels = []string{}
			}
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" && width > 1 {
			continue // a blank line
		}
		for i, c := range cols {
			s := strings.TrimSpace(rec[c])
			x, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, &LineError{Path: path, Line: line, Msg: fmt.Sprintf("column %s holds %s, which is not a finite number", Quote(t.Columns[i]), Quote(s))}
			}
			t.Values = append(t.Values, x)
		}
		if label >= 0 {
			l := strings.TrimSpace(rec[label])
			if l == "" {
				return nil, &LineError{Path: path, Line: line, Msg: fmt.Sprintf("column %q is empty; every example needs a label", f.Label)}
			}
			t.Labels = append(t.Labels, l)
		}
		t.Lines = append(t.Lines, line)
	}
	if header {
		return nil, &LineError{Path: path, Msg: "is empty; a numeric file needs a header row naming its columns"}
	}
	return t, nil
}

// tableHeader finds the feature and label columns of a header row.
func tableHeader(rec []string, path string, f TableFields) (cols []int, label int, err error) {
	names := make([]string, len(rec))
	for i, r := range rec {
		names[i] = strings.TrimSpace(r)
	}
	// A map, not a search per column: a header may have 100,000 columns.
	index := make(map[string]int, len(names))
	for i, n := range names {
		if _, twice := index[n]; twice {
			return nil, 0, &LineError{Path: path, Line: 1, Msg: fmt.Sprintf("the header names the column %s twice", Quote(n))}
		}
		index[n] = i
	}
	label, ok := index[f.Label]
	if !ok {
		label = -1
	}
	if label < 0 && !f.Unlabelled {
		return nil, 0, &LineError{Path: path, Line: 1, Msg: fmt.Sprintf("the header has no column %q (it has %s); name the label column with --label-field or data.label_field", f.Label, QuoteList(names, maxColumns))}
	}
	if len(f.Features) == 0 {
		for i := range names {
			if i != label {
				cols = append(cols, i)
			}
		}
		if len(cols) == 0 {
			return nil, 0, &LineError{Path: path, Line: 1, Msg: "the header has no column besides the label; numeric data needs feature columns"}
		}
		return cols, label, nil
	}
	for _, want := range f.Features {
		i, ok := index[want]
		if !ok {
			return nil, 0, &LineError{Path: path, Line: 1, Msg: fmt.Sprintf("the header has no column %q (it has %s); name the feature columns with --features or data.features", want, QuoteList(names, maxColumns))}
		}
		if i == label {
			return nil, 0, &LineError{Path: path, Line: 1, Msg: fmt.Sprintf("column %s is the label; it cannot be a feature too", Quote(want))}
		}
		cols = append(cols, i)
	}
	return cols, label, nil
}
