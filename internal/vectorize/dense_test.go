package vectorize

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/option"
)

func TestDenseScales(t *testing.T) {
	cols := []string{"a", "b"}
	values := []float64{0, 10, 2, 20, 4, 30} // a: 0 2 4, b: 10 20 30
	cases := []struct {
		scale Scale
		row0  []float64 // the scaled first row, zeros included
	}{
		{ScaleNone, []float64{0, 10}},
		{ScaleStandard, []float64{-2 / math.Sqrt(8.0/3), -10 / math.Sqrt(200.0/3)}},
		{ScaleMinMax, []float64{0, 0}},
		{ScaleMax, []float64{0, 10.0 / 30}},
		{ScaleFixed, []float64{0, 10.0 / 4}}, // divided by the Divisor 4
	}
	for _, c := range cases {
		sc := Scaling{Scale: c.scale}
		if c.scale == ScaleFixed {
			sc.Divisor = 4
		}
		v, err := FitDense(cols, values, sc)
		if err != nil {
			t.Fatal(err)
		}
		if v.Mode != Dense || v.Features() != 2 || !slices.Equal(v.Columns(), cols) {
			t.Fatalf("%s: vectorizer %+v", c.scale, v.Options)
		}
		m := v.TransformValues(values)
		if m.Rows != 3 || m.Binary() {
			t.Fatalf("%s: %d rows", c.scale, m.Rows)
		}
		got := make([]float64, 2)
		idx, vals := m.Row(0)
		for k, j := range idx {
			if vals[k] == 0 {
				t.Errorf("%s: a zero was stored", c.scale)
			}
			got[j] = vals[k]
		}
		for j := range got {
			if math.Abs(got[j]-c.row0[j]) > 1e-12 {
				t.Errorf("%s: row 0 = %v, want %v", c.scale, got, c.row0)
			}
		}
		// The encoder reads the same numbers from a line and scales them alike.
		enc := v.NewEncoder()
		eidx, evals := enc.Encode("0, 10")
		if enc.Err() != nil || !slices.Equal(eidx, idx) || !slices.Equal(evals, vals) {
			t.Errorf("%s: Encode(\"0, 10\") = %v %v (%v), Transform gave %v %v", c.scale, eidx, evals, enc.Err(), idx, vals)
		}
		// A stored and restored vectorizer is the same.
		r, err := Restore(v.Options, v.Vocab, v.DocFreq, v.Docs)
		if err != nil {
			t.Fatal(err)
		}
		ridx, rvals := r.NewEncoder().Encode("0\t10")
		if !slices.Equal(ridx, idx) || !slices.Equal(rvals, vals) {
			t.Errorf("%s: restored vectorizer encodes %v %v", c.scale, ridx, rvals)
		}
	}
}

func TestDenseErrors(t *testing.T) {
	v, _ := FitDense([]string{"x1", "x2"}, []float64{1, 2}, Scaling{Scale: ScaleNone})
	enc := v.NewEncoder()
	for line, want := range map[string]string{
		"1,2,3":  "has 3 values, but the model reads 2 (x1,x2), separated by commas",
		"1,abc":  `value 2 (x2) is "abc", not a finite number`,
		"NaN,1":  `value 1 (x1) is "NaN", not a finite number`,
		"":       "has 1 values, but the model reads 2",
		"1e999,": `value 1 (x1) is "1e999", not a finite number`,
	} {
		enc.Encode(line)
		if err := enc.Err(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Encode(%q): %v, want %q", line, err, want)
		}
	}
	enc.Encode("1,2")
	if enc.Err() != nil {
		t.Errorf("a good line after bad ones: %v", enc.Err())
	}
	if _, err := FitDense([]string{"a", "a"}, []float64{1, 2}, Scaling{Scale: ScaleNone}); err == nil {
		t.Error("repeated column names were accepted")
	}
	if _, err := Fit([]string{"text"}, Options{Mode: Dense, MaxTokens: 1, NGrams: 1}); err == nil {
		t.Error("text was fitted with mode dense")
	}
	bad := v.Options
	bad.Dense = &DenseOptions{Scale: ScaleStandard, Shift: []float64{1}, Factor: []float64{1, 1}}
	if _, err := Restore(bad, v.Vocab, v.DocFreq, v.Docs); err == nil {
		t.Error("a scaling of the wrong length was restored")
	}
	bad.Dense = nil
	if _, err := Restore(bad, v.Vocab, v.DocFreq, v.Docs); err == nil {
		t.Error("a dense vectorizer without its scaling was restored")
	}
}

// FuzzDenseEncode: no line makes the dense encoder panic; what it accepts
// has one value per column at most, in column order.
func FuzzDenseEncode(f *testing.F) {
	for _, s := range []string{"1,2,3", "1\t2\t3", " -1e-3 , 0 ,7", "1,,3", "a,b,c", "1,2", "0x1p3,1_0,+4"} {
		f.Add(s)
	}
	v, _ := FitDense([]string{"a", "b", "c"}, []float64{1, 2, 3, 4, 5, 6}, Scaling{Scale: ScaleStandard})
	enc := v.NewEncoder()
	f.Fuzz(func(t *testing.T, line string) {
		idx, vals := enc.Encode(line)
		if enc.Err() != nil {
			if idx != nil || vals != nil {
				t.Fatal("a bad line gave a row")
			}
			return
		}
		if len(idx) != len(vals) || len(idx) > 3 || !slices.IsSorted(idx) {
			t.Fatalf("row %v %v", idx, vals)
		}
		for _, x := range vals {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("non-finite value %v", x)
			}
		}
	})
}

