package data

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReadFormats(t *testing.T) {
	wantTexts, wantLabels := []string{"good, \"fun\"", "bad\tfilm"}, []string{"pos", "neg"}
	for _, p := range []string{
		writeData(t, "a.jsonl", "{\"text\": \"good, \\\"fun\\\"\", \"label\": \"pos\"}\n\n{\"label\": \"neg\", \"text\": \"bad\\tfilm\"}\r\n"),
		writeData(t, "a.jsonl.gz", "{\"text\": \"good, \\\"fun\\\"\", \"label\": \"pos\"}\n{\"text\": \"bad\\tfilm\", \"label\": \"neg\"}\n"),
		writeData(t, "a.csv", "label,text\npos,\"good, \"\"fun\"\"\"\nneg,\"bad\tfilm\"\n"),
		// A UTF-8 byte-order mark first (Excel's "CSV UTF-8") is dropped.
		writeData(t, "bom.csv", "\ufefflabel,text\npos,\"good, \"\"fun\"\"\"\nneg,\"bad\tfilm\"\n"),
		writeData(t, "bom.csv.gz", "\ufefflabel,text\npos,\"good, \"\"fun\"\"\"\nneg,\"bad\tfilm\"\n"),
		writeData(t, "bom.jsonl", "\ufeff{\"text\": \"good, \\\"fun\\\"\", \"label\": \"pos\"}\n{\"text\": \"bad\\tfilm\", \"label\": \"neg\"}\n"),
	} {
		ds, err := Read(p, Fields{})
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if !slices.Equal(ds.Texts, wantTexts) || !slices.Equal(ds.Labels, wantLabels) {
			t.Errorf("%s: read %q %q", p, ds.Texts, ds.Labels)
		}
	}
	ds, err := Read(writeData(t, "a.tsv", "text\tlabel\n\"quoted\" text\tpos\n"), Fields{})
	if err != nil || ds.Texts[0] != `"quoted" text` {
		t.Errorf("TSV keeps quotes as text: %q, %v", ds.Texts, err)
	}
	ds, err = Read(writeData(t, "bom.tsv", "\ufefftext\tlabel\nx\tpos\n"), Fields{})
	if err != nil || ds.Texts[0] != "x" || ds.Labels[0] != "pos" {
		t.Errorf("TSV with a byte-order mark: %q %q, %v", ds.Texts, ds.Labels, err)
	}
	// Other field names, and unlabelled input for predict.
	ds, err = Read(writeData(t, "b.jsonl", `{"review": "x", "y": 1}`+"\n"), Fields{Text: "review", Label: "y"})
	if err != nil || ds.Labels[0] != "1" {
		t.Errorf("numeric label: %q, %v", ds.Labels, err)
	}
	ds, err = Read(writeData(t, "c.jsonl", `{"text": "x"}`+"\n"), Fields{Unlabelled: true})
	if err != nil || ds.Labels != nil {
		t.Errorf("unlabelled: %q, %v", ds.Labels, err)
	}
	// A null label in input to predict is no label.
	ds, err = Read(writeData(t, "d.jsonl", `{"text": "x", "label": null}`+"\n"), Fields{Unlabelled: true})
	if err != nil || ds.Labels != nil || ds.Texts[0] != "x" {
		t.Errorf("null label, unlabelled: %q, %v", ds.Labels, err)
	}
}

