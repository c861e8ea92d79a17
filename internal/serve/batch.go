package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/pipeline"
)

// A job is one admitted predict request on its way through a block.
type job struct {
	ctx     context.Context
	version *Version // the model version the request started with
	req     *Request
	// What the block leaves: the answers as JSON objects separated by
	// commas, after the envelope's opening the handler wrote, or the error
	// that stops the request.
	out []byte
	err error
	// done receives once: when out or err is set, or when the request is
	// handed a worker's state to lead the next block (lead).
	done chan struct{}
	// waiting is whether the request's handler waits on done (it stops
	// when its client leaves); lead is the state handed to it. Both are
	// the batcher's, under its mutex.
	waiting bool
	lead    *worker
}

// jobs are reused, with their channel and answer buffer: a request that
// waits for its answer hands its job back (release); one whose client left
// leaves it to the garbage collector.
var jobs = sync.Pool{New: func() any { return &job{done: make(chan struct{}, 1)} }}

func newJob(ctx context.Context, v *Version, req *Request) *job {
	j := jobs.Get().(*job)
	j.ctx, j.version, j.req = ctx, v, req
	if n := 256 + 128*req.Inputs(); cap(j.out) < n {
		j.out = make([]byte, 0, n)
	}
	return j
}

// pooledAnswer is the largest answer buffer a released job keeps.
const pooledAnswer = 64 << 10

// release hands a finished job back for reuse.
func (j *job) release() {
	if cap(j.out) > pooledAnswer {
		return
	}
	*j = job{out: j.out[:0], done: j.done}
	jobs.Put(j)
}

// key is what jobs answered in one block must share: the model version and
// the options that change the predictor (top_k only changes the output).
type key struct {
	version   *Version
	dense     bool // rows of numbers
	explain   int
	threshold pipeline.Threshold
}

func (j *job) key() key {
	return key{j.version, j.req.Texts == nil, j.req.Explain, pipeline.Threshold{Set: j.req.HasThreshold, Value: j.req.Threshold}}
}

// batcher gathers the requests waiting into blocks, TF Serving style, and
// answers the jobs of a block that share a key with one PredictTexts call.
// Its workers are states (predictors and buffers), not goroutines: a
// request that finds a state free leads — it takes the state and answers,
// on its own goroutine, a block of its job and every job queued behind it
// (up to maxBatch inputs), or, with a window, of those that arrive within
// it. Requests that find every state taken queue, in order, and wait; a
// leader that has answered its block hands its state to the first of them,
// which leads the next block. So a lone request is answered where it
// arrived, without waking a worker goroutine and being woken by it, and
// under load each request is woken once, by its answer or by the lead,
// while the blocks fill from the queue as before.
type batcher struct {
	mu      sync.Mutex
	queue   []*job // requests waiting for a block, oldest first
	free    []*worker
	workers int
	busy    atomic.Int32 // blocks being answered
	// With a window, queued counts the inputs queued, and full wakes a
	// leader waiting out its window once they fill a block.
	window   time.Duration
	queued   int
	full     chan struct{}
	maxBatch int
	metrics  *metrics
	log      *slog.Logger
}

func newBatcher(workers, maxBatch int, window time.Duration, m *metrics, log *slog.Logger) *batcher {
	b := &batcher{workers: workers, window: window, full: make(chan struct{}, 1), maxBatch: maxBatch, metrics: m, log: log}
	for range workers {
		b.free = append(b.free, &worker{predictors: map[*Version]*pipeline.Predictor{}, b: b, metrics: m, log: log})
	}
	return b
}

