package gd

import "math/bits"

// ChangeTracker records which parameters a run of Train wrote since its
// last checkpoint, in blocks of changeBlock values, so that a
// Checkpointer keeping a copy of the last State it saved need copy only
// those (and the update rule's per-parameter arrays at the same places)
// instead of all of them: a checkpoint of the IMDB recipe is 224 MB, of
// which the hundred updates between two checkpoints write a share. Train
// keeps one only for SGD and Adagrad on the sparse path, whose updates
// write the parameters and Adagrad's sums at the gradient's spans and
// nowhere else; the lazy rules write rows they catch up on too, and the
// dense path writes everything.
type ChangeTracker struct {
	all   bool     // everything is to be taken as changed
	dirty []uint64 // a bit per block of changeBlock values
	n     int      // the values tracked
}

// changeBlock is the values a bit of ChangeTracker stands for: 32, the
// width of a first-layer row of the IMDB recipe (256 bytes); a finer bit
// saves little, since a copy of fewer bytes costs about as much.
const changeBlock = 32

// trackChanges returns the tracker of a run of Train that saves
// checkpoints (cp) with opt on the sparse path (sparse, and not lazy) when
// opt is SGD or Adagrad, for n parameters; nil otherwise.
func trackChanges(cp Checkpointer, opt Optimizer, sparse bool, n int) *ChangeTracker {
	if cp == nil || !sparse {
		return nil
	}
	switch opt.(type) {
	case *SGD, *Adagrad:
		return newChangeTracker(n)
	}
	return nil
}

// copyGuard is the DeferredCopier a run of Train protects its writes from,
// or nil: it has none, or keeps no ChangeTracker.
type copyGuard struct{ d DeferredCopier }

// deferredCopier returns cp's guard when it is a DeferredCopier and the
// run keeps a tracker (changes).
func deferredCopier(cp Checkpointer, changes *ChangeTracker) *copyGuard {
	d, ok := cp.(DeferredCopier)
	if !ok || changes == nil {
		return nil
	}
	return &copyGuard{d}
}

// on says the run's States may be copied after Save (State's Deferred).
func (g *copyGuard) on() bool { return g != nil }

func (g *copyGuard) protect(spans [][2]int) {
	if g != nil {
		g.d.Protect(spans)
	}
}

func (g *copyGuard) settle() {
	if g != nil {
		g.d.Settle()
	}
}

// newChangeTracker tracks n values; everything starts as changed.
func newChangeTracker(n int) *ChangeTracker {
	return &ChangeTracker{all: true, dirty: make([]uint64, (n+changeBlock*64-1)/(changeBlock*64)), n: n}
}

// markSpans records that the values of spans ([lo, hi) ranges) changed.
func (t *ChangeTracker) markSpans(spans [][2]int) {
	if t == nil || t.all {
		return
	}
	for _, s := range spans {
		if s[0] >= s[1] {
			continue
		}
		t.setBlocks(s[0]/changeBlock, (s[1]-1)/changeBlock+1)
	}
}

// setBlocks sets the bits of blocks [lo, hi), a word at a time where it
// can (a span of the whole network is one of 7,000 words for the IMDB
// recipe, not 437,000 bits).
func (t *ChangeTracker) setBlocks(lo, hi int) {
	for b := lo; b < hi; {
		if b&63 == 0 && hi-b >= 64 {
			t.dirty[b>>6] = ^uint64(0)
			b += 64
			continue
		}
		t.dirty[b>>6] |= 1 << (b & 63)
		b++
	}
}

// clear forgets the changes: a Checkpointer has copied them.
func (t *ChangeTracker) clear() {
	if t == nil {
		return
	}
	t.all = false
	clear(t.dirty)
}

// All reports whether every value is to be taken as changed (the first
// State of a run, and a resumed one's).
func (t *ChangeTracker) All() bool { return t.all }

// Len is the number of values tracked: that of the parameters.
func (t *ChangeTracker) Len() int { return t.n }

// Ranges calls f with each run of changed values, [lo, hi), in order and
// merged: the whole [0, Len) when All.
func (t *ChangeTracker) Ranges(f func(lo, hi int)) {
	if t.all {
		if t.n > 0 {
			f(0, t.n)
		}
		return
	}
	start := -1 // the first block of the run under way
	for w, word := range t.dirty {
		for word != 0 || start >= 0 {
			if start < 0 {
				b := bits.TrailingZeros64(word)
				start = w*64 + b
				word |= (1 << b) - 1 // the blocks below are behind
			}
			// The run goes on to the first clear bit above start.
			end := bits.TrailingZeros64(^word)
			if end == 64 {
				break // on into the next word
			}
			f(start*changeBlock, min(t.n, (w*64+end)*changeBlock))
			start = -1
			word &^= (1 << end) - 1
		}
	}
	if start >= 0 {
		f(start*changeBlock, t.n)
	}
}