// TestReadErrors: bad data is one sentence that names the file and line
// and, where it can, what to change.
func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	ok := `{"text": "fine", "label": "pos"}` + "\n"
	for _, c := range []struct {
		name, content string
		fields        Fields
		want          string // after "PATH"
	}{
		{"bad.jsonl", ok + ok + `{"text": "broken", "label": pos}` + "\n", Fields{}, `:3: invalid JSON at byte 29: expected a value`},
		{"notobj.jsonl", ok + `["text", "label"]` + "\n", Fields{}, `:2: not a JSON object`},
		{"notext.jsonl", ok + `{"review": "x", "label": "pos"}` + "\n", Fields{}, `:2: no field "text"; name the field that holds the text with --text-field or data.text_field`},
		{"nulltext.jsonl", `{"text": null, "label": "pos"}` + "\n", Fields{}, `:1: field "text" is null, not a string`},
		{"nulllabel.jsonl", ok + `{"text": "x", "label": null}` + "\n", Fields{}, `:2: field "label" is null; every example needs a label`},
		{"nulllabel2.jsonl", `{"text": "x", "label": null}` + "\n", Fields{}, `:1: field "label" is null; every example needs a label`},
		{"longtext.jsonl", `{"text": 1` + strings.Repeat("0", 1000) + `, "label": "pos"}` + "\n", Fields{}, `:1: field "text" is 1` + strings.Repeat("0", 199) + `... (1001 bytes), not a string`},
		{"wide.csv", "label," + strings.Repeat("c,", 100000) + "d\nx\n", Fields{}, `:1: the header has no column "text" (it has "label", ` + strings.Repeat(`"c", `, 18) + `"c" and 99982 more); name the text column with --text-field or data.text_field`},
		{"long.tsv", "text\t" + strings.Repeat("é", 300) + "\nx\ty\n", Fields{}, `:1: the header has no column "label" (it has "text", "` + strings.Repeat("é", 100) + `"... (600 bytes)); name the label column with --label-field or data.label_field`},
		{"numtext.jsonl", `{"text": 42, "label": "pos"}` + "\n", Fields{}, `:1: field "text" is 42, not a string`},
		{"arrtext.jsonl", `{"text": ["a"], "label": "pos"}` + "\n", Fields{}, `:1: field "text" is a list, not a string`},
		{"objtext.jsonl", `{"text": {"a": 1}, "label": "pos"}` + "\n", Fields{}, `:1: field "text" is an object, not a string, a number or a list of strings`},
		{"listlabel.jsonl", `{"text": "a", "label": ["x", "y"]}` + "\n", Fields{}, `:1: field "label" is a list; a text has one label unless data.task is multilabel: set data.task: multilabel, or give one label as a string`},
		{"emptyitem.jsonl", `{"text": "a", "label": ["x", ""]}` + "\n", Fields{Multi: true}, `:1: field "label" lists an empty label (item 2); every label needs a name`},
		{"twice.jsonl", `{"text": "a", "label": ["x", "y", "x"]}` + "\n", Fields{Multi: true}, `:1: field "label" lists the label "x" twice; list each label of a text once`},
		{"nulls.jsonl", `{"text": "a", "label": null}` + "\n", Fields{Multi: true}, `:1: field "label" is null; every example needs a label`},
		{"cut.csv", "text,label\na,x||y\n", Fields{Multi: true, Separator: "|"}, `:2: field "label" holds an empty label in "x||y" (cut at data.label_separator "|"); every label needs a name`},
		{"cuttwice.tsv", "text\tlabel\na\tx, y ,x\n", Fields{Multi: true, Separator: ","}, `:2: field "label" lists the label "x" twice; list each label of a text once`},
		{"nosep.csv", "text,label\na,x\n", Fields{Multi: true}, `: a multi-label CSV/TSV file lists each text's labels in one column; set data.label_separator to what separates them (such as "|")`},
		{"missing.jsonl", `{"text": "a", "label": ["x"]}` + "\n" + `{"text": "b"}` + "\n", Fields{Multi: true}, `:2: no field "label"; name the field that holds the label with --label-field or data.label_field`},
		{"nolabel.jsonl", ok + `{"text": "x"}` + "\n", Fields{}, `:2: no field "label"; name the field that holds the label with --label-field or data.label_field`},
		{"emptylabel.jsonl", `{"text": "x", "label": ""}` + "\n", Fields{}, `:1: field "label" is empty; every example needs a label`},
		{"latelabel.jsonl", `{"text": "x"}` + "\n" + ok, Fields{Unlabelled: true}, `:2: has a "label" field but earlier lines have none`},
		{"empty.jsonl", "\n\n", Fields{}, `: holds no examples`},
		{"bad.jsonl.gz", ok + "{oops\n", Fields{}, `:2: invalid JSON at byte 2: expected a string`},
		{"nocol.csv", "review,label\nx,pos\n", Fields{}, `:1: the header has no column "text" (it has "review", "label"); name the text column with --text-field or data.text_field`},
		{"nolabelcol.csv", "text,sentiment\nx,pos\n", Fields{}, `:1: the header has no column "label" (it has "text", "sentiment"); name the label column with --label-field or data.label_field`},
		{"quote.csv", "text,label\n\"unclosed,pos\n", Fields{}, `:2: extraneous or missing " in quoted-field`},
		{"fields.csv", "text,label\nx,pos,extra\n", Fields{}, `:2: has a different number of fields than the header (2)`},
		{"empty.csv", "", Fields{}, `: is empty; a CSV file needs a header row`},
		{"nocol.tsv", "review\tlabel\nx\tpos\n", Fields{}, `:1: the header has no column "text" (it has "review", "label"); name the text column with --text-field or data.text_field`},
		{"fields.tsv", "text\tlabel\nx\tpos\ny\tneg\textra\n", Fields{}, `:3: has 3 tab-separated fields but the header has 2`},
		{"empty.tsv", "", Fields{}, `: is empty; a TSV file needs a header row`},
		{"data.xml", "<x/>", Fields{}, `: unknown data format; use ` + Formats},
	} {
		p := writeData(t, c.name, c.content)
		_, err := Read(p, c.fields)
		if want := p + c.want; err == nil || err.Error() != want {
			t.Errorf("%s:\n got %v\nwant %s", c.name, err, want)
		}
	}
	notgz := filepath.Join(dir, "notgz.jsonl.gz")
	os.WriteFile(notgz, []byte("plain text"), 0o644)
	if _, err := Read(notgz, Fields{}); err == nil || err.Error() != notgz+": is not a valid gzip file: gzip: invalid header" {
		t.Errorf("not gzip: %v", err)
	}
	missing := filepath.Join(dir, "missing.jsonl")
	if _, err := Read(missing, Fields{}); err == nil || err.Error() != "data file "+missing+" does not exist" { // an absolute path, without its folder again
		t.Errorf("missing file: %v", err)
	}
	empty := t.TempDir()
	os.WriteFile(filepath.Join(empty, "README"), []byte("not an example"), 0o644)
	if _, err := Read(empty, Fields{}); err == nil || err.Error() != "data folder "+empty+" holds no examples; it needs one sub-folder per label with one file per example (files beside the label folders are not read)" {
		t.Errorf("empty folder: %v", err)
	}
}