// run answers j, leading a block or waiting for one, and reports whether
// its handler is still there to send the answer (false: the client left).
func (b *batcher) run(j *job) bool {
	b.mu.Lock()
	if n := len(b.free); n > 0 {
		// A free state means no request waits: j is the oldest.
		w := b.free[n-1]
		b.free = b.free[:n-1]
		b.mu.Unlock()
		b.lead(w, j)
		return true
	}
	j.waiting = true
	b.queue = append(b.queue, j)
	if b.window > 0 {
		if b.queued += j.req.Inputs(); b.queued >= b.maxBatch {
			select {
			case b.full <- struct{}{}:
			default:
			}
		}
	}
	b.mu.Unlock()
	select {
	case <-j.done:
	case <-j.ctx.Done():
		b.mu.Lock()
		j.waiting = false
		led := j.lead != nil
		b.mu.Unlock()
		if !led {
			// A block answers the job later, to no one.
			return false
		}
		// Handed the lead as its client left: it leads all the same.
		<-j.done
		b.lead(j.lead, j)
		return false
	}
	if j.lead != nil {
		b.lead(j.lead, j)
	}
	return true
}

// lead answers a block of first and the jobs queued behind it with w, then
// hands w on. first is answered when it returns.
func (b *batcher) lead(w *worker, first *job) {
	first.lead = nil
	answering := false
	defer func() {
		if answering {
			b.busy.Add(-1)
		}
		clear(w.block) // drop the finished jobs' memory
		b.handOff(w)   // even after a panic, which the middleware recovers
	}()
	if b.window > 0 {
		if w.timer == nil {
			w.timer = time.NewTimer(b.window)
		} else {
			w.timer.Reset(b.window)
		}
		select {
		case <-w.timer.C:
		case <-b.full:
			w.timer.Stop()
		}
	}
	block := append(w.block[:0], first)
	n := first.req.Inputs()
	b.mu.Lock()
	taken := 0
	for _, j := range b.queue {
		if n >= b.maxBatch {
			break
		}
		block = append(block, j)
		n += j.req.Inputs()
		taken++
	}
	b.pop(taken)
	if b.window > 0 {
		b.queued = 0
		for _, j := range b.queue {
			b.queued += j.req.Inputs()
		}
		if b.queued < b.maxBatch {
			select { // a signal for a block taken now
			case <-b.full:
			default:
			}
		}
	}
	b.mu.Unlock()
	w.block = block
	b.metrics.batchIn.Observe(float64(n))
	b.metrics.batchReqs.Observe(float64(len(block)))
	b.busy.Add(1)
	answering = true
	w.answer(block)
	// first's answer is a token on its channel like the others': it was
	// answered here, not woken.
	<-first.done
}

// handOff gives w to the first request waiting, to lead the next block, or
// back to the free states when none waits.
func (b *batcher) handOff(w *worker) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for len(b.queue) > 0 {
		j := b.queue[0]
		b.pop(1)
		if b.window > 0 {
			b.queued -= j.req.Inputs()
		}
		if j.waiting {
			j.lead = w
			j.done <- struct{}{}
			return
		}
		// Its client left, and nothing reads its answer.
	}
	b.free = append(b.free, w)
}

// pop drops the first k jobs of the queue.
func (b *batcher) pop(k int) {
	n := copy(b.queue, b.queue[k:])
	clear(b.queue[n:]) // no job's memory is held past its block
	b.queue = b.queue[:n]
}

// worker answers blocks with predictors of its own: a Predictor is not
// safe for concurrent use. It is a state a leading request takes, not a
// goroutine.
type worker struct {
	b          *batcher
	predictors map[*Version]*pipeline.Predictor // plain options, per version
	texts      []string
	values     []float64
	block      []*job
	timer      *time.Timer // the window's
	metrics    *metrics
	log        *slog.Logger
}

// answer answers every job of a block, the jobs that share a key together.
func (w *worker) answer(block []*job) {
	for len(block) > 0 {
		k := block[0].key()
		group := block[:0:0]
		rest := block[:0]
		for _, j := range block {
			if j.ctx.Err() != nil { // the client is gone
				j.finish(j.ctx.Err())
				continue
			}
			if j.key() == k {
				group = append(group, j)
			} else {
				rest = append(rest, j)
			}
		}
		if len(group) > 0 {
			w.answerGroup(k, group)
		}
		block = rest
	}
}

