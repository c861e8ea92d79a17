package data

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dlc-dev/dlc/internal/objstore"
)

// Fields names the text and label fields of JSONL and CSV/TSV files.
type Fields struct {
	Text  string // default "text"
	Label string // default "label"
	// Unlabelled allows examples without a label (predict's input).
	Unlabelled bool
	// Multi reads a list of labels per example (data.task multilabel): a
	// JSONL array of strings, or a CSV/TSV field cut at Separator (a
	// JSONL string is cut so too). An empty list, or an empty field, is
	// an example with no label; an empty label in a list, or one listed
	// twice, is an error.
	Multi     bool
	Separator string
}

func (f Fields) withDefaults() Fields {
	if f.Text == "" {
		f.Text = "text"
	}
	if f.Label == "" {
		f.Label = "label"
	}
	return f
}

// LineError is a fault at a line of a data file.
type LineError struct {
	Path string
	Line int
	Msg  string
}

func (e *LineError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

// Formats lists the file formats Read understands, for error messages.
const Formats = ".jsonl, .csv, .tsv (each optionally .gz) or a folder with one sub-folder per label"

// Read loads texts and their labels, in file order, from a JSONL, CSV or
// TSV file (optionally gzipped) or from a folder with one sub-folder per
// label. Labels is nil when the source has no label column (text to
// predict).
//
// With Fields.Multi every example has a list of labels (LabelSets, not
// Labels).
func Read(path string, f Fields) (*Examples, error) {
	d := &Examples{Path: path}
	if f.Multi && !f.Unlabelled {
		d.LabelSets = [][]string{}
	}
	err := EachLabels(path, f, func(text string, labels []string) error {
		d.Texts = append(d.Texts, text)
		switch {
		case d.LabelSets != nil:
			d.LabelSets = append(d.LabelSets, slices.Clone(labels))
		case labels != nil && !f.Multi: // unlabelled multi-label input keeps none
			d.Labels = append(d.Labels, labels[0])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// ReadEach reads the data at path as Read does, but hands each text to fn
// as it is read instead of keeping it: the Examples it returns hold the
// labels, and in Streamed the number of texts and their fingerprint. An
// error from fn stops the reading and is returned as is.
func ReadEach(path string, f Fields, fn func(text string) error) (*Examples, error) {
	return readEach(path, f, true, fn)
}

// ReadEachUnsummed is ReadEach without the fingerprint (Streamed.Sum is
// ""), for data that is only scored: hashing the IMDB test split's 33 MB
// (and copying each text to hash it) was about 3 % of dlc evaluate's CPU.
func ReadEachUnsummed(path string, f Fields, fn func(text string) error) (*Examples, error) {
	return readEach(path, f, false, fn)
}

// readEach is ReadEach, with the fingerprint when sum is set.
func readEach(path string, f Fields, sum bool, fn func(text string) error) (*Examples, error) {
	d := &Examples{Path: path, Streamed: &Streamed{}}
	fp := textFingerprint{h: sha256.New()}
	// The few distinct labels are kept once each, not once an example.
	labels := map[string]string{}
	err := Each(path, f, func(text, label string) error {
		if err := fn(text); err != nil {
			return err
		}
		d.Streamed.N++
		if label != "" {
			l, ok := labels[label]
			if !ok {
				l = label
				if len(labels) < 1<<16 {
					labels[l] = l
				}
			}
			d.Labels = append(d.Labels, l)
		}
		if sum {
			fp.add(text, label)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if sum {
		d.Streamed.Sum = hex.EncodeToString(fp.h.Sum(nil))
	}
	return d, nil
}

// emitFunc receives one example of a file as it is parsed: labelled is
// false when the line has no label (only allowed with Fields.Unlabelled);
// list is set when the label field holds a JSON array of strings (label
// is then "").
type emitFunc func(text, label string, list []string, labelled bool, line int) error

// Each calls fn with every example of single-label data at path, in file
// order, as Read would load it; label is "" when the source has no labels.
// It is EachLabels for one label per example: data read with Fields.Multi
// is refused.
func Each(path string, f Fields, fn func(text, label string) error) error {
	if f.Multi {
		return fmt.Errorf("data: Each reads one label per example; %s is read as multi-label data (use EachLabels)", path)
	}
	return EachLabels(path, f, func(text string, labels []string) error {
		if labels == nil {
			return fn(text, "")
		}
		return fn(text, labels[0])
	})
}

// EachLabels calls fn with every example of the data at path, in file
// order, as Read would load it, and its labels: one (single-label data), a
// list of any length (Fields.Multi), or nil when the source has no labels.
// labels is reused from one call to the next: copy what is kept. Files are
// read as a stream, so a file of any length is handled in constant memory
// (predict --input); a folder is listed first. An error from fn stops the
// reading and is returned as is.
func EachLabels(path string, f Fields, fn func(text string, labels []string) error) error {
	f = f.withDefaults()
	isDir := false
	if !objstore.IsURL(path) {
		st, err := os.Stat(path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return NotExist(path)
			}
			return fmt.Errorf("cannot read data %s: %w", path, pathErr(err))
		}
		isDir = st.IsDir()
	}
	if isDir {
		if f.Multi {
			return fmt.Errorf("%s is a folder with one sub-folder per label, which gives each example one label; for several labels per example (data.task multilabel) use a .jsonl file with a list per line (\"labels\": [\"grain\", \"wheat\"]) or a CSV/TSV file with data.label_separator", path)
		}
		d, err := readDir(path)
		if err != nil {
			return err
		}
		var one [1]string
		for i, text := range d.Texts {
			one[0] = d.Labels[i]
			if err := fn(text, one[:]); err != nil {
				return err
			}
		}
		return nil
	}
	parse, columns, err := parser(path)
	if err != nil {
		return err
	}
	if f.Multi && f.Separator == "" && !f.Unlabelled && columns {
		return fmt.Errorf("%s: a multi-label CSV/TSV file lists each text's labels in one column; set data.label_separator to what separates them (such as \"|\")", path)
	}
	file, err := openFile(path)
	if err != nil {
		return err
	}
	defer file.Close()
	r, err := TextReader(file, path)
	if err != nil {
		return err
	}
	lb := labeller{f: f, path: path}
	err = parse(r, path, f, func(text, label string, list []string, labelled bool, line int) error {
		labels, err := lb.labels(label, list, labelled, line)
		if err != nil {
			return err
		}
		return fn(text, labels)
	})
	if err != nil {
		return err
	}
	if lb.check.n == 0 {
		return &LineError{Path: path, Msg: "holds no examples"}
	}
	return nil
}

// parser returns the parser of a data file, by its name, and whether the
// file is made of columns under a header row (CSV, TSV).
func parser(path string) (parse func(io.Reader, string, Fields, emitFunc) error, header bool, err error) {
	kind := strings.TrimSuffix(strings.ToLower(objstore.Name(path)), ".gz")
	switch {
	case strings.HasSuffix(kind, ".jsonl") || strings.HasSuffix(kind, ".ndjson") || strings.HasSuffix(kind, ".json"):
		return readJSONL, false, nil
	case strings.HasSuffix(kind, ".csv"):
		return readCSV, true, nil
	case strings.HasSuffix(kind, ".tsv") || strings.HasSuffix(kind, ".txt"):
		return readTSV, true, nil
	case strings.HasSuffix(kind, "-ubyte"):
		return nil, false, fmt.Errorf("%s is an IDX image file, not text; image datasets (mnist) are trained with vectorizer.mode: dense", path)
	}
	return nil, false, fmt.Errorf("%s: unknown data format; use %s", path, Formats)
}

// EachSection is Each over shard s of the file at path: the examples
// whose lines start in the shard's byte range (OpenSection), every shard
// reading a CSV or TSV header first. Errors name the lines of the file.
// A shard may hold no example; the whole file (s.Whole) may not.
func EachSection(path string, s Shard, f Fields, fn func(text, label string) error) error {
	if s.Whole() {
		return Each(path, f, fn)
	}
	if f.Multi {
		return fmt.Errorf("data: EachSection reads one label per example; %s is read as multi-label data", path)
	}
	f = f.withDefaults()
	parse, header, err := parser(path)
	if err != nil {
		return err
	}
	r, sec, c, err := OpenSection(path, s, header)
	if err != nil {
		return err
	}
	defer c.Close()
	lb := labeller{f: f, path: path}
	err = parse(r, path, f, func(text, label string, list []string, labelled bool, line int) error {
		labels, err := lb.labels(label, list, labelled, line)
		if err != nil {
			return err
		}
		if labels == nil {
			return fn(text, "")
		}
		return fn(text, labels[0])
	})
	return sec.FixLine(err)
}

// labeller turns the label field of each example a parser emits into the
// example's labels, checking them as it goes.
type labeller struct {
	f     Fields
	path  string
	check labelCheck
	set   labelSet
}

// labels returns the labels of the example at line: nil when it has none
// (unlabelled input), else one, or with Fields.Multi a list. The slice is
// reused by the next call.
func (l *labeller) labels(label string, list []string, labelled bool, line int) ([]string, error) {
	f := l.f
	if f.Multi {
		labels, err := l.set.parse(label, list, labelled, l.path, line, f)
		if err != nil {
			return nil, err
		}
		return labels, l.check.add(labelled, false, l.path, line, f)
	}
	if list != nil {
		return nil, &LineError{Path: l.path, Line: line, Msg: fmt.Sprintf("field %q is a list; a text has one label unless data.task is multilabel: set data.task: multilabel, or give one label as a string", f.Label)}
	}
	if err := l.check.add(labelled, label == "", l.path, line, f); err != nil {
		return nil, err
	}
	if !labelled {
		return nil, nil
	}
	l.set.one[0] = label
	return l.set.one[:], nil
}

// TextReader reads a data file's text: decompressed when its name ends in
// .gz (up to MaxGzipRatio times the size of the file, when r is one, each
// line counting LineCost bytes more), and
// without the UTF-8 byte-order mark that Windows tools (Excel's
// "CSV UTF-8") put first, which would otherwise become part of the first
// header name or JSON line.
func TextReader(r io.Reader, path string) (io.Reader, error) {
	if strings.HasSuffix(strings.ToLower(objstore.Name(path)), ".gz") {
		z, err := gunzip(r, readerSize(r), path, textCost)
		if err != nil {
			return nil, err
		}
		r = z
	}
	// Read the first three bytes (a file's: this would wait on a pipe) and
	// put them back unless they are the mark; no buffer per file, as a
	// folder of 50,000 reviews opens 50,000 of them.
	var head [3]byte
	n, err := io.ReadFull(r, head[:])
	switch {
	case err == nil && string(head[:]) == "\ufeff":
		return r, nil
	case err == nil, err == io.EOF, err == io.ErrUnexpectedEOF:
		return io.MultiReader(bytes.NewReader(head[:n]), r), nil
	case passOn(err) != nil:
		return nil, err
	}
	return nil, &LineError{Path: path, Msg: "cannot read: " + err.Error()}
}

// openFile opens the data file, or the object (s3://, gs://), at path; a
// missing one's error names the folder it was looked for in.
func openFile(path string) (io.ReadCloser, error) {
	var (
		file io.ReadCloser
		err  error
	)
	if objstore.IsURL(path) {
		file, err = objstore.Open(context.Background(), path)
	} else {
		file, err = os.Open(path)
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, NotExist(path)
		}
		if objstore.IsURL(path) {
			return nil, err // it names the object
		}
		return nil, fmt.Errorf("cannot read data %s: %w", path, pathErr(err))
	}
	return file, nil
}

func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// lines calls fn with every line of r (without its end-of-line) and its
// 1-based number.
func lines(r io.Reader, path string, fn func(line []byte, n int) error) error {
	in := &stickyReader{r: r}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 1<<16), maxLine)
	n := 0
	for sc.Scan() {
		n++
		if err := fn(bytes.TrimSuffix(sc.Bytes(), []byte("\r")), n); err != nil {
			if le := passOn(in.err); le != nil {
				return le // the line was cut short by a limit below
			}
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return &LineError{Path: path, Line: n + 1, Msg: fmt.Sprintf("line is longer than %d MiB; is this really a %s file?", maxLine>>20, filepath.Ext(strings.TrimSuffix(path, ".gz")))}
		}
		if le := passOn(err); le != nil {
			return le
		}
		return &LineError{Path: path, Line: n + 1, Msg: "cannot read: " + err.Error()}
	}
	return nil
}

func readJSONL(r io.Reader, path string, f Fields, emit emitFunc) error {
	want := []string{f.Text, f.Label}
	got := make([]jsonField, 2)
	var scratch []byte
	return lines(r, path, func(line []byte, n int) error {
		if len(bytes.TrimSpace(line)) == 0 {
			return nil
		}
		got[0], got[1] = jsonField{}, jsonField{}
		if err := parseObjectWith(line, want, got, &scratch); err != nil {
			return &LineError{Path: path, Line: n, Msg: err.Error()}
		}
		text, lab := got[0], got[1]
		if !text.found {
			return &LineError{Path: path, Line: n, Msg: fmt.Sprintf("no field %q; name the field that holds the text with --text-field or data.text_field", f.Text)}
		}
		if text.isList {
			return &LineError{Path: path, Line: n, Msg: fmt.Sprintf("field %q is a list, not a string", f.Text)}
		}
		if !text.isStr {
			return &LineError{Path: path, Line: n, Msg: fmt.Sprintf("field %q is %s, not a string", f.Text, cut(text.value))}
		}
		if lab.isNull && !f.Unlabelled {
			return &LineError{Path: path, Line: n, Msg: fmt.Sprintf("field %q is null; every example needs a label", f.Label)}
		}
		label := lab.value
		if lab.isNull {
			label = "" // in input to predict, no label
		}
		var list []string
		if lab.isList {
			list = lab.list
			if list == nil {
				list = []string{} // [] is a list: of no labels
			}
		}
		return emit(text.value, label, list, lab.found && !lab.isNull, n)
	})
}

// labelCheck sees the examples of a file go by and checks that their
// labels are consistent: every example labelled with a non-empty label, or
// (where unlabelled input is allowed) none at all.
type labelCheck struct {
	n        int  // examples so far
	labelled bool // the first example had a label
}

func (c *labelCheck) add(ok, empty bool, path string, line int, f Fields) error {
	c.n++
	switch {
	case ok && empty:
		return &LineError{Path: path, Line: line, Msg: fmt.Sprintf("field %q is empty; every example needs a label", f.Label)}
	case ok && (c.labelled || c.n == 1):
		c.labelled = true
	case !ok && f.Unlabelled && !c.labelled:
	default:
		if ok {
			return &LineError{Path: path, Line: line, Msg: fmt.Sprintf("has a %q field but earlier lines have none", f.Label)}
		}
		return &LineError{Path: path, Line: line, Msg: fmt.Sprintf("no field %q; name the field that holds the label with --label-field or data.label_field", f.Label)}
	}
	return nil
}

// labelSet cuts and checks the labels of one example of multi-label data,
// in buffers reused from one example to the next.
type labelSet struct {
	one  [1]string
	buf  []string
	seen map[string]bool
}

// parse returns an example's labels: the JSON list, or the field cut at
// f.Separator (spaces around each label dropped), or the field as one
// label when there is no separator; an empty field is no label. An empty
// label in a list and a label listed twice are errors.
func (s *labelSet) parse(label string, list []string, labelled bool, path string, line int, f Fields) ([]string, error) {
	if !labelled {
		return nil, nil
	}
	labels := list
	switch {
	case list != nil:
	case label == "":
		labels = s.buf[:0]
	case f.Separator == "":
		s.one[0] = label
		labels = s.one[:]
	default:
		labels = s.buf[:0]
		for part := range strings.SplitSeq(label, f.Separator) {
			labels = append(labels, strings.Trim(part, " "))
		}
		s.buf = labels
	}
	if labels == nil {
		labels = []string{}
	}
	fail := func(format string, args ...any) error {
		return &LineError{Path: path, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	for i, l := range labels {
		if l != "" {
			continue
		}
		if list != nil {
			return nil, fail("field %q lists an empty label (item %d); every label needs a name", f.Label, i+1)
		}
		return nil, fail("field %q holds an empty label in %s (cut at data.label_separator %s); every label needs a name", f.Label, Quote(label), Quote(f.Separator))
	}
	if dup := duplicate(labels, &s.seen); dup != "" {
		return nil, fail("field %q lists the label %s twice; list each label of a text once", f.Label, Quote(dup))
	}
	return labels, nil
}

// duplicate returns a label found twice in labels, or "" (labels are
// never empty). Short lists are compared pairwise; long ones (a hostile
// line may list a million) go through seen.
func duplicate(labels []string, seen *map[string]bool) string {
	if len(labels) <= 16 {
		for i, l := range labels {
			if slices.Contains(labels[:i], l) {
				return l
			}
		}
		return ""
	}
	if *seen == nil {
		*seen = map[string]bool{}
	}
	clear(*seen)
	for _, l := range labels {
		if (*seen)[l] {
			return l
		}
		(*seen)[l] = true
	}
	return ""
}

// maxColumns is how many of a header's columns a message lists.
const maxColumns = 20

// header finds the text and label columns of a CSV/TSV header row.
func header(cols []string, path string, f Fields) (text, label int, err error) {
	text, label = slices.Index(cols, f.Text), slices.Index(cols, f.Label)
	if text < 0 {
		return 0, 0, &LineError{Path: path, Line: 1, Msg: fmt.Sprintf("the header has no column %q (it has %s); name the text column with --text-field or data.text_field", f.Text, QuoteList(cols, maxColumns))}
	}
	if label < 0 && !f.Unlabelled {
		return 0, 0, &LineError{Path: path, Line: 1, Msg: fmt.Sprintf("the header has no column %q (it has %s); name the label column with --label-field or data.label_field", f.Label, QuoteList(cols, maxColumns))}
	}
	return text, label, nil
}

// CSVError turns an error of encoding/csv into a LineError naming the line;
// headerFields is the number of fields of the header row (0 if unknown).
func CSVError(path string, err error, headerFields int) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		if le := passOn(err); le != nil {
			return le
		}
		return &LineError{Path: path, Msg: "cannot read: " + err.Error()}
	}
	msg := pe.Err.Error()
	if errors.Is(pe.Err, csv.ErrFieldCount) {
		msg = fmt.Sprintf("has a different number of fields than the header (%d)", headerFields)
	}
	return &LineError{Path: path, Line: pe.Line, Msg: msg}
}

func readCSV(r io.Reader, path string, f Fields, emit emitFunc) error {
	cr := NewCSVReader(r)
	cr.ReuseRecord = true
	ti, li, width := -1, -1, 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return CSVError(path, err, width)
		}
		// Only valid after a successful Read: it panics otherwise.
		line, _ := cr.FieldPos(0)
		if ti < 0 {
			if ti, li, err = header(rec, path, f); err != nil {
				return err
			}
			width = len(rec)
			continue
		}
		if err := emit(rec[ti], field(rec, li), nil, li >= 0, line); err != nil {
			return err
		}
	}
	if ti < 0 {
		return &LineError{Path: path, Msg: "is empty; a CSV file needs a header row"}
	}
	return nil
}

func field(rec []string, i int) string {
	if i < 0 {
		return ""
	}
	return rec[i]
}

// readTSV reads tab-separated lines with a header row. Unlike CSV there is no
// quoting: a field is everything between two tabs, so quotes in review text
// are just text.
func readTSV(r io.Reader, path string, f Fields, emit emitFunc) error {
	ti, li, ncol := -1, -1, 0
	err := lines(r, path, func(line []byte, n int) error {
		if ti < 0 {
			cols := strings.Split(string(line), "\t")
			var err error
			ti, li, err = header(cols, path, f)
			ncol = len(cols)
			return err
		}
		if len(line) == 0 {
			return nil
		}
		rec := strings.Split(string(line), "\t")
		if len(rec) != ncol {
			return &LineError{Path: path, Line: n, Msg: fmt.Sprintf("has %d tab-separated fields but the header has %d", len(rec), ncol)}
		}
		return emit(rec[ti], field(rec, li), nil, li >= 0, n)
	})
	if err != nil {
		return err
	}
	if ti < 0 {
		return &LineError{Path: path, Msg: "is empty; a TSV file needs a header row"}
	}
	return nil
}

// readDir reads a folder with one sub-folder per label, one example per file
// (the aclImdb layout); files ending in .gz are decompressed. Examples come
// in label order, then file-name order.
//
// Nothing is dropped in silence; the rules are:
//   - hidden entries (names starting with ".") are skipped at both levels;
//   - files beside the label folders are skipped: they have no label, and
//     aclImdb/train keeps urls_pos.txt and labeledBow.feat there;
//   - symbolic links are followed: at the top level to a label folder (the
//     label is the link's name), inside a label folder to a file;
//   - everything else is refused by name: a label folder without examples,
//     a folder (or a link to one) inside a label folder, a named pipe,
//     device or socket, and a link to nothing.
//
// The layout is two levels deep and links are followed only to a label
// folder or a file, so no link can lead into a loop.
func readDir(root string) (*Examples, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("cannot read data folder %s: %w", root, pathErr(err))
	}
	d := &Examples{Path: root}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		dir := filepath.Join(root, e.Name())
		mode, err := entryMode(dir, e)
		if err != nil {
			return nil, err
		}
		if !mode.IsDir() {
			continue // a file beside the label folders
		}
		label := e.Name()
		files, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("cannot read data folder %s: %w", dir, pathErr(err))
		}
		n := d.Len()
		for _, fe := range files {
			if strings.HasPrefix(fe.Name(), ".") {
				continue
			}
			p := filepath.Join(dir, fe.Name())
			mode, err := entryMode(p, fe)
			if err != nil {
				return nil, err
			}
			if err := exampleFile(p, dir, fe, mode); err != nil {
				return nil, err
			}
			text, err := readWhole(p)
			if err != nil {
				return nil, err
			}
			d.Texts = append(d.Texts, text)
			d.Labels = append(d.Labels, label)
		}
		if d.Len() == n {
			return nil, fmt.Errorf("the label folder %s holds no examples; put the examples of %s in it, one file each, or remove it", dir, Quote(label))
		}
	}
	if d.Len() == 0 {
		return nil, fmt.Errorf("data folder %s holds no examples; it needs one sub-folder per label with one file per example (files beside the label folders are not read)", root)
	}
	return d, nil
}

