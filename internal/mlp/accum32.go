package mlp

// accumRows32 adds alphas[k] · m's row rows[k] (rows of width float32s)
// to z for every k in order: what a Saxpy per term does, each product
// rounded to float32 and then added, so the sums have the same bits
// whichever runs. Where the processor has AVX, a block of columns at a
// time is summed in registers over all the terms (see colBlocks) instead
// of z being read and written back once a term; the columns past the
// blocks go through Saxpy. On MNIST's 512-wide first layer this is the
// float32 weight gradient (scatterFeatures32); sparseAccumulateRows32 is
// the forward pass.
func accumRows32(z, m []float32, width int, rows []int32, alphas []float32) {
	wide := 0
	if haveAccum64 && len(rows) > 0 {
		checkRows(m, width, rows)
		_ = z[width-1]
		wide = colBlocks(width, func(c, cols int) {
			accumBlock(cols)(&z[c], &m[c], width, rows, alphas)
		})
	}
	if wide == width {
		return
	}
	for k, r := range rows {
		sblas.Saxpy(width-wide, alphas[k], m[int(r)*width+wide:int(r+1)*width], 1, z[wide:width], 1)
	}
}

// colBlocks calls block(c, cols) for the blocks of columns of a row of
// width the register kernels sum, in order: 128 columns at a time where
// the processor has AVX-512 (accum128), then 64 (accum64); it returns
// the columns they cover, the rest being Saxpy's. Call it only where
// haveAccum64.
func colBlocks(width int, block func(c, cols int)) int {
	c := 0
	if haveAccum128 {
		for ; c+128 <= width; c += 128 {
			block(c, 128)
		}
	}
	for ; c+64 <= width; c += 64 {
		block(c, 64)
	}
	return c
}

// accumBlock is the kernel of a block of cols (128 or 64) columns.
func accumBlock(cols int) func(z, w *float32, width int, rows []int32, alphas []float32) {
	if cols == 128 {
		return accum128
	}
	return accum64
}
