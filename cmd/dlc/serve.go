package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/dlc-dev/dlc/internal/serve"
)

type serveOptions struct {
	Models    []string
	Addr      string
	LogFormat string
	LogLevel  string
	Watch     bool
	Server    serve.Options
	MaxBody   byteSize
}

func newServeCmd(g *globals, stdio *IO) *cobra.Command {
	o := &serveOptions{MaxBody: 4 << 20}
	cmd := &cobra.Command{
		Use:   "serve --model [NAME=]PATH ... [--addr :8080]",
		Short: "Answer predictions over HTTP (JSON), with metrics and hot reload",
		Long: `serve answers predictions over HTTP with one or several models, each
named in the URL: --model imdb=models/imdb.dlc, or --model models/imdb.dlc,
named imdb after its file.

  POST /v1/models/NAME:predict  {"texts": ["...", ...]}  (optional "top_k",
                                "explain", "threshold", as predict's flags)
                                {"instances": [[n, ...], ...]} for a model of
                                numbers (vectorizer.mode dense: tables, images)
      -> {"model", "model_sha256", "predictions": [...]}, one answer per
         input with the fields and numbers of dlc predict --format json
  GET  /v1/models               names, labels, config, file sha256, loaded_at
  GET  /healthz, /readyz        alive; ready for traffic (503 while draining)
  GET  /metrics                 Prometheus: requests by status, latency,
                                batch sizes, model reloads

Refusals are {"error": "..."} with the status saying why: 400 bad JSON or
a field the model cannot use (the message names it), 404 unknown model,
405 wrong method, 408 a body slower than --read-timeout, 413 a body over
--max-body or more than --max-inputs texts, 503 more than --max-inflight
requests at once (with Retry-After).

Requests arriving together are answered in one vectorized block per
worker (--workers, one per core): a request that finds a worker free
answers itself and the requests waiting, or those arriving within
--batch-window, up to --max-batch inputs; one that finds none waits.

When a model file is replaced (dlc train writes a new file and renames it
over the old one; so do mv and Kubernetes volumes) or on SIGHUP, the new
file is loaded and checked, and swapped in only if it loads: requests
already admitted finish on the version they started with, and a file that
does not load leaves the old version serving, logged and counted in
dlc_model_reloads_total{result="failed"}.

SIGTERM or SIGINT drains: /readyz turns 503 and every answer closes its
connection; requests are still accepted for --drain-delay (at least
0.25 s, so that a load balancer can stop sending and requests already sent
on kept-alive connections are read), then no new connection is accepted,
every request accepted is answered, and dlc exits 0 (1 when requests are
still unanswered after --drain-timeout). A second signal stops at once
(143 or 130).

Logs go to stderr: --log-format json writes one JSON object per line,
with one line per request; text writes requests only at --log-level
debug.`,
		Example: `  dlc serve --model imdb=imdb.dlc
  dlc serve -m imdb.dlc -m reuters=models/r52.dlc --addr 127.0.0.1:9000 --log-format json
  curl -s localhost:8080/v1/models/imdb:predict -d '{"texts": ["A wonderful film.", "Dull."]}'
  curl -s localhost:8080/v1/models/imdb:predict -d '{"texts": ["Not bad at all."], "explain": 3}'
  curl -s localhost:8080/metrics | grep dlc_`,
		Args: exactArgs(0, "no arguments (models come with --model)"),
		RunE: func(c *cobra.Command, _ []string) error {
			if g.Quiet && !c.Flags().Changed("log-level") {
				o.LogLevel = "warn"
			}
			o.Server.MaxBodyBytes = int64(o.MaxBody)
			return runServe(c.Context(), stdio, o)
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&o.Models, "model", "m", nil, "a model to serve, [NAME=]PATH (repeat for several)")
	f.StringVar(&o.Addr, "addr", ":8080", "the address to listen on, host:port (port 0 picks a free one)")
	f.VarP(newEnum(&o.LogFormat, "text", "text", "json"), "log-format", "", "log lines as text or JSON (json: one line per request)")
	f.Var(newEnum(&o.LogLevel, "info", "debug", "info", "warn", "error"), "log-level", "the least severe log lines written")
	f.BoolVar(&o.Watch, "watch", true, "reload a model when its file is replaced (SIGHUP reloads either way)")
	so := &o.Server
	f.Var(&o.MaxBody, "max-body", "the largest request body (413 above it), e.g. 8MiB, 512KiB, 1000000")
	f.IntVar(&so.MaxInputs, "max-inputs", 10000, "the most texts or instances in one request (413 above it)")
	f.IntVar(&so.MaxInflight, "max-inflight", 128, "predict requests answered at once; more get 503 at once")
	f.IntVar(&so.MaxConns, "max-conns", 4096, "open connections at once; more wait to be accepted")
	f.IntVar(&so.Workers, "workers", 0, "blocks of requests answered at once, each with its own predictors (default: one per core)")
	f.DurationVar(&so.BatchWindow, "batch-window", 0, "how long a worker waits for more requests to fill a block (0: takes those already waiting)")
	f.IntVar(&so.MaxBatch, "max-batch", 256, "the most inputs gathered from several requests into one block")
	f.DurationVar(&so.ReadHeaderTimeout, "read-header-timeout", 5*time.Second, "time to receive a request's headers")
	f.DurationVar(&so.ReadTimeout, "read-timeout", 30*time.Second, "time to receive a whole request (408 for a slow body)")
	f.DurationVar(&so.WriteTimeout, "write-timeout", 30*time.Second, "time from a request's headers to its answer written")
	f.DurationVar(&so.IdleTimeout, "idle-timeout", 2*time.Minute, "how long a kept-alive connection may wait for its next request")
	f.DurationVar(&so.DrainDelay, "drain-delay", 0, "after SIGTERM, go on accepting this long (at least 0.25s) while /readyz says 503 (for load balancers)")
	f.DurationVar(&so.DrainTimeout, "drain-timeout", 30*time.Second, "how long SIGTERM waits for the accepted requests to be answered")
	cmd.MarkFlagFilename("model", "dlc")
	return cmd
}

// check refuses flag values that cannot work, before anything loads.
func (o *serveOptions) check() error {
	if len(o.Models) == 0 {
		return usageErrorf("dlc serve needs at least one --model [NAME=]PATH; see dlc serve --help")
	}
	so := &o.Server
	for _, c := range []struct {
		name string
		v    int
		min  int
	}{{"max-inputs", so.MaxInputs, 1}, {"max-inflight", so.MaxInflight, 1}, {"max-conns", so.MaxConns, 1}, {"workers", so.Workers, 0}, {"max-batch", so.MaxBatch, 1}} {
		if c.v < c.min {
			return usageErrorf("--%s must be at least %d, not %d", c.name, c.min, c.v)
		}
	}
	for _, c := range []struct {
		name string
		d    time.Duration
	}{{"read-header-timeout", so.ReadHeaderTimeout}, {"read-timeout", so.ReadTimeout}, {"write-timeout", so.WriteTimeout}, {"idle-timeout", so.IdleTimeout}, {"drain-timeout", so.DrainTimeout}} {
		if c.d <= 0 {
			return usageErrorf("--%s must be a positive duration such as 30s, not %s", c.name, c.d)
		}
	}
	if so.DrainDelay < 0 {
		return usageErrorf("--drain-delay must be 0 or a positive duration such as 5s, not %s", so.DrainDelay)
	}
	if so.BatchWindow < 0 {
		return usageErrorf("--batch-window must be 0 or a positive duration such as 500us, not %s", so.BatchWindow)
	}
	return nil
}

func runServe(ctx context.Context, stdio *IO, o *serveOptions) error {
	if err := o.check(); err != nil {
		return err
	}
	logOut := io.Writer(stdio.Err)
	if !stdio.ErrIsTerminal {
		// One write per log line would be one system call per request;
		// lines are gathered and written at least every 100 ms (and at
		// exit). On a terminal they are written at once.
		bw := newBatchWriter(stdio.Err, 100*time.Millisecond)
		defer bw.Close()
		logOut = bw
	}
	defer tuneGC()()
	log := newLogger(logOut, o.LogFormat, o.LogLevel)
	o.Server.Log = log
	o.Server.LogRequests = o.LogFormat == "json" || o.LogLevel == "debug"
	if o.LogFormat == "json" && (o.LogLevel == "debug" || o.LogLevel == "info") {
		// The same lines, made faster than through slog.
		o.Server.RequestLog = logOut
	}
	var models []*serve.Model
	for _, arg := range o.Models {
		name, path, err := serve.ParseModelArg(arg)
		if err != nil {
			return &usageError{err}
		}
		m, err := serve.Open(name, path)
		if err != nil {
			return err
		}
		models = append(models, m)
	}
	s, err := serve.New(models, o.Server)
	if err != nil {
		return &usageError{err}
	}
	if ctx.Err() != nil { // a signal while the models loaded
		return ctx.Err()
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %v", o.Addr, listenError(err))
	}
	// From here a signal drains, however long that takes (--drain-timeout),
	// instead of stopping the process after the usual grace. The hold is
	// kept until the process exits: released when the drain ends, the
	// grace (long expired) would end the process with 143 in the moment
	// before main exits with the drain's status (TestServeProcess saw it
	// under load).
	shutdown.hold()

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	watchCtx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	go func() {
		for {
			select {
			case <-hup:
				s.Reload(false, "SIGHUP")
			case <-watchCtx.Done():
				return
			}
		}
	}()
	if o.Watch {
		go s.Watch(watchCtx)
	}
	attrs := []any{"addr", ln.Addr().String(), "workers", workers(o.Server.Workers), "batch_window", o.Server.BatchWindow.String()}
	for _, m := range s.Models() {
		attrs = append(attrs, "model."+m.Name, m.Path+" sha256:"+m.Current().SHA256)
	}
	log.Info("serving", attrs...)
	if err := s.Serve(ctx, ln); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// serveGCPercent and serveMemoryLimit are the garbage collector's settings
// while dlc serve runs, unless GOGC and GOMEMLIMIT say otherwise. A
// server's live heap is small (the models, the requests in flight) and
// what it allocates per request is garbage at once, so at Go's default
// (GOGC=100) it collects every few megabytes: a 1,000-text request
// allocates 4.5 MB, so with 4 clients the collector ran about 14 times a
// second, each run taking CPU from the requests and adding to their tail
// latency. At 400 it runs about a fifth as often (BenchmarkServeIMDB: 31
// instead of 178 collections per 1,000 such requests). The soft memory
// limit keeps the larger goal from growing the process beyond what it
// reached at the default under attack (README, Memory: 607 MiB of 128
// bodies of 4 MiB in flight): near the limit the collector runs sooner.
const (
	serveGCPercent   = 400
	serveMemoryLimit = 512 << 20
)

// tuneGC applies serveGCPercent and serveMemoryLimit where the environment
// does not set them, and returns what puts the settings back.
func tuneGC() (restore func()) {
	percent, limit := -2, int64(-1)
	if os.Getenv("GOGC") == "" {
		percent = debug.SetGCPercent(serveGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		limit = debug.SetMemoryLimit(serveMemoryLimit)
	}
	return func() {
		if percent != -2 {
			debug.SetGCPercent(percent)
		}
		if limit >= 0 {
			debug.SetMemoryLimit(limit)
		}
	}
}

// workers is the worker count Options.Workers 0 means, for the log.
func workers(n int) int {
	if n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// batchWriter gathers writes in a buffer written out every interval, when
// it holds batchBytes, and on Close: many small writes (log lines) become
// few system calls. A Write only copies under the lock; the buffer is
// written out by the goroutine of the ticker, after swapping in an empty
// one, so that no request waits on the lock while a system call runs (or
// while the thread making it waits for a core).
type batchWriter struct {
	mu    sync.Mutex
	buf   []byte // written since the last swap
	out   io.Writer
	outMu sync.Mutex // one write out at a time, in order
	spare []byte     // the buffer written out last, empty; under outMu
	kick  chan struct{}
	stop  chan struct{}
	done  chan struct{}
}

// batchBytes is the buffer's size that starts a write out before the
// interval ends; maxBatchBytes the size at which Write writes out itself,
// so that a writer slower than the lines holds the memory to about that.
const (
	batchBytes    = 64 << 10
	maxBatchBytes = 1 << 20
)

func newBatchWriter(w io.Writer, interval time.Duration) *batchWriter {
	b := &batchWriter{out: w, buf: make([]byte, 0, batchBytes), spare: make([]byte, 0, batchBytes),
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				b.flush()
			case <-b.kick:
				b.flush()
			case <-b.stop:
				return
			}
		}
	}()
	return b
}

func (b *batchWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	b.buf = append(b.buf, p...)
	n := len(b.buf)
	b.mu.Unlock()
	switch {
	case n >= maxBatchBytes:
		b.flush()
	case n >= batchBytes:
		select {
		case b.kick <- struct{}{}:
		default: // a write out is due already
		}
	}
	return len(p), nil
}

// flush writes out what is buffered.
func (b *batchWriter) flush() {
	b.outMu.Lock()
	defer b.outMu.Unlock()
	b.mu.Lock()
	out := b.buf
	b.buf = b.spare
	b.mu.Unlock()
	if len(out) > 0 {
		b.out.Write(out)
	}
	if cap(out) > maxBatchBytes*2 {
		out = make([]byte, 0, batchBytes) // a burst's memory goes back
	}
	b.spare = out[:0]
}

// Close writes what is buffered and stops the timer.
func (b *batchWriter) Close() {
	close(b.stop)
	<-b.done
	b.flush()
}

// newLogger returns the logger for --log-format and --log-level.
func newLogger(w io.Writer, format, level string) *slog.Logger {
	var lv slog.Level
	lv.UnmarshalText([]byte(level)) // one of the enum's values
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// listenError drops the "listen tcp :8080:" that net's error repeats.
func listenError(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}

// byteSize is a flag holding a number of bytes, written with an optional
// unit: 8MiB, 512KiB, 1GiB (powers of 1024), 1MB, 1kB (powers of 1000),
// or plain bytes.
type byteSize int64

var byteUnits = []struct {
	suffix string
	n      int64
}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"kB", 1e3}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}

// String writes the size in the largest binary unit that divides it.
func (b *byteSize) String() string {
	n := int64(*b)
	for _, u := range []struct {
		suffix string
		n      int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n > 0 && n%u.n == 0 {
			return strconv.FormatInt(n/u.n, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

func (b *byteSize) Type() string { return "size" }

func (b *byteSize) Set(s string) error {
	num, unit := s, int64(1)
	for _, u := range byteUnits {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			num, unit = strings.TrimSpace(rest), u.n
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 1 || n > (1<<50)/unit {
		return errors.New("must be a positive size such as 8MiB, 512KiB or 1000000 (bytes)")
	}
	*b = byteSize(n * unit)
	return nil
}
