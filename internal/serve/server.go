package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/netutil"
)

// Options tune a Server. The zero value of every field is its default.
type Options struct {
	// MaxBodyBytes is the largest request body read; a larger one is
	// refused with 413 (default 4 MiB: about 3,000 IMDB reviews).
	MaxBodyBytes int64
	// MaxInputs is the most texts or instances one request may hold; more
	// are refused with 413 (default 10,000).
	MaxInputs int
	// MaxInflight is how many predict requests are admitted at once; one
	// more is refused at once with 503 and Retry-After (default 128).
	// Admission comes before the body is read, so the memory requests hold
	// is bounded by MaxInflight bodies and what they decode to.
	MaxInflight int
	// MaxConns is how many connections are open at once; more wait to be
	// accepted (default 4096).
	MaxConns int
	// Workers is how many blocks of requests are answered at once, each
	// with predictors of its own (default: one per core, GOMAXPROCS). A
	// block is answered on the goroutine of the request that leads it.
	Workers int
	// BatchWindow is how long a request that leads a block waits for
	// more to answer in it (default 0: it takes only those
	// already waiting, which under load is plenty).
	BatchWindow time.Duration
	// MaxBatch is how many inputs are gathered into one block from
	// several requests; one larger request is a block of its own
	// (default 256).
	MaxBatch int
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout are
	// net/http's (defaults 5 s, 30 s, 30 s, 120 s): a client that sends its
	// headers or body too slowly (slowloris) is cut off.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// DrainDelay is how long Serve, once told to stop, goes on accepting
	// requests while /readyz answers 503, so that a load balancer stops
	// sending before the listener closes (default 0: it closes at once).
	DrainDelay time.Duration
	// DrainTimeout bounds how long Serve waits, once the listener is
	// closed, for the requests it accepted to be answered (default 30 s).
	DrainTimeout time.Duration
	// Log receives the server's events; nil discards them.
	Log *slog.Logger
	// LogRequests logs one line per request, at Info.
	LogRequests bool
	// RequestLog, when set, receives those lines instead of Log, as the
	// JSON lines slog's JSON handler would write of them (with no
	// handler options), made without slog's generic path, which costs a
	// request several microseconds. The server makes one Write a line,
	// one at a time.
	RequestLog io.Writer
}

// closeGrace is how long, once told to stop, the server goes on reading
// requests already sent on kept-alive connections, answering each with
// Connection: close, before it closes the listener and its idle
// connections.
const closeGrace = 250 * time.Millisecond

// maxHeaderBytes bounds a request's headers: a predict request needs a
// few hundred bytes of them.
const maxHeaderBytes = 64 << 10

