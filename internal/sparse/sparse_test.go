package sparse

import (
	"reflect"
	"testing"
)

// TestJoin: the pieces' rows in order, in storage exactly as large as
// them, with each piece let go; no pieces give an empty matrix of the
// columns asked for.
func TestJoin(t *testing.T) {
	for _, binary := range []bool{false, true} {
		vals := func(v ...float64) []float64 {
			if binary {
				return nil
			}
			return v
		}
		a, b, c := New(9, binary), New(9, binary), New(9, binary)
		a.AppendRow([]int32{1, 4}, vals(0.5, 2))
		a.AppendRow(nil, vals())
		c.AppendRow([]int32{0, 8}, vals(-1, 3))
		want := New(9, binary)
		want.AppendRow([]int32{1, 4}, vals(0.5, 2))
		want.AppendRow(nil, vals())
		want.AppendRow([]int32{0, 8}, vals(-1, 3))

		pieces := []*Matrix{a, b, c}
		got := Join(9, binary, pieces)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("binary %v: Join = %+v, want %+v", binary, got, want)
		}
		if cap(got.Indices) != 4 || cap(got.Indptr) != 4 || (!binary && cap(got.Values) != 4) {
			t.Errorf("binary %v: capacities %d, %d, %d, want 4 (exactly the entries and rows)", binary, cap(got.Indices), cap(got.Indptr), cap(got.Values))
		}
		if err := got.Validate(); err != nil {
			t.Errorf("binary %v: %v", binary, err)
		}
		for i, p := range pieces {
			if p != nil {
				t.Errorf("binary %v: piece %d kept after the join", binary, i)
			}
		}
		if e := Join(9, binary, nil); e.Rows != 0 || e.Cols != 9 || e.Binary() != binary || len(e.Indptr) != 1 {
			t.Errorf("binary %v: Join of nothing = %+v", binary, e)
		}
	}
}
