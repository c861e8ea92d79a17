package serve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/pipeline"
	"github.com/dlc-dev/dlc/internal/testenv"
)

// imdbFixture is the IMDB notebook model (configs/imdb.yaml) trained once
// per process, and the first reviews of the test split: what
// bench/serve.sh serves, without the network.
var imdbFixture struct {
	once   sync.Once
	model  []byte
	texts  []string
	reason string // why there is none
}

// imdbModel trains the fixture, or skips when $DLC_DATA holds no imdb.
func imdbModel(b *testing.B) ([]byte, []string) {
	f := &imdbFixture
	f.once.Do(func() {
		dir := os.Getenv("DLC_DATA")
		test := filepath.Join(dir, "imdb", "test.jsonl")
		if _, err := os.Stat(test); dir == "" || err != nil {
			f.reason = "skipping: $DLC_DATA/imdb/test.jsonl is missing (dlc fetch imdb, then DLC_DATA=... go test -bench)"
			return
		}
		cfg, err := config.Load(filepath.Join(testenv.Root(b), "configs", "imdb.yaml"), nil)
		if err != nil {
			b.Fatal(err)
		}
		d, err := pipeline.Read(context.Background(), cfg, dir)
		if err != nil {
			b.Fatal(err)
		}
		m, _, err := pipeline.Train(context.Background(), cfg, d, pipeline.Hooks{})
		if err != nil {
			b.Fatal(err)
		}
		if f.model, err = model.Encode(m); err != nil {
			b.Fatal(err)
		}
		in, err := os.Open(test)
		if err != nil {
			b.Fatal(err)
		}
		defer in.Close()
		sc := bufio.NewScanner(in)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() && len(f.texts) < 5000 {
			var rec struct{ Text string }
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				b.Fatal(err)
			}
			f.texts = append(f.texts, rec.Text)
		}
	})
	if f.reason != "" {
		b.Skip(f.reason)
	}
	if f.model == nil {
		b.Fatal("the IMDB fixture failed to train (see the first failure)")
	}
	return f.model, f.texts
}

// discard is a ResponseWriter that keeps the status and throws the body
// away, as cheap as a writer can be, so that the benchmark measures the
// handler.
type discard struct {
	h      http.Header
	status int
	msg    string // an error's body
}

func (d *discard) Header() http.Header  { return d.h }
func (d *discard) WriteHeader(code int) { d.status = code }
func (d *discard) Write(b []byte) (int, error) {
	if d.status != http.StatusOK {
		d.msg = string(b)
	}
	return len(b), nil
}

// cpuNanos returns the CPU time the process has used (user and system).
func cpuNanos(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkServeIMDB measures predict requests for the IMDB notebook model
// through the handler, the batcher's workers and back, as bench/serve.sh
// sends them but without the network: "text" one review per request from
// 64 clients at once, "block" 1,000 reviews per request from 4. Requests
// are logged as JSON (to nowhere), as --log-format json does (RequestLog). Besides
// go test's wall-clock ns/op (two cores shared by the clients and the
// workers), it reports the process's CPU time per request and per input
// (cpu-us/req, cpu-us/input: what bench/serve.sh's "server us/input"
// measures, minus the network), and garbage collections per 1,000
// requests; -benchmem's allocs/op count every goroutine's allocations.
func BenchmarkServeIMDB(b *testing.B) {
	for _, c := range []struct {
		name    string
		per     int
		clients int
	}{{"text", 1, 64}, {"block", 1000, 4}} {
		b.Run(c.name, func(b *testing.B) {
			modelFile, texts := imdbModel(b)
			path := filepath.Join(b.TempDir(), "imdb.dlc")
			if err := os.WriteFile(path, modelFile, 0o644); err != nil {
				b.Fatal(err)
			}
			log := slog.New(slog.NewJSONHandler(io.Discard, nil))
			s, err := New([]*Model{open(b, "imdb", path)}, Options{Log: log, LogRequests: true, RequestLog: io.Discard})
			if err != nil {
				b.Fatal(err)
			}
			var bodies [][]byte
			for i := 0; i+c.per <= len(texts); i += c.per {
				body, err := json.Marshal(map[string][]string{"texts": texts[i : i+c.per]})
				if err != nil {
					b.Fatal(err)
				}
				bodies = append(bodies, body)
			}
			h := s.Handler()
			var next atomic.Int64
			procs := runtime.GOMAXPROCS(0)
			b.SetParallelism((c.clients + procs - 1) / procs)
			b.ReportAllocs()
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			cpu0 := cpuNanos(b)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				w := &discard{h: http.Header{}}
				body := bytes.NewReader(nil)
				r, err := http.NewRequest("POST", "/v1/models/imdb:predict", nil)
				if err != nil {
					b.Error(err)
					return
				}
				r.Body = io.NopCloser(body)
				for pb.Next() {
					b := bodies[next.Add(1)%int64(len(bodies))]
					body.Reset(b)
					r.ContentLength = int64(len(b))
					clear(w.h)
					h.ServeHTTP(w, r)
					if w.status != http.StatusOK {
						panic(fmt.Sprint(w.status, " ", w.msg))
					}
				}
			})
			b.StopTimer()
			cpu := float64(cpuNanos(b) - cpu0)
			runtime.ReadMemStats(&ms1)
			b.ReportMetric(cpu/float64(b.N)/1e3, "cpu-us/req")
			b.ReportMetric(cpu/float64(b.N*c.per)/1e3, "cpu-us/input")
			b.ReportMetric(float64(ms1.NumGC-ms0.NumGC)/float64(b.N)*1e3, "gc/1000req")
		})
	}
}
