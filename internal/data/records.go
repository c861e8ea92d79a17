package data

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dlc-dev/dlc/internal/objstore"
)

// Record formats: how EachRecord splits its input into records and fields.
const (
	FormatJSONL = "jsonl"
	FormatCSV   = "csv"
	FormatTSV   = "tsv"
)

// RecordFormat is the record format a file name says (.jsonl, .ndjson,
// .json, .csv, .tsv, each optionally .gz), or "" for another name.
func RecordFormat(path string) string {
	kind := strings.TrimSuffix(strings.ToLower(objstore.Name(path)), ".gz")
	switch {
	case strings.HasSuffix(kind, ".jsonl"), strings.HasSuffix(kind, ".ndjson"), strings.HasSuffix(kind, ".json"):
		return FormatJSONL
	case strings.HasSuffix(kind, ".csv"):
		return FormatCSV
	case strings.HasSuffix(kind, ".tsv"):
		return FormatTSV
	}
	return ""
}

// Value is one named field of a record.
type Value struct {
	Text  string // a string's content; a JSON number, boolean or null as written
	Found bool   // the record has the field
	// String says Text is a string (every CSV and TSV field is); false for
	// a JSON number, boolean or null, which JSON output writes as it was.
	String bool
}

// EachRecordFile calls EachRecord on the file at path, in the format its
// name says.
func EachRecordFile(path string, names []string, fn func(values []Value, line int) error) error {
	format := RecordFormat(path)
	if format == "" {
		return fmt.Errorf("%s: fields are read from %s files", path, "JSONL, CSV or TSV")
	}
	r, file, err := OpenText(path)
	if err != nil {
		return err
	}
	defer file.Close()
	return EachRecord(r, path, format, names, fn)
}

// OpenText opens the file at path to be read as text (TextReader:
// decompressed, without a byte-order mark); a missing file's error names
// the folder it was looked for in. The caller closes file.
func OpenText(path string) (r io.Reader, file io.ReadCloser, err error) {
	if file, err = openFile(path); err != nil {
		return nil, nil, err
	}
	if r, err = TextReader(file, path); err != nil {
		file.Close()
		return nil, nil, err
	}
	return r, file, nil
}

// EachRecord calls fn with the fields names of every record of r (named
// name in errors), a JSONL, CSV or TSV stream, as the records are read:
// values[i] is the field names[i], and line the record's first line. The
// records are those Each reads, blank lines skipped alike. A CSV or TSV
// header must have every column named; a JSONL record may lack a field
// (Found false), for the caller to refuse or not.
func EachRecord(r io.Reader, name, format string, names []string, fn func(values []Value, line int) error) error {
	values := make([]Value, len(names))
	switch format {
	case FormatJSONL:
		got := make([]jsonField, len(names))
		return lines(r, name, func(line []byte, n int) error {
			if len(bytes.TrimSpace(line)) == 0 {
				return nil
			}
			clear(got)
			if err := parseObject(line, names, got); err != nil {
				return &LineError{Path: name, Line: n, Msg: err.Error()}
			}
			for i, f := range got {
				values[i] = Value{Text: f.value, Found: f.found && !f.isNull, String: f.isStr}
			}
			return fn(values, n)
		})
	case FormatCSV:
		cr := csv.NewReader(bufio.NewReaderSize(r, 1<<16))
		cr.ReuseRecord = true
		var cols []int
		width := 0
		for {
			rec, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return CSVError(name, err, width)
			}
			line, _ := cr.FieldPos(0)
			if cols == nil {
				if cols, err = columns(rec, name, names); err != nil {
					return err
				}
				width = len(rec)
				continue
			}
			for i, c := range cols {
				values[i] = Value{Text: rec[c], Found: true, String: true}
			}
			if err := fn(values, line); err != nil {
				return err
			}
		}
		if cols == nil {
			return &LineError{Path: name, Msg: "is empty; a CSV file needs a header row"}
		}
		return nil
	case FormatTSV:
		var cols []int
		width := 0
		err := lines(r, name, func(line []byte, n int) error {
			rec := strings.Split(string(line), "\t")
			if cols == nil {
				var err error
				cols, err = columns(rec, name, names)
				width = len(rec)
				return err
			}
			if len(line) == 0 {
				return nil
			}
			if len(rec) != width {
				return &LineError{Path: name, Line: n, Msg: fmt.Sprintf("has %d tab-separated fields but the header has %d", len(rec), width)}
			}
			for i, c := range cols {
				values[i] = Value{Text: rec[c], Found: true, String: true}
			}
			return fn(values, n)
		})
		if err == nil && cols == nil {
			err = &LineError{Path: name, Msg: "is empty; a TSV file needs a header row"}
		}
		return err
	}
	panic("data: unknown record format " + format)
}

// columns finds each of names in a header row.
func columns(header []string, path string, names []string) ([]int, error) {
	trimmed := make([]string, len(header))
	for i, h := range header {
		trimmed[i] = strings.TrimSpace(h)
	}
	cols := make([]int, len(names))
	for i, n := range names {
		if cols[i] = slices.Index(trimmed, n); cols[i] < 0 {
			return nil, &LineError{Path: path, Line: 1, Msg: fmt.Sprintf("the header has no column %q (it has %s)", n, QuoteList(trimmed, 20))}
		}
	}
	return cols, nil
}

// NotExist is the error for a data file that does not exist: it names the
// file and the folder it was looked for in.
func NotExist(path string) error { return notExist("data file", path) }

func notExist(what, path string) error {
	if objstore.IsURL(path) {
		return fmt.Errorf("%s %s does not exist", what, objstore.Name(path))
	}
	if filepath.IsAbs(path) {
		return fmt.Errorf("%s %s does not exist", what, path)
	}
	wd, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("%s %s does not exist", what, path)
	}
	return fmt.Errorf("%s %s does not exist in %s", what, path, wd)
}
