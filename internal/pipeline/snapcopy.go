package pipeline

import (
	"maps"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

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
// pieces; or, when s is Deferred, copies nothing of them: st holds
// training's own arrays, which sn.live writes (see liveWrite). The rule's
// other arrays are copied as they are.
func (sn *snapshot) takeWeights(s, st *gd.State, incremental bool) {
	params, slots := weights(s)
	n := len(params)
	if sn.slots == nil {
		sn.slots = map[string][]float64{}
	}
	if s.Deferred && s.Changed != nil && n > 0 {
		st.Params = params
		st.Optimizer.Slots = make(map[string][]float64, len(s.Optimizer.Slots))
		arrays := [][]float64{params}
		for _, k := range slices.Sorted(maps.Keys(s.Optimizer.Slots)) {
			v := s.Optimizer.Slots[k]
			if _, ok := slots[k]; ok {
				st.Optimizer.Slots[k] = v
				arrays = append(arrays, v)
				continue
			}
			buf := sn.slots[k]
			st.Optimizer.Slots[k] = fill(&buf, v)
			sn.slots[k] = buf
		}
		sn.live.start(arrays, n, sn.liveBlocks)
		sn.copying, sn.c.Live = &sn.live, &sn.live
		sn.from = nil // the buffers hold no copy of this State
		return
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
	sn.group.Run((n+pieceValues-1)/pieceValues, n*len(c.dst), c)
	c.dst, c.src = c.dst[:0], c.src[:0] // not to keep the trainer's arrays
}

// copyBlock is the values training copies aside at a time (see
// liveWrite): a first-layer row of the IMDB recipe, what one update
// writes at a time.
const copyBlock = 32

// pieceBlocks is the blocks of a piece of a live array (liveWrite): 256
// KiB, written with one system call and checksummed right after, while
// still in the processor's cache.
const pieceBlocks = 1024

// liveWrite writes the weights and the update rule's arrays as long as
// them of a Deferred State (see gd.DeferredCopier) from training's own
// arrays, while training goes on, instead of from a copy: it is the
// checkpoint's checkpoint.LiveArrays. The writer writes an array a piece
// at a time, each while holding the piece's lock, so that an update that
// writes into the piece waits for it (tens of microseconds); an update
// that writes into a piece not yet written first copies each block
// (copyBlock values) it writes there aside, once (protect), and the writer
// writes that copy in the block's place. So the file holds every array
// as it stood at the Save, without the 224 MB of buffers a copy of the
// IMDB recipe's needed (each page of which cost about 14 µs when fresh)
// nor the copy of the 100 MB that changed between two of its
// checkpoints: the side copies are what training wrote ahead of the
// writer, and their memory (side) is kept from one checkpoint to the
// next. Each array has its own pieces: the weights are written before the
// update rule's sums, which an update must still protect after the
// weights' piece at the same place was written.
type liveWrite struct {
	arrays [][]float64 // training's arrays, each n values
	n      int
	blocks int // per piece: pieceBlocks (a test's smaller pieces)
	pieces [][]livePiece
	side   sideArena
	parts  [][]float64 // WriteLive's, reused
	// finished is set, and done closed, once the writer is done with the
	// arrays (the file written, or its writing failed).
	finished atomic.Bool
	done     chan struct{}
}

// livePiece is a piece of a live array.
type livePiece struct {
	mu      sync.Mutex      // the writer's while it writes it; protect's while it copies aside
	written atomic.Bool     // set (under mu) once written
	aside   []asideBlock    // under mu
	copied  []atomic.Uint64 // a bit per block: in aside (set under mu)
}

// asideBlock is the copy of a piece's block (its number in the piece)
// made before training wrote it.
type asideBlock struct {
	block  int
	values []float64
}

// start sets d to write arrays (each n values; in pieces of pieceBlocks
// blocks, or blocks when not 0) for the Save that just took them.
func (d *liveWrite) start(arrays [][]float64, n, blocks int) {
	if blocks == 0 {
		blocks = pieceBlocks
	}
	d.arrays, d.n = append(d.arrays[:0], arrays...), n
	per := (n + blocks*copyBlock - 1) / (blocks * copyBlock)
	if d.blocks != blocks || len(d.pieces) != len(arrays) || len(arrays) > 0 && len(d.pieces[0]) != per {
		d.blocks = blocks
		d.pieces = make([][]livePiece, len(arrays))
		for k := range d.pieces {
			d.pieces[k] = make([]livePiece, per)
			for p := range d.pieces[k] {
				d.pieces[k][p].copied = make([]atomic.Uint64, (blocks+63)/64)
			}
		}
	}
	for k := range d.pieces {
		for p := range d.pieces[k] {
			pc := &d.pieces[k][p]
			pc.written.Store(false)
			pc.aside = pc.aside[:0]
			for i := range pc.copied {
				pc.copied[i].Store(0)
			}
		}
	}
	d.side.reset()
	d.done = make(chan struct{})
	d.finished.Store(false)
}

// WriteLive implements checkpoint.LiveArrays; for the writer's goroutine.
func (d *liveWrite) WriteLive(v []float64, put func(parts [][]float64) error) (bool, error) {
	k := slices.IndexFunc(d.arrays, func(a []float64) bool { return len(a) == len(v) && len(v) > 0 && &a[0] == &v[0] })
	if k < 0 {
		return false, nil
	}
	size := d.blocks * copyBlock
	for p := range d.pieces[k] {
		pc := &d.pieces[k][p]
		lo, hi := p*size, min(d.n, (p+1)*size)
		pc.mu.Lock()
		slices.SortFunc(pc.aside, func(a, b asideBlock) int { return a.block - b.block })
		parts, at := d.parts[:0], lo
		for _, a := range pc.aside {
			if from := lo + a.block*copyBlock; from > at {
				parts = append(parts, v[at:from])
			}
			parts = append(parts, a.values)
			at = lo + a.block*copyBlock + len(a.values)
		}
		if at < hi {
			parts = append(parts, v[at:hi])
		}
		err := put(parts)
		pc.written.Store(true)
		pc.mu.Unlock()
		clear(parts) // not to keep training's arrays
		d.parts = parts[:0]
		if err != nil {
			return true, err
		}
	}
	return true, nil
}

// protect copies aside the blocks of spans of each array whose piece is
// still to be written and that are not copied yet, and waits for a piece
// being written; for training, before it writes spans. A block copied
// aside, or in a piece written, is passed over without the piece's lock
// (most of an update's blocks, the batch's features coming in no order).
func (d *liveWrite) protect(spans [][2]int) {
	if d.finished.Load() {
		return
	}
	for k, v := range d.arrays {
		pieces := d.pieces[k]
		for _, s := range spans {
			if s[0] >= s[1] {
				continue
			}
			for b, end := s[0]/copyBlock, (s[1]-1)/copyBlock; b <= end; b++ {
				pc := &pieces[b/d.blocks]
				i := b % d.blocks
				w, bit := &pc.copied[i>>6], uint64(1)<<(i&63)
				if pc.written.Load() || w.Load()&bit != 0 {
					continue
				}
				pc.mu.Lock() // waits while the writer writes the piece
				if !pc.written.Load() && w.Load()&bit == 0 {
					lo := b * copyBlock
					pc.aside = append(pc.aside, asideBlock{i, d.side.put(v[lo:min(d.n, lo+copyBlock)])})
					w.Or(bit)
				}
				pc.mu.Unlock()
			}
		}
	}
}

// finish says the writer is done with the arrays; for the writer's
// goroutine, once the file is written (or failed), whatever happened.
func (d *liveWrite) finish() {
	d.finished.Store(true)
	close(d.done)
}

// settle waits for the writer to be done with the arrays; for training,
// which may then write anywhere.
func (d *liveWrite) settle() {
	<-d.done
	clear(d.arrays) // not to keep the trainer's arrays
}

// sideChunk is the values of a piece of memory of a sideArena (1 MiB).
const sideChunk = 1 << 17

// sideArena is where protect copies blocks aside: chunks of memory kept
// from one checkpoint to the next, never moved (the writer reads a copy
// while training adds others), as many as training ever wrote ahead of
// the writer.
type sideArena struct {
	chunks [][]float64
	at     int // the chunk being filled
	used   int // its values taken
}

// put returns a copy of v in the arena.
func (a *sideArena) put(v []float64) []float64 {
	if a.at < len(a.chunks) && a.used+len(v) > sideChunk {
		a.at, a.used = a.at+1, 0
	}
	if a.at == len(a.chunks) {
		a.chunks = append(a.chunks, make([]float64, sideChunk))
	}
	out := a.chunks[a.at][a.used : a.used+len(v) : a.used+len(v)]
	copy(out, v)
	a.used += len(v)
	return out
}

// reset makes the arena's memory free for the next checkpoint's copies.
func (a *sideArena) reset() { a.at, a.used = 0, 0 }
