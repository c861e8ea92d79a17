package serve

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dlc-dev/dlc/internal/pipeline"
)

// newsTexts are texts for the topics fixture, one empty.
var newsTexts = []string{"oil barrel opec price", "the merger stake offer profit", "", "wheat", "quarterly dividend earn net shr"}

// The answers are dlc predict --format json's, byte for byte, with every
// option, whether requests come one at a time or many at once (gathered
// into blocks with other requests, with and without a window).
func TestPredictAnswersAsPredict(t *testing.T) {
	dir := t.TempDir()
	topics := open(t, "topics", writeModel(t, dir, "topics", "topics"))
	tiny := open(t, "tiny", writeModel(t, dir, "tiny", "tiny"))
	multi := open(t, "multi", writeModel(t, dir, "multi", "multilabel"))
	for _, window := range []time.Duration{0, 2 * time.Millisecond} {
		ts := newTestServer(t, Options{BatchWindow: window, MaxBatch: 7}, topics, tiny, multi)
		cases := []struct {
			model *Model
			req   map[string]any
			o     pipeline.PredictOptions
			topK  int
		}{
			{topics, map[string]any{"texts": newsTexts}, pipeline.PredictOptions{}, 1},
			{topics, map[string]any{"texts": newsTexts, "top_k": 3}, pipeline.PredictOptions{}, 3},
			{topics, map[string]any{"texts": newsTexts, "explain": 2, "top_k": 4}, pipeline.PredictOptions{Explain: 2}, 4},
			{tiny, map[string]any{"texts": []string{"great fun", "boring awful", "fine"}, "threshold": 0.9}, pipeline.PredictOptions{Threshold: pipeline.Threshold{Set: true, Value: 0.9}}, 1},
			{multi, map[string]any{"texts": multiTexts, "top_k": 2, "explain": 1}, pipeline.PredictOptions{Explain: 1}, 2},
			{multi, map[string]any{"texts": multiTexts, "threshold": 0.2}, pipeline.PredictOptions{Threshold: pipeline.Threshold{Set: true, Value: 0.2}}, 1},
		}
		var wg sync.WaitGroup
		for round := range 20 {
			for _, c := range cases {
				wg.Go(func() {
					texts := c.req["texts"].([]string)
					req := map[string]any{}
					for k, v := range c.req {
						req[k] = v
					}
					// Each request a different share of the texts, so
					// that blocks mix requests of several sizes.
					texts = texts[round%len(texts):]
					req["texts"] = texts
					r := decodePredict(t, ts.do(t, "POST", "/v1/models/"+c.model.Name+":predict", body(t, req)))
					w := want(t, c.model.Current().Model, c.o, c.topK, texts...)
					if r.Model != c.model.Name || r.SHA256 != c.model.Current().SHA256 || len(r.Predictions) != len(w) {
						t.Errorf("%s: model %s %s, %d answers for %d texts", c.model.Name, r.Model, r.SHA256, len(r.Predictions), len(w))
						return
					}
					for i := range w {
						if string(r.Predictions[i]) != w[i] {
							t.Errorf("window %s, %v, text %q: %s, predict says %s", window, c.req, texts[i], r.Predictions[i], w[i])
						}
					}
				})
			}
		}
		wg.Wait()
		if got := metricValue(t, ts, "dlc_predict_batch_requests_count"); got < 1 {
			t.Errorf("no block counted")
		}
		// The scheduler's latency, which says how long goroutines waited
		// for a CPU (most of a loaded server's latency), is exposed.
		if got := metricValue(t, ts, "go_sched_latencies_seconds_count"); got < 1 {
			t.Errorf("go_sched_latencies_seconds is missing from /metrics")
		}
	}
}

var multiTexts = []string{"wheat corn and crude oil", "nothing here", "yen dollar", "vessel port crude"}

