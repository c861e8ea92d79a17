package mlp

import (
	"gonum.org/v1/gonum/floats"

	"github.com/dlc-dev/dlc/internal/sparse"
)

// The kernels of the forward and backward passes. Every one of them adds
// its terms to an output element in one fixed order (the order of the
// input's rows or columns), whatever part of the work a goroutine is given:
// that is what makes a model file independent of the number of cores.
//
// They are built on gonum's axpy (y += a·x) and dot product, which have
// SSE2 assembly on amd64: on MNIST's 512-wide rows the axpy is about twice
// as fast as a plain Go loop. Gonum's Dgemm is itself an axpy per non-zero
// element of A (it skips zeros), so a sparse input row is exactly Dgemm's
// loop without the scan over the zeros; on a batch of MNIST digits (19 %
// non-zero) it is four times faster than Dgemm on the densified batch
// (BenchmarkFirstLayer).

// shortRow is the row width below which axpy runs as a Go loop: for the
// IMDB notebook's 16 units the call into assembly costs more than it saves.
const shortRow = 32

// axpy adds a·x to y (len(y) ≥ len(x)). The short loop rounds a·x before
// adding, as the assembly does, so that the compiler may not fuse the two
// into one FMA instruction (which rounds once): both paths give the same
// bits on every machine.
func axpy(a float64, x, y []float64) {
	if len(x) >= shortRow {
		floats.AddScaled(y[:len(x)], a, x)
		return
	}
	y = y[:len(x)]
	for i, v := range x {
		y[i] += float64(a * v)
	}
}

// add adds x to y (len(y) ≥ len(x)): axpy with a = 1, which multiplies
// exactly.
func add(x, y []float64) {
	if len(x) >= shortRow {
		floats.Add(y[:len(x)], x)
		return
	}
	y = y[:len(x)]
	for i, v := range x {
		y[i] += v
	}
}

// sparseAccumulate adds x · W to z for one sparse row x (idx, vals; nil vals
// = all ones), W being row-major with width columns: only the rows of W that
// x names are read.
func sparseAccumulate(z, w []float64, width int, idx []int32, vals []float64) {
	if vals == nil {
		for _, f := range idx {
			add(w[int(f)*width:int(f+1)*width], z)
		}
		return
	}
	for k, f := range idx {
		axpy(vals[k], w[int(f)*width:int(f+1)*width], z)
	}
}

// gemmNN adds a · b to c for row-major a (m×k), b (k×n) and c (m×n): row by
// row, an axpy of b's row l for every non-zero a[i,l], l ascending (gonum's
// Dgemm order). A short row of c (the output layer's 10 units) is summed
// in a buffer on the stack, without a call per term.
func gemmNN(m, n, k int, a, b, c []float64) {
	if n <= maxShort {
		var buf [maxShort]float64
		s := buf[:n]
		for i := range m {
			ci := c[i*n : (i+1)*n]
			copy(s, ci)
			for l, v := range a[i*k : (i+1)*k] {
				if v != 0 {
					for j, bj := range b[l*n : (l+1)*n] {
						s[j] += float64(v * bj)
					}
				}
			}
			copy(ci, s)
		}
		return
	}
	for i := range m {
		ci := c[i*n : (i+1)*n]
		for l, v := range a[i*k : (i+1)*k] {
			if v != 0 {
				axpy(v, b[l*n:(l+1)*n], ci)
			}
		}
	}
}

// maxShort is the widest row the short-row kernels sum on the stack.
const maxShort = 16

// gemmNT sets c = a · bᵀ for row-major a (m×k), b (n×k) and c (m×n): each
// element one dot product.
func gemmNT(m, n, k int, a, b, c []float64) {
	for i := range m {
		ai := a[i*k : (i+1)*k]
		ci := c[i*n : (i+1)*n]
		for j := range ci {
			ci[j] = 0
			ci[j] += dot(ai, b[j*k:(j+1)*k])
		}
	}
}

// dot returns Σ x[i]·y[i] (len(y) ≥ len(x)) exactly as gonum's SSE2
// assembly sums it: four running sums (i mod 4), the 1-3 left over added
// to the first, then (s0+s2) + (s1+s3). Short vectors (the output layer's
// units) are summed in Go without the call; TestDotMatchesGonum holds the
// two to the same bits.
func dot(x, y []float64) float64 {
	if len(x) >= shortRow {
		return floats.Dot(x, y[:len(x)])
	}
	y = y[:len(x)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += float64(x[i] * y[i])
		s1 += float64(x[i+1] * y[i+1])
		s2 += float64(x[i+2] * y[i+2])
		s3 += float64(x[i+3] * y[i+3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i] * y[i])
	}
	return (s0 + s2) + (s1 + s3)
}

