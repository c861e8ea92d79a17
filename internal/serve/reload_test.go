package serve

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/pipeline"
)

// replace writes b to path as dlc train does: a temporary file in the same
// folder, renamed over path.
func replace(t testing.TB, path string, b []byte) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// servingSHA returns the sha256 GET /v1/models/NAME reports.
func servingSHA(t testing.TB, ts *testServer, name string) string {
	t.Helper()
	r := ts.do(t, "GET", "/v1/models/"+name, "")
	var info modelInfo
	if err := json.Unmarshal([]byte(r.body), &info); err != nil {
		t.Fatalf("%v: %s", err, r.body)
	}
	return info.SHA256
}

// waitFor polls cond for up to 10 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("%s did not happen within 10 s", what)
}

// The model file replaced 20 times (by a rename, as dlc train writes it;
// every fifth time with a broken file) while clients send requests: no
// request fails, every answer is exactly that of the version the response
// names, each good file is swapped in, each broken one leaves the version
// before serving and is counted and logged, and /v1/models ends on the
// last file.
func TestReloadUnderLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "topics.dlc")
	versions := [][]byte{modelBytes(t, "topics"), modelBytes(t, "topics", "training.seed=2"), modelBytes(t, "topics", "training.epochs=3")}
	answers := map[string][]string{} // sha256 -> the answers to newsTexts
	for _, b := range versions {
		m, err := model.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		answers[shaOf(b)] = want(t, m, pipeline.PredictOptions{}, 2, newsTexts...)
	}
	if len(answers) != 3 {
		t.Fatal("the three versions are not distinct")
	}
	replace(t, path, versions[0])
	var logs syncBuffer
	topics := open(t, "topics", path)
	ts := newTestServer(t, Options{Log: slog.New(slog.NewJSONHandler(&logs, nil))}, topics)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go ts.Watch(ctx)

	var requests, failures atomic.Int64
	stop := make(chan struct{})
	var clients sync.WaitGroup
	var stopOnce sync.Once
	stopClients := func() {
		stopOnce.Do(func() { close(stop) })
		clients.Wait()
	}
	defer stopClients()
	req := body(t, map[string]any{"texts": newsTexts, "top_k": 2})
	for range 6 {
		clients.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				r, err := ts.try("POST", "/v1/models/topics:predict", req)
				requests.Add(1)
				var p predictResponse
				if err != nil || r.status != 200 || json.Unmarshal([]byte(r.body), &p) != nil {
					failures.Add(1)
					t.Errorf("status %d: %s (%v)", r.status, r.body, err)
					continue
				}
				w, ok := answers[p.SHA256]
				if !ok || len(p.Predictions) != len(w) {
					failures.Add(1)
					t.Errorf("answered by %s, not a version written", p.SHA256)
					continue
				}
				for i := range w {
					if string(p.Predictions[i]) != w[i] {
						failures.Add(1)
						t.Errorf("version %s answered %s, but its answer is %s", p.SHA256[:8], p.Predictions[i], w[i])
					}
				}
			}
		})
	}
	serving := topics.Current().SHA256
	broken := 0
	for i := 1; i <= 20; i++ {
		if i%5 == 0 {
			// A truncated file: refused, the version before serves on.
			broken++
			replace(t, path, versions[i%3][:len(versions[i%3])/2])
			waitFor(t, "the failed reload", func() bool {
				return metricSum(t, ts, "dlc_model_reloads_total{", `result="failed"`) == float64(broken)
			})
			if got := servingSHA(t, ts, "topics"); got != serving {
				t.Fatalf("after a broken file, %s serves, not %s", got, serving)
			}
			continue
		}
		next := versions[i%3]
		if shaOf(next) == serving {
			next = versions[(i+1)%3]
		}
		replace(t, path, next)
		sha := shaOf(next)
		waitFor(t, fmt.Sprintf("the reload of replacement %d", i), func() bool { return servingSHA(t, ts, "topics") == sha })
		serving = sha
		time.Sleep(20 * time.Millisecond) // requests on this version
	}
	stopClients()
	if n := requests.Load(); n < 50 || failures.Load() != 0 {
		t.Errorf("%d requests, %d failed", n, failures.Load())
	}
	if got := metricSum(t, ts, "dlc_model_reloads_total{", `result="ok"`); got != 16 {
		t.Errorf("%v reloads counted ok, want 16", got)
	}
	if got := metricSum(t, ts, "dlc_model_info{", `sha256="`+serving+`"`); got != 1 {
		t.Errorf("dlc_model_info does not show %s serving", serving)
	}
	if n := strings.Count(logs.String(), `"msg":"model reload failed; the version before serves on"`); n != 4 {
		t.Errorf("%d failed reloads logged, want 4:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), `is corrupt`) && !strings.Contains(logs.String(), `truncated`) && !strings.Contains(logs.String(), `model file`) {
		t.Errorf("the failed reload's log does not say why:\n%s", logs.String())
	}
}

