package mlp

// accumRows32 adds alphas[k] · m's row rows[k] (rows of width float32s)
// to z for every k in order: what a Saxpy per term does, each product
// rounded to float32 and then added, so the sums have the same bits
// whichever runs. Where the processor has AVX, 64 columns at a time are
// summed in registers over all the terms (accum64) instead of z being read
// and written back once a term; the columns past the last multiple of 64
// go through Saxpy. On MNIST's 512-wide first layer this is the float32
// forward pass and weight gradient (sparseAccumulate32, scatterFeatures32).
func accumRows32(z, m []float32, width int, rows []int32, alphas []float32) {
	wide := 0
	if haveAccum64 && len(rows) > 0 {
		wide = width &^ 63
		for _, r := range rows {
			_ = m[int(r)*width+width-1] // the rows are in m
		}
		_ = z[width-1]
		for c := 0; c < wide; c += 64 {
			accum64(&z[c], &m[c], width, rows, alphas)
		}
	}
	if wide == width {
		return
	}
	for k, r := range rows {
		sblas.Saxpy(width-wide, alphas[k], m[int(r)*width+wide:int(r+1)*width], 1, z[wide:width], 1)
	}
}
