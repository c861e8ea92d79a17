package pipeline

import (
	"math/bits"
	"runtime"
	"sort"
	"sync/atomic"
	"time"

	"github.com/dlc-dev/dlc/internal/gd"
)

// pieceValues is the values (8 MB) one task of a snapshot's copy covers:
// the IMDB recipe's 14 million weights are 14 tasks, which the cores
// share while training waits for the copy (the writer is idle then: Save
// waited for it).
const pieceValues = 1 << 20

// rangeCopy copies ranges (in order, not overlapping) of each src into its
// dst, as parallel tasks of pieceValues values each.
type rangeCopy struct {
	dst, src [][]float64
	ranges   [][2]int
}

// Do implements parallel.Tasks: task t copies the ranges' parts within
// [t·pieceValues, (t+1)·pieceValues).
func (c *rangeCopy) Do(t int) {
	lo, hi := t*pieceValues, (t+1)*pieceValues
	i := sort.Search(len(c.ranges), func(i int) bool { return c.ranges[i][1] > lo })
	for ; i < len(c.ranges) && c.ranges[i][0] < hi; i++ {
		a, b := max(lo, c.ranges[i][0]), min(hi, c.ranges[i][1])
		for k, d := range c.dst {
			copy(d[a:b], c.src[k][a:b])
		}
	}
}

// weights are the arrays of a State as long as its weights: the weights
// and, by name, the update rule's arrays of that length.
func weights(s *gd.State) (params []float64, slots map[string][]float64) {
	n := len(s.Params)
	slots = map[string][]float64{}
	for k, v := range s.Optimizer.Slots {
		if len(v) == n && v != nil {
			slots[k] = v
		}
	}
	return s.Params, slots
}

// takeWeights copies s's weights and the update rule's arrays as long
// as them into the snapshot's buffers, which st (the copy of s) then
// holds: only what s.Changed says changed when incremental (the buffers
// hold the last take's copy; see take), everything otherwise, in parallel
// pieces; or, when s is Deferred, leaves that copy to sn.later (see
// deferredCopy). The rule's other arrays are copied as they are.
func (sn *snapshot) takeWeights(s, st *gd.State, incremental bool) {
	params, slots := weights(s)
	n := len(params)
	if sn.slots == nil {
		sn.slots = map[string][]float64{}
	}
	incremental = incremental && len(sn.params) == n
	for k := range slots {
		incremental = incremental && len(sn.slots[k]) == n
	}
	c := &sn.copy
	c.dst, c.src = c.dst[:0], c.src[:0]
	add := func(buf *[]float64, src []float64) []float64 {
		if len(*buf) != n {
			*buf = make([]float64, n)
		}
		c.dst, c.src = append(c.dst, *buf), append(c.src, src)
		return *buf
	}
	if params != nil {
		st.Params = add(&sn.params, params)
	}
	st.Optimizer.Slots = make(map[string][]float64, len(s.Optimizer.Slots))
	for k, v := range s.Optimizer.Slots {
		buf := sn.slots[k]
		if _, ok := slots[k]; ok {
			st.Optimizer.Slots[k] = add(&buf, v)
		} else {
			st.Optimizer.Slots[k] = fill(&buf, v)
		}
		sn.slots[k] = buf
	}
	c.ranges = c.ranges[:0]
	if incremental {
		s.Changed.Ranges(func(lo, hi int) { c.ranges = append(c.ranges, [2]int{lo, hi}) })
	} else if n > 0 {
		c.ranges = append(c.ranges, [2]int{0, n})
	}
	if s.Deferred && s.Changed != nil {
		sn.later.start(c.dst, c.src, n, c.ranges)
		sn.copying = &sn.later
	} else {
		sn.group.Run((n+pieceValues-1)/pieceValues, n*len(c.dst), c)
	}
	c.dst, c.src = c.dst[:0], c.src[:0] // not to keep the trainer's arrays
}

// copyBlock is the values a bit of a deferredCopy stands for: a
// first-layer row of the IMDB recipe, what one update writes at a time.
const copyBlock = 32

// deferredCopy is a snapshot's copy of the weights and the update rule's
// arrays as long as them that a DeferredCopier makes after Save returned,
// while training goes on (see gd.DeferredCopier): the writer's goroutine
// copies the blocks still to be copied (run) before it writes them, and
// training, before an update writes its spans, copies the blocks of them
// still to be copied itself (protect), so that the copy holds each block
// as it stood at the Save. A block is claimed by clearing its bit in
// pending, the writer's up to 8 at once; whoever claims counts itself in
// the word's busy first, so that an update finding its block's bit
// already cleared waits (a microsecond) for the writer to be done with
// them, and the writer, done, for a block an update is still copying.
type deferredCopy struct {
	dst, src [][]float64
	n        int
	pending  []atomic.Uint64 // a bit per copyBlock values still to be copied
	busy     []atomic.Int32  // per word of pending: those copying its blocks
	done     chan struct{}   // closed once everything is copied
	finished atomic.Bool     // done is closed
}

