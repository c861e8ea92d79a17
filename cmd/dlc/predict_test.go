package main

import (
	"bufio"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/pipeline"
	"github.com/dlc-dev/dlc/internal/testenv"
)

// predict must answer a line while its input is still open: a pipe feeding
// it one line at a time gets each answer before it sends the next. The
// test writes one line into a pipe, reads the answer, and only then closes
// the pipe; a predict that waited for more input or for EOF would hang
// here until the deadline.
func TestPredictAnswersWhileStdinIsOpen(t *testing.T) {
	path := topicsModel(t)
	for _, format := range []string{"text", "json", "tsv"} {
		t.Run(format, func(t *testing.T) {
			inR, inW := io.Pipe()
			outR, outW := io.Pipe()
			done := make(chan int, 1)
			go func() {
				done <- run(t.Context(), []string{"predict", "--model", path, "--format", format}, &IO{In: inR, Out: outW, Err: io.Discard})
				outW.Close()
			}()
			answers := bufio.NewReader(outR)
			if format == "tsv" {
				readWithin(t, answers, "the tsv header") // written before the first line is read
			}
			for _, line := range []string{"oil barrel opec crude price", "wheat corn harvest tonnes"} {
				if _, err := io.WriteString(inW, line+"\n"); err != nil {
					t.Fatal(err)
				}
				got := readWithin(t, answers, "the answer to "+line)
				want := map[bool]string{true: "crude", false: "grain"}[strings.HasPrefix(line, "oil")]
				if !strings.Contains(got, want) {
					t.Errorf("answer to %q = %q, want label %s", line, got, want)
				}
			}
			inW.Close()
			if _, err := answers.ReadString('\n'); err != io.EOF {
				t.Errorf("predict wrote more after stdin closed (err %v)", err)
			}
			if code := <-done; code != 0 {
				t.Errorf("predict exited %d", code)
			}
		})
	}
}

// readWithin reads one line of r, failing the test after 10 s.
func readWithin(t *testing.T, r *bufio.Reader, what string) string {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		s, _ := r.ReadString('\n')
		got <- s
	}()
	select {
	case s := <-got:
		return s
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s within 10 s while stdin was still open: predict does not stream", what)
	}
	return ""
}

// --format json gives one probability per label, summing to 1 for a
// softmax model, the label with the highest probability first, and
// --top-k K gives K labels, best first.
func TestPredictJSONScores(t *testing.T) {
	path := topicsModel(t)
	out := mustRun(t, "oil barrel\nmerger stake offer\n\n", "predict", "--model", path, "--format", "json", "--top-k", "3")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d answers for 3 lines:\n%s", len(lines), out)
	}
	for _, l := range lines {
		var p pipeline.Prediction
		if err := json.Unmarshal([]byte(l), &p); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		if len(p.Scores) != 4 {
			t.Errorf("%d scores, want one per label (4): %s", len(p.Scores), l)
		}
		sum, best := 0.0, ""
		for label, s := range p.Scores {
			sum += s
			if best == "" || s > p.Scores[best] {
				best = label
			}
		}
		if math.Abs(sum-1) > 1e-5 {
			t.Errorf("scores sum to %v, not 1: %s", sum, l)
		}
		if p.Label != best || p.Probability != p.Scores[best] {
			t.Errorf("label %s (%v), but the best score is %s: %s", p.Label, p.Probability, best, l)
		}
		if len(p.TopK) != 3 || p.TopK[0].Label != p.Label || p.TopK[1].Probability > p.TopK[0].Probability || p.TopK[2].Probability > p.TopK[1].Probability {
			t.Errorf("top_k %+v is not the 3 best labels in order: %s", p.TopK, l)
		}
	}
}

