package gd

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestChangeTrackerRanges: after random spans (short and long, some
// across many words of the bitmap, some ending in the last partial
// block), Ranges yields, in order, the blocks the spans touch and no
// other, merged into runs that neither overlap nor touch; All yields the
// whole, and clear forgets everything.
func TestChangeTrackerRanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, n := range []int{1, 31, 32, 33, 64*changeBlock - 1, 64 * changeBlock, 5*64*changeBlock + 17} {
		for trial := range 50 {
			tr := newChangeTracker(n)
			var all []string
			tr.Ranges(func(lo, hi int) { all = append(all, fmt.Sprint(lo, hi)) })
			if fmt.Sprint(all) != fmt.Sprintf("[0 %d]", n) {
				t.Fatalf("n %d: a new tracker's ranges %v, want the whole", n, all)
			}
			tr.clear()
			want := make([]bool, n) // the values in a changed block
			var spans [][2]int
			for range rng.IntN(6) {
				lo := rng.IntN(n)
				hi := lo + 1 + rng.IntN(min(n-lo, []int{3, 40, 5000}[rng.IntN(3)]))
				spans = append(spans, [2]int{lo, hi})
				for b := lo / changeBlock; b*changeBlock < hi; b++ {
					for i := b * changeBlock; i < min(n, (b+1)*changeBlock); i++ {
						want[i] = true
					}
				}
			}
			tr.markSpans(spans)
			got := make([]bool, n)
			last := -1
			tr.Ranges(func(lo, hi int) {
				if lo <= last || lo >= hi || hi > n {
					t.Fatalf("n %d, trial %d: range [%d, %d) after one ending at %d", n, trial, lo, hi, last)
				}
				for i := lo; i < hi; i++ {
					got[i] = true
				}
				last = hi
			})
			for i := range n {
				if got[i] != want[i] {
					t.Fatalf("n %d, trial %d, spans %v: value %d changed %v, want %v", n, trial, spans, i, got[i], want[i])
				}
			}
			tr.clear()
			tr.Ranges(func(lo, hi int) { t.Fatalf("n %d: [%d, %d) changed after clear", n, lo, hi) })
		}
	}
}
