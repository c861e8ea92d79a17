package mlp

import (
	"syscall"
	"testing"
	"unsafe"
)

// TestAxpy2x12StaysInItsRows: axpy2x12 reads b's rows and the two output
// rows through lane masks, never past n, so a row that ends at the end of
// mapped memory does not fault. The rows are placed right before a page
// that cannot be read.
func TestAxpy2x12StaysInItsRows(t *testing.T) {
	if !haveShortAVX {
		t.Skip("this processor has no AVX")
	}
	page := syscall.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 2*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skipf("cannot map memory: %v", err)
	}
	defer syscall.Munmap(mem)
	if err := syscall.Mprotect(mem[page:], syscall.PROT_NONE); err != nil {
		t.Skipf("cannot protect a page: %v", err)
	}
	all := unsafe.Slice((*float64)(unsafe.Pointer(&mem[0])), page/8)
	for n := 1; n <= maxShortAVX; n++ {
		const terms = 3
		b := all[len(all)-terms*n:]
		s0 := all[len(all)-terms*n-n : len(all)-terms*n]
		s1 := make([]float64, n)
		x := []float64{1, 2, 3, 4, 5, 6}
		for i := range b {
			b[i] = float64(i)
		}
		clear(s0)
		// The last row of b ends the readable memory.
		axpy2x12(&s0[0], &s1[0], n, &x[0], 8, 16, &b[0], 8*n, terms)
		for j := range n {
			if want := 1*b[j] + 3*b[n+j] + 5*b[2*n+j]; s0[j] != want {
				t.Fatalf("n=%d: s0[%d] = %v, want %v", n, j, s0[j], want)
			}
		}
		// So does the second output row here.
		axpy2x12(&s1[0], &b[len(b)-n], n, &x[0], 8, 16, &b[0], 8*n, 1)
	}
}