// --explain's effects are exact occlusion: the effect of a word is the
// predicted label's probability minus its probability on the text with
// every occurrence of the word removed — for count and tf-idf rows too,
// where removing a word changes the other values (tf-idf rows are
// normalised again).
func TestExplainIsOcclusion(t *testing.T) {
	text := "oil barrel opec the merger price oil the oil"
	for _, mode := range []string{"multi_hot", "count", "tf_idf"} {
		t.Run(mode, func(t *testing.T) {
			path := topicsModel(t, "vectorizer.mode="+mode)
			out := mustRun(t, text+"\n", "predict", "--model", path, "--format", "json", "--explain=6")
			var p pipeline.Prediction
			if err := json.Unmarshal([]byte(out), &p); err != nil {
				t.Fatal(err)
			}
			if p.Explain == nil || len(*p.Explain) != 6 {
				t.Fatalf("explain = %v, want all 6 distinct words of %q", p.Explain, text)
			}
			m, err := model.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			pr := pipeline.NewPredictor(m, pipeline.PredictOptions{})
			prev := math.Inf(1)
			for _, e := range *p.Explain {
				var rest []string
				for _, w := range strings.Fields(text) {
					if w != e.Token {
						rest = append(rest, w)
					}
				}
				a, err := pr.Predict(strings.Join(rest, " "))
				if err != nil {
					t.Fatal(err)
				}
				without := a.Scores[labelIndex(m.Labels, p.Label)]
				if want := p.Probability - without; math.Abs(e.Effect-want) > 2e-6 {
					t.Errorf("effect of %q = %v, want p(%s) − p(%s | without it) = %v", e.Token, e.Effect, p.Label, p.Label, want)
				}
				if math.Abs(e.Effect) > prev {
					t.Errorf("effects are not sorted by size: %v", *p.Explain)
				}
				prev = math.Abs(e.Effect)
			}
		})
	}
}

func labelIndex(labels []string, l string) int {
	for i, x := range labels {
		if x == l {
			return i
		}
	}
	return -1
}

// BenchmarkPredictLine measures answering one review-sized line in text
// format; the steady state allocates only the line's string.
func BenchmarkPredictLine(b *testing.B) {
	path := topicsModel(b)
	m, err := model.Load(path)
	if err != nil {
		b.Fatal(err)
	}
	o := &predictOptions{Format: "text", TopK: 1}
	a := &answerer{m: m, o: o, w: bufio.NewWriter(io.Discard)}
	p := pipeline.NewPredictor(m, pipeline.PredictOptions{})
	line := strings.Repeat("Oil barrel opec the merger price of the company said in a year. ", 20)
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		ans, err := p.Predict(line)
		if err != nil {
			b.Fatal(err)
		}
		if err := a.write(ans); err != nil {
			b.Fatal(err)
		}
	}
}

// A file is answered in vectorized blocks, a pipe line by line: the
// answers must be the same bytes, in every format, across block
// boundaries, with --explain and --top-k.
func TestPredictFileEqualsStream(t *testing.T) {
	path := topicsModel(t)
	texts, err := os.ReadFile(filepath.Join(testenv.Root(t), "testdata", "topics", "test.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for i := 0; len(lines) < pipeline.Block+500; i++ {
		for _, l := range strings.Split(strings.TrimSpace(string(texts)), "\n") {
			lines = append(lines, strings.Repeat(l+" ", i%3)) // JSON lines as text; some empty
		}
	}
	input := strings.Join(lines, "\n") + "\n"
	file := filepath.Join(t.TempDir(), "lines.txt")
	if err := os.WriteFile(file, []byte(input), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"text", "json", "tsv"} {
		args := []string{"predict", "--model", path, "--format", format, "--top-k", "2", "--explain=3"}
		streamed := mustRun(t, input, args...)
		batched := mustRun(t, "", append(args, "--input", file)...)
		if streamed != batched {
			t.Errorf("%s: --input FILE differs from the same lines on a pipe", format)
		}
		if n := strings.Count(batched, "\n"); n != len(lines)+map[bool]int{true: 1}[format == "tsv"] {
			t.Errorf("%s: %d output lines for %d input lines", format, n, len(lines))
		}
	}
}

// BenchmarkPredictBlock measures the file path: a block of review-sized
// lines vectorized on every core and scored in batches.
func BenchmarkPredictBlock(b *testing.B) {
	m, err := model.Load(topicsModel(b))
	if err != nil {
		b.Fatal(err)
	}
	o := &predictOptions{Format: "text", TopK: 1}
	a := &answerer{m: m, o: o, w: bufio.NewWriter(io.Discard)}
	p := pipeline.NewPredictor(m, pipeline.PredictOptions{})
	texts := make([]string, pipeline.Block)
	size := 0
	for i := range texts {
		texts[i] = strings.Repeat("Oil barrel opec the merger price of the company said in a year. ", 10+i%20)
		size += len(texts[i])
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		if err := p.PredictTexts(texts, a.write); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(texts))/b.Elapsed().Seconds(), "lines/s")
}
