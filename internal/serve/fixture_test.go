package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/pipeline"
	"github.com/dlc-dev/dlc/internal/testenv"
)

// trained caches the fixture models by recipe: each trains in
// milliseconds, but many tests use the same ones.
var trained sync.Map // string -> []byte

// modelBytes trains a fixture (a config in testdata, or a CSV written
// here) with --set overrides and returns the model file's bytes.
func modelBytes(t testing.TB, fixture string, sets ...string) []byte {
	t.Helper()
	recipe := fixture + " " + strings.Join(sets, " ")
	if b, ok := trained.Load(recipe); ok {
		return b.([]byte)
	}
	root := testenv.Root(t)
	var cfgPath string
	switch fixture {
	case "topics", "tiny", "multilabel":
		dir := filepath.Join(root, "testdata", fixture)
		cfgPath = filepath.Join(dir, fixture+".yaml")
		sets = append([]string{"data.train=" + filepath.Join(dir, "train.jsonl"), "data.test="}, sets...)
	case "linreg": // a regression of numbers
		sets = append([]string{"data.train=" + filepath.Join(root, "testdata", "linreg", "train.csv"), "data.test=",
			"data.task=regression", "vectorizer.mode=dense", "model.layers=[]", "model.output=linear", "loss=mse",
			"training.epochs=20"}, sets...)
	case "dense": // a classifier of three numeric columns
		csv := filepath.Join(t.TempDir(), "train.csv")
		var b strings.Builder
		b.WriteString("x1,x2,x3,label\n")
		for i := range 200 {
			x := float64(i%20) - 10
			label := "lo"
			if x+float64(i%3) > 0 {
				label = "hi"
			}
			fmt.Fprintf(&b, "%g,%d,%g,%s\n", x, i%3, x*0.5, label)
		}
		if err := os.WriteFile(csv, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		sets = append([]string{"data.train=" + csv, "data.test=", "vectorizer.mode=dense", "vectorizer.scale=standard",
			"model.layers=[{units: 4, activation: relu}]", "training.epochs=5"}, sets...)
	default:
		t.Fatalf("no fixture %s", fixture)
	}
	cfg, err := config.Load(cfgPath, sets)
	if err != nil {
		t.Fatal(err)
	}
	d, err := pipeline.Read(context.Background(), cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := pipeline.Train(context.Background(), cfg, d, pipeline.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := model.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	trained.Store(recipe, b)
	return b
}

// writeModel writes a fixture model to dir/name.dlc and returns its path.
func writeModel(t testing.TB, dir, name, fixture string, sets ...string) string {
	t.Helper()
	path := filepath.Join(dir, name+".dlc")
	if err := os.WriteFile(path, modelBytes(t, fixture, sets...), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// open opens the model file at path as name.
func open(t testing.TB, name, path string) *Model {
	t.Helper()
	m, err := Open(name, path)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// testServer is a Server behind an httptest server.
type testServer struct {
	*Server
	http *httptest.Server
}

// newTestServer serves models with o; it is closed when the test ends.
func newTestServer(t testing.TB, o Options, models ...*Model) *testServer {
	t.Helper()
	s, err := New(models, o)
	if err != nil {
		t.Fatal(err)
	}
	h := httptest.NewServer(s.Handler())
	t.Cleanup(h.Close)
	return &testServer{s, h}
}

// response is an answer read whole.
type response struct {
	status int
	header http.Header
	body   string
}

// do sends a request and reads its answer.
func (ts *testServer) do(t testing.TB, method, path, body string) response {
	t.Helper()
	r, err := ts.try(method, path, body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// try is do for goroutines other than the test's: it returns the error.
func (ts *testServer) try(method, path, body string) (response, error) {
	req, err := http.NewRequest(method, ts.http.URL+path, strings.NewReader(body))
	if err != nil {
		return response{}, err
	}
	resp, err := ts.http.Client().Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}, err
}

// predictResponse is a predict answer, each prediction's JSON as sent.
type predictResponse struct {
	Model       string            `json:"model"`
	SHA256      string            `json:"model_sha256"`
	Predictions []json.RawMessage `json:"predictions"`
}

func decodePredict(t testing.TB, r response) predictResponse {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var p predictResponse
	if err := json.Unmarshal([]byte(r.body), &p); err != nil {
		t.Fatalf("%v: %s", err, r.body)
	}
	return p
}

// want returns the answers dlc predict --format json gives for texts: one
// Predictor, each text on its own (Predict), each answer's bytes.
func want(t testing.TB, m *model.Model, o pipeline.PredictOptions, topK int, texts ...string) []string {
	t.Helper()
	p := pipeline.NewPredictor(m, o)
	var out []string
	for _, text := range texts {
		a, err := p.Predict(text)
		if err != nil {
			t.Fatal(err)
		}
		b, err := a.AppendJSON(nil, m, topK, o.Explain > 0)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// body is a JSON request body for v.
func body(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
