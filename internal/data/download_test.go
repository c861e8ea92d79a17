package data

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// payload is a file to serve: random bytes that do not compress.
func payload(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// fastDownloader has short timeouts and pauses, so that failing tests fail
// in milliseconds.
func fastDownloader() *Downloader {
	return &Downloader{
		ConnectTimeout: time.Second, HeaderTimeout: 2 * time.Second, IdleTimeout: 2 * time.Second,
		Attempts: 3, Backoff: time.Millisecond,
	}
}

// serve answers with content, honouring Range requests (http.ServeContent).
func serve(content []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "f", time.Time{}, bytes.NewReader(content))
	}
}

// cutAfter sends the headers of the whole file but only its first n
// bytes, then drops the connection: a transfer broken by the network.
func cutAfter(content []byte, n int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(content)))
		w.WriteHeader(http.StatusOK)
		w.Write(content[:n])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
}

// requestLog records the Range header of each request.
type requestLog struct {
	mu     sync.Mutex
	ranges []string
}

func (l *requestLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.ranges = append(l.ranges, r.Header.Get("Range"))
		l.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (l *requestLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.ranges...)
}

func TestDownloadResumesAfterACutConnection(t *testing.T) {
	content := payload(300 << 10)
	var calls atomic.Int32
	log := &requestLog{}
	srv := httptest.NewServer(log.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			cutAfter(content, 100<<10)(w, r)
			return
		}
		serve(content)(w, r)
	})))
	defer srv.Close()

	part := filepath.Join(t.TempDir(), "f.part")
	d := fastDownloader()
	var news []string
	d.Status = func(m string) { news = append(news, m) }
	var lastDone, lastTotal int64
	resumedFrom := int64(-1)
	d.Progress = func(done, total int64) {
		if done < lastDone && resumedFrom < 0 {
			t.Errorf("progress went back from %d to %d", lastDone, done)
		}
		if calls.Load() == 2 && resumedFrom < 0 {
			resumedFrom = done
		}
		lastDone, lastTotal = done, total
	}
	if err := d.Download(context.Background(), []string{srv.URL + "/f"}, part, 1<<20); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(part)
	if !bytes.Equal(got, content) {
		t.Fatalf("downloaded %d bytes that differ from the %d served", len(got), len(content))
	}
	if r := log.get(); len(r) != 2 || r[0] != "" || r[1] != "bytes=102400-" {
		t.Errorf("requests had Range %q, want none, then bytes=102400-", r)
	}
	if resumedFrom != 100<<10 || lastDone != int64(len(content)) || lastTotal != int64(len(content)) {
		t.Errorf("progress resumed at %d and ended at %d of %d; want 102400, then %d of %d", resumedFrom, lastDone, lastTotal, len(content), len(content))
	}
	if !strings.Contains(strings.Join(news, "\n"), "the connection broke off after 100.0 KiB of 300.0 KiB; trying again") {
		t.Errorf("no news of the break: %q", news)
	}
}

// A .part left by an earlier run (dlc was killed) is resumed, not fetched
// again.
func TestDownloadResumesAPartFromAnEarlierRun(t *testing.T) {
	content := payload(64 << 10)
	log := &requestLog{}
	srv := httptest.NewServer(log.wrap(serve(content)))
	defer srv.Close()
	part := filepath.Join(t.TempDir(), "f.part")
	os.WriteFile(part, content[:1000], 0o644)
	if err := fastDownloader().Download(context.Background(), []string{srv.URL + "/f"}, part, 1<<20); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(part); !bytes.Equal(got, content) {
		t.Fatal("resumed file differs")
	}
	if r := log.get(); len(r) != 1 || r[0] != "bytes=1000-" {
		t.Errorf("requests had Range %q, want bytes=1000-", r)
	}

	// Complete already (killed between download and check): the server
	// answers 416 and nothing is downloaded.
	log.ranges = nil
	if err := fastDownloader().Download(context.Background(), []string{srv.URL + "/f"}, part, 1<<20); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(part); !bytes.Equal(got, content) {
		t.Fatal("a complete part was changed")
	}
}

// A server that ignores Range sends the whole file again: the part is
// started over, not appended to.
func TestDownloadStartsOverWhenTheServerCannotResume(t *testing.T) {
	content := payload(50 << 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(content) // 200, whatever the Range
	}))
	defer srv.Close()
	part := filepath.Join(t.TempDir(), "f.part")
	os.WriteFile(part, []byte("stale bytes of another file"), 0o644)
	if err := fastDownloader().Download(context.Background(), []string{srv.URL + "/f"}, part, 1<<20); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(part); !bytes.Equal(got, content) {
		t.Fatal("the part was appended to instead of started over")
	}
}

