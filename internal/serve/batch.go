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

// A job is one admitted predict request on its way through a worker.
type job struct {
	ctx     context.Context
	version *Version // the model version the request started with
	req     *Request
	// What the worker leaves: the answers as JSON objects separated by
	// commas, after the envelope's opening the handler wrote, or the error
	// that stops the request.
	out  []byte
	err  error
	done chan struct{} // receives once out or err is set
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

// batcher gathers the jobs waiting into blocks, TF Serving style: a worker
// takes the first job waiting, then every job that arrives within window
// (or, with no window, every job already waiting), up to maxBatch inputs,
// and answers the jobs that share a key with one PredictTexts call.
// Under load the queue holds many jobs and the blocks fill by themselves;
// the window trades a little latency for fuller blocks when it does not.
type batcher struct {
	jobs     chan *job
	workers  int
	busy     atomic.Int32 // workers answering a block
	window   time.Duration
	maxBatch int
	metrics  *metrics
	log      *slog.Logger
	wg       sync.WaitGroup
}

func newBatcher(workers, queue, maxBatch int, window time.Duration, m *metrics, log *slog.Logger) *batcher {
	b := &batcher{jobs: make(chan *job, queue), workers: workers, window: window, maxBatch: maxBatch, metrics: m, log: log}
	for range workers {
		b.wg.Go(b.work)
	}
	return b
}

// close lets the workers finish the jobs queued and waits for them.
func (b *batcher) close() {
	close(b.jobs)
	b.wg.Wait()
}

// work is one worker: it gathers blocks and answers them until the queue
// is closed.
func (b *batcher) work() {
	w := &worker{predictors: map[*Version]*pipeline.Predictor{}, b: b, metrics: b.metrics, log: b.log}
	var timer *time.Timer
	if b.window > 0 {
		timer = time.NewTimer(b.window)
		timer.Stop()
	}
	var block []*job
	for first := range b.jobs {
		block = append(block[:0], first)
		n := first.req.Inputs()
		if timer != nil {
			timer.Reset(b.window)
		}
	gather:
		for n < b.maxBatch {
			var j *job
			var ok bool
			if timer == nil {
				select {
				case j, ok = <-b.jobs:
				default:
					break gather
				}
			} else {
				select {
				case j, ok = <-b.jobs:
				case <-timer.C:
					break gather
				}
			}
			if !ok {
				break
			}
			block = append(block, j)
			n += j.req.Inputs()
		}
		if timer != nil {
			timer.Stop()
		}
		b.metrics.batchIn.Observe(float64(n))
		b.metrics.batchReqs.Observe(float64(len(block)))
		b.busy.Add(1)
		w.answer(block)
		b.busy.Add(-1)
		clear(block) // drop the finished jobs' memory
	}
}

// worker answers blocks with predictors of its own: a Predictor is not
// safe for concurrent use.
type worker struct {
	b          *batcher
	predictors map[*Version]*pipeline.Predictor // plain options, per version
	texts      []string
	values     []float64
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
