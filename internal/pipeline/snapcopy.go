package pipeline

import (
	"sort"

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
// pieces. The rule's other arrays are copied as they are.
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
	sn.group.Run((n+pieceValues-1)/pieceValues, n*len(c.dst), c)
	c.dst, c.src = c.dst[:0], c.src[:0] // not to keep the trainer's arrays
}