func TestDownload404IsNotRetried(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.NotFound(w, r)
	}))
	defer srv.Close()
	part := filepath.Join(t.TempDir(), "f.part")
	err := fastDownloader().Download(context.Background(), []string{srv.URL + "/data/f.tar.gz"}, part, 1<<20)
	var de *DownloadError
	if !errors.As(err, &de) || !de.NotFound {
		t.Fatalf("got %v, want a not-found DownloadError", err)
	}
	if want := "cannot download " + srv.URL + "/data/f.tar.gz: the server answered 404 Not Found"; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	if calls.Load() != 1 {
		t.Errorf("a 404 was asked %d times; it cannot change", calls.Load())
	}
}

func TestDownloadRetriesServerErrorsWithBackoff(t *testing.T) {
	content := payload(1000)
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		serve(content)(w, r)
	}))
	defer srv.Close()
	d := fastDownloader()
	d.Backoff = 20 * time.Millisecond
	var news []string
	d.Status = func(m string) { news = append(news, m) }
	start := time.Now()
	part := filepath.Join(t.TempDir(), "f.part")
	if err := d.Download(context.Background(), []string{srv.URL + "/f"}, part, 1<<20); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 {
		t.Errorf("%d requests, want 3", calls.Load())
	}
	// Pauses of 20 ms, then 40 ms.
	if el := time.Since(start); el < 60*time.Millisecond {
		t.Errorf("two retries took %v; the back-off should pause 20 ms then 40 ms", el)
	}
	want := []string{
		srv.URL + "/f: the server answered 503 Service Unavailable; trying again in 20ms",
		srv.URL + "/f: the server answered 503 Service Unavailable; trying again in 40ms",
	}
	if strings.Join(news, "\n") != strings.Join(want, "\n") {
		t.Errorf("news %q, want %q", news, want)
	}

	// A server that never recovers: Attempts tries, then the error.
	calls.Store(-100)
	os.Remove(part)
	err := d.Download(context.Background(), []string{srv.URL + "/f"}, part, 1<<20)
	if err == nil || calls.Load() != -97 {
		t.Errorf("got %v after %d requests, want an error after 3", err, calls.Load()+100)
	}
}

func TestDownloadFollowsRedirects(t *testing.T) {
	content := payload(80 << 10)
	var calls atomic.Int32
	log := &requestLog{}
	mux := http.NewServeMux()
	mux.Handle("/new/f", log.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			cutAfter(content, 10<<10)(w, r)
			return
		}
		serve(content)(w, r)
	})))
	mux.Handle("/old/f", http.RedirectHandler("/new/f", http.StatusFound))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	part := filepath.Join(t.TempDir(), "f.part")
	if err := fastDownloader().Download(context.Background(), []string{srv.URL + "/old/f"}, part, 1<<20); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(part); !bytes.Equal(got, content) {
		t.Fatal("downloaded file differs")
	}
	// The resume went through the redirect with its Range.
	if r := log.get(); len(r) != 2 || r[1] != "bytes=10240-" {
		t.Errorf("the redirect target saw Range %q, want \"\" then bytes=10240-", r)
	}
}

// A server that stops sending is given up on after IdleTimeout, and one
// that never answers after HeaderTimeout, instead of hanging dlc.
func TestDownloadGivesUpOnAStalledServer(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/silent" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.Header().Set("Content-Length", "1000000")
		w.Write(make([]byte, 1000))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)

	d := fastDownloader()
	d.IdleTimeout = 100 * time.Millisecond
	d.HeaderTimeout = 100 * time.Millisecond
	d.Attempts = 2
	part := filepath.Join(t.TempDir(), "f.part")
	start := time.Now()
	err := d.Download(context.Background(), []string{srv.URL + "/slow"}, part, 1<<20)
	if err == nil || !strings.HasSuffix(err.Error(), "/slow: the server sent nothing for 100ms after 1000 bytes of 976.6 KiB") {
		t.Errorf("got %v, want a stall after 1000 bytes", err)
	}
	os.Remove(part)
	err = d.Download(context.Background(), []string{srv.URL + "/silent"}, part, 1<<20)
	if err == nil || !strings.HasSuffix(err.Error(), "/silent: the server sent nothing for 100ms") {
		t.Errorf("got %v, want a stall before the headers", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("giving up took %v", el)
	}
}

func TestDownloadTriesMirrorsInOrder(t *testing.T) {
	content := payload(5000)
	var brokenCalls atomic.Int32
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		brokenCalls.Add(1)
		http.Error(w, "oops", http.StatusInternalServerError)
	}))
	defer broken.Close()
	gone := httptest.NewServer(http.NotFoundHandler())
	defer gone.Close()
	good := httptest.NewServer(serve(content))
	defer good.Close()

	d := fastDownloader()
	var news []string
	d.Status = func(m string) { news = append(news, m) }
	part := filepath.Join(t.TempDir(), "f.part")
	urls := []string{gone.URL + "/f", broken.URL + "/f", good.URL + "/f"}
	if err := d.Download(context.Background(), urls, part, 1<<20); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(part); !bytes.Equal(got, content) {
		t.Fatal("downloaded file differs")
	}
	if brokenCalls.Load() != 3 {
		t.Errorf("the broken mirror was tried %d times, want 3 (Attempts)", brokenCalls.Load())
	}
	joined := strings.Join(news, "\n")
	if !strings.Contains(joined, gone.URL+"/f: the server answered 404 Not Found") || !strings.Contains(joined, broken.URL+"/f: the server answered 500 Internal Server Error") {
		t.Errorf("news does not name the failed mirrors: %q", news)
	}

	// All fail: one error naming each.
	os.Remove(part)
	err := d.Download(context.Background(), urls[:2], part, 1<<20)
	want := "cannot download f from any of its 2 locations: " + gone.URL + "/f: the server answered 404 Not Found; " + broken.URL + "/f: the server answered 500 Internal Server Error"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