// TestDenseBytes: pixels read as bytes are scaled as the same numbers
// read as floats, and scale fixed divides (x / 255, the notebook's
// scaling, which is not always x · (1/255)).
func TestScalingValidate(t *testing.T) {
	for _, c := range []struct {
		sc   Scaling
		want string
	}{
		{Scaling{Scale: ScaleNone}, ""},
		{Scaling{Scale: ScaleFixed, Divisor: 255}, ""},
		{Scaling{Scale: "log"}, `scale "log" is not one of [none standard minmax max fixed]`},
		{Scaling{}, `scale "" is not one of [none standard minmax max fixed]`},
		{Scaling{Scale: ScaleFixed, Divisor: -1}, "divisor must be a number above 0, not -1"},
		{Scaling{Scale: ScaleFixed, Divisor: math.Inf(1)}, "divisor must be a number above 0, not +Inf"},
		{Scaling{Scale: ScaleFixed}, "divisor must be set: vectorizer.scale fixed divides every value by it (255 for 8-bit pixels)"},
		{Scaling{Scale: ScaleMax, Divisor: 255}, "divisor applies to vectorizer.scale fixed, not max; remove it or set vectorizer.scale: fixed"},
	} {
		err := c.sc.Validate()
		var e *option.Error
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%+v: %v", c.sc, err)
		case c.want != "" && (err == nil || err.Error() != c.want || !errors.As(err, &e)):
			t.Errorf("%+v: %v, want the *option.Error %q", c.sc, err, c.want)
		}
	}
}

func TestDenseBytes(t *testing.T) {
	cols := []string{"pixel0", "pixel1", "pixel2"}
	px := []uint8{0, 255, 7, 3, 0, 0}
	fl := []float64{0, 255, 7, 3, 0, 0}
	for _, sc := range []Scaling{{Scale: ScaleFixed, Divisor: 255}, {Scale: ScaleMax}, {Scale: ScaleStandard}, {Scale: ScaleMinMax}, {Scale: ScaleNone}} {
		vb, err := FitDenseBytes(cols, px, sc)
		if err != nil {
			t.Fatal(err)
		}
		vf, err := FitDense(cols, fl, sc)
		if err != nil {
			t.Fatal(err)
		}
		mb, mf := vb.TransformBytes(px), vf.TransformValues(fl)
		if !slices.Equal(mb.Indices, mf.Indices) || !slices.Equal(mb.Values, mf.Values) || !slices.Equal(mb.Indptr, mf.Indptr) {
			t.Errorf("%v: bytes give %v %v, floats %v %v", sc, mb.Indices, mb.Values, mf.Indices, mf.Values)
		}
	}
	v, _ := FitDenseBytes(cols, px, Scaling{Scale: ScaleFixed, Divisor: 255})
	m := v.TransformBytes(px)
	if want := []float64{1, 7.0 / 255, 3.0 / 255}; !slices.Equal(m.Values, want) {
		t.Errorf("fixed 255: values %v, want %v", m.Values, want)
	}
	for _, d := range []float64{0, -1, math.Inf(1), math.NaN()} {
		if _, err := FitDense(cols, fl, Scaling{Scale: ScaleFixed, Divisor: d}); err == nil || !strings.HasPrefix(err.Error(), "vectorizer divisor must be ") {
			t.Errorf("divisor %v: %v", d, err)
		}
	}
	// A corrupt model file with a zero divisor is refused.
	o := v.Options
	o.Dense = &DenseOptions{Scale: ScaleFixed}
	if _, err := Restore(o, v.Vocab, v.DocFreq, v.Docs); err == nil {
		t.Error("a fixed scaling without a divisor was restored")
	}
}

// TestDenseLineErrorNamesFewColumns: a line with the wrong count of
// numbers names the columns, but not all 784 pixels of an image model.
func TestDenseLineErrorNamesFewColumns(t *testing.T) {
	cols := make([]string, 784)
	for i := range cols {
		cols[i] = "pixel" + strconv.Itoa(i)
	}
	v, err := FitDenseBytes(cols, make([]uint8, 784), Scaling{Scale: ScaleFixed, Divisor: 255})
	if err != nil {
		t.Fatal(err)
	}
	enc := v.NewEncoder()
	enc.Encode("1,2,3")
	want := "has 3 values, but the model reads 784 (pixel0,pixel1,pixel2,...,pixel783), separated by commas"
	if err := enc.Err(); err == nil || err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

// TestDenseColumnNamesAreNotNGrams: a dense vectorizer's vocabulary is its
// column names, whatever they hold ("sepal length" has a space), and a
// model that stores them loads again.
func TestDenseColumnNamesAreNotNGrams(t *testing.T) {
	v, err := FitDense([]string{"sepal length", "Petal Width", "x  y"}, []float64{1, 2, 3, 4, 5, 6}, Scaling{Scale: ScaleNone})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Restore(v.Options, v.Vocab, v.DocFreq, v.Docs)
	if err != nil {
		t.Fatalf("a dense vectorizer with spaces in its column names does not load again: %v", err)
	}
	if got := r.Index("sepal length"); got != -1 {
		t.Errorf("Index of a column name = %d; a dense vectorizer has no n-grams", got)
	}
	idx, vals := r.NewEncoder().Encode("7,0,9")
	if len(idx) != 2 || idx[0] != 0 || idx[1] != 2 || vals[0] != 7 || vals[1] != 9 {
		t.Errorf("the restored vectorizer encodes 7,0,9 as %v %v", idx, vals)
	}
}