// A multi-label model answers the labels at or above their thresholds
// (none, one or several) with every label's probability, as predict does.
func TestPredictMultiLabel(t *testing.T) {
	multi := open(t, "multi", writeModel(t, t.TempDir(), "multi", "multilabel"))
	ts := newTestServer(t, Options{}, multi)
	r := decodePredict(t, ts.do(t, "POST", "/v1/models/multi:predict", body(t, map[string]any{"texts": multiTexts[:3]})))
	var got []string
	for _, p := range r.Predictions {
		var a struct {
			Labels []string           `json:"labels"`
			Scores map[string]float64 `json:"scores"`
		}
		if err := json.Unmarshal(p, &a); err != nil || len(a.Scores) != 4 {
			t.Fatalf("answer %s: %v", p, err)
		}
		got = append(got, strings.Join(a.Labels, ","))
	}
	if strings.Join(got, "|") != "grain,oil||money" {
		t.Errorf("labels %q, want grain,oil, none and money (as testdata/script/multilabel_predict.txtar)", got)
	}
	r = decodePredict(t, ts.do(t, "POST", "/v1/models/multi:predict", body(t, map[string]any{"texts": multiTexts[:1], "threshold": 1})))
	if !strings.HasPrefix(string(r.Predictions[0]), `{"labels":[],`) {
		t.Errorf("threshold 1: %s", r.Predictions[0])
	}
	if r := ts.do(t, "POST", "/v1/models/multi:predict", `{"texts": ["x"], "threshold": 1.5}`); r.status != 400 || !strings.Contains(r.body, "between 0 and 1") {
		t.Errorf("threshold 1.5: %d %s", r.status, r.body)
	}
}

// A model of numbers answers instances (and lines of numbers as texts, as
// predict reads them) as dlc predict does; a regression answers {"value"}.
func TestPredictInstances(t *testing.T) {
	dir := t.TempDir()
	dense := open(t, "dense", writeModel(t, dir, "dense", "dense"))
	linreg := open(t, "linreg", writeModel(t, dir, "linreg", "linreg"))
	ts := newTestServer(t, Options{}, dense, linreg)
	for _, c := range []struct {
		m    *Model
		rows [][]float64
	}{
		{dense, [][]float64{{1, 2, 0.5}, {-7, 0, -3.5}, {0, 0, 0}, {1e-7, 2.5, 1e6}}},
		{linreg, [][]float64{{1, 2}, {-2.6204, 0.4423}, {0, 0}}},
	} {
		var lines []string
		for _, row := range c.rows {
			var cols []string
			for _, x := range row {
				cols = append(cols, fmt.Sprint(x))
			}
			lines = append(lines, strings.Join(cols, ","))
		}
		w := want(t, c.m.Current().Model, pipeline.PredictOptions{}, 1, lines...)
		for _, req := range []map[string]any{{"instances": c.rows}, {"texts": lines}} {
			r := decodePredict(t, ts.do(t, "POST", "/v1/models/"+c.m.Name+":predict", body(t, req)))
			for i := range w {
				if i >= len(r.Predictions) || string(r.Predictions[i]) != w[i] {
					t.Errorf("%s %v: %s, predict says %s", c.m.Name, req, r.Predictions, w)
					break
				}
			}
		}
	}
	if r := decodePredict(t, ts.do(t, "POST", "/v1/models/linreg:predict", `{"instances": [[1, 2]]}`)); !regexp.MustCompile(`^\{"value":-?[0-9.e+-]+\}$`).MatchString(string(r.Predictions[0])) {
		t.Errorf("a regression answers %s, want {\"value\": x}", r.Predictions[0])
	}
}

