// Command serveclient is bench/serve.sh's client for dlc serve, for what a
// load generator cannot do: write the request bodies wrk sends, check that
// every answer equals dlc predict --format json's, and send abusive
// requests (slow headers, huge bodies) while the server's memory is read.
//
//	go run ./bench/serveclient bodies -per 1 -n 2000 test.jsonl > bodies-1.txt
//	go run ./bench/serveclient check -url URL -texts test.jsonl -want predict.jsonl
//	go run ./bench/serveclient abuse -url URL -pid PID
//	go run ./bench/serveclient sha -url URL -model imdb
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: serveclient bodies|check|abuse|sha [flags]")
	}
	args := os.Args[2:]
	var err error
	switch os.Args[1] {
	case "bodies":
		err = bodies(args)
	case "check":
		err = check(args)
	case "abuse":
		err = abuse(args)
	case "sha":
		err = sha(args)
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fail(err.Error())
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "serveclient:", msg)
	os.Exit(1)
}

// readTexts returns the "text" field of every line of a JSONL file.
func readTexts(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var texts []string
	for sc.Scan() {
		var obj struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			return nil, fmt.Errorf("%s line %d: %v", path, len(texts)+1, err)
		}
		texts = append(texts, obj.Text)
	}
	return texts, sc.Err()
}