func TestReadFolderPerLabel(t *testing.T) {
	root := t.TempDir()
	for _, f := range []struct{ label, name, text string }{
		{"pos", "b.txt", "second"}, {"pos", "a.txt", "first"}, {"neg", "z.txt.gz", "zipped"}, {".hidden", "x.txt", "skipped"},
	} {
		os.MkdirAll(filepath.Join(root, f.label), 0o755)
		b := []byte(f.text)
		if strings.HasSuffix(f.name, ".gz") {
			b = gzipBytes(b)
		}
		os.WriteFile(filepath.Join(root, f.label, f.name), b, 0o644)
	}
	ds, err := Read(root, Fields{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ds.Texts, []string{"zipped", "first", "second"}) || !slices.Equal(ds.Labels, []string{"neg", "pos", "pos"}) {
		t.Errorf("read %q %q", ds.Texts, ds.Labels)
	}
}

// A line longer than the cap is refused with its number, not read into
// memory without bound.
func TestReadCapsLineLength(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 64 MiB file")
	}
	p := filepath.Join(t.TempDir(), "long.jsonl")
	f, _ := os.Create(p)
	f.WriteString(`{"text": "ok", "label": "a"}` + "\n")
	f.Write(make([]byte, maxLine+1))
	f.Close()
	_, err := Read(p, Fields{})
	if want := p + ":2: line is longer than 64 MiB; is this really a .jsonl file?"; err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

// TestQuote: what a message quotes of the input is at most 200 bytes (cut
// at a character boundary) and says how long the whole is; a list names
// at most limit items.
func TestQuote(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"label", `"label"`},
		{"tab\there", `"tab\there"`},
		{strings.Repeat("a", 200), `"` + strings.Repeat("a", 200) + `"`},
		{strings.Repeat("a", 201), `"` + strings.Repeat("a", 200) + `"... (201 bytes)`},
		{"a" + strings.Repeat("€", 100), `"a` + strings.Repeat("€", 66) + `"... (301 bytes)`},
	} {
		if got := Quote(c.in); got != c.want {
			t.Errorf("Quote(%.20q...) = %s, want %s", c.in, got, c.want)
		}
	}
	million := make([]string, 1_000_000)
	for i := range million {
		million[i] = strings.Repeat("x", 1000)
	}
	got := QuoteList(million, 3)
	if want := strings.Repeat(`"`+strings.Repeat("x", 200)+`"... (1000 bytes), `, 2) + `"` + strings.Repeat("x", 200) + `"... (1000 bytes) and 999997 more`; got != want {
		t.Errorf("QuoteList of a million long names: %d bytes: %.300s", len(got), got)
	}
}