// entryMode returns the type of the folder entry e at path p, following
// a symbolic link to what it names; a link to nothing is an error.
func entryMode(p string, e fs.DirEntry) (fs.FileMode, error) {
	if e.Type()&fs.ModeSymlink == 0 {
		return e.Type(), nil
	}
	st, err := os.Stat(p)
	if err == nil {
		return st.Mode().Type(), nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		target, _ := os.Readlink(p)
		return 0, fmt.Errorf("%s is a symbolic link to %s, which does not exist; fix the link or remove it", p, target)
	}
	return 0, fmt.Errorf("cannot read %s: %w", p, pathErr(err))
}

// exampleFile refuses an entry of a label folder that is not a file (mode
// is what a link names): a folder, a named pipe, a device or a socket.
func exampleFile(p, dir string, e fs.DirEntry, mode fs.FileMode) error {
	link := ""
	if e.Type()&fs.ModeSymlink != 0 {
		link = "a symbolic link to "
	}
	var what string
	switch {
	case mode.IsRegular():
		return nil
	case mode.IsDir():
		return fmt.Errorf("%s is %sa folder inside the label folder %s; each example is one file in its label's folder: move the files up into %s or remove it", p, link, dir, dir)
	case mode&fs.ModeNamedPipe != 0:
		what = "a named pipe"
	case mode&fs.ModeSocket != 0:
		what = "a socket"
	case mode&fs.ModeDevice != 0:
		what = "a device"
	default:
		what = "a special file"
	}
	return fmt.Errorf("%s is %s%s; each example of a data folder is a regular file: replace it by one or remove it", p, link, what)
}

