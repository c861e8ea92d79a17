package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dlc-dev/dlc/internal/testenv"
)

// server is a dlc serve process started by a test.
type server struct {
	cmd  *exec.Cmd
	url  string
	mu   sync.Mutex
	logs []map[string]any // the JSON log lines read so far
	done chan struct{}    // closed when stderr ends
}

// startServe runs `dlc serve --addr 127.0.0.1:0 --log-format json ARGS`
// as its own process (the real main, as testscript installs it) and waits
// for its "serving" line, which names the port.
func startServe(t *testing.T, args ...string) *server {
	t.Helper()
	if _, err := exec.LookPath("dlc"); err != nil {
		t.Skip("dlc is not on PATH (TestMain installs it)")
	}
	cmd := exec.Command("dlc", append([]string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, done: make(chan struct{})}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	addr := make(chan string, 1)
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var l map[string]any
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				l = map[string]any{"msg": "not JSON: " + sc.Text()}
			}
			s.mu.Lock()
			s.logs = append(s.logs, l)
			s.mu.Unlock()
			if l["msg"] == "serving" {
				addr <- l["addr"].(string)
			}
		}
	}()
	select {
	case a := <-addr:
		s.url = "http://" + a
	case <-s.done:
		t.Fatalf("dlc serve ended before serving: %v", s.lines())
	case <-time.After(20 * time.Second):
		t.Fatalf("dlc serve did not start within 20 s: %v", s.lines())
	}
	return s
}

func (s *server) lines() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.logs...)
}

// stop signals the server (unless sig is 0) and returns its exit code
// once it has ended.
func (s *server) stop(t *testing.T, sig syscall.Signal) int {
	t.Helper()
	if sig != 0 {
		s.cmd.Process.Signal(sig)
	}
	<-s.done
	err := s.cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

func (s *server) post(path, body string) (int, string, error) {
	resp, err := http.Post(s.url+path, "application/json", strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func (s *server) sha(t *testing.T, name string) string {
	t.Helper()
	resp, err := http.Get(s.url + "/v1/models/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info struct{ SHA256 string }
	json.NewDecoder(resp.Body).Decode(&info)
	return info.SHA256
}

// The real command: its answers are dlc predict --format json's, byte for
// byte; a model file replaced by dlc train (a rename) is loaded while the
// server answers, and SIGTERM under load drains: every request answered
// 200, exit 0, one JSON log line per request.
func TestServeProcess(t *testing.T) {
	model := topicsModel(t)
	s := startServe(t, "--model", "news="+model)
	texts := []string{"oil barrel opec price", "the merger stake offer profit", "", "wheat", "quarterly dividend earn net shr"}
	want := strings.Split(strings.TrimSpace(mustRun(t, strings.Join(texts, "\n")+"\n", "predict", "--model", model, "--format", "json", "--top-k", "2", "--explain=2")), "\n")
	code, body, err := s.post("/v1/models/news:predict", mustJSON(t, map[string]any{"texts": texts, "top_k": 2, "explain": 2}))
	if err != nil || code != 200 {
		t.Fatalf("%d %s %v", code, body, err)
	}
	var r struct{ Predictions []json.RawMessage }
	if err := json.Unmarshal([]byte(body), &r); err != nil || len(r.Predictions) != len(texts) {
		t.Fatalf("%v: %s", err, body)
	}
	for i := range texts {
		if string(r.Predictions[i]) != want[i] {
			t.Errorf("%q: serve answers %s, predict %s", texts[i], r.Predictions[i], want[i])
		}
	}

	// Load from several clients; meanwhile dlc train writes a new model
	// over the file.
	first := s.sha(t, "news")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				code, _, err := s.post("/v1/models/news:predict", `{"texts": ["oil barrel", "wheat"]}`)
				if err != nil {
					return // the listener closed: SIGTERM is under way
				}
				mu.Lock()
				codes[code]++
				mu.Unlock()
			}
		})
	}
	dir := filepath.Join(testenv.Root(t), "testdata", "topics")
	mustRun(t, "", "train", "--quiet", "--config", filepath.Join(dir, "topics.yaml"), "--out", model,
		"--set", "data.train="+filepath.Join(dir, "train.jsonl"), "--set", "data.test=", "--set", "training.seed=7")
	deadline := time.Now().Add(10 * time.Second)
	for s.sha(t, "news") == first && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if s.sha(t, "news") == first {
		t.Error("the model written by dlc train was not loaded within 10 s")
	}
	time.Sleep(200 * time.Millisecond)
	// A request whose body is still arriving when SIGTERM comes, and for
	// longer than the 0.8 s grace other commands get: it is answered.
	pr, pw := io.Pipe()
	slow := make(chan int, 1)
	go func() {
		resp, err := http.Post(s.url+"/v1/models/news:predict", "application/json", pr)
		if err != nil {
			slow <- 0
			return
		}
		resp.Body.Close()
		slow <- resp.StatusCode
	}()
	io.WriteString(pw, `{"texts": [`)
	time.Sleep(100 * time.Millisecond)
	s.cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(1500 * time.Millisecond)
	io.WriteString(pw, `"wheat"]}`)
	pw.Close()
	if code := <-slow; code != 200 {
		t.Errorf("a request accepted before SIGTERM and finished 1.5 s after it: %d, want 200", code)
	}
	exit := s.stop(t, 0) // the SIGTERM above
	close(stop)
	wg.Wait()
	if exit != 0 {
		t.Errorf("exit %d after SIGTERM, want 0; logs: %v", exit, s.lines())
	}
	if len(codes) != 1 || codes[200] < 10 {
		t.Errorf("answers by status %v; every request accepted must get 200", codes)
	}
	requests, msgs := 0, map[string]bool{}
	for _, l := range s.lines() {
		msgs[fmt.Sprint(l["msg"])] = true
		if l["msg"] == "request" && l["path"] == "/v1/models/news:predict" {
			requests++
		}
	}
	if total := codes[200] + 2; requests != total {
		t.Errorf("%d request lines logged for %d requests", requests, total)
	}
	for _, m := range []string{"serving", "model reloaded", "drained", "stopped"} {
		if !msgs[m] {
			t.Errorf("no %q line in the log: %v", m, msgs)
		}
	}
}

