package svmlight

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/sparse"
	"github.com/dlc-dev/dlc/internal/testenv"
)

func TestWriteFormat(t *testing.T) {
	x := sparse.New(10, false)
	x.AppendRow([]int32{0, 3, 9}, []float64{0.5, 2, 1.0 / 3})
	x.AppendRow(nil, nil)
	x.AppendRow([]int32{4}, []float64{1e-20})
	var b bytes.Buffer
	if err := Write(&b, x, []float64{1, 0, 7}); err != nil {
		t.Fatal(err)
	}
	want := "1 1:0.5 4:2 10:0.3333333333333333\n0\n7 5:1e-20\n"
	if b.String() != want {
		t.Errorf("wrote\n%q\nwant\n%q", b.String(), want)
	}
	bin := sparse.New(5, true)
	bin.AppendRow([]int32{1, 2}, nil)
	b.Reset()
	if err := Write(&b, bin, []float64{0}); err != nil || b.String() != "0 2:1 3:1\n" {
		t.Errorf("binary row: %q, %v", b.String(), err)
	}
	if err := Write(&b, bin, nil); err == nil || err.Error() != "svmlight: 0 labels for 1 rows" {
		t.Errorf("missing labels: %v", err)
	}
}

// randomMatrix has rows of random length (some empty), enough of them
// for many chunks to be formatted at once.
func randomMatrix(rows, cols int, binary bool, seed uint64) (*sparse.Matrix, []float64) {
	r := rand.New(rand.NewPCG(seed, 3))
	x := sparse.New(cols, binary)
	labels := make([]float64, rows)
	for i := range rows {
		var idx []int32
		var vals []float64
		for c := range cols {
			if r.IntN(40) == 0 {
				idx = append(idx, int32(c))
				vals = append(vals, r.NormFloat64()*math.Pow(10, float64(r.IntN(30)-15)))
			}
		}
		if binary {
			vals = nil
		}
		x.AppendRow(idx, vals)
		labels[i] = float64(r.IntN(5))
	}
	return x, labels
}

func TestRoundTrip(t *testing.T) {
	for _, binary := range []bool{false, true} {
		x, labels := randomMatrix(5000, 300, binary, 1)
		path := filepath.Join(t.TempDir(), "x.svm")
		if err := WriteFile(path, x, labels); err != nil {
			t.Fatal(err)
		}
		y, ylabels, err := ReadFile(path, x.Cols)
		if err != nil {
			t.Fatal(err)
		}
		if y.Rows != x.Rows || y.Cols != x.Cols || !slices.Equal(y.Indptr, x.Indptr) || !slices.Equal(y.Indices, x.Indices) {
			t.Fatalf("binary %v: the rows read back differ", binary)
		}
		for i, v := range y.Values {
			want := 1.0
			if !binary {
				want = x.Values[i]
			}
			if v != want {
				t.Fatalf("binary %v: value %d read back as %v, want %v", binary, i, v, want)
			}
		}
		for i, l := range ylabels {
			if l != float64(labels[i]) {
				t.Fatalf("label %d read back as %v, want %v", i, l, labels[i])
			}
		}
		if err := y.Validate(); err != nil {
			t.Error(err)
		}
	}
}

type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n--; w.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestWriteError(t *testing.T) {
	x, labels := randomMatrix(20000, 50, false, 2)
	if err := Write(&failingWriter{n: 3}, x, labels); err == nil || err.Error() != "disk full" {
		t.Errorf("error %v, want disk full", err)
	}
	dir := t.TempDir()
	if err := WriteFile(filepath.Join(dir, "missing", "x.svm"), x, labels); err == nil {
		t.Error("writing into a missing folder succeeded")
	}
}

func TestReadErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"1 1:2\nx 1:2\n", `in:2: the label "x" is not a number`},
		{"1 1:2 3\n", `in:1: "3" is not index:value`},
		{"1 qid:3 1:2\n", "in:1: qid (ranking data) is not supported"},
		{"1 0:2\n", `in:1: index "0" is not a whole number from 1 to 2147483647`},
		{"1 -1:2\n", `in:1: index "-1" is not a whole number from 1 to 2147483647`},
		{"1 3:2 2:1\n", "in:1: index 2 does not follow 3; indices must increase along a line"},
		{"1 3:2 3:1\n", "in:1: index 3 does not follow 3; indices must increase along a line"},
		{"1 3:nan\n", `in:1: the value "nan" of index 3 is not a finite number`},
		{"1 3:\n", `in:1: the value "" of index 3 is not a finite number`},
		{"inf\n", `in:1: the label "inf" is not a number`},
	} {
		if _, _, err := Read(strings.NewReader(c.text), "in", 0); err == nil || err.Error() != c.want {
			t.Errorf("Read(%q): %v, want %q", c.text, err, c.want)
		}
	}
	x, labels, err := Read(strings.NewReader("# header\n\n-1 2:0.5 # note\n+1\t7:3\n"), "in", 3)
	if err != nil {
		t.Fatal(err)
	}
	if x.Rows != 2 || x.Cols != 7 || !slices.Equal(labels, []float64{-1, 1}) || !slices.Equal(x.Indices, []int32{1, 6}) {
		t.Errorf("read %+v %v", x, labels)
	}
	if _, _, err := ReadFile(filepath.Join(t.TempDir(), "none.svm"), 0); err == nil || !strings.Contains(err.Error(), "none.svm") {
		t.Errorf("missing file: %v", err)
	}
}

// FuzzRead checks that any input is read or refused without a panic, and
// that what is read writes and reads back the same.
func FuzzRead(f *testing.F) {
	for _, s := range []string{"1 1:0.5 4:2 10:0.333\n0\n7 5:1e-20\n", "# c\n-1 2:1 #x\n", "1 3:2 2:1\n", "x", "1 qid:1 2:3", "1 99999999999:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		x, labels, err := Read(strings.NewReader(text), "in", 0)
		if err != nil {
			return
		}
		if err := x.Validate(); err != nil {
			t.Fatalf("Read(%q) gave an invalid matrix: %v", text, err)
		}
		var b bytes.Buffer
		if err := Write(&b, x, labels); err != nil {
			t.Fatal(err)
		}
		y, labels2, err := Read(&b, "again", x.Cols)
		if err != nil {
			t.Fatalf("rereading %q: %v", b.String(), err)
		}
		if !slices.Equal(x.Indices, y.Indices) || !slices.Equal(x.Values, y.Values) || x.Cols != y.Cols || !slices.Equal(labels, labels2) {
			t.Fatalf("%q changed on a round trip", text)
		}
	})
}

const sklearnLoad = `
import json, sys
from sklearn.datasets import load_svmlight_file
x, y = load_svmlight_file(sys.argv[1], n_features=int(sys.argv[2]))
x = x.tocsr()
json.dump({"rows": x.shape[0], "cols": x.shape[1], "nnz_per_row": [int(n) for n in (x.indptr[1:] - x.indptr[:-1])],
           "indices": [int(i) for i in x.indices], "data": [float(d) for d in x.data], "labels": [float(l) for l in y]}, sys.stdout)
`