// Each refusal has its status and a one-sentence message naming the
// problem; the server goes on answering.
func TestStatusCodes(t *testing.T) {
	dir := t.TempDir()
	topics := open(t, "topics", writeModel(t, dir, "topics", "topics"))
	tiny := open(t, "tiny", writeModel(t, dir, "tiny", "tiny"))
	dense := open(t, "dense", writeModel(t, dir, "dense", "dense"))
	linreg := open(t, "linreg", writeModel(t, dir, "linreg", "linreg"))
	hashed := open(t, "hashed", writeModel(t, dir, "hashed", "topics", "vectorizer.hashing=1024"))
	// A regression whose weight makes a large input's answer infinite.
	huge := open(t, "huge", linreg.Path)
	huge.Current().Model.Net.Layers[0].W[0] = 1e300
	ts := newTestServer(t, Options{MaxBodyBytes: 4096, MaxInputs: 50}, topics, tiny, dense, linreg, hashed, huge)
	big := `{"texts": ["` + strings.Repeat("oil ", 2000) + `"]}`
	for _, c := range []struct {
		method, path, body string
		status             int
		msg                string
	}{
		{"POST", "/v1/models/topics:predict", `{"texts": ["oil"]}`, 200, ``},
		{"POST", "/v1/models/topics:predict", `{"texts": ["oil"`, 400, `^the request body ends in the middle of its JSON, after byte 16$`},
		{"POST", "/v1/models/topics:predict", `{"texts": [1]}`, 400, `^texts\[0\] must be a string, not a number$`},
		{"POST", "/v1/models/topics:predict", `{"instances": [[1, 2]]}`, 400, `^model topics reads texts, not instances of numbers; send \{"texts": \["..."\]\}$`},
		{"POST", "/v1/models/dense:predict", `{"instances": [[1, 2]]}`, 400, `^model dense reads instances of 3 numbers, not 2$`},
		{"POST", "/v1/models/dense:predict", `{"texts": ["1,2,3", "1,x,3"]}`, 400, `^texts\[1\] value 2 \(x2\) is "x", not a finite number$`},
		{"POST", "/v1/models/topics:predict", `{"texts": ["oil"], "top_k": 5}`, 400, `^top_k must be between 1 and model topics's 4 labels, not 5$`},
		{"POST", "/v1/models/topics:predict", `{"texts": ["oil"], "threshold": 0.5}`, 400, `^threshold .*two labels`},
		{"POST", "/v1/models/tiny:predict", `{"texts": ["fun"], "threshold": 1.5}`, 400, `^threshold `},
		{"POST", "/v1/models/hashed:predict", `{"texts": ["oil"], "explain": 2}`, 400, `^explain names the tokens of a model's vocabulary; model hashed hashes n-grams into 1024 buckets and has none$`},
		{"POST", "/v1/models/linreg:predict", `{"instances": [[1, 2]], "top_k": 2}`, 400, `^top_k ranks labels; model linreg is a regression model, which predicts one number$`},
		{"POST", "/v1/models/linreg:predict", `{"instances": [[1, 2]], "explain": 1}`, 400, `^explain names the tokens that pushed a label; model linreg is a regression model$`},
		{"POST", "/v1/models/huge:predict", `{"instances": [[1, 0], [1e10, 0]]}`, 422, `^the model's answer to instances\[1\] is not a finite number; its values are beyond what the model can score$`},
		{"POST", "/v1/models/nope:predict", `{"texts": ["oil"]}`, 404, `^no model is named "nope" here; the models are dense, hashed, huge, linreg, tiny, topics \(GET /v1/models\)$`},
		{"GET", "/v1/models/nope", ``, 404, `^no model is named "nope" here`},
		{"POST", "/v1/models/topics:train", `{}`, 404, `^/v1/models/topics:train is not an API path: a model answers POST /v1/models/NAME:predict$`},
		{"GET", "/v2/anything", ``, 404, `^/v2/anything is not an API path: try GET /v1/models, POST /v1/models/NAME:predict, /healthz, /readyz or /metrics$`},
		{"GET", "/v1/models/topics:predict", ``, 405, `^/v1/models/topics:predict takes POST, not GET$`},
		{"DELETE", "/v1/models", ``, 405, `^/v1/models takes GET, not DELETE$`},
		{"POST", "/healthz", ``, 405, `^/healthz takes GET, not POST$`},
		{"POST", "/v1/models/topics:predict", big, 413, `^the request body is 8015 bytes, more than the limit of 4096; send fewer inputs per request$`},
		{"POST", "/v1/models/topics:predict", body(t, map[string]any{"texts": make([]string, 51)}), 413, `^the request holds more than 50 texts; send at most 50 per request$`},
	} {
		r := ts.do(t, c.method, c.path, c.body)
		if r.status != c.status {
			t.Errorf("%s %s %.40q: %d %s, want %d", c.method, c.path, c.body, r.status, r.body, c.status)
			continue
		}
		if c.status == 200 {
			continue
		}
		var e struct{ Error string }
		if err := json.Unmarshal([]byte(r.body), &e); err != nil || !regexp.MustCompile(c.msg).MatchString(e.Error) || strings.Contains(e.Error, "\n") {
			t.Errorf("%s %s %.40q: %s, want {\"error\": %s}", c.method, c.path, c.body, r.body, c.msg)
		}
		if c.status == 405 && r.header.Get("Allow") == "" {
			t.Errorf("%s %s: 405 without Allow", c.method, c.path)
		}
	}
	// A body sent without a length (chunked) is cut off at the limit.
	req, _ := http.NewRequest("POST", ts.http.URL+"/v1/models/topics:predict", io.MultiReader(strings.NewReader(big)))
	req.ContentLength = -1
	resp, err := ts.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 413 || !strings.Contains(string(b), "the request body is larger than 4096 bytes") {
		t.Errorf("a chunked body over the limit: %d %s", resp.StatusCode, b)
	}
	// Every refusal is counted by its code.
	for code, n := range map[string]float64{"400": 11, "404": 4, "405": 3, "413": 3, "422": 1} {
		if got := metricSum(t, ts, `dlc_http_requests_total{`, `code="`+code+`"`); got != n {
			t.Errorf("dlc_http_requests_total with code %s = %v, want %v", code, got, n)
		}
	}
}

