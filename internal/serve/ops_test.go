package serve

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// slowRequest starts a predict request whose body arrives in two parts:
// the first now, the rest when finish is called. It returns the answer.
func slowRequest(t testing.TB, url, first, rest string) (finish func(), answer <-chan response) {
	pr, pw := io.Pipe()
	out := make(chan response, 1)
	go func() {
		req, _ := http.NewRequest("POST", url, pr)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			out <- response{status: -1, body: err.Error()}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		out <- response{status: resp.StatusCode, header: resp.Header, body: string(b)}
	}()
	io.WriteString(pw, first)
	return func() {
		io.WriteString(pw, rest)
		pw.Close()
	}, out
}

// One request more than MaxInflight is refused at once with 503 and
// Retry-After; once one finishes, requests are admitted again.
func TestInflightLimit(t *testing.T) {
	ts := newTestServer(t, Options{MaxInflight: 2}, open(t, "topics", writeModel(t, t.TempDir(), "topics", "topics")))
	url := ts.http.URL + "/v1/models/topics:predict"
	f1, a1 := slowRequest(t, url, `{"texts": [`, `"oil"]}`)
	f2, a2 := slowRequest(t, url, `{"texts": [`, `"wheat"]}`)
	waitFor(t, "two requests admitted", func() bool { return ts.inflight.Load() == 2 })
	r := ts.do(t, "POST", "/v1/models/topics:predict", `{"texts": ["oil"]}`)
	if r.status != 503 || r.header.Get("Retry-After") != "1" || !strings.Contains(r.body, "the server is answering 2 requests, its limit; retry in a moment") {
		t.Errorf("a third request: %d %v %s, want 503 with Retry-After", r.status, r.header, r.body)
	}
	if got := metricValue(t, ts, "dlc_predict_inflight_requests"); got != 2 {
		t.Errorf("dlc_predict_inflight_requests = %v, want 2", got)
	}
	f1()
	f2()
	for _, a := range []<-chan response{a1, a2} {
		if r := <-a; r.status != 200 {
			t.Errorf("an admitted request: %d %s", r.status, r.body)
		}
	}
	if r := ts.do(t, "POST", "/v1/models/topics:predict", `{"texts": ["oil"]}`); r.status != 200 {
		t.Errorf("after the limit: %d %s", r.status, r.body)
	}
}

// Serve drains when its context is cancelled: every request it accepted
// is answered 200 — those whose bodies were still arriving too — new
// connections are refused, and it returns nil.
func TestServeDrains(t *testing.T) {
	topics := open(t, "topics", writeModel(t, t.TempDir(), "topics", "topics"))
	s, err := New([]*Model{topics}, Options{DrainTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String() + "/v1/models/topics:predict"
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()

	// Clients sending requests as fast as they can, and slow ones.
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	refused := 0
	stop := make(chan struct{})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Post(url, "application/json", strings.NewReader(`{"texts": ["oil barrel", "wheat"]}`))
				mu.Lock()
				if err != nil {
					// Refused after the listener closed, or cut off on a
					// kept-alive connection the server closed while idle:
					// either way not accepted.
					refused++
				} else {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					codes[resp.StatusCode]++
				}
				mu.Unlock()
			}
		})
	}
	var slow []func()
	var answers []<-chan response
	for range 5 {
		f, a := slowRequest(t, url, `{"texts": ["oil", `, `"wheat"]}`)
		slow, answers = append(slow, f), append(answers, a)
	}
	waitFor(t, "the slow requests admitted", func() bool { return s.inflight.Load() >= 5 })
	time.Sleep(50 * time.Millisecond)
	cancel()
	// Draining, the slow bodies still arriving: the listener closes.
	waitFor(t, "the listener closed", func() bool {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	for _, f := range slow {
		f()
	}
	for i, a := range answers {
		if r := <-a; r.status != 200 {
			t.Errorf("slow request %d, accepted before the drain: %d %s", i, r.status, r.body)
		}
	}
	if err := <-served; err != nil {
		t.Errorf("Serve returned %v after draining", err)
	}
	close(stop)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(codes) != 1 || codes[200] < 10 {
		t.Errorf("answers by status %v (and %d refused): every request accepted must get 200", codes, refused)
	}
}

// A request sent on a kept-alive connection just as the drain begins is
// read and answered (with Connection: close), not lost with a connection
// closed as idle.
func TestDrainAnswersKeptAliveConnections(t *testing.T) {
	topics := open(t, "topics", writeModel(t, t.TempDir(), "topics", "topics"))
	s, _ := New([]*Model{topics}, Options{})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	var conns []net.Conn
	var readers []*bufio.Reader
	req := "POST /v1/models/topics:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 18\r\n\r\n{\"texts\": [\"oil\"]}"
	for range 10 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, req)
		r := bufio.NewReader(c)
		resp, err := http.ReadResponse(r, nil)
		if err != nil || resp.StatusCode != 200 || resp.Close {
			t.Fatalf("before the drain: %v %v", resp, err)
		}
		io.Copy(io.Discard, resp.Body)
		conns, readers = append(conns, c), append(readers, r)
	}
	cancel()
	waitFor(t, "draining", s.draining.Load)
	for _, c := range conns {
		io.WriteString(c, req)
	}
	for i := range conns {
		resp, err := http.ReadResponse(readers[i], nil)
		if err != nil || resp.StatusCode != 200 || !resp.Close {
			t.Errorf("connection %d, a request sent as the drain began: %v %v, want 200 with Connection: close", i, resp, err)
			continue
		}
		io.Copy(io.Discard, resp.Body)
	}
	if err := <-served; err != nil {
		t.Error(err)
	}
}

