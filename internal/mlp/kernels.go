package mlp

import (
	"slices"

	"gonum.org/v1/gonum/blas/gonum"
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
// non-zero) it is 1.8 times as fast as Dgemm on the densified batch, and
// still 1.3 times with every input non-zero (BenchmarkFirstLayer -cpu 1).

// axpy adds a·x to y (len(y) ≥ len(x)). Gonum's assembly beats a Go loop
// even on the IMDB notebook's 16-unit rows (BenchmarkGradient/imdb: 1.95
// against 2.3 ms a step with a Go loop below 32 units).
func axpy(a float64, x, y []float64) { floats.AddScaled(y[:len(x)], a, x) }

// add adds x to y (len(y) ≥ len(x)): axpy with a = 1, which multiplies
// exactly.
func add(x, y []float64) { floats.Add(y[:len(x)], x) }

// shortDot is the length below which dot sums in Go rather than calling
// gonum's assembly: the output layer's 1 to 16 units.
const shortDot = 32

// sparseAccumulate adds x · W to z for one sparse row x (idx, vals; nil vals
// = all ones), W being row-major with width columns: only the rows of W that
// x names are read.
func sparseAccumulate(z, w []float64, width int, idx []int32, vals []float64) {
	if haveAccumD32 && width >= minAccumWidth {
		// The row's sums in registers, a block of columns at a time:
		// the same terms in the same order (accumRows).
		if vals == nil {
			accumOnes(z, w, width, idx)
		} else {
			accumRows(z, w, width, idx, vals[:len(idx)])
		}
		return
	}
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
		i0 := 0
		if haveShortAVX && n <= maxShortAVX && m > 0 && k > 0 {
			// Two rows of c at a time in AVX registers: the same terms,
			// the same order, the same bits.
			_, _, _ = a[m*k-1], b[k*n-1], c[m*n-1]
			for ; i0+2 <= m; i0 += 2 {
				axpy2x12(&c[i0*n], &c[(i0+1)*n], n, &a[i0*k], 8*k, 8, &b[0], 8*n, k)
			}
			if i0 < m {
				var spare [maxShortAVX]float64
				axpy2x12(&c[i0*n], &spare[0], n, &a[i0*k], 0, 8, &b[0], 8*n, k)
				i0 = m
			}
		}
		var buf [maxShort]float64
		s := buf[:n]
		for i := i0; i < m; i++ {
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
		if haveAccumD32 && n >= 32 {
			accumNonZero(ci, b, n, a[i*k:(i+1)*k], 1, k)
			continue
		}
		for l, v := range a[i*k : (i+1)*k] {
			if v != 0 {
				axpy(v, b[l*n:(l+1)*n], ci)
			}
		}
	}
}

// gatherChunk is how many terms accumNonZero gathers on the stack before
// handing them to accumRows.
const gatherChunk = 256

// accumNonZero adds a[j·stride] · b's row j (rows of n float64s) to c for
// j < terms in order, skipping the a that are zero (±0), as the axpy loops
// of gemmNN and gemmTNRows skip them: the same terms in the same order
// (accumRows), so the same bits. Relu and dropout make most of a hidden
// layer's activations zero.
func accumNonZero(c, b []float64, n int, a []float64, stride, terms int) {
	var rows [gatherChunk]int32
	var alphas [gatherChunk]float64
	cnt := 0
	for j := range terms {
		if v := a[j*stride]; v != 0 {
			rows[cnt], alphas[cnt] = int32(j), v
			if cnt++; cnt == gatherChunk {
				accumRows(c, b, n, rows[:cnt], alphas[:cnt])
				cnt = 0
			}
		}
	}
	accumRows(c, b, n, rows[:cnt], alphas[:cnt])
}

// maxShort is the widest row the short-row kernels sum on the stack.
const maxShort = 16

// maxShortAVX is the widest row axpy2x12 sums (three AVX vectors): the
// output layer of up to 12 classes, such as MNIST's 10 digits.
const maxShortAVX = 12

// gemmNT sets c = a · bᵀ for row-major a (m×k), b (n×k) and c (m×n): each
// element one dot product. bT, when not nil, is b transposed (k×n), which
// lets dotCols8 take eight elements of a row of c at a time with the bits
// of dot; it is only read where haveShortAVX.
func gemmNT(m, n, k int, a, b, bT, c []float64) {
	wide := 0
	if bT != nil && haveShortAVX && m > 0 && k > 0 {
		wide = n &^ 7
		_, _, _ = a[m*k-1], bT[k*n-1], c[m*n-1]
	}
	for i := range m {
		ai := a[i*k : (i+1)*k]
		ci := c[i*n : (i+1)*n]
		if wide > 0 {
			dotCols8(&ci[0], &ai[0], k, &bT[0], n, wide)
		}
		for j := wide; j < n; j++ {
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
	if len(x) >= shortDot {
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
	if n <= maxShortAVX && haveShortAVX && m > 0 && lo < hi {
		// Two rows of c at a time in AVX registers, summed from +0 as
		// the loop below sums them: the same bits.
		clear(c[lo*n : hi*n])
		_, _ = a[(m-1)*k+hi-1], b[m*n-1]
		i := lo
		for ; i+2 <= hi; i += 2 {
			axpy2x12(&c[i*n], &c[(i+1)*n], n, &a[i], 8, 8*k, &b[0], 8*n, m)
		}
		if i < hi {
			var spare [maxShortAVX]float64
			axpy2x12(&c[i*n], &spare[0], n, &a[i], 0, 8*k, &b[0], 8*n, m)
		}
		return
	}
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
	if haveAccumD32 && n >= 32 {
		// Row by row of c, its terms (a's column, r ascending) summed in
		// registers: every element gets its terms in the order of r, as
		// below.
		for i := lo; i < hi; i++ {
			accumNonZero(c[i*n:(i+1)*n], b, n, a[i:], k, m)
		}
		return
	}
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

// scatterRows adds the outer products xᵀ·d of a batch to the first
// layer's weight gradient gW (width columns), row by row in batch order,
// each of a row's features adding v·d[r] to its weight row. For a narrow
// layer (a weight row of a few cache lines) this beats regrouping the
// batch by feature (scatterFeatures), whose bookkeeping then costs more
// than it saves; both add every element's terms in the same order.
//
// A batch row r with quiet[r] set (quiet nil: none) is left out: its
// deltas are all ±0, so each of its terms is ±0, which leaves a sum
// that started from +0 as it was (such a sum is never -0: in rounding to
// nearest, x + y is -0 only when both are).
func scatterRows(gW []float64, width int, x *sparse.Matrix, rows []int, d []float64, quiet []bool) {
	for r, row := range rows {
		if quiet != nil && quiet[r] {
			continue
		}
		idx, vals := x.Row(row)
		dr := d[r*width : (r+1)*width]
		if vals == nil {
			scatterOnes(gW, width, idx, dr)
			continue
		}
		scatterScaled(gW, width, idx, vals[:len(idx)], dr)
	}
}

// batchColumns is a batch of sparse rows regrouped by feature, the batch's
// transpose: for the k-th feature it touches, feats[k], the entries are
// start[k]..start[k+1] of pos (the row's position in the batch, ascending)
// and val (nil for a multi-hot batch). Built anew for every batch, in time
// and memory proportional to the batch's entries.
type batchColumns struct {
	feats []int32
	start []int32
	pos   []int32
	val   []float64
	// val32 replaces val where f32 is set (by the caller, before build):
	// the values as the float32 first layer's kernel takes them.
	val32 []float32
	f32   bool
	// slot[f].k is feature f's index in feats when slot[f].gen == gen:
	// side by side, one cache line per feature looked up.
	slot []featureSlot
	gen  uint32
	fill []int32
}

type featureSlot struct {
	gen uint32
	k   int32
}

// collect finds the features of the given rows of x (with inputs
// features), in feats in order of first appearance, and counts each one's
// entries in start (build turns the counts into offsets); it returns the
// rows' entries. It is also all that the sparse updates need to know of a
// batch (Objective.Support).
func (c *batchColumns) collect(x *sparse.Matrix, rows []int, inputs int) (nnz int) {
	if len(c.slot) != inputs {
		c.slot, c.gen = make([]featureSlot, inputs), 0
	}
	if c.gen++; c.gen == 0 { // wrapped around: start the stamps afresh
		clear(c.slot)
		c.gen = 1
	}
	c.feats, c.start = c.feats[:0], c.start[:0]
	for _, row := range rows {
		idx, _ := x.Row(row)
		nnz += len(idx)
		for _, f := range idx {
			sl := &c.slot[f]
			if sl.gen != c.gen {
				*sl = featureSlot{c.gen, int32(len(c.feats))}
				c.feats = append(c.feats, f)
				c.start = append(c.start, 0)
			}
			c.start[sl.k]++
		}
	}
	return nnz
}

// build regroups the given rows of x (with inputs features) by feature.
func (c *batchColumns) build(x *sparse.Matrix, rows []int, inputs int) {
	nnz := c.collect(x, rows, inputs)
	var sum int32
	for k, n := range c.start {
		c.start[k], sum = sum, sum+n
	}
	c.start = append(c.start, sum)
	c.fill = append(c.fill[:0], c.start[:len(c.feats)]...)
	c.pos = slices.Grow(c.pos[:0], nnz)[:nnz]
	c.val, c.val32 = c.val[:0], c.val32[:0]
	if x.Binary() {
		for r, row := range rows {
			idx, _ := x.Row(row)
			for _, f := range idx {
				s := c.slot[f].k
				c.pos[c.fill[s]] = int32(r)
				c.fill[s]++
			}
		}
		return
	}
	if c.f32 {
		c.val32 = slices.Grow(c.val32, nnz)[:nnz]
		regroupValues(c, x, rows, c.val32)
		return
	}
	c.val = slices.Grow(c.val, nnz)[:nnz]
	regroupValues(c, x, rows, c.val)
}

// regroupValues places each entry of the given rows of x at its feature's
// next position (c.fill), recording its row in c.pos and its value in dst,
// in the precision the first layer sums in.
func regroupValues[T float32 | float64](c *batchColumns, x *sparse.Matrix, rows []int, dst []T) {
	for r, row := range rows {
		idx, vals := x.Row(row)
		vals = vals[:len(idx)]
		for k, f := range idx {
			s := c.slot[f].k
			p := c.fill[s]
			c.fill[s]++
			c.pos[p] = int32(r)
			dst[p] = T(vals[k])
		}
	}
}

// scatterFeatures sets the first layer's weight gradient gW (width
// columns) to the outer products xᵀ·d of a batch, for the batch's features
// lo..hi (indices into c.feats) only: feature by feature, each weight row
// set to the sum from +0 of v·d[r] of its rows r in batch order (for a
// valued batch in the register kernels, setRows, without clearing the row
// first; else cleared and then added to). Clearing a row here, as its
// sums are about to be written, rather than in a pass of its own before
// (Network.regroup), spares a second trip to memory for the rows of words
// in consecutive batches. Every element of
// gW gets its terms in batch order, as a pass row by row would add them,
// so the features can be split over cores with the very same result. Going
// by feature keeps one weight row in cache while the batch's rows of d
// stream past, instead of a read and a write of a far weight row per entry.
//
// The entries of the batch rows r with quiet[r] set (quiet nil: none) are
// left out, as scatterRows leaves them out: with the hinge loss, most
// rows of a batch past the first epochs meet their margins and pass back
// nothing.
func scatterFeatures(gW []float64, width int, c *batchColumns, lo, hi int, d []float64, quiet []bool) {
	if haveAccumD32 && width >= minAccumWidth {
		// Each weight row's sums in registers, a block of columns at a
		// time: the same terms in the same order (accumRows).
		var rows [gatherChunk]int32
		var alphas [gatherChunk]float64
		for k := lo; k < hi; k++ {
			f := int(c.feats[k])
			g := gW[f*width : (f+1)*width]
			p, q := c.start[k], c.start[k+1]
			if quiet != nil {
				var val []float64
				if c.val != nil {
					val = c.val[p:q]
				}
				setLive(g, d, width, c.pos[p:q], val, quiet, &rows, &alphas)
				continue
			}
			if c.val == nil {
				clear(g)
				accumOnes(g, d, width, c.pos[p:q])
			} else {
				// Summed from +0 in registers: the row is not
				// cleared first.
				setRows(g, d, width, c.pos[p:q], c.val[p:q])
			}
		}
		return
	}
	for k := lo; k < hi; k++ {
		f := int(c.feats[k])
		g := gW[f*width : (f+1)*width]
		clear(g)
		for p := c.start[k]; p < c.start[k+1]; p++ {
			r := int(c.pos[p])
			if quiet != nil && quiet[r] {
				continue
			}
			dr := d[r*width : (r+1)*width]
			if c.val == nil {
				add(dr, g)
			} else {
				axpy(c.val[p], dr, g)
			}
		}
	}
}

// setLive sets g (width long) to the sum from +0 of val[i]·d's row pos[i]
// (val nil: factors of 1) over the i whose row is not quiet, in order,
// gatherChunk terms at a time gathered in rows and alphas (the caller's,
// made once for many features: zeroing them per feature cost more than
// the sums of a row of 32 terms): the bits of setRows
// (or accumOnes onto a cleared row) over all the terms, the quiet rows'
// being ±0 (see scatterRows).
func setLive(g, d []float64, width int, pos []int32, val []float64, quiet []bool, rows *[gatherChunk]int32, alphas *[gatherChunk]float64) {
	set := true
	for lo := 0; lo < len(pos); lo += gatherChunk {
		hi := min(len(pos), lo+gatherChunk)
		n := 0
		for i, r := range pos[lo:hi] {
			if quiet[r] {
				continue
			}
			rows[n], alphas[n] = r, 1
			if val != nil {
				alphas[n] = val[lo+i]
			}
			n++
		}
		if n == 0 {
			continue
		}
		if set {
			setRows(g, d, width, rows[:n], alphas[:n])
			set = false
		} else {
			accumRows(g, d, width, rows[:n], alphas[:n])
		}
	}
	if set {
		clear(g)
	}
}

// sblas is gonum's pure-Go BLAS, for its float32 axpy (SSE assembly:
// four lanes where float64 has two).
var sblas gonum.Implementation

// termChunk is how many terms of a multi-hot batch scatterFeatures32
// hands accumRows32 at a time, with factors of 1 from a buffer on the
// stack.
const termChunk = 256

// sparseAccumulateRows32 is sparseAccumulate in float32 for several rows:
// z (len(rows)×width) += x's rows · W, W being the float32 copy of the
// first layer's kernel; alphas has room for the rows' terms. It goes
// column block by column block (colBlocks), each block through
// all the rows, so that the slice of W one block reads stays in cache
// over the rows instead of all of W streaming past for every row. Every
// element still gets its row's terms in order, the bits of a Saxpy per
// term.
func sparseAccumulateRows32(z, w []float32, width int, x *sparse.Matrix, rows []int, alphas []float32) {
	k := 0
	for _, row := range rows {
		idx, vals := x.Row(row)
		a := alphas[k : k+len(idx)]
		for _, f := range idx {
			_ = w[int(f)*width+width-1] // the rows are in w
		}
		if vals != nil {
			narrow(a, vals)
		} else {
			for i := range a {
				a[i] = 1
			}
		}
		k += len(idx)
	}
	wide := 0
	if haveAccum64 && len(rows) > 0 {
		_ = z[len(rows)*width-1]
		wide = colBlocks(width, func(c, cols int) {
			accum := accumBlock(cols)
			k := 0
			for r, row := range rows {
				idx, _ := x.Row(row)
				if len(idx) > 0 {
					accum(&z[r*width+c], &w[c], width, idx, alphas[k:k+len(idx)])
				}
				k += len(idx)
			}
		})
	}
	if wide == width {
		return
	}
	k = 0
	for r, row := range rows {
		idx, _ := x.Row(row)
		zr := z[r*width+wide : (r+1)*width]
		for i, f := range idx {
			sblas.Saxpy(width-wide, alphas[k+i], w[int(f)*width+wide:int(f+1)*width], 1, zr, 1)
		}
		k += len(idx)
	}
}

// scatterFeatures32 is scatterFeatures in float32: each feature's row of
// the weight gradient is summed in acc (width float32s, the task's own)
// from the float32 deltas d, then stored in gW as float64. c is built
// with f32 set: its values are in val32, or all 1 for a multi-hot batch.
func scatterFeatures32(gW []float64, width int, c *batchColumns, lo, hi int, d, acc []float32) {
	var ones [termChunk]float32
	if len(c.val32) == 0 {
		for i := range ones {
			ones[i] = 1
		}
	}
	for k := lo; k < hi; k++ {
		clear(acc)
		if len(c.val32) > 0 {
			p, q := c.start[k], c.start[k+1]
			accumRows32(acc, d, width, c.pos[p:q], c.val32[p:q])
		} else {
			for p := c.start[k]; p < c.start[k+1]; p += termChunk {
				q := min(p+termChunk, c.start[k+1])
				accumRows32(acc, d, width, c.pos[p:q], ones[:q-p])
			}
		}
		f := int(c.feats[k])
		widen(gW[f*width:(f+1)*width], acc)
	}
}