// TestScikitLearnReads writes a matrix and has scikit-learn's
// load_svmlight_file read it back: same rows, columns, entries and labels.
func TestScikitLearnReads(t *testing.T) {
	python := testenv.SklearnPython()
	if python == "" {
		t.Skip("skipping: no python3 with scikit-learn (apt-get install python3-sklearn) to read the file")
	}
	x, labels := randomMatrix(300, 200, false, 5)
	path := filepath.Join(t.TempDir(), "x.svm")
	if err := WriteFile(path, x, labels); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(python, "-c", sklearnLoad, path, "200").Output()
	if err != nil {
		t.Fatalf("load_svmlight_file: %v", err)
	}
	var got struct {
		Rows, Cols int
		NNZPerRow  []int `json:"nnz_per_row"`
		Indices    []int32
		Data       []float64
		Labels     []float64
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if got.Rows != x.Rows || got.Cols != x.Cols || !slices.Equal(got.Indices, x.Indices) || !slices.Equal(got.Data, x.Values) {
		t.Errorf("scikit-learn read %d×%d with different entries", got.Rows, got.Cols)
	}
	for i, n := range got.NNZPerRow {
		if n != x.Indptr[i+1]-x.Indptr[i] || got.Labels[i] != float64(labels[i]) {
			t.Fatalf("row %d: scikit-learn reads %d entries, label %v", i, n, got.Labels[i])
		}
	}
	_ = os.Remove(path)
}

// Multi-label rows: the label indices comma-separated, nothing before the
// features for a row of no label, as scikit-learn's dump_svmlight_file
// writes them (its load_svmlight_file(multilabel=True) reads them back).
func TestWriteMulti(t *testing.T) {
	x := sparse.New(4, false)
	x.AppendRow([]int32{0, 3}, []float64{0.5, 2})
	x.AppendRow([]int32{1}, []float64{1})
	x.AppendRow(nil, nil)
	sets := sparse.New(3, true)
	sets.AppendRow([]int32{0, 2}, nil)
	sets.AppendRow(nil, nil)
	sets.AppendRow([]int32{1}, nil)
	var b strings.Builder
	if err := WriteMulti(&b, x, sets); err != nil {
		t.Fatal(err)
	}
	if want := "0,2 1:0.5 4:2\n 2:1\n1\n"; b.String() != want {
		t.Errorf("wrote %q, want %q", b.String(), want)
	}
	if err := WriteMulti(&b, x, sparse.New(3, true)); err == nil {
		t.Error("wrote 3 rows with 0 label sets")
	}
}

// TestChunkStarts checks that chunks cover the rows in order, each at
// least one row, and stop at chunkRows rows or once they hold
// chunkEntries entries, so that wide rows make small chunks; and that a
// matrix of wide rows, cut into many such chunks, reads back whole.
func TestChunkStarts(t *testing.T) {
	widths := []int{0, 3 * chunkEntries, 1, 0}
	for range 2000 {
		widths = append(widths, 7)
	}
	for range 10 {
		widths = append(widths, chunkEntries/3)
	}
	x := &sparse.Matrix{Indptr: []int{0}}
	for _, w := range widths {
		x.Indptr = append(x.Indptr, x.Indptr[x.Rows]+w)
		x.Rows++
	}
	starts := chunkStarts(x)
	if starts[0] != 0 || starts[len(starts)-1] != x.Rows {
		t.Fatalf("chunks %v do not cover rows 0..%d", starts, x.Rows)
	}
	for c := range len(starts) - 1 {
		lo, hi := starts[c], starts[c+1]
		full := hi-lo == chunkRows || x.Indptr[hi]-x.Indptr[lo] >= chunkEntries || hi == x.Rows
		if hi <= lo || hi-lo > chunkRows || x.Indptr[hi-1]-x.Indptr[lo] >= chunkEntries || !full {
			t.Fatalf("chunk %d holds rows %d..%d (%d entries)", c, lo, hi, x.Indptr[hi]-x.Indptr[lo])
		}
	}
	if !slices.Equal(starts[:3], []int{0, 2, 514}) {
		t.Errorf("chunks begin %v, want the wide row alone after the empty one, then 512 rows", starts[:3])
	}

	wide, labels := randomMatrix(1000, 12000, false, 2) // 300 entries a row: 219 rows a chunk
	if n := len(chunkStarts(wide)) - 1; n < 3 {
		t.Fatalf("%d chunks of wide rows, want several", n)
	}
	path := filepath.Join(t.TempDir(), "wide.svm")
	if err := WriteFile(path, wide, labels); err != nil {
		t.Fatal(err)
	}
	y, ylabels, err := ReadFile(path, wide.Cols)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(y.Indptr, wide.Indptr) || !slices.Equal(y.Indices, wide.Indices) || !slices.Equal(y.Values, wide.Values) || !slices.Equal(ylabels, labels) {
		t.Fatal("wide rows read back differ")
	}
}
