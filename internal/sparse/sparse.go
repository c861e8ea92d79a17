// Package sparse holds the compressed-sparse-row matrix that the vectorizer
// produces and the network consumes, so that neither package imports the other.
package sparse

import (
	"fmt"
	"slices"
)

// Matrix is a compressed-sparse-row (CSR) matrix of Rows × Cols.
//
// Row i holds the column indices Indices[Indptr[i]:Indptr[i+1]] (strictly
// increasing) and, when Values is non-nil, the matching values; a nil Values
// means every stored entry is 1 (a multi-hot matrix), which halves the memory
// of the notebook's bag-of-words rows.
type Matrix struct {
	Rows, Cols int
	Indptr     []int
	Indices    []int32
	Values     []float64
}

// New returns an empty matrix with Cols columns, ready for AppendRow.
func New(cols int, binary bool) *Matrix {
	m := &Matrix{Cols: cols, Indptr: []int{0}}
	if !binary {
		m.Values = []float64{}
	}
	return m
}

// Binary reports whether every stored value is 1 (Values is nil).
func (m *Matrix) Binary() bool { return m.Values == nil }

// NNZ returns the number of stored entries.
func (m *Matrix) NNZ() int { return len(m.Indices) }

// Row returns the indices and values of row i; vals is nil for a binary matrix.
// The slices alias the matrix storage.
func (m *Matrix) Row(i int) (idx []int32, vals []float64) {
	lo, hi := m.Indptr[i], m.Indptr[i+1]
	if m.Values == nil {
		return m.Indices[lo:hi], nil
	}
	return m.Indices[lo:hi], m.Values[lo:hi]
}

// AppendRow adds a row. idx must be strictly increasing and within [0, Cols);
// vals must be nil for a binary matrix and len(idx) long otherwise.
func (m *Matrix) AppendRow(idx []int32, vals []float64) {
	m.Indices = append(m.Indices, idx...)
	if m.Values != nil {
		m.Values = append(m.Values, vals...)
	}
	m.Indptr = append(m.Indptr, len(m.Indices))
	m.Rows++
}

// Reset empties m, keeping its storage for reuse.
func (m *Matrix) Reset() {
	m.Rows = 0
	m.Indptr = append(m.Indptr[:0], 0)
	m.Indices = m.Indices[:0]
	if m.Values != nil {
		m.Values = m.Values[:0]
	}
}

// Clone returns a copy of m whose storage is exactly as large as its
// entries.
func (m *Matrix) Clone() *Matrix {
	c := &Matrix{Rows: m.Rows, Cols: m.Cols, Indptr: slices.Clone(m.Indptr), Indices: slices.Clone(m.Indices)}
	if m.Values != nil {
		c.Values = append(make([]float64, 0, len(m.Values)), m.Values...)
	}
	return c
}

// Append adds all rows of o, which must have the same column count and kind.
func (m *Matrix) Append(o *Matrix) {
	base := len(m.Indices)
	m.Indices = append(m.Indices, o.Indices...)
	if m.Values != nil {
		m.Values = append(m.Values, o.Values...)
	}
	for _, p := range o.Indptr[1:] {
		m.Indptr = append(m.Indptr, base+p)
	}
	m.Rows += o.Rows
}

// Join returns the rows of pieces, in order, in one matrix of cols columns
// (binary or not, as the pieces are) whose storage is made exactly as large
// as their entries at once: each row is copied once, where a matrix grown
// piece by piece is copied again each time it doubles. Each entry of
// pieces is set to nil once its rows are copied, so that its memory can be
// freed while the rest are joined.
func Join(cols int, binary bool, pieces []*Matrix) *Matrix {
	rows, nnz := 0, 0
	for _, p := range pieces {
		rows, nnz = rows+p.Rows, nnz+p.NNZ()
	}
	out := New(cols, binary)
	out.Indptr = make([]int, 1, rows+1)
	out.Indices = make([]int32, 0, nnz)
	if out.Values != nil {
		out.Values = make([]float64, 0, nnz)
	}
	for i, p := range pieces {
		out.Append(p)
		pieces[i] = nil
	}
	return out
}

// Validate checks the structural invariants; it is used on data read from
// outside (a model file, an svmlight file) before any row is indexed.
func (m *Matrix) Validate() error {
	if len(m.Indptr) != m.Rows+1 || m.Indptr[0] != 0 || m.Indptr[m.Rows] != len(m.Indices) {
		return fmt.Errorf("sparse: row pointers do not match %d rows and %d entries", m.Rows, len(m.Indices))
	}
	if m.Values != nil && len(m.Values) != len(m.Indices) {
		return fmt.Errorf("sparse: %d values for %d indices", len(m.Values), len(m.Indices))
	}
	for i := 0; i < m.Rows; i++ {
		lo, hi := m.Indptr[i], m.Indptr[i+1]
		if hi < lo {
			return fmt.Errorf("sparse: row %d has negative length", i)
		}
		prev := int32(-1)
		for _, c := range m.Indices[lo:hi] {
			if c <= prev || int(c) >= m.Cols {
				return fmt.Errorf("sparse: row %d has column %d out of order or out of range [0,%d)", i, c, m.Cols)
			}
			prev = c
		}
	}
	return nil
}