// GET /v1/models says what each model is and which file serves.
func TestModelsList(t *testing.T) {
	dir := t.TempDir()
	topics := open(t, "topics", writeModel(t, dir, "topics", "topics"))
	linreg := open(t, "linreg", writeModel(t, dir, "linreg", "linreg"))
	ts := newTestServer(t, Options{}, topics, linreg)
	r := ts.do(t, "GET", "/v1/models", "")
	var list struct{ Models []modelInfo }
	if err := json.Unmarshal([]byte(r.body), &list); err != nil || r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if len(list.Models) != 2 || list.Models[0].Name != "linreg" || list.Models[1].Name != "topics" {
		t.Fatalf("models %+v, want linreg and topics in order", list.Models)
	}
	l, tp := list.Models[0], list.Models[1]
	if tp.SHA256 != topics.Current().SHA256 || len(tp.SHA256) != 64 || tp.Task != "classification" || tp.Input != "texts" ||
		strings.Join(tp.Labels, ",") != "acq,crude,earn,grain" || tp.Features != 42 || tp.LoadedAt.IsZero() || tp.Training.Epochs != 6 {
		t.Errorf("topics: %+v", tp)
	}
	if l.Task != "regression" || l.Input != "instances" || l.Labels != nil || l.Features != 2 {
		t.Errorf("linreg: %+v", l)
	}
	if !strings.Contains(r.body, `"vectorizer":{"mode":"multi_hot","max_tokens":100`) || !strings.Contains(r.body, `"loss":"categorical_crossentropy"`) {
		t.Errorf("no config summary: %s", r.body)
	}
	one := ts.do(t, "GET", "/v1/models/topics", "")
	var info modelInfo
	if err := json.Unmarshal([]byte(one.body), &info); err != nil || info.SHA256 != tp.SHA256 {
		t.Errorf("GET /v1/models/topics: %s", one.body)
	}
}

// healthz says alive, readyz ready — until the server drains.
func TestHealth(t *testing.T) {
	ts := newTestServer(t, Options{}, open(t, "topics", writeModel(t, t.TempDir(), "topics", "topics")))
	if r := ts.do(t, "GET", "/healthz", ""); r.status != 200 || r.body != "ok\n" {
		t.Errorf("healthz: %d %q", r.status, r.body)
	}
	if r := ts.do(t, "GET", "/readyz", ""); r.status != 200 {
		t.Errorf("readyz: %d %q", r.status, r.body)
	}
	ts.draining.Store(true)
	if r := ts.do(t, "GET", "/readyz", ""); r.status != 503 || r.body != "draining\n" {
		t.Errorf("readyz while draining: %d %q", r.status, r.body)
	}
	if r := ts.do(t, "GET", "/healthz", ""); r.status != 200 {
		t.Errorf("healthz while draining: %d %q", r.status, r.body)
	}
}

