package serve

import (
	"context"
	"strings"
	"testing"
	"time"
)

// A request whose client leaves while it waits is passed over: the state
// goes to the next request waiting, which leads a block of itself and the
// requests behind it, and every request still waiting is answered.
func TestLeadPassesOverALeftRequest(t *testing.T) {
	topics := open(t, "topics", writeModel(t, t.TempDir(), "topics", "topics"))
	v := topics.Current()
	b := newBatcher(1, 256, 0, newMetrics(func() float64 { return 0 }), nil)
	// The one state is taken, as by a request answering a block.
	w := b.free[0]
	b.free = b.free[:0]
	newJobFor := func(ctx context.Context, text string) *job {
		req, err := Decode(strings.NewReader(`{"texts": ["`+text+`"]}`), 10)
		if err != nil {
			t.Fatal(err)
		}
		return newJob(ctx, v, req)
	}
	gone, leave := context.WithCancel(context.Background())
	jobs := []*job{newJobFor(gone, "oil"), newJobFor(context.Background(), "wheat"), newJobFor(context.Background(), "dividend")}
	answered := make(chan bool, len(jobs))
	for i, j := range jobs {
		go func() { answered <- b.run(j) }()
		// The requests queue in order.
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
			b.mu.Lock()
			n := len(b.queue)
			b.mu.Unlock()
			if n == i+1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d requests queued, want %d", n, i+1)
			}
		}
	}
	leave()
	if <-answered {
		t.Fatal("the request whose client left reports an answer to send")
	}
	b.handOff(w)
	for range 2 {
		select {
		case ok := <-answered:
			if !ok {
				t.Error("a waiting request reports its client gone")
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the requests waiting were not answered")
		}
	}
	for _, j := range jobs[1:] {
		if j.err != nil || !strings.Contains(string(j.out), `"label"`) {
			t.Errorf("answer %q, error %v", j.out, j.err)
		}
	}
	if len(b.free) != 1 || len(b.queue) != 0 {
		t.Errorf("%d states free and %d requests queued after, want 1 and 0", len(b.free), len(b.queue))
	}
}
