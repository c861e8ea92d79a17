package data

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReadTable(t *testing.T) {
	p := writeTemp(t, "d.csv", []byte("x1, x2 ,label\n1,2,3.5\n\n-1e-3, 4 ,0\n"))
	tb, err := ReadTable(p, TableFields{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tb.Columns, []string{"x1", "x2"}) || !slices.Equal(tb.Values, []float64{1, 2, -1e-3, 4}) ||
		!slices.Equal(tb.Labels, []string{"3.5", "0"}) || !slices.Equal(tb.Lines, []int{2, 4}) {
		t.Errorf("read %+v", tb)
	}
	// Named features pick and order the columns.
	tb, err = ReadTable(p, TableFields{Features: []string{"x2"}})
	if err != nil || !slices.Equal(tb.Values, []float64{2, 4}) {
		t.Errorf("features [x2]: %+v, %v", tb, err)
	}
	sub := tb.Subset([]int{1}, "sub")
	if !slices.Equal(sub.Values, []float64{4}) || sub.Labels[0] != "0" || sub.Lines[0] != 4 {
		t.Errorf("subset: %+v", sub)
	}
	tsv := writeTemp(t, "d.tsv", []byte("label\ta\n1\t2\n"))
	if tb, err := ReadTable(tsv, TableFields{}); err != nil || tb.Values[0] != 2 || tb.Labels[0] != "1" {
		t.Errorf("tsv: %+v %v", tb, err)
	}
}

func TestReadTableErrors(t *testing.T) {
	var names []string
	for i := range 50000 {
		names = append(names, fmt.Sprintf("c%d", i))
	}
	wide := strings.Join(names, ",")
	cases := []struct {
		name, content string
		f             TableFields
		want          string
	}{
		{"nan.csv", "x,label\n1,a\nfoo,b\n", TableFields{}, `nan.csv:3: column "x" holds "foo", which is not a finite number`},
		{"inf.csv", "x,label\nInf,a\n", TableFields{}, `inf.csv:2: column "x" holds "Inf", which is not a finite number`},
		{"nolabel.csv", "x,y\n1,2\n", TableFields{}, `nolabel.csv:1: the header has no column "label" (it has "x", "y"); name the label column with --label-field or data.label_field`},
		{"nofeat.csv", "x,label\n1,2\n", TableFields{Features: []string{"z"}}, `nofeat.csv:1: the header has no column "z" (it has "x", "label"); name the feature columns with --features or data.features`},
		{"ragged.csv", "x,label\n1,2\n3\n", TableFields{}, `ragged.csv:3: has a different number of fields than the header (2)`},
		{"empty.csv", "", TableFields{}, `empty.csv: is empty; a numeric file needs a header row naming its columns`},
		{"header.csv", "x,label\n", TableFields{}, `header.csv: holds no examples`},
		{"emptylabel.csv", "x,label\n1,\n", TableFields{}, `emptylabel.csv:2: column "label" is empty; every example needs a label`},
		{"twice.csv", "x,x,label\n1,2,3\n", TableFields{}, `twice.csv:1: the header names the column "x" twice`},
		{"longvalue.csv", "x,label\n" + strings.Repeat("9", 300) + "z,a\n", TableFields{}, `longvalue.csv:2: column "x" holds "` + strings.Repeat("9", 200) + `"... (301 bytes), which is not a finite number`},
		{"wide.csv", wide + "\n1\n", TableFields{}, `wide.csv:1: the header has no column "label" (it has "c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9", "c10", "c11", "c12", "c13", "c14", "c15", "c16", "c17", "c18", "c19" and 49980 more); name the label column with --label-field or data.label_field`},
		{"d.jsonl", "{}", TableFields{}, `d.jsonl: numeric data (vectorizer.mode dense) is a .csv or .tsv with a header row (optionally .gz)`},
	}
	for _, c := range cases {
		p := writeTemp(t, c.name, []byte(c.content))
		_, err := ReadTable(p, c.f)
		if err == nil || !strings.HasSuffix(err.Error(), c.want) {
			t.Errorf("%s: got %v, want ...%s", c.name, err, c.want)
		}
	}
}

// wideTable returns a header of n numeric columns and a label, and one row.
func wideTable(n int) (head, row string) {
	var h, r strings.Builder
	for i := range n {
		fmt.Fprintf(&h, "c%d,", i)
		r.WriteString("0,")
	}
	h.WriteString("label\n")
	r.WriteString("a\n")
	return h.String(), r.String()
}

// TestReadTableManyColumns: a header of 100,000 columns is read, with its
// features named in another order, and a duplicate among them is still
// found. (That it is read in linear time — the duplicate check compared
// every pair: 80,000 columns took 17 s — is BenchmarkReadTableWide's to
// show: timed unit tests fail on a loaded machine.)
func TestReadTableManyColumns(t *testing.T) {
	const n = 100_000
	headS, rowS := wideTable(n)
	var head, row strings.Builder
	head.WriteString(headS)
	row.WriteString(rowS)
	tb, err := ReadTable(writeTemp(t, "wide.csv", []byte(head.String()+row.String())), TableFields{})
	if err != nil || len(tb.Columns) != n {
		t.Fatalf("%d columns, %v", len(tb.Columns), err)
	}
	features := slices.Clone(tb.Columns)
	slices.Reverse(features)
	if _, err := ReadTable(writeTemp(t, "wide.csv", []byte(head.String()+row.String())), TableFields{Features: features}); err != nil {
		t.Fatal(err)
	}
	dup := strings.Replace(head.String(), "c99999,", "c5,", 1)
	_, err = ReadTable(writeTemp(t, "dup.csv", []byte(dup+row.String())), TableFields{})
	if want := `dup.csv:1: the header names the column "c5" twice`; err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("got %v, want ...%s", err, want)
	}
}

// BenchmarkReadTableWide reads headers of 10,000 and 100,000 columns: the
// time per column stays flat when the duplicate check is linear.
func BenchmarkReadTableWide(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		head, row := wideTable(n)
		path := filepath.Join(b.TempDir(), "wide.csv")
		if err := os.WriteFile(path, []byte(head+row), 0o644); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := ReadTable(path, TableFields{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/column")
		})
	}
}

// FuzzReadTable: no input makes the reader panic, and whatever it accepts
// is consistent.
func FuzzReadTable(f *testing.F) {
	for _, s := range []string{"x,label\n1,2\n", "a,b,label\n1,2,3\n4,5,6\n", "x,label\n\"1\",2\n", "label\n1\n", "x,label\n1e308,a\n-0,b\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tb, err := parseTable(strings.NewReader(s), "fuzz.csv", ',', TableFields{})
		if err != nil {
			return
		}
		if len(tb.Values) != tb.Len()*len(tb.Columns) || (tb.Labels != nil && len(tb.Labels) != tb.Len()) {
			t.Fatalf("inconsistent table %+v", tb)
		}
	})
}