func readWhole(p string) (string, error) {
	file, err := os.Open(p)
	if err != nil {
		return "", fmt.Errorf("cannot read %s: %w", p, pathErr(err))
	}
	defer file.Close()
	r, err := TextReader(file, p)
	if err != nil {
		return "", err
	}
	b, err := io.ReadAll(io.LimitReader(r, maxLine+1))
	if err != nil {
		if le := passOn(err); le != nil {
			return "", le
		}
		return "", &LineError{Path: p, Msg: "cannot read: " + err.Error()}
	}
	if len(b) > maxLine {
		return "", &LineError{Path: p, Msg: fmt.Sprintf("is larger than %d MiB; one file is one example", maxLine>>20)}
	}
	return string(b), nil
}

// maxQuoted is how much of a string from the input a message quotes.
const maxQuoted = 200

// Quote quotes s for a message, as %q does, but no more than its first
// 200 bytes, saying how long it is: a message stays one readable line
// whatever the input holds (a CSV header of a million columns, a field of
// 64 MiB).
func Quote(s string) string {
	head, more := clip(s)
	return strconv.Quote(head) + more
}

// cut is Quote for what a message shows unquoted: a JSON value as written.
func cut(s string) string {
	head, more := clip(s)
	return head + more
}

// clip returns s whole and "", or, when it is longer than maxQuoted, its
// first maxQuoted bytes (to a character boundary) and a note of its
// length.
func clip(s string) (head, more string) {
	if len(s) <= maxQuoted {
		return s, ""
	}
	n := maxQuoted
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n], fmt.Sprintf("... (%d bytes)", len(s))
}

// QuoteList quotes the first limit strings of s (each as Quote does),
// joined by commas, and says how many more there are: a message naming a
// file's labels or columns stays one readable line whatever the file
// holds.
func QuoteList(s []string, limit int) string {
	q := make([]string, 0, min(len(s), limit))
	for _, v := range s[:min(len(s), limit)] {
		q = append(q, Quote(v))
	}
	out := strings.Join(q, ", ")
	if len(s) > limit {
		out += fmt.Sprintf(" and %d more", len(s)-limit)
	}
	return out
}