// bodies writes request bodies, one per line: n requests of per texts
// each, the texts taken in order from the file (and round again).
func bodies(args []string) error {
	fs := flag.NewFlagSet("bodies", flag.ExitOnError)
	per := fs.Int("per", 1, "texts per request")
	n := fs.Int("n", 1000, "requests")
	fs.Parse(args)
	texts, err := readTexts(fs.Arg(0))
	if err != nil {
		return err
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	at := 0
	for range *n {
		req := make([]string, *per)
		for i := range req {
			req[i] = texts[at%len(texts)]
			at++
		}
		b, err := json.Marshal(map[string]any{"texts": req})
		if err != nil {
			return err
		}
		w.Write(b)
		w.WriteByte('\n')
	}
	return nil
}

// check sends every text of the file, in requests of 1 to 1,000 texts
// from several clients at once, and compares each answer with the line of
// dlc predict --format json's output for the same text, byte for byte.
func check(args []string) error {
	fs := flag.NewFlagSet("check", flag.ExitOnError)
	url := fs.String("url", "", "the predict URL")
	textsPath := fs.String("texts", "", "JSONL file of texts")
	wantPath := fs.String("want", "", "dlc predict --format json's output for the same texts")
	clients := fs.Int("clients", 8, "requests at once")
	fs.Parse(args)
	texts, err := readTexts(*textsPath)
	if err != nil {
		return err
	}
	wantBytes, err := os.ReadFile(*wantPath)
	if err != nil {
		return err
	}
	want := strings.Split(strings.TrimSuffix(string(wantBytes), "\n"), "\n")
	if len(want) != len(texts) {
		return fmt.Errorf("%d answers from predict for %d texts", len(want), len(texts))
	}
	// Requests of 1, 2, 5, 10, ..., 1000 texts in turn.
	sizes := []int{1, 2, 5, 10, 50, 100, 500, 1000}
	type span struct{ lo, hi int }
	var spans []span
	for lo, k := 0, 0; lo < len(texts); k++ {
		hi := min(len(texts), lo+sizes[k%len(sizes)])
		spans = append(spans, span{lo, hi})
		lo = hi
	}
	var next atomic.Int64
	var equal, differ atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range *clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(spans) {
					return
				}
				s := spans[i]
				b, _ := json.Marshal(map[string]any{"texts": texts[s.lo:s.hi]})
				resp, err := http.Post(*url, "application/json", bytes.NewReader(b))
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				var r struct{ Predictions []json.RawMessage }
				if resp.StatusCode != 200 || json.Unmarshal(body, &r) != nil || len(r.Predictions) != s.hi-s.lo {
					once.Do(func() { firstErr = fmt.Errorf("texts %d-%d: %d %.200s", s.lo, s.hi, resp.StatusCode, body) })
					return
				}
				for j, p := range r.Predictions {
					if string(p) == want[s.lo+j] {
						equal.Add(1)
					} else {
						if differ.Add(1) == 1 {
							fmt.Fprintf(os.Stderr, "text %d: serve %s, predict %s\n", s.lo+j, p, want[s.lo+j])
						}
					}
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	fmt.Printf("%d answers equal to dlc predict --format json's, %d differ (%d requests of 1 to 1000 texts)\n", equal.Load(), differ.Load(), len(spans))
	if differ.Load() > 0 || equal.Load() != int64(len(texts)) {
		return errors.New("answers differ")
	}
	return nil
}

// abuse sends what a server must refuse without growing: connections that
// send headers slowly (slowloris), bodies far over the limit, malformed
// bodies; and prints the server's peak resident memory (VmHWM) before and
// after.
func abuse(args []string) error {
	fs := flag.NewFlagSet("abuse", flag.ExitOnError)
	url := fs.String("url", "", "the predict URL")
	pid := fs.Int("pid", 0, "the server's process id")
	slow := fs.Int("slow", 2000, "slow-header connections")
	huge := fs.Int("huge", 64, "requests of -huge-mb MB each")
	hugeMB := fs.Int("huge-mb", 100, "size of each huge body in MB")
	bad := fs.Int("bad", 2000, "malformed requests")
	fs.Parse(args)
	host := strings.TrimPrefix(*url, "http://")
	host = host[:strings.IndexByte(host, '/')]
	before, err := hwm(*pid)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	var codes sync.Map
	count := func(code int) {
		v, _ := codes.LoadOrStore(code, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
	}
	start := time.Now()
	for range *slow {
		wg.Go(func() {
			c, err := net.DialTimeout("tcp", host, 5*time.Second)
			if err != nil {
				count(-1)
				return
			}
			defer c.Close()
			io.WriteString(c, "POST /v1/models/x:predict HTTP/1.1\r\nHost: x\r\nX-Slow: ")
			for range 100 {
				if _, err := io.WriteString(c, strings.Repeat("a", 500)); err != nil {
					count(0) // cut off by the server
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
			count(-2) // never cut off
		})
	}
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 64}, Timeout: time.Minute}
	chunk := bytes.Repeat([]byte("great film "), 1<<12)
	for range *huge {
		wg.Go(func() {
			pr, pw := io.Pipe()
			go func() {
				io.WriteString(pw, `{"texts": ["`)
				for sent := 0; sent < *hugeMB<<20; sent += len(chunk) {
					if _, err := pw.Write(chunk); err != nil {
						return
					}
				}
				io.WriteString(pw, `"]}`)
				pw.Close()
			}()
			resp, err := client.Post(*url, "application/json", pr)
			pr.CloseWithError(errors.New("done"))
			if err != nil {
				count(-1)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			count(resp.StatusCode)
		})
	}
	malformed := []string{`{"texts": [1]}`, strings.Repeat("[", 1<<20), `{"a":` + strings.Repeat(`{"a":`, 1<<18), `{"texts": ["a"`, "\xff\xfe"}
	for i := range *bad {
		wg.Go(func() {
			resp, err := client.Post(*url, "application/json", strings.NewReader(malformed[i%len(malformed)]))
			if err != nil {
				count(-1)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			count(resp.StatusCode)
		})
	}
	wg.Wait()
	after, err := hwm(*pid)
	if err != nil {
		return err
	}
	fmt.Printf("abuse: %d slow-header connections, %d bodies of %d MB, %d malformed bodies in %.1f s\n", *slow, *huge, *hugeMB, *bad, time.Since(start).Seconds())
	codes.Range(func(k, v any) bool {
		what := map[int]string{-2: "slow connections never cut off", -1: "client errors (connection refused or reset)", 0: "slow connections cut off by the server"}[k.(int)]
		if what == "" {
			what = fmt.Sprintf("answered %d", k.(int))
		}
		fmt.Printf("  %6d %s\n", v.(*atomic.Int64).Load(), what)
		return true
	})
	fmt.Printf("server peak RSS (VmHWM): %d MiB before, %d MiB after\n", before>>10, after>>10)
	return nil
}

// hwm returns a process's peak resident set size in KiB.
func hwm(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
			return kb, nil
		}
	}
	return 0, errors.New("no VmHWM in /proc/PID/status")
}

// sha prints the sha256 that GET /v1/models/NAME reports.
func sha(args []string) error {
	fs := flag.NewFlagSet("sha", flag.ExitOnError)
	url := fs.String("url", "", "the server's base URL")
	name := fs.String("model", "", "the model's name")
	fs.Parse(args)
	resp, err := http.Get(*url + "/v1/models/" + *name)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var info struct{ SHA256 string }
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		return err
	}
	fmt.Println(info.SHA256)
	return nil
}