// A panic while answering is recovered, answered 500, counted and logged,
// and the server answers the next request.
func TestPanicIsRecovered(t *testing.T) {
	var logs syncBuffer
	topics := open(t, "topics", writeModel(t, t.TempDir(), "topics", "topics"))
	ts := newTestServer(t, Options{Log: slog.New(slog.NewJSONHandler(&logs, nil))}, topics)
	good := topics.Current()
	// A version without a network: any predictor made for it panics (in
	// a worker), and so does describing it (in a handler).
	broken := *good
	mod := *good.Model
	mod.Net = nil
	broken.Model = &mod
	topics.cur.Store(&broken)
	r1 := ts.do(t, "POST", "/v1/models/topics:predict", `{"texts": ["oil"]}`)
	r2 := ts.do(t, "GET", "/v1/models", "")
	topics.cur.Store(good)
	r3 := ts.do(t, "POST", "/v1/models/topics:predict", `{"texts": ["oil"]}`)
	if r1.status != 500 || r2.status != 500 || r3.status != 200 {
		t.Errorf("statuses %d %d %d, want 500 500 200: %s %s", r1.status, r2.status, r3.status, r1.body, r2.body)
	}
	if !strings.Contains(r1.body, "the server failed while answering this request; it has been logged") {
		t.Errorf("500 says %s", r1.body)
	}
	if got := metricValue(t, ts, "dlc_panics_recovered_total"); got != 2 {
		t.Errorf("dlc_panics_recovered_total = %v, want 2", got)
	}
	if n := strings.Count(logs.String(), `"msg":"panic while answering`); n != 2 {
		t.Errorf("%d panics logged, want 2:\n%s", n, logs.String())
	}
}

// With LogRequests, every request is one JSON line with what an operator
// looks for, through slog or written to RequestLog.
func TestRequestLog(t *testing.T) {
	topics := open(t, "topics", writeModel(t, t.TempDir(), "topics", "topics"))
	for _, direct := range []bool{false, true} {
		var logs syncBuffer
		o := Options{Log: slog.New(slog.NewJSONHandler(&logs, nil)), LogRequests: true}
		if direct {
			o.RequestLog = &logs
		}
		ts := newTestServer(t, o, topics)
		// One connection, whose requests the server reads one after the
		// other, each once the handler of the one before has returned:
		// a predict answer is sent before its line is logged.
		ts.http.Client().Transport.(*http.Transport).MaxConnsPerHost = 1
		testRequestLog(t, ts, &logs)
	}
}

func testRequestLog(t *testing.T, ts *testServer, logs *syncBuffer) {
	ts.do(t, "POST", "/v1/models/topics:predict", `{"texts": ["oil", "wheat"]}`)
	ts.do(t, "POST", "/v1/models/topics:predict", `{"texts": 1}`)
	ts.do(t, "GET", "/healthz", "")
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines for 3 requests:\n%s", len(lines), logs.String())
	}
	var l []map[string]any
	for _, line := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		l = append(l, m)
	}
	if l[0]["msg"] != "request" || l[0]["status"] != 200.0 || l[0]["model"] != "topics" || l[0]["inputs"] != 2.0 || l[0]["path"] != "/v1/models/topics:predict" || l[0]["ms"] == nil || l[0]["bytes_out"].(float64) < 100 {
		t.Errorf("first line: %v", l[0])
	}
	if l[1]["status"] != 400.0 || l[1]["error"] != `"texts" must be an array of strings, not a number` {
		t.Errorf("second line: %v", l[1])
	}
	if l[2]["path"] != "/healthz" || l[2]["model"] != nil {
		t.Errorf("third line: %v", l[2])
	}
}

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// metricValue reads one series without labels from /metrics.
func metricValue(t testing.TB, ts *testServer, name string) float64 {
	t.Helper()
	return metricSum(t, ts, name+" ", "")
}

// metricSum adds the values of the /metrics lines that start with prefix
// and hold every one of labels.
func metricSum(t testing.TB, ts *testServer, prefix string, labels ...string) float64 {
	t.Helper()
	r := ts.do(t, "GET", "/metrics", "")
	if r.status != 200 {
		t.Fatalf("/metrics: %d", r.status)
	}
	sum := 0.0
	for _, line := range strings.Split(r.body, "\n") {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if ok {
			var v float64
			fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v)
			sum += v
		}
	}
	return sum
}

// BenchmarkPredictOneText measures a single-text request through the
// handler, its worker and back, without the network: what a request costs
// the server beyond reading and writing its bytes.
func BenchmarkPredictOneText(b *testing.B) {
	topics := open(b, "topics", writeModel(b, b.TempDir(), "topics", "topics"))
	s, err := New([]*Model{topics}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	body := `{"texts": ["the company said the oil price of opec crude rose in the quarter, and its net profit and dividend per share with it"]}`
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, httptest.NewRequest("POST", "/v1/models/topics:predict", strings.NewReader(body)))
		if w.Code != 200 {
			b.Fatal(w.Code, w.Body.String())
		}
	}
}
