package mlp

// accumRows adds alphas[k] · m's row rows[k] (rows of width float64s) to
// z for every k in order: what an axpy per term does (gonum's multiplies
// and then adds, element by element, no fused multiply-add), so the sums
// have the same bits whichever runs. Where the processor has AVX, a block
// of columns at a time is summed in registers over all the terms instead
// of z being read and written back once a term, four or eight columns an
// instruction where gonum's SSE2 takes two; the columns past the blocks
// go through axpy. It is the float64 first layer's forward pass
// (sparseAccumulate) and weight gradient by feature (scatterFeatures):
// the R52 and R8 recipes' 256-wide rows, and the IMDB notebook's 16-wide
// ones, where a call of gonum's per term cost more than its arithmetic.
func accumRows(z, m []float64, width int, rows []int32, alphas []float64) {
	if len(rows) == 0 {
		return
	}
	accumFrom(z, false, m, width, rows, alphas)
}

// setRows sets z (width long) to what accumRows adds to a cleared z, with
// the same bits: the register kernels start their sums from +0
// (zeroBlock) instead of reading z, which spares the clearing of a weight
// gradient's row before it is summed (scatterFeatures; a tenth of a
// character-n-gram member's training in its profile, mostly the first
// touch of a row far in memory).
func setRows(z, m []float64, width int, rows []int32, alphas []float64) {
	if len(rows) == 0 {
		clear(z[:width])
		return
	}
	accumFrom(z, true, m, width, rows, alphas)
}

// checkRows panics (an index out of range) unless each of rows is a
// whole row of m (width values): the assembly kernels that take rows of m
// by pointer read and write them unchecked.
func checkRows[T float32 | float64](m []T, width int, rows []int32) {
	for _, r := range rows {
		_ = m[int(r)*width+width-1]
	}
}

// zeroBlock is where setRows's register sums start: one block of +0s.
var zeroBlock [64]float64

// accumFrom is accumRows (len(rows) > 0), or with set, setRows.
func accumFrom(z []float64, set bool, m []float64, width int, rows []int32, alphas []float64) {
	_ = alphas[len(rows)-1]
	wide := 0
	if haveAccumD32 && width >= minAccumWidth {
		checkRows(m, width, rows)
		_ = z[width-1]
		from := func(col int) *float64 {
			if set {
				return &zeroBlock[0]
			}
			return &z[col]
		}
		if haveAccumD64 {
			for ; wide+64 <= width; wide += 64 {
				accumD64(&z[wide], from(wide), &m[wide], width, rows, alphas)
			}
		}
		for ; wide+32 <= width; wide += 32 {
			accumD32(&z[wide], from(wide), &m[wide], width, rows, alphas)
		}
		if wide+16 <= width {
			accumD16(&z[wide], from(wide), &m[wide], width, rows, alphas)
			wide += 16
		}
	}
	if wide == width {
		return
	}
	if set {
		clear(z[wide:width])
	}
	for k, r := range rows {
		axpy(alphas[k], m[int(r)*width+wide:int(r+1)*width], z[wide:width])
	}
}

// minAccumWidth is the narrowest row accumRows sums in registers: one
// block of 16 columns (accumD16).
const minAccumWidth = 16

// onesD are the factors of a multi-hot row's terms, termChunk at a time:
// 1·w is w exactly, so a term adds what add would.
var onesD = func() (o [termChunk]float64) {
	for i := range o {
		o[i] = 1
	}
	return o
}()

// accumOnes is accumRows with every factor 1 (a multi-hot batch), in
// chunks of termChunk terms: z is written back between the chunks, which
// changes nothing in its bits.
func accumOnes(z, m []float64, width int, rows []int32) {
	for lo := 0; lo < len(rows); lo += termChunk {
		hi := min(lo+termChunk, len(rows))
		accumRows(z, m, width, rows[lo:hi], onesD[:hi-lo])
	}
}

// scatterOnes adds d (a multi-hot row's delta, width long) to the row of m
// of each feature in rows, in order: what add per feature does, element
// by element, so the same bits. Where the processor has AVX, 16 columns
// of d stay in registers over all the features (scatterD16) instead of
// one call of gonum's per feature, which on the IMDB notebook's 16-wide
// first layer cost more than its 16 additions; the columns past the
// blocks go through add.
func scatterOnes(m []float64, width int, rows []int32, d []float64) {
	if len(rows) == 0 {
		return
	}
	wide := 0
	if haveAccumD32 && width >= minAccumWidth {
		checkRows(m, width, rows)
		_ = d[width-1]
		for ; wide+16 <= width; wide += 16 {
			scatterD16(&m[wide], &d[wide], width, rows)
		}
	}
	if wide == width {
		return
	}
	for _, r := range rows {
		add(d[wide:width], m[int(r)*width+wide:int(r+1)*width])
	}
}

// scatterScaled adds alphas[k]·d (d a valued row's delta, width long) to
// the row of m of each feature rows[k], in order: what axpy per feature
// does, element by element (the product rounded, then added), so the same
// bits. Where the processor has AVX, 32 or 16 columns of d stay in
// registers over all the features (scatterAxpyD32, scatterAxpyD16)
// instead of one call of gonum's per feature, which on the IMDB recipe's
// 32-wide first layer over hundreds of tf-idf n-grams a review cost more
// than its 32 multiply-adds; the columns past the blocks go through axpy.
func scatterScaled(m []float64, width int, rows []int32, alphas, d []float64) {
	if len(rows) == 0 {
		return
	}
	_ = alphas[len(rows)-1]
	wide := 0
	if haveAccumD32 && width >= minAccumWidth {
		checkRows(m, width, rows)
		_ = d[width-1]
		for ; wide+32 <= width; wide += 32 {
			scatterAxpyD32(&m[wide], &d[wide], width, rows, alphas)
		}
		if wide+16 <= width {
			scatterAxpyD16(&m[wide], &d[wide], width, rows, alphas)
			wide += 16
		}
	}
	if wide == width {
		return
	}
	for k, r := range rows {
		axpy(alphas[k], d[wide:width], m[int(r)*width+wide:int(r+1)*width])
	}
}
