package vectorize

import (
	"math/bits"
	"slices"
)

// sortFeatures sorts a text's feature indices, all below limit, in place;
// scratch is reused between calls and returned. Rows of a large vocabulary
// or of hashing buckets hold hundreds of indices, where a least-significant-
// digit radix sort, one pass per byte of the largest index, beats
// comparison sorting by a factor of two to three.
func sortFeatures(a, scratch []int32, limit int) []int32 {
	if len(a) < 96 {
		slices.Sort(a)
		return scratch
	}
	scratch = slices.Grow(scratch[:0], len(a))[:len(a)]
	src, dst := a, scratch
	width := bits.Len(uint(max(0, limit-1)))
	for shift := 0; shift < width; shift += 8 {
		var count [257]int
		for _, x := range src {
			count[(x>>shift)&0xff+1]++
		}
		for i := 1; i < 257; i++ {
			count[i] += count[i-1]
		}
		for _, x := range src {
			d := (x >> shift) & 0xff
			dst[count[d]] = x
			count[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &a[0] {
		copy(a, src)
	}
	return scratch
}
