package serve

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/pipeline"
)

// exchange is one request being answered: what the middleware around
// every handler records (status, sizes, model, inputs) and logs.
type exchange struct {
	http.ResponseWriter
	status  int
	written int64
	handler string
	model   string // a served model's name, or ""
	inputs  int
	msg     string    // the error message sent
	end     time.Time // when the answer was flushed (send), or zero
}

func (x *exchange) WriteHeader(code int) {
	if x.status == 0 {
		x.status = code
	}
	x.ResponseWriter.WriteHeader(code)
}

func (x *exchange) Write(b []byte) (int, error) {
	if x.status == 0 {
		x.status = http.StatusOK
	}
	n, err := x.ResponseWriter.Write(b)
	x.written += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (x *exchange) Unwrap() http.ResponseWriter { return x.ResponseWriter }

// statusClientClosed is what the metrics and logs record for a request
// whose client left before its answer (nginx's 499): nothing was sent.
const statusClientClosed = 499

// routes returns the server's handler: every route, inside the middleware
// that recovers, counts and logs.
func (s *Server) routes() http.Handler {
	metricsHandler := promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelError)})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := &exchange{ResponseWriter: w}
		start := time.Now()
		if s.draining.Load() {
			w.Header().Set("Connection", "close")
		}
		defer s.finish(x, r, start)
		path := r.URL.Path
		switch {
		case path == "/healthz":
			x.handler = "healthz"
			if allow(x, r, http.MethodGet) {
				// Alive: the process answers. Whether it should get
				// traffic is /readyz's question.
				writeText(x, http.StatusOK, "ok\n")
			}
		case path == "/readyz":
			x.handler = "readyz"
			if allow(x, r, http.MethodGet) {
				if s.draining.Load() {
					writeText(x, http.StatusServiceUnavailable, "draining\n")
				} else {
					writeText(x, http.StatusOK, "ready\n")
				}
			}
		case path == "/metrics":
			x.handler = "metrics"
			if allow(x, r, http.MethodGet) {
				metricsHandler.ServeHTTP(x, r)
			}
		case path == "/v1/models" || path == "/v1/models/":
			x.handler = "models"
			if allow(x, r, http.MethodGet) {
				s.list(x)
			}
		case strings.HasPrefix(path, "/v1/models/"):
			name, verb, hasVerb := strings.Cut(strings.TrimPrefix(path, "/v1/models/"), ":")
			m := s.models[name]
			switch {
			case !hasVerb:
				x.handler = "model"
				if m == nil {
					s.unknownModel(x, name)
				} else if allow(x, r, http.MethodGet) {
					writeJSON(x, http.StatusOK, info(m.Current()))
				}
			case verb == "predict":
				x.handler = "predict"
				if m == nil {
					s.unknownModel(x, name)
				} else if allow(x, r, http.MethodPost) {
					x.model = name
					s.predict(x, r, m)
				}
			default:
				x.handler = "other"
				x.fail(http.StatusNotFound, fmt.Sprintf("%s is not an API path: a model answers POST /v1/models/NAME:predict", path))
			}
		default:
			x.handler = "other"
			x.fail(http.StatusNotFound, fmt.Sprintf("%s is not an API path: try GET /v1/models, POST /v1/models/NAME:predict, /healthz, /readyz or /metrics", path))
		}
	})
}