// shaOf returns the hex sha256 of b.
func shaOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// A request finishes on the version it started with, even when a new one
// is swapped in while its body is still arriving.
func TestRequestKeepsItsVersion(t *testing.T) {
	dir := t.TempDir()
	path := writeModel(t, dir, "topics", "topics")
	topics := open(t, "topics", path)
	old := topics.Current()
	ts := newTestServer(t, Options{}, topics)
	pr, pw := io.Pipe()
	result := make(chan response, 1)
	go func() {
		req, _ := http.NewRequest("POST", ts.http.URL+"/v1/models/topics:predict", pr)
		resp, err := ts.http.Client().Do(req)
		if err != nil {
			t.Error(err)
			result <- response{}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		result <- response{status: resp.StatusCode, body: string(b)}
	}()
	io.WriteString(pw, `{"texts": ["oil barrel", `)
	waitFor(t, "the request's admission", func() bool { return ts.inflight.Load() == 1 })
	replace(t, path, modelBytes(t, "topics", "training.seed=2"))
	ts.Reload(true, "test")
	if topics.Current() == old {
		t.Fatal("the new version was not swapped in")
	}
	io.WriteString(pw, `"wheat"]}`)
	pw.Close()
	p := decodePredict(t, <-result)
	w := want(t, old.Model, pipeline.PredictOptions{}, 1, "oil barrel", "wheat")
	if p.SHA256 != old.SHA256 || string(p.Predictions[0]) != w[0] || string(p.Predictions[1]) != w[1] {
		t.Errorf("answered by %s with %s, want the version it started with, %s, with %v", p.SHA256[:8], p.Predictions, old.SHA256[:8], w)
	}
	// The next request gets the new version.
	if p := decodePredict(t, ts.do(t, "POST", "/v1/models/topics:predict", `{"texts": ["oil"]}`)); p.SHA256 != topics.Current().SHA256 {
		t.Errorf("the next request was answered by %s", p.SHA256[:8])
	}
}

// A forced reload (SIGHUP) of an unchanged file keeps the version and
// counts nothing; a file that is not a model at all is refused, and a
// model file written in place is loaded once it is whole.
func TestReloadResults(t *testing.T) {
	dir := t.TempDir()
	path := writeModel(t, dir, "topics", "topics")
	topics := open(t, "topics", path)
	ts := newTestServer(t, Options{}, topics)
	first := topics.Current()
	ts.Reload(false, "SIGHUP")
	if topics.Current() != first || metricSum(t, ts, "dlc_model_reloads_total{") != 0 {
		t.Errorf("an unchanged file was swapped or counted")
	}
	replace(t, path, []byte("not a model"))
	ts.Reload(true, "test")
	ts.Reload(true, "test") // the same broken file is not tried again
	if topics.Current() != first || metricSum(t, ts, "dlc_model_reloads_total{", `result="failed"`) != 1 {
		t.Errorf("a broken file: serving %s, %v failures counted, want the first version and 1", topics.Current().SHA256[:8], metricSum(t, ts, "dlc_model_reloads_total{", `result="failed"`))
	}
	os.Remove(path)
	ts.Reload(true, "test") // gone: the version serving goes on, nothing counted
	if topics.Current() != first || metricSum(t, ts, "dlc_model_reloads_total{", `result="failed"`) != 1 {
		t.Errorf("a missing file changed what serves")
	}
	if err := os.WriteFile(path, modelBytes(t, "topics", "training.seed=2"), 0o644); err != nil {
		t.Fatal(err)
	}
	ts.Reload(true, "test")
	if topics.Current() == first || metricSum(t, ts, "dlc_model_reloads_total{", `result="ok"`) != 1 {
		t.Errorf("a new file written in place was not swapped in")
	}
}

// The watcher sees a file replaced through a symbolic link swapped to a new
// folder, as Kubernetes updates a ConfigMap volume.
func TestWatchFollowsSymlinks(t *testing.T) {
	dir := t.TempDir()
	for _, v := range []string{"v1", "v2"} {
		os.Mkdir(filepath.Join(dir, v), 0o755)
	}
	writeModel(t, filepath.Join(dir, "v1"), "topics", "topics")
	writeModel(t, filepath.Join(dir, "v2"), "topics", "topics", "training.seed=2")
	must(t, os.Symlink("v1", filepath.Join(dir, "..data")))
	must(t, os.Symlink(filepath.Join("..data", "topics.dlc"), filepath.Join(dir, "topics.dlc")))
	topics := open(t, "topics", filepath.Join(dir, "topics.dlc"))
	first := topics.Current().SHA256
	ts := newTestServer(t, Options{}, topics)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go ts.Watch(ctx)
	must(t, os.Symlink("v2", filepath.Join(dir, "..data_tmp")))
	must(t, os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")))
	waitFor(t, "the reload through the symbolic link", func() bool { return servingSHA(t, ts, "topics") != first })
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Open refuses what is not a model file, saying what it is, and never
// blocks on a FIFO no one writes.
func TestOpenRefuses(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.dlc")
	must(t, syscall.Mkfifo(fifo, 0o644))
	junk := filepath.Join(dir, "junk.dlc")
	must(t, os.WriteFile(junk, []byte("junk"), 0o644))
	for path, want := range map[string]string{
		filepath.Join(dir, "none.dlc"): "does not exist; train one with dlc train",
		dir:                            "is not a regular file",
		fifo:                           "is not a regular file",
		junk:                           "is too short to be a model file",
	} {
		_, err := Open("m", path)
		if err == nil || !strings.HasPrefix(err.Error(), "model file "+path+" ") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", path, err, want)
		}
	}
}
