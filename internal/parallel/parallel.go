// Package parallel runs a list of independent tasks on every core, without
// allocating, for the hot loops of training.
//
// Results never depend on the number of cores: a caller splits its work
// into tasks whose number and contents are fixed by the shape of the work
// alone, every task writes its own part of the output, and no task's
// result depends on which goroutine ran it or when. Cores only change how
// soon the tasks are done.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Tasks is a list of independent tasks: Do(t) runs task t. Tasks of one
// list may run at the same time, in any order, on any goroutine.
type Tasks interface {
	Do(t int)
}

// MinWork is the estimated work (multiply-adds, say) below which Group.Run
// does its tasks on the calling goroutine: waking a helper costs a few
// microseconds, which a small batch would not pay back.
const MinWork = 1 << 15

// Group runs lists of tasks for one caller at a time; each goroutine that
// runs tasks needs its own Group. The zero value is ready to use. Keeping
// the Group (in a workspace, say) rather than making one per call is what
// lets Run allocate nothing.
type Group struct {
	tasks Tasks
	n     int64
	next  atomic.Int64
	// state counts the helpers working on the current list, with the
	// closed bit set once the caller has found no task left: from then on
	// no helper joins, and the caller waits only for those still inside.
	state atomic.Int64
	done  chan struct{} // the last helper out of a closed list says so
	// helped is set by a helper that joined the current list; alone
	// counts the last lists no helper joined (other programs holding the
	// other cores), for Workers.
	helped atomic.Bool
	alone  int
}

// aloneRuns is how many lists in a row without a helper make Workers
// answer 1 until a helper joins again.
const aloneRuns = 4

// Workers returns how many goroutines are likely to run a list of the
// given work: 1 when Run would run the tasks on the caller alone, or when
// no helper has joined the last few lists. A caller may size its tasks by
// it (fewer, larger tasks when it works alone); its results must not
// depend on it.
func (g *Group) Workers(work int) int {
	if work < MinWork || g.alone >= aloneRuns || sideBySide.Load() > 0 {
		return 1
	}
	return runtime.GOMAXPROCS(0)
}

const closed = 1 << 62

// sideBySide counts the callers of SideBySide whose release is still due.
var sideBySide atomic.Int64

// SideBySide makes every Run do its tasks on the calling goroutine, and
// Workers answer 1, until release is called: for a caller that has
// started work of its own on another goroutine (two trainings at once),
// each of which then keeps a core busy without waiting for the other's
// helpers. Results do not change (see the package doc).
func SideBySide() (release func()) {
	sideBySide.Add(1)
	var once sync.Once
	return func() { once.Do(func() { sideBySide.Add(-1) }) }
}

// Run does tasks 0..n-1 of t and returns when all are done. work is the
// caller's estimate of the whole list's cost, in multiply-adds: below
// MinWork, or with one core, or one task, the tasks run in order on the
// calling goroutine; otherwise idle helper goroutines are asked to join in
// (at most GOMAXPROCS−1 of them), each taking the next task not yet taken.
// The caller works too, and never waits for a helper that has not started:
// on a machine whose other cores are busy with other programs, a helper
// that gets no core in time simply finds the list done.
func (g *Group) Run(n, work int, t Tasks) {
	procs := runtime.GOMAXPROCS(0)
	if n <= 1 || work < MinWork || procs == 1 || sideBySide.Load() > 0 {
		for i := range n {
			t.Do(i)
		}
		return
	}
	if g.done == nil {
		g.done = make(chan struct{}, 1)
	}
	g.tasks, g.n = t, int64(n)
	g.next.Store(0)
	g.helped.Store(false)
	g.state.Store(0) // open: helpers may join
	want := min(procs, n) - 1
	helpers.ensure(want)
	for range want {
		select {
		case helpers.work <- g:
		default: // no helper is idle: do without
		}
	}
	g.do()
	if g.state.Or(closed) != 0 { // some helpers are still in a task
		<-g.done
	}
	g.tasks = nil
	if g.helped.Load() {
		g.alone = 0
	} else {
		g.alone++
	}
}

// help joins the caller's list unless it is closed (done, or between two
// lists), runs tasks, and says so when it is the last one out.
func (g *Group) help() {
	for {
		s := g.state.Load()
		if s&closed != 0 {
			return
		}
		if g.state.CompareAndSwap(s, s+1) {
			break
		}
	}
	g.helped.Store(true)
	g.do()
	if g.state.Add(-1) == closed {
		g.done <- struct{}{}
	}
}

// do takes and runs tasks until none is left.
func (g *Group) do() {
	for {
		i := g.next.Add(1) - 1
		if i >= g.n {
			return
		}
		g.tasks.Do(int(i))
	}
}

// helpers are the goroutines that join Groups' Runs: started as needed,
// as many as the most cores any Run could use, less one, and parked on
// the channel when idle.
var helpers = &pool{work: make(chan *Group)}

type pool struct {
	work  chan *Group
	count atomic.Int64
	mu    sync.Mutex
}

func init() { helpers.ensure(runtime.GOMAXPROCS(0) - 1) }

// ensure starts helpers until there are at least n.
func (p *pool) ensure(n int) {
	if p.count.Load() >= int64(n) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.count.Load() < int64(n) {
		p.count.Add(1)
		go func() {
			for g := range p.work {
				g.help()
			}
		}()
	}
}