// FuzzReaders: no input makes a reader panic, and what a reader accepts is
// consistent (a label per text, or none at all).
func FuzzReaders(f *testing.F) {
	f.Add([]byte("text,label\nx,pos\n\"a\"\"b\",neg\n"))
	f.Add([]byte("text\tlabel\nx\tpos\n"))
	f.Add([]byte(`{"text": "x", "label": "y"}` + "\n"))
	f.Add([]byte("text,label\n\"unclosed,pos\n"))
	f.Add([]byte(`{"text": "x", "label": ["a", "b"]}` + "\n" + `{"text": "y", "label": []}` + "\n"))
	f.Add([]byte("text,label\nx,a|b\ny,\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, fields := range []Fields{
			{Text: "text", Label: "label"}, {Text: "text", Label: "label", Unlabelled: true},
			{Text: "text", Label: "label", Multi: true, Separator: "|"}, {Text: "text", Label: "label", Multi: true, Unlabelled: true},
		} {
			for _, parse := range []func(io.Reader, string, Fields, emitFunc) error{readJSONL, readCSV, readTSV} {
				var texts []string
				var sets [][]string
				labelled := 0
				lb := labeller{f: fields, path: "f"}
				err := parse(bytes.NewReader(b), "f", fields, func(text, label string, list []string, ok bool, line int) error {
					labels, err := lb.labels(label, list, ok, line)
					if err != nil {
						return err
					}
					texts = append(texts, text)
					sets = append(sets, slices.Clone(labels))
					if labels != nil {
						labelled++
					}
					return nil
				})
				if err != nil {
					continue
				}
				if labelled != 0 && labelled != len(texts) {
					t.Fatalf("%d texts but %d labelled", len(texts), labelled)
				}
				if labelled == 0 && !fields.Unlabelled && len(texts) > 0 {
					t.Fatalf("%d texts without labels", len(texts))
				}
				for _, set := range sets {
					if !fields.Multi && set != nil && len(set) != 1 {
						t.Fatalf("a single-label example has the labels %q", set)
					}
					for i, l := range set {
						if l == "" || slices.Contains(set[:i], l) {
							t.Fatalf("the labels %q hold an empty or repeated label", set)
						}
					}
				}
			}
		}
	})
}

// TestEachStreams: Each hands over the examples in order while it reads,
// stops at the first error of its callback and returns it as is, and
// reports a bad line only once it gets there (the lines before it were
// already handed over, which is what lets predict --input stream).
func TestEachStreams(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.jsonl")
	content := `{"text": "a", "label": "p"}` + "\n" + `{"text": "b", "label": "n"}` + "\n" + `{"text": "c"}` + "\n"
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	var seen []string
	err := Each(p, Fields{}, func(text, label string) error {
		seen = append(seen, text+"/"+label)
		return nil
	})
	if want := p + `:3: no field "label"; name the field that holds the label with --label-field or data.label_field`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	if !slices.Equal(seen, []string{"a/p", "b/n"}) {
		t.Errorf("handed over %q before the bad line, want a/p and b/n", seen)
	}
	stop := io.ErrShortWrite
	seen = nil
	err = Each(p, Fields{}, func(text, label string) error {
		seen = append(seen, text)
		return stop
	})
	if err != stop || len(seen) != 1 {
		t.Errorf("callback error: got %v after %d examples, want %v after 1", err, len(seen), stop)
	}
}

