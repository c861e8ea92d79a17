package gd

// RowSource is an Objective whose examples are not all in memory: it
// streams them from disk and draws each epoch's order itself (within the
// memory it may use), loading one batch at a time. Train then asks it for
// every batch instead of shuffling example indices, and keeps no index
// per example: the loop's memory does not grow with the data.
type RowSource interface {
	// StartEpoch begins pass epoch (1-based) over the examples.
	StartEpoch(epoch int) error
	// NextBatch loads the next n examples of the epoch (fewer at its end)
	// and returns the rows Gradient is to be given for them.
	NextBatch(n int) ([]int, error)
}

// batches hands out the rows of each update: from a RowSource when obj
// is one, else from order, the shuffled indices of the examples.
type batches struct {
	src   RowSource
	order []int
}

// start begins an epoch.
func (b *batches) start(epoch int) error {
	if b.src != nil {
		return b.src.StartEpoch(epoch)
	}
	return nil
}

// next returns the rows of the update covering examples lo..hi-1 of the
// epoch.
func (b *batches) next(lo, hi int) ([]int, error) {
	if b.src != nil {
		return b.src.NextBatch(hi - lo)
	}
	return b.order[lo:hi], nil
}