func TestDownloadRefusesOversizedFiles(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Path == "/chunked" {
			// No Content-Length: the cap is enforced as bytes arrive.
			for range 100 {
				w.Write(make([]byte, 1000))
				w.(http.Flusher).Flush()
			}
			return
		}
		serve(make([]byte, 10000))(w, r)
	}))
	defer srv.Close()
	part := filepath.Join(t.TempDir(), "f.part")
	err := fastDownloader().Download(context.Background(), []string{srv.URL + "/big"}, part, 5000)
	if err == nil || !strings.HasSuffix(err.Error(), "the server offers 9.8 KiB, more than the 4.9 KiB this file can be; refusing it") {
		t.Errorf("got %v", err)
	}
	err = fastDownloader().Download(context.Background(), []string{srv.URL + "/chunked"}, part, 5000)
	if err == nil || !strings.HasSuffix(err.Error(), "the server sent more than the 4.9 KiB this file can be; refusing it") {
		t.Errorf("got %v", err)
	}
	if calls.Load() != 2 {
		t.Errorf("%d requests; a refused size is not retried", calls.Load())
	}
}

func TestDownloadStopsWhenCancelled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000000")
		w.Write(make([]byte, 5000))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	d := fastDownloader()
	d.Progress = func(done, total int64) {
		if done >= 5000 {
			cancel()
		}
	}
	part := filepath.Join(t.TempDir(), "f.part")
	err := d.Download(ctx, []string{srv.URL + "/f"}, part, 1<<20)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if st, err := os.Stat(part); err != nil || st.Size() != 5000 {
		t.Errorf("the part should keep the 5000 bytes for the next run: %v", err)
	}
}

func TestParseContentRange(t *testing.T) {
	for _, c := range []struct {
		in          string
		start, size int64
		ok          bool
	}{
		{"bytes 100-199/200", 100, 200, true},
		{"bytes 0-0/*", 0, -1, true},
		{"bytes */500", -1, 500, true},
		{"bytes 5-/10", 5, 10, true},
		{"items 1-2/3", 0, 0, false},
		{"bytes x-1/2", 0, 0, false},
		{"bytes 1-2", 0, 0, false},
		{"", 0, 0, false},
	} {
		start, size, ok := parseContentRange(c.in)
		if start != c.start || size != c.size || ok != c.ok {
			t.Errorf("parseContentRange(%q) = %d, %d, %v; want %d, %d, %v", c.in, start, size, ok, c.start, c.size, c.ok)
		}
	}
}

// A connection that breaks every few kB still finishes: attempts that
// bring new bytes do not use up Attempts.
func TestDownloadFinishesOverAConnectionThatKeepsBreaking(t *testing.T) {
	content := payload(100 << 10)
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		var from int
		fmt.Sscanf(r.Header.Get("Range"), "bytes=%d-", &from)
		end := min(from+10<<10, len(content))
		w.Header().Set("Content-Length", fmt.Sprint(len(content)-from))
		if from > 0 {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", from, len(content)-1, len(content)))
			w.WriteHeader(http.StatusPartialContent)
		}
		w.Write(content[from:end])
		if end < len(content) {
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}
	}))
	defer srv.Close()
	part := filepath.Join(t.TempDir(), "f.part")
	d := fastDownloader() // 3 attempts
	if err := d.Download(context.Background(), []string{srv.URL + "/f"}, part, 1<<20); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(part); !bytes.Equal(got, content) {
		t.Fatal("downloaded file differs")
	}
	if calls.Load() != 10 {
		t.Errorf("%d requests, want 10 pieces of 10 kB", calls.Load())
	}
}

// A host that does not resolve is not asked again and again.
func TestDownloadUnknownHostIsNotRetried(t *testing.T) {
	d := fastDownloader()
	d.Backoff = time.Second
	start := time.Now()
	part := filepath.Join(t.TempDir(), "f.part")
	err := d.Download(context.Background(), []string{"http://no-such-host.invalid/f"}, part, 1<<20)
	if err != nil && strings.Contains(err.Error(), "no answer within") {
		t.Skip("skipping: this machine's resolver does not answer")
	}
	if err == nil || !strings.Contains(err.Error(), "cannot resolve host no-such-host.invalid (offline?)") {
		t.Errorf("got %v", err)
	}
	if el := time.Since(start); el > 900*time.Millisecond {
		t.Errorf("took %v: an unknown host was retried", el)
	}
}