// gemmTNRows sets rows lo..hi of c = aᵀ · b, for a (m×k) and b (m×n)
// row-major and c (k×n): for each row r of a and b in order, c[i,:] +=
// a[r,i]·b[r,:] over the non-zero a[r,i]. Different row ranges of c can be
// computed at the same time. A short row of c is summed on the stack.
func gemmTNRows(lo, hi, m, n, k int, a, b, c []float64) {
	if n <= maxShort {
		var buf [maxShort]float64
		s := buf[:n]
		for i := lo; i < hi; i++ {
			clear(s)
			for r := range m {
				if v := a[r*k+i]; v != 0 {
					for j, bj := range b[r*n : (r+1)*n] {
						s[j] += float64(v * bj)
					}
				}
			}
			copy(c[i*n:(i+1)*n], s)
		}
		return
	}
	clear(c[lo*n : hi*n])
	for r := range m {
		br := b[r*n : (r+1)*n]
		for i, v := range a[r*k+lo : r*k+hi] {
			if v != 0 {
				axpy(v, br, c[(lo+i)*n:(lo+i+1)*n])
			}
		}
	}
}

// columnSums sets s to the sums of the columns of the m×n row-major a,
// adding row by row.
func columnSums(m, n int, a, s []float64) {
	clear(s)
	for r := range m {
		for j, v := range a[r*n : (r+1)*n] {
			s[j] += v
		}
	}
}

// byFeature is a batch of sparse rows turned on its side (compressed sparse
// columns): for each feature the batch contains, the batch rows holding it
// (ascending) and their values. The first layer's weight gradient is then
// computed one weight row at a time, each written by one task and summed
// in batch order, instead of scattered by every example in turn.
type byFeature struct {
	features []int32   // the batch's features, in order of first appearance
	start    []int32   // entries of features[k]: start[k]..start[k+1]
	row      []int32   // batch position of each entry
	val      []float64 // value of each entry (nil for a binary matrix)
	count    []int32   // per input feature: entries in the batch (0 between calls)
	pos      []int32   // per input feature: next entry to fill
	stamp    []uint32  // per input feature: gen when the batch holds it
	gen      uint32
}

// holds reports whether the batch c was last built from holds feature f.
func (c *byFeature) holds(f int32) bool { return c.stamp[f] == c.gen }

// build fills c from the given rows of x, which has inputs columns.
func (c *byFeature) build(x *sparse.Matrix, rows []int, inputs int) {
	if len(c.count) != inputs {
		c.count = make([]int32, inputs)
		c.pos = make([]int32, inputs)
		c.stamp = make([]uint32, inputs)
		c.gen = 0
	}
	c.gen++
	if c.gen == 0 { // wrapped around: start the stamps afresh
		clear(c.stamp)
		c.gen = 1
	}
	c.features = c.features[:0]
	nnz := 0
	for _, row := range rows {
		idx, _ := x.Row(row)
		nnz += len(idx)
		for _, f := range idx {
			if c.count[f] == 0 {
				c.features = append(c.features, f)
				c.stamp[f] = c.gen
			}
			c.count[f]++
		}
	}
	c.start = c.start[:0]
	var off int32
	for _, f := range c.features {
		c.start = append(c.start, off)
		c.pos[f] = off
		off += c.count[f]
		c.count[f] = 0
	}
	c.start = append(c.start, off)
	if cap(c.row) < nnz {
		c.row = make([]int32, nnz)
	}
	c.row = c.row[:nnz]
	binary := x.Binary()
	if !binary {
		if cap(c.val) < nnz {
			c.val = make([]float64, nnz)
		}
		c.val = c.val[:nnz]
	}
	for r, row := range rows {
		idx, vals := x.Row(row)
		for k, f := range idx {
			p := c.pos[f]
			c.row[p] = int32(r)
			if !binary {
				c.val[p] = vals[k]
			}
			c.pos[f] = p + 1
		}
	}
	if binary {
		c.val = nil
	}
}

// gradRows sets the first-layer weight-gradient rows of features
// c.features[lo:hi]: row f of gW = Σ x[r,f]·d[r,:] over the batch rows r
// holding f, in batch order.
func (c *byFeature) gradRows(lo, hi, width int, d, gW []float64) {
	for k := lo; k < hi; k++ {
		f := int(c.features[k])
		g := gW[f*width : (f+1)*width]
		clear(g)
		for p := c.start[k]; p < c.start[k+1]; p++ {
			r := int(c.row[p])
			dr := d[r*width : (r+1)*width]
			if c.val == nil {
				add(dr, g)
			} else {
				axpy(c.val[p], dr, g)
			}
		}
	}
}