// start sets d to copy ranges (in order, not overlapping) of each src
// (n values) into its dst.
func (d *deferredCopy) start(dst, src [][]float64, n int, ranges [][2]int) {
	d.dst, d.src, d.n = append(d.dst[:0], dst...), append(d.src[:0], src...), n
	words := (n + copyBlock*64 - 1) / (copyBlock * 64)
	if len(d.pending) != words {
		d.pending, d.busy = make([]atomic.Uint64, words), make([]atomic.Int32, words)
	}
	for i := range d.pending {
		d.pending[i].Store(0)
	}
	for _, r := range ranges {
		// The range's blocks [lo, hi), a word's share at a time.
		for lo, hi := r[0]/copyBlock, (r[1]-1)/copyBlock+1; lo < hi; {
			w := lo >> 6
			end := min(hi, (w+1)<<6)
			mask := ^uint64(0) << (lo & 63)
			if end&63 != 0 {
				mask &= 1<<(end&63) - 1
			}
			d.pending[w].Store(d.pending[w].Load() | mask)
			lo = end
		}
	}
	d.done = make(chan struct{})
	d.finished.Store(false)
}

// run copies every block still to be copied, word by word; for the
// writer's goroutine.
func (d *deferredCopy) run() {
	for w := range d.pending {
		p := &d.pending[w]
		for old := p.Load(); old != 0; old = p.Load() {
			// A claim takes the blocks of the lowest byte of the word
			// that has any, so that an update waiting for the word waits
			// for the copy of 8 blocks (4 KiB of each array) at most, not
			// 64, should the writer's thread be descheduled in between.
			group := uint64(0xff) << (bits.TrailingZeros64(old) &^ 7)
			d.busy[w].Add(1)
			if p.CompareAndSwap(old, old&^group) {
				d.copyBlocks(w, old&group)
			}
			d.busy[w].Add(-1)
		}
	}
	for w := range d.busy {
		waitIdle(&d.busy[w]) // an update copying a block it claimed
	}
	d.finished.Store(true)
	close(d.done)
}

// protect copies the blocks of spans still to be copied, and waits for
// those the writer is copying; for training, before it writes spans.
func (d *deferredCopy) protect(spans [][2]int) {
	if d.finished.Load() {
		return
	}
	for _, s := range spans {
		if s[0] >= s[1] {
			continue
		}
		for b, end := s[0]/copyBlock, (s[1]-1)/copyBlock; b <= end; b++ {
			d.claim(b)
		}
	}
}

// claim copies block b when it is still to be copied, or waits for the
// writer when it took the block's word.
func (d *deferredCopy) claim(b int) {
	w, bit := b>>6, uint64(1)<<(b&63)
	p := &d.pending[w]
	if p.Load()&bit != 0 {
		d.busy[w].Add(1)
		for old := p.Load(); old&bit != 0; old = p.Load() {
			if p.CompareAndSwap(old, old&^bit) {
				d.copyBlocks(w, bit)
				d.busy[w].Add(-1)
				return
			}
		}
		d.busy[w].Add(-1)
	}
	waitIdle(&d.busy[w])
}

// waitIdle waits until no one copies blocks of a word (busy is 0):
// yielding at first, then sleeping, so that a wait for the writer's
// thread, which the kernel may have taken off its core (a loaded
// machine), does not spin away the core it needs.
func waitIdle(busy *atomic.Int32) {
	for i := 0; busy.Load() != 0; i++ {
		if i < 50 {
			runtime.Gosched()
		} else {
			time.Sleep(20 * time.Microsecond)
		}
	}
}

// copyBlocks copies the blocks of word w whose bits are set, a run of
// them at a time.
func (d *deferredCopy) copyBlocks(w int, set uint64) {
	for set != 0 {
		lo := bits.TrailingZeros64(set)
		hi := bits.TrailingZeros64(^(set >> lo)) + lo // the run's end
		a, b := (w*64+lo)*copyBlock, min(d.n, (w*64+hi)*copyBlock)
		for k, dst := range d.dst {
			copy(dst[a:b], d.src[k][a:b])
		}
		if hi == 64 {
			return
		}
		set &^= (1<<hi - 1)
	}
}

// settle waits for the copy; for training, which may then write
// anywhere.
func (d *deferredCopy) settle() {
	<-d.done
	clear(d.src) // not to keep the trainer's arrays
}