func (o *Options) defaults() {
	set := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	setD := func(p *time.Duration, v time.Duration) {
		if *p <= 0 {
			*p = v
		}
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 4 << 20
	}
	set(&o.MaxInputs, 10000)
	set(&o.MaxInflight, 128)
	set(&o.MaxConns, 4096)
	set(&o.Workers, runtime.GOMAXPROCS(0))
	set(&o.MaxBatch, 256)
	setD(&o.ReadHeaderTimeout, 5*time.Second)
	setD(&o.ReadTimeout, 30*time.Second)
	setD(&o.WriteTimeout, 30*time.Second)
	setD(&o.IdleTimeout, 120*time.Second)
	setD(&o.DrainTimeout, 30*time.Second)
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// A Server answers predict requests for a fixed set of named models, whose
// versions it reloads when their files change.
type Server struct {
	o       Options
	models  map[string]*Model
	names   []string // sorted
	metrics *metrics
	// predictMetrics are each model's series of answered predict
	// requests, bound once.
	predictMetrics map[string]*predictMetrics
	batch          *batcher
	inflight       atomic.Int64
	draining       atomic.Bool
	reloadMu       sync.Mutex
	handler        http.Handler
	log            *slog.Logger
	// requestLogMu serializes the writes to Options.RequestLog.
	requestLogMu sync.Mutex
}

// New returns a server for models (at least one, names distinct).
func New(models []*Model, o Options) (*Server, error) {
	o.defaults()
	if len(models) == 0 {
		return nil, errors.New("dlc serve needs at least one model")
	}
	s := &Server{o: o, models: map[string]*Model{}, predictMetrics: map[string]*predictMetrics{}, log: o.Log}
	s.metrics = newMetrics(func() float64 {
		// A request over the limit is counted for a moment before it is
		// refused.
		return float64(min(s.inflight.Load(), int64(o.MaxInflight)))
	})
	for _, m := range models {
		if prev := s.models[m.Name]; prev != nil {
			return nil, fmt.Errorf("two models are named %s (%s and %s); name them apart with NAME=PATH", m.Name, prev.Path, m.Path)
		}
		s.models[m.Name] = m
		s.names = append(s.names, m.Name)
		s.predictMetrics[m.Name] = s.metrics.predict(m.Name)
		s.metrics.serving(m.Current())
	}
	slices.Sort(s.names)
	// The queue holds every admitted request: a send never waits.
	s.batch = newBatcher(o.Workers, o.MaxBatch, o.BatchWindow, s.metrics, s.log)
	s.handler = s.routes()
	return s, nil
}

// Handler returns the server's HTTP handler: the API, /healthz, /readyz
// and /metrics.
func (s *Server) Handler() http.Handler { return s.handler }

// Models returns the models served, by name.
func (s *Server) Models() []*Model {
	out := make([]*Model, len(s.names))
	for i, n := range s.names {
		out[i] = s.models[n]
	}
	return out
}

// Serve answers connections accepted on ln until ctx is done, then drains:
// /readyz turns 503 and answers close their connections; after the drain
// delay (at least closeGrace) ln is closed, and every request already
// accepted is answered before Serve returns nil. It returns an error when ln fails or
// when requests are still unanswered after Options.DrainTimeout (they are
// then cut off).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.o.ReadHeaderTimeout,
		ReadTimeout:       s.o.ReadTimeout,
		WriteTimeout:      s.o.WriteTimeout,
		IdleTimeout:       s.o.IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		// net/http's own complaints (a TLS handshake on a plain port, a
		// client's broken connection) are noise below warnings.
		ErrorLog:  slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		ConnState: yieldWhenIdle,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(netutil.LimitListener(ln, s.o.MaxConns)) }()
	select {
	case err := <-served:
		return fmt.Errorf("cannot accept connections on %s: %v", ln.Addr(), err)
	case <-ctx.Done():
	}
	// From now on every answer closes its connection (Connection: close),
	// so that a client that has sent a request on a kept-alive connection
	// gets it answered instead of the connection closed under it as idle
	// (as Envoy drains). The listener stays open for closeGrace (or the
	// drain delay, when longer) for those requests to be read.
	s.draining.Store(true)
	start := time.Now()
	if s.o.DrainDelay > 0 {
		s.log.Info("draining: /readyz answers 503; accepting requests for the drain delay", "delay", s.o.DrainDelay.String())
	}
	select {
	case <-time.After(max(s.o.DrainDelay, closeGrace)):
	case err := <-served:
		return fmt.Errorf("cannot accept connections on %s: %v", ln.Addr(), err)
	}
	s.log.Info("draining: accepting no new connections, answering those accepted", "inflight", s.inflight.Load(), "timeout", s.o.DrainTimeout.String())
	dctx, cancel := context.WithTimeout(context.Background(), s.o.DrainTimeout)
	defer cancel()
	if err := srv.Shutdown(dctx); err != nil {
		left := s.inflight.Load()
		srv.Close()
		return fmt.Errorf("%d requests were still being answered after the drain timeout of %s and were cut off", left, s.o.DrainTimeout)
	}
	s.log.Info("drained", "seconds", time.Since(start).Seconds())
	return nil
}

// Reload loads again every model whose file changed (onlyChanged: whose
// identity differs from the file serving), or every model, swapping in
// each new version that loads; why says what asked, for the log.
func (s *Server) Reload(onlyChanged bool, why string) {
	// One reload at a time (the watcher's and SIGHUP's), so that the
	// metrics end on the version that serves.
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	for _, name := range s.names {
		m := s.models[name]
		old, now, res, err := m.reload(onlyChanged)
		switch res {
		case Swapped:
			s.metrics.reloads.WithLabelValues(name, "ok").Inc()
			s.metrics.serving(now)
			s.log.Info("model reloaded", "model", name, "path", m.Path, "why", why, "sha256", now.SHA256, "was", old.SHA256)
			if !slices.Equal(old.Model.Labels, now.Model.Labels) {
				s.log.Warn("the reloaded model has other labels", "model", name, "labels", strings.Join(now.Model.Labels, ","), "was", strings.Join(old.Model.Labels, ","))
			}
		case Failed:
			s.metrics.reloads.WithLabelValues(name, "failed").Inc()
			s.log.Error("model reload failed; the version before serves on", "model", name, "path", m.Path, "why", why, "error", err.Error(), "sha256", old.SHA256)
		case Unchanged:
			if !onlyChanged {
				s.log.Info("model file unchanged", "model", name, "path", m.Path, "why", why, "sha256", now.SHA256)
			}
		}
	}
}

// yieldWhenIdle is the server's ConnState hook. A connection whose request
// is answered and done with (StateIdle: net/http has finished it, and is
// about to read the next one) yields its goroutine first: the requests
// already read run before it, and by the time it runs again its client has
// often sent the next request, which it then reads at once instead of
// parking until the network poller finds it (which, on cores kept busy,
// the scheduler runs only when it runs out of other work). Yielding here
// rather than as soon as the answer is flushed costs less: then the
// background read net/http keeps on the connection ran during the yield,
// a read system call per request that finishing the request otherwise
// cancels before it starts.
func yieldWhenIdle(_ net.Conn, state http.ConnState) {
	if state == http.StateIdle {
		runtime.Gosched()
	}
}