// A drain that outlasts DrainTimeout cuts the requests off and says how
// many.
func TestDrainTimeout(t *testing.T) {
	topics := open(t, "topics", writeModel(t, t.TempDir(), "topics", "topics"))
	s, _ := New([]*Model{topics}, Options{DrainTimeout: 100 * time.Millisecond})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	finish, answer := slowRequest(t, "http://"+ln.Addr().String()+"/v1/models/topics:predict", `{"texts": [`, `"oil"]}`)
	waitFor(t, "the request admitted", func() bool { return s.inflight.Load() == 1 })
	cancel()
	err := <-served
	if err == nil || err.Error() != "1 requests were still being answered after the drain timeout of 100ms and were cut off" {
		t.Errorf("Serve returned %v", err)
	}
	finish() // too late: the connection is closed
	if r := <-answer; r.status != -1 {
		t.Errorf("the request cut off got %d", r.status)
	}
}

// With DrainDelay, /readyz says 503 while requests are still answered.
func TestDrainDelay(t *testing.T) {
	topics := open(t, "topics", writeModel(t, t.TempDir(), "topics", "topics"))
	s, _ := New([]*Model{topics}, Options{DrainDelay: 300 * time.Millisecond})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	base := "http://" + ln.Addr().String()
	cancel()
	waitFor(t, "draining", s.draining.Load)
	resp, err := http.Get(base + "/readyz")
	if err != nil || resp.StatusCode != 503 {
		t.Fatalf("readyz during the drain delay: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = http.Post(base+"/v1/models/topics:predict", "application/json", strings.NewReader(`{"texts": ["oil"]}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("a request during the drain delay: %v %v", resp, err)
	}
	resp.Body.Close()
	if err := <-served; err != nil {
		t.Error(err)
	}
}

// Slow clients are cut off: headers that never end (slowloris) at
// ReadHeaderTimeout, a body that trickles at ReadTimeout with 408.
func TestSlowClients(t *testing.T) {
	topics := open(t, "topics", writeModel(t, t.TempDir(), "topics", "topics"))
	s, _ := New([]*Model{topics}, Options{ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: 600 * time.Millisecond})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Serve(ctx, ln)
	addr := ln.Addr().String()

	// Headers, one byte every 50 ms.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	io.WriteString(c, "POST /v1/models/topics:predict HTTP/1.1\r\nHost: x\r\n")
	var got []byte
	closed := false
	for range 100 {
		if _, err := io.WriteString(c, "X"); err != nil {
			closed = true
			break
		}
		c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		buf := make([]byte, 512)
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil && !isTimeout(err) {
			closed = true
			break
		}
	}
	if took := time.Since(start); !closed || took > 3*time.Second {
		t.Errorf("slowloris headers: closed %v after %s (answered %q), want closed within ReadHeaderTimeout", closed, took, got)
	}

	// A body, one byte every 100 ms, after complete headers.
	c2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	start = time.Now()
	io.WriteString(c2, "POST /v1/models/topics:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"texts\": [\"")
	status := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(c2).ReadString('\n')
		status <- line
	}()
	var line string
trickle:
	for range 50 {
		select {
		case line = <-status:
			break trickle
		case <-time.After(100 * time.Millisecond):
			io.WriteString(c2, "a")
		}
	}
	if took := time.Since(start); !strings.HasPrefix(line, "HTTP/1.1 408") || took > 3*time.Second {
		t.Errorf("a trickling body: %q after %s, want 408 within ReadTimeout", line, took)
	}
}

