package serve

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are what /metrics shows, in a registry of the server's own (not
// the process-wide default), so that two servers in one process — tests —
// count apart.
type metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec   // by handler, model, code
	latency   *prometheus.HistogramVec // by handler
	inflight  prometheus.GaugeFunc
	inputs    *prometheus.CounterVec // answered, by model
	batchIn   prometheus.Histogram   // inputs per block
	batchReqs prometheus.Histogram   // requests per block
	reloads   *prometheus.CounterVec // by model, result
	loadedAt  *prometheus.GaugeVec   // by model
	info      *prometheus.GaugeVec   // by model, sha256
	panics    prometheus.Counter
}

// newMetrics returns the server's metrics; inflight reads the predict
// requests admitted and not yet answered.
func newMetrics(inflight func() float64) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dlc_http_requests_total",
			Help: "HTTP requests answered, by handler, model (predict) and status code.",
		}, []string{"handler", "model", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "dlc_http_request_duration_seconds",
			Help: "Time from a request's headers read to its answer written, by handler.",
			// From a single text answered at once (a fraction of a
			// millisecond) to a large request on a loaded server.
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"handler"}),
		// Read when scraped, from the count admission keeps anyway, rather
		// than a gauge every request adds to and takes from.
		inflight: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "dlc_predict_inflight_requests",
			Help: "Predict requests admitted and not yet answered.",
		}, inflight),
		inputs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dlc_predict_inputs_total",
			Help: "Texts and instances answered, by model.",
		}, []string{"model"}),
		batchIn: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "dlc_predict_batch_inputs",
			Help:    "Inputs answered together in one block (requests gathered by a worker).",
			Buckets: prometheus.ExponentialBuckets(1, 2, 14), // 1 .. 8192
		}),
		batchReqs: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "dlc_predict_batch_requests",
			Help:    "Requests gathered into one block.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 10), // 1 .. 512
		}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dlc_model_reloads_total",
			Help: `Model reloads, by model and result: "ok" (a new version serves) or "failed" (the file did not load; the version before serves on).`,
		}, []string{"model", "result"}),
		loadedAt: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "dlc_model_loaded_timestamp_seconds",
			Help: "When the version serving was loaded (Unix time), by model.",
		}, []string{"model"}),
		info: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "dlc_model_info",
			Help: "1 for the version serving: the sha256 of its file, by model.",
		}, []string{"model", "sha256"}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dlc_panics_recovered_total",
			Help: "Panics recovered while answering (each answered 500); any is a bug to report.",
		}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.inflight, m.inputs, m.batchIn, m.batchReqs,
		m.reloads, m.loadedAt, m.info, m.panics,
		// The scheduler's metrics besides the Go collector's defaults:
		// go_sched_latencies_seconds is how long goroutines wait for a CPU
		// once runnable. Under load most of a request's latency is such
		// waiting, before its handler starts and after its answer is
		// written, which the request histogram above cannot see.
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(collectors.MetricsScheduler)),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// serving records that v now serves as its model.
func (m *metrics) serving(v *Version) {
	name := v.owner.Name
	m.info.DeletePartialMatch(prometheus.Labels{"model": name})
	m.info.WithLabelValues(name, v.SHA256).Set(1)
	m.loadedAt.WithLabelValues(name).Set(float64(v.LoadedAt.UnixNano()) / 1e9)
	// Both results appear from the start, so a rate() sees the first one.
	m.reloads.WithLabelValues(name, "ok")
	m.reloads.WithLabelValues(name, "failed")
}

// predictMetrics are the series a model's answered predict request
// counts in.
type predictMetrics struct {
	ok      prometheus.Counter  // requests{handler="predict", model, code="200"}
	latency prometheus.Observer // latency{handler="predict"}
	inputs  prometheus.Counter  // inputs{model}
}

func (m *metrics) predict(model string) *predictMetrics {
	return &predictMetrics{
		ok:      m.requests.WithLabelValues("predict", model, "200"),
		latency: m.latency.WithLabelValues("predict"),
		inputs:  m.inputs.WithLabelValues(model),
	}
}