// answerGroup answers jobs sharing k in one block, or each job on its own
// when the inputs are lines of numbers, whose errors are each job's own.
func (w *worker) answerGroup(k key, group []*job) {
	// The jobs are finished in order; finished counts those that are, and
	// may have been handed back and reused since: a panic finishes the
	// others only.
	finished := 0
	finish := func(j *job, err error) {
		j.finish(err)
		finished++
	}
	defer func() {
		if r := recover(); r != nil {
			w.metrics.panics.Inc()
			w.log.Error("panic while answering; the requests get 500", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			// The predictors may be left half-way: start afresh.
			clear(w.predictors)
			for _, j := range group[finished:] {
				j.finish(&RequestError{http.StatusInternalServerError, "the server failed while answering this request; it has been logged"})
			}
		}
	}()
	p := w.predictor(k)
	m := k.version.Model
	if k.version.Dense() && !k.dense {
		// Texts for a model of numbers: each text is a line of numbers,
		// read as dlc predict reads it, and a line that does not parse
		// fails its own request only.
		for _, j := range group {
			var err error
			for i, text := range j.req.Texts {
				var a *pipeline.Answer
				if a, err = p.Predict(text); err != nil {
					err = badRequest("texts[%d] %v", i, err)
					break
				}
				if err = j.append(a, m, i); err != nil {
					break
				}
			}
			finish(j, err)
		}
		return
	}
	// The answers come in the order of the jobs' inputs: each goes to its
	// job until the job has them all.
	at, done := 0, 0
	next := func(a *pipeline.Answer) error {
		for group[at].req.Inputs() == done {
			at, done = at+1, 0
		}
		j := group[at]
		if j.err == nil {
			j.err = j.append(a, m, done)
		}
		done++
		return nil
	}
	var err error
	if k.dense {
		w.values = w.values[:0]
		for _, j := range group {
			w.values = append(w.values, j.req.Values...)
		}
		err = p.PredictRows(m.Vectorizer.TransformValues(w.values), next)
	} else {
		w.texts = w.texts[:0]
		for _, j := range group {
			w.texts = append(w.texts, j.req.Texts...)
		}
		if w.b.busy.Load() >= int32(w.b.workers) {
			// Every worker has a block: each encodes its own on its core,
			// with its predictor's encoder and memory, rather than
			// spreading one over every core with fresh ones.
			err = p.PredictTextsHere(w.texts, next)
		} else {
			err = p.PredictTexts(w.texts, next)
		}
		clear(w.texts) // the texts are the requests' memory
	}
	for _, j := range group {
		if err != nil && j.err == nil {
			j.err = err
		}
		finish(j, j.err)
	}
}

// predictor returns the worker's predictor for k: its own for the plain
// options, kept while its version serves; a new one for other options.
func (w *worker) predictor(k key) *pipeline.Predictor {
	if k.explain != 0 || k.threshold.Set {
		return pipeline.NewPredictor(k.version.Model, pipeline.PredictOptions{Explain: k.explain, Threshold: k.threshold})
	}
	if p := w.predictors[k.version]; p != nil {
		return p
	}
	// A version no longer serving is dropped with the next new one.
	for v := range w.predictors {
		if v.owner.Current() != v {
			delete(w.predictors, v)
		}
	}
	p := pipeline.NewPredictor(k.version.Model, pipeline.PredictOptions{})
	w.predictors[k.version] = p
	return p
}

// append adds answer i of the job as JSON.
func (j *job) append(a *pipeline.Answer, m *model.Model, i int) error {
	if i > 0 {
		j.out = append(j.out, ',')
	}
	var err error
	if m.Net.Spec().Regression && (math.IsInf(a.Value, 0) || math.IsNaN(a.Value)) {
		// predict would write +Inf, which is not JSON.
		err = errors.New("not finite")
	} else {
		j.out, err = a.AppendJSON(j.out, m, j.req.TopK, j.req.Explain > 0)
	}
	if err != nil {
		field := "texts"
		if j.req.Texts == nil {
			field = "instances"
		}
		return &RequestError{http.StatusUnprocessableEntity, fmt.Sprintf("the model's answer to %s[%d] is not a finite number; its values are beyond what the model can score", field, i)}
	}
	return nil
}

// finish hands the job back to its request.
func (j *job) finish(err error) {
	j.err = err
	j.done <- struct{}{}
}