// A kept-alive connection idle past IdleTimeout is closed; an answer not
// written within WriteTimeout of the request's headers is cut off.
func TestIdleAndWriteTimeouts(t *testing.T) {
	topics := open(t, "topics", writeModel(t, t.TempDir(), "topics", "topics"))
	s, _ := New([]*Model{topics}, Options{IdleTimeout: 200 * time.Millisecond, WriteTimeout: 300 * time.Millisecond})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Serve(ctx, ln)
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	r := bufio.NewReader(c)
	resp, err := http.ReadResponse(r, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	start := time.Now()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.ReadByte(); err != io.EOF || time.Since(start) > 3*time.Second {
		t.Errorf("an idle connection: %v after %s, want closed after IdleTimeout", err, time.Since(start))
	}

	finish, answer := slowRequest(t, "http://"+ln.Addr().String()+"/v1/models/topics:predict", `{"texts": [`, `"oil"]}`)
	time.Sleep(500 * time.Millisecond)
	finish()
	if a := <-answer; a.status != -1 {
		t.Errorf("an answer due after WriteTimeout: %d %s, want the connection cut", a.status, a.body)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Malformed, huge and slow requests, many at once, are refused while the
// heap stays under the bound the limits give: MaxInflight bodies of
// MaxBodyBytes (each decoded into at most about three times its size) and
// MaxConns connections of at most maxHeaderBytes of headers.
func TestMemoryBound(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 300 MB of requests")
	}
	topics := open(t, "topics", writeModel(t, t.TempDir(), "topics", "topics"))
	const maxBody, inflight, conns = 1 << 20, 8, 64
	s, _ := New([]*Model{topics}, Options{MaxBodyBytes: maxBody, MaxInflight: inflight, MaxConns: conns, ReadHeaderTimeout: time.Second, ReadTimeout: 2 * time.Second})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Serve(ctx, ln)
	addr := ln.Addr().String()
	url := "http://" + addr + "/v1/models/topics:predict"

	chunk := []byte(strings.Repeat("oil ", 1<<12))
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	sample := make(chan struct{})
	peaked := make(chan uint64)
	go func() {
		var m runtime.MemStats
		peak := uint64(0)
		for {
			select {
			case <-sample:
				peaked <- peak
				return
			case <-time.After(5 * time.Millisecond):
				runtime.ReadMemStats(&m)
				peak = max(peak, m.HeapAlloc)
			}
		}
	}()
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 32}}
	// Huge bodies without a length: 10 MB each, cut off at 1 MiB.
	for range 30 {
		wg.Go(func() {
			pr, pw := io.Pipe()
			go func() {
				io.WriteString(pw, `{"texts": ["`)
				for i := 0; i < 10<<20/len(chunk); i++ {
					if _, err := pw.Write(chunk); err != nil {
						return
					}
				}
				pw.Close()
			}()
			resp, err := client.Post(url, "application/json", pr)
			pr.CloseWithError(errors.New("done"))
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				// 408 when the machine is so slow (the race detector)
				// that a body takes longer than ReadTimeout.
				if resp.StatusCode != 413 && resp.StatusCode != 503 && resp.StatusCode != 408 {
					t.Errorf("a 10 MB body: %d", resp.StatusCode)
				}
			}
		})
	}
	// Malformed bodies, a deep nesting among them (made once: the test's
	// own memory counts in the heap too).
	malformed := []string{`{"texts": [1]}`, strings.Repeat("[", 100000), `{"texts": "` + strings.Repeat("x", 500000), `{"a":` + strings.Repeat(`{"a":`, 50000)}
	for i := range 200 {
		wg.Go(func() {
			resp, err := client.Post(url, "application/json", strings.NewReader(malformed[i%4]))
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 400 && resp.StatusCode != 503 {
					t.Errorf("malformed body %d: %d", i%4, resp.StatusCode)
				}
			}
		})
	}
	// Slowloris: connections that send long headers slowly.
	for range 2 * conns {
		wg.Go(func() {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err != nil {
				return
			}
			defer c.Close()
			io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
			for range 20 {
				if _, err := io.WriteString(c, strings.Repeat("a", 1000)); err != nil {
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	close(sample)
	peak := <-peaked
	// What the limits allow the server, and the test's own clients (a
	// few buffers each) beside it.
	bound := uint64(inflight*3*maxBody + conns*(maxHeaderBytes+64<<10) + 32<<20)
	if grew := peak - min(peak, before.HeapAlloc); grew > bound {
		t.Errorf("the heap grew by %d MiB, more than the bound of %d MiB", grew>>20, bound>>20)
	} else {
		t.Logf("the heap grew by at most %.1f MiB (bound %d MiB)", float64(grew)/(1<<20), bound>>20)
	}
	if r, err := http.Post(url, "application/json", strings.NewReader(`{"texts": ["oil"]}`)); err != nil || r.StatusCode != 200 {
		t.Errorf("after the attack: %v %v", r, err)
	}
}