// TestReadEachIsRead: streamed texts come in file order, and the examples
// ReadEach returns hold what Read's do, their fingerprint included, without
// the texts (ReadEachUnsummed's, without the fingerprint); an error from
// the consumer stops the reading.
func TestReadEachIsRead(t *testing.T) {
	for _, p := range []string{
		writeData(t, "a.jsonl", "{\"text\": \"good, \\\"fun\\\"\", \"label\": \"pos\"}\n\n{\"label\": \"neg\", \"text\": \"bad\\tfilm\"}\n{\"text\": \"\", \"label\": \"pos\"}\n"),
		writeData(t, "a.csv.gz", "label,text\npos,\"good, \"\"fun\"\"\"\nneg,\"bad\tfilm\"\npos,\n"),
	} {
		want, err := Read(p, Fields{})
		if err != nil {
			t.Fatal(err)
		}
		var texts []string
		got, err := ReadEach(p, Fields{}, func(text string) error {
			texts = append(texts, text)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(texts, want.Texts) || !slices.Equal(got.Labels, want.Labels) || got.Texts != nil || got.Len() != want.Len() || !got.IsText() {
			t.Errorf("%s: streamed %q %q (%d), read %q %q", p, texts, got.Labels, got.Len(), want.Texts, want.Labels)
		}
		if got.Fingerprint() != want.Fingerprint() {
			t.Errorf("%s: fingerprint %s, Read's %s", p, got.Fingerprint(), want.Fingerprint())
		}
		// ReadEachUnsummed reads the same, but for the fingerprint.
		var unsummed []string
		got, err = ReadEachUnsummed(p, Fields{}, func(text string) error {
			unsummed = append(unsummed, text)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(unsummed, want.Texts) || !slices.Equal(got.Labels, want.Labels) || got.Len() != want.Len() || got.Fingerprint() != "" {
			t.Errorf("%s: unsummed, streamed %q %q (%d) with the fingerprint %q, read %q %q", p, unsummed, got.Labels, got.Len(), got.Fingerprint(), want.Texts, want.Labels)
		}
		stop := errors.New("stop")
		n := 0
		if _, err := ReadEach(p, Fields{}, func(string) error { n++; return stop }); err != stop || n != 1 {
			t.Errorf("%s: the consumer's error: %v after %d texts", p, err, n)
		}
	}
}

// TestReadMultiLabel reads the same label lists from JSONL (arrays, and a
// string cut at the separator), CSV and TSV (one column cut at the
// separator), with an empty list as an example of no label; a folder
// dataset is single-label and says so.
func TestReadMultiLabel(t *testing.T) {
	dir := t.TempDir()
	want := [][]string{{"grain", "wheat"}, {}, {"acq"}, {"b,c", "a"}}
	files := map[string]string{
		"a.jsonl": `{"text": "t1", "labels": ["grain", "wheat"]}` + "\n" + `{"text": "t2", "labels": []}` + "\n" +
			`{"text": "t3", "labels": "acq"}` + "\n" + `{"text": "t4", "labels": ["b,c", "a"]}` + "\n",
		"b.csv": "text,labels\nt1,grain;wheat\nt2,\nt3,acq\nt4,\" b,c ;a\"\n",
		"c.tsv": "labels\ttext\ngrain ; wheat\tt1\n\tt2\nacq\tt3\nb,c;a\tt4\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		e, err := Read(p, Fields{Label: "labels", Multi: true, Separator: ";"})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if e.Labels != nil || !slices.Equal(e.Texts, []string{"t1", "t2", "t3", "t4"}) || len(e.LabelSets) != len(want) {
			t.Fatalf("%s: read %q, labels %q, sets %q", name, e.Texts, e.Labels, e.LabelSets)
		}
		for i, set := range want {
			if !slices.Equal(e.LabelSets[i], set) || e.LabelSets[i] == nil {
				t.Errorf("%s: example %d has the labels %q, want %q", name, i+1, e.LabelSets[i], set)
			}
		}
		if got := e.Classes(); !slices.Equal(got, []string{"a", "acq", "b,c", "grain", "wheat"}) {
			t.Errorf("%s: classes %q", name, got)
		}
		sub := e.Subset([]int{3, 0}, "sub")
		if !slices.Equal(sub.LabelSets[0], want[3]) || !slices.Equal(sub.LabelSets[1], want[0]) || sub.Labels != nil {
			t.Errorf("%s: subset has %q %q", name, sub.LabelSets, sub.Labels)
		}
	}
	// The same examples give the same fingerprint whatever the file, and
	// one label more changes it.
	a, _ := Read(filepath.Join(dir, "a.jsonl"), Fields{Label: "labels", Multi: true, Separator: ";"})
	b, _ := Read(filepath.Join(dir, "b.csv"), Fields{Label: "labels", Multi: true, Separator: ";"})
	if a.Fingerprint() != b.Fingerprint() {
		t.Error("the same multi-label examples have two fingerprints")
	}
	b.LabelSets[1] = []string{"acq"}
	if a.Fingerprint() == b.Fingerprint() {
		t.Error("a changed label set left the fingerprint as it was")
	}
	// Input to predict needs no separator and keeps no labels.
	e, err := Read(filepath.Join(dir, "b.csv"), Fields{Label: "labels", Multi: true, Unlabelled: true})
	if err != nil || e.LabelSets != nil || e.Labels != nil || len(e.Texts) != 4 {
		t.Errorf("unlabelled multi-label input: %v %+v", err, e)
	}

	folder := filepath.Join(dir, "folder")
	os.MkdirAll(filepath.Join(folder, "pos"), 0o755)
	os.WriteFile(filepath.Join(folder, "pos", "1.txt"), []byte("x"), 0o644)
	_, err = Read(folder, Fields{Multi: true})
	if want := folder + ` is a folder with one sub-folder per label, which gives each example one label; for several labels per example (data.task multilabel) use a .jsonl file with a list per line ("labels": ["grain", "wheat"]) or a CSV/TSV file with data.label_separator`; err == nil || err.Error() != want {
		t.Errorf("a folder read as multi-label: got %v", err)
	}
	if err := Each(filepath.Join(dir, "a.jsonl"), Fields{Label: "labels", Multi: true}, func(string, string) error { return nil }); err == nil {
		t.Error("Each read multi-label data as single-label")
	}
}