// SIGHUP reloads a model even when the folder is not watched (--watch=false,
// which alone does not see the new file).
func TestServeSIGHUP(t *testing.T) {
	model := topicsModel(t)
	s := startServe(t, "--model", model, "--watch=false", "--max-body", "1KiB", "--max-inputs", "3")
	first := s.sha(t, "topics")
	// The limits given as flags hold.
	if code, body, _ := s.post("/v1/models/topics:predict", `{"texts": ["a", "b", "c", "d"]}`); code != 413 || !strings.Contains(body, "more than 3 texts") {
		t.Errorf("4 texts with --max-inputs 3: %d %s", code, body)
	}
	if code, body, _ := s.post("/v1/models/topics:predict", `{"texts": ["`+strings.Repeat("oil ", 300)+`"]}`); code != 413 || !strings.Contains(body, "more than the limit of 1024") {
		t.Errorf("a 1.2 kB body with --max-body 1KiB: %d %s", code, body)
	}
	other, err := os.ReadFile(topicsModel(t, "training.seed=3"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(model+".new", other, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(model+".new", model); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if s.sha(t, "topics") != first {
		t.Fatal("--watch=false reloaded a replaced file by itself")
	}
	s.cmd.Process.Signal(syscall.SIGHUP)
	deadline := time.Now().Add(10 * time.Second)
	for s.sha(t, "topics") == first && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if s.sha(t, "topics") == first {
		t.Error("SIGHUP did not reload the replaced file")
	}
	if code := s.stop(t, syscall.SIGINT); code != 0 {
		t.Errorf("exit %d after SIGINT, want 0", code)
	}
}

// --max-body reads sizes with units and writes them back the same way.
func TestByteSize(t *testing.T) {
	for in, want := range map[string]int64{"8MiB": 8 << 20, "512KiB": 512 << 10, "1GiB": 1 << 30, "1MB": 1e6, "2kB": 2000, "1000000": 1e6, "3B": 3} {
		var b byteSize
		if err := b.Set(in); err != nil || int64(b) != want {
			t.Errorf("%s: %d %v, want %d", in, b, err, want)
		}
	}
	for _, bad := range []string{"0", "-1MiB", "MiB", "1.5MiB", "1TB", "99999999999GiB"} {
		var b byteSize
		if err := b.Set(bad); err == nil {
			t.Errorf("%s was accepted as %d bytes", bad, b)
		}
	}
	for n, want := range map[int64]string{4 << 20: "4MiB", 1536: "1536", 3 << 10: "3KiB", 1e6: "1000000"} {
		if b := byteSize(n); b.String() != want {
			t.Errorf("%d bytes read %s, want %s", n, b.String(), want)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// countingWriter records what is written to it and how many Writes.
type countingWriter struct {
	mu     sync.Mutex
	b      strings.Builder
	writes int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
	return c.b.Write(p)
}

// The log's batchWriter loses no line and reorders none of a writer's,
// writes out in few large writes, and takes a write past its largest
// buffer whole.
func TestBatchWriter(t *testing.T) {
	var out countingWriter
	b := newBatchWriter(&out, time.Hour) // no ticks: the writes out are the buffer's
	const writers, lines = 4, 20000
	var wg sync.WaitGroup
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range lines {
				fmt.Fprintf(b, "%d %d\n", g, i)
			}
		}()
	}
	wg.Wait()
	big := strings.Repeat("x", maxBatchBytes+1) + "\n"
	io.WriteString(b, big)
	b.Close()
	got := out.b.String()
	if !strings.HasSuffix(got, big) {
		t.Fatalf("the %d-byte write is not the output's end", len(big))
	}
	next := make([]int, writers)
	for _, l := range strings.Split(strings.TrimSuffix(got, big), "\n") {
		if l == "" {
			continue
		}
		var g, i int
		if _, err := fmt.Sscanf(l, "%d %d", &g, &i); err != nil || g < 0 || g >= writers || i != next[g] {
			t.Fatalf("line %q: writer %d's next line is %d", l, g, next[g])
		}
		next[g]++
	}
	for g, n := range next {
		if n != lines {
			t.Errorf("writer %d: %d lines out, want %d", g, n, lines)
		}
	}
	if out.writes > 1000 {
		t.Errorf("%d writes out for %d lines", out.writes, writers*lines)
	}
}