// finish recovers a handler's panic, and counts and logs the request.
func (s *Server) finish(x *exchange, r *http.Request, start time.Time) {
	if p := recover(); p != nil {
		if p == http.ErrAbortHandler {
			// net/http's way to abort a response: not a failure of ours.
			panic(p)
		}
		s.metrics.panics.Inc()
		s.log.Error("panic while answering; the request gets 500", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		if x.status == 0 {
			x.fail(http.StatusInternalServerError, "the server failed while answering this request; it has been logged")
		} else {
			x.status = http.StatusInternalServerError
		}
	}
	if x.status == 0 {
		x.status = statusClientClosed
	}
	end := x.end
	if end.IsZero() {
		end = time.Now()
	}
	took := end.Sub(start)
	if pm := s.predictMetrics[x.model]; pm != nil && x.status == http.StatusOK {
		// The common case, with its series bound once: looking a series
		// up by its labels hashes them, and the code's string allocates.
		pm.ok.Inc()
		pm.latency.Observe(took.Seconds())
	} else {
		s.metrics.requests.WithLabelValues(x.handler, x.model, strconv.Itoa(x.status)).Inc()
		s.metrics.latency.WithLabelValues(x.handler).Observe(took.Seconds())
	}
	if s.o.LogRequests {
		l := requestLine{method: r.Method, path: r.URL.Path, remote: r.RemoteAddr, status: x.status,
			ms: float64(took.Microseconds()) / 1000, bytesIn: r.ContentLength, bytesOut: x.written,
			model: x.model, inputs: x.inputs, err: x.msg}
		if s.o.RequestLog != nil {
			s.logRequest(&l, end)
		} else {
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", l.attrs()...)
		}
	}
}

// allow answers 405 (with Allow) unless the request's method is method.
func allow(x *exchange, r *http.Request, method string) bool {
	if r.Method == method || (method == http.MethodGet && r.Method == http.MethodHead) {
		return true
	}
	x.Header().Set("Allow", method)
	x.fail(http.StatusMethodNotAllowed, fmt.Sprintf("%s takes %s, not %s", r.URL.Path, method, r.Method))
	return false
}

func (s *Server) unknownModel(x *exchange, name string) {
	x.fail(http.StatusNotFound, fmt.Sprintf("no model is named %q here; the models are %s (GET /v1/models)", name, strings.Join(s.names, ", ")))
}

// fail answers {"error": msg} with status.
func (x *exchange) fail(status int, msg string) {
	x.msg = msg
	if status == http.StatusServiceUnavailable {
		x.Header().Set("Retry-After", "1")
	}
	writeJSON(x, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// The server's own values always encode; if one does not, that
		// is a bug to recover from and log.
		panic(err)
	}
	writeBody(w, status, "application/json", append(b, '\n'))
}

func writeText(w http.ResponseWriter, status int, s string) {
	writeBody(w, status, "text/plain; charset=utf-8", []byte(s))
}

func writeBody(w http.ResponseWriter, status int, contentType string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// predict answers POST /v1/models/NAME:predict.
func (s *Server) predict(x *exchange, r *http.Request, m *Model) {
	// Admission first, so that at most MaxInflight bodies are read and
	// held at once: that bounds the server's memory.
	if n := s.inflight.Add(1); n > int64(s.o.MaxInflight) {
		s.inflight.Add(-1)
		x.fail(http.StatusServiceUnavailable, fmt.Sprintf("the server is answering %d requests, its limit; retry in a moment", s.o.MaxInflight))
		return
	}
	// The request leaves the count when its answer is sent (or it fails),
	// before the bookkeeping after it: a client answered may send its next
	// request at once, and finds room.
	admitted := true
	leave := func() {
		if admitted {
			admitted = false
			s.inflight.Add(-1)
		}
	}
	defer leave()
	if r.ContentLength > s.o.MaxBodyBytes {
		x.fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is %d bytes, more than the limit of %d; send fewer inputs per request", r.ContentLength, s.o.MaxBodyBytes))
		return
	}
	// The version serving now answers this request, whatever reloads
	// happen while it waits.
	v := m.Current()
	body := r.Body
	if r.ContentLength < 0 {
		// A body of a known length is read no further than that length,
		// checked above; one without is cut off at the limit.
		body = http.MaxBytesReader(x, body, s.o.MaxBodyBytes)
	}
	req, err := decode(body, s.o.MaxInputs, r.ContentLength)
	if err != nil {
		re := err.(*RequestError)
		x.fail(re.Status, re.Msg)
		return
	}
	x.inputs = req.Inputs()
	if err := check(req, v); err != nil {
		x.fail(http.StatusBadRequest, err.Error())
		return
	}
	j := newJob(r.Context(), v, req)
	// The answer's envelope opens the buffer the worker writes the answers
	// into, and closes it after: the answer is one Write, not copied.
	j.out = append(j.out, `{"model":`...)
	j.out = strconv.AppendQuote(j.out, m.Name) // names are plain ASCII (nameRE)
	j.out = append(j.out, `,"model_sha256":"`...)
	j.out = append(j.out, v.SHA256...)
	j.out = append(j.out, `","predictions":[`...)
	if !s.batch.run(j) {
		return // the client left; nothing can be sent (the job is the batcher's)
	}
	defer j.release()
	if j.err != nil {
		var re *RequestError
		if !errors.As(j.err, &re) {
			if r.Context().Err() != nil {
				return
			}
			re = &RequestError{http.StatusInternalServerError, "the server failed while answering this request: " + j.err.Error()}
		}
		x.fail(re.Status, re.Msg)
		return
	}
	j.out = append(j.out, "]}\n"...)
	h := x.Header()
	h["Content-Type"] = jsonContentType
	// The length is set, so that the answer flushed below goes out whole
	// rather than chunked (net/http sets it itself only once the handler
	// has returned).
	h["Content-Length"] = []string{strconv.Itoa(len(j.out))}
	x.WriteHeader(http.StatusOK)
	x.Write(j.out)
	leave()
	x.send()
	s.predictMetrics[m.Name].inputs.Add(float64(req.Inputs()))
}

// send flushes the answer written to the client now, not after the
// handler returns: what is left — the metrics, the log line, the job's
// release — is none of the client's waiting. The latency ends here.
func (x *exchange) send() {
	if f, ok := x.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
	x.end = time.Now()
}

// jsonContentType is the Content-Type header of JSON answers, one slice
// for all (net/http only reads it).
var jsonContentType = []string{"application/json"}

// check refuses what the request asks of the model that it cannot do:
// each message names the field, as predict's name the flag.
func check(req *Request, v *Version) error {
	m := v.Model
	name := v.owner.Name
	if req.Texts == nil {
		if !v.Dense() {
			return fmt.Errorf(`model %s reads texts, not instances of numbers; send {"texts": ["..."]}`, name)
		}
		if want := m.Vectorizer.Features(); req.Width != want {
			return fmt.Errorf("model %s reads instances of %d numbers, not %d", name, want, req.Width)
		}
	}
	if m.Net.Spec().Regression {
		switch {
		case req.TopK != 1:
			return fmt.Errorf("top_k ranks labels; model %s is a regression model, which predicts one number", name)
		case req.HasThreshold:
			return fmt.Errorf("threshold cuts between two labels; model %s is a regression model, which predicts one number", name)
		case req.Explain > 0:
			return fmt.Errorf("explain names the tokens that pushed a label; model %s is a regression model", name)
		}
		return nil
	}
	if req.TopK > len(m.Labels) {
		return fmt.Errorf("top_k must be between 1 and model %s's %d labels, not %d", name, len(m.Labels), req.TopK)
	}
	if req.Explain > 0 && m.Vectorizer.Hashing > 0 {
		return fmt.Errorf("explain names the tokens of a model's vocabulary; model %s hashes n-grams into %d buckets and has none", name, m.Vectorizer.Hashing)
	}
	if req.HasThreshold {
		if err := (pipeline.Threshold{Set: true, Value: req.Threshold}).Check(m); err != nil {
			return err
		}
	}
	return nil
}

// modelInfo is what GET /v1/models says of a model.
type modelInfo struct {
	Name       string    `json:"name"`
	Path       string    `json:"path"`
	SHA256     string    `json:"sha256"`
	LoadedAt   time.Time `json:"loaded_at"`
	Task       string    `json:"task"`  // classification | regression
	Input      string    `json:"input"` // texts | instances
	Features   int       `json:"features"`
	Labels     []string  `json:"labels,omitempty"`
	DLCVersion string    `json:"dlc_version"`
	Config     struct {
		Vectorizer any      `json:"vectorizer"`
		Model      any      `json:"model"`
		Loss       string   `json:"loss"`
		Spec       mlp.Spec `json:"network"`
	} `json:"config"`
	Training struct {
		Examples     int      `json:"examples"`
		Epochs       int      `json:"epochs"`
		TestAccuracy *float64 `json:"test_accuracy,omitempty"`
		TestRMSE     *float64 `json:"test_rmse,omitempty"`
	} `json:"training"`
}

func info(v *Version) modelInfo {
	m := v.Model
	i := modelInfo{Name: v.owner.Name, Path: v.owner.Path, SHA256: v.SHA256, LoadedAt: v.LoadedAt,
		Task: "classification", Input: "texts", Features: m.Vectorizer.Features(), Labels: m.Labels, DLCVersion: m.Record.DLCVersion}
	if m.Net.Spec().Regression {
		i.Task = "regression"
	}
	if v.Dense() {
		i.Input = "instances"
	}
	i.Config.Vectorizer = m.Config.Vectorizer
	i.Config.Model = m.Config.Model
	i.Config.Loss = m.Config.Loss
	i.Config.Spec = m.Net.Spec()
	i.Training.Examples = m.Record.TrainExamples
	i.Training.Epochs = len(m.Record.Epochs)
	if t := m.Record.Test; t != nil {
		i.Training.TestAccuracy, i.Training.TestRMSE = t.Accuracy, t.RMSE
	}
	return i
}

// list answers GET /v1/models.
func (s *Server) list(x *exchange) {
	out := struct {
		Models []modelInfo `json:"models"`
	}{}
	for _, n := range s.names {
		out.Models = append(out.Models, info(s.models[n].Current()))
	}
	writeJSON(x, http.StatusOK, out)
}
