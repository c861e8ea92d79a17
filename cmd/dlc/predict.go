package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/sparse"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

type predictOptions struct {
	Model  string
	Format string
	TopK   int
}

func newPredictCmd(g *globals, stdio *IO) *cobra.Command {
	o := &predictOptions{}
	cmd := &cobra.Command{
		Use:   "predict --model FILE < lines",
		Short: "Classify each line of standard input",
		Long: `predict reads one text per line on stdin and answers each line as soon as it
is read, so it can sit in a pipe:

  text format: label<TAB>probability      (with --top-k K: K label<TAB>p pairs)
  json format: {"label": ..., "probability": ..., "scores": {label: p, ...}}

The probability is the model's probability of the label it prints. For
models with a linear output (hinge, mse) the numbers are scores, not
probabilities. Every input line gets exactly one answer, empty lines too.`,
		Example: `  printf 'A wonderful, moving film.\nThe worst movie I have ever seen.\n' | dlc predict --model imdb.dlc
  dlc predict -m reuters.dlc --format json --top-k 3 < news.txt`,
		Args: exactArgs(0, "no arguments (text comes on stdin)"),
		RunE: func(c *cobra.Command, _ []string) error {
			return runPredict(stdio, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Model, "model", "m", "", "the model file (required)")
	f.VarP(newEnum(&o.Format, "text", "text", "json"), "format", "f", "output format")
	f.IntVarP(&o.TopK, "top-k", "k", 1, "print the K most likely labels")
	return cmd
}

// predictor answers one text at a time with reused buffers.
type predictor struct {
	m    *model.Model
	enc  *vectorize.Encoder
	x    *sparse.Matrix
	ws   mlp.Workspace
	out  []float64
	rows []int
}

func newPredictor(m *model.Model) *predictor {
	return &predictor{m: m, enc: m.Vectorizer.NewEncoder(), x: sparse.New(m.Vectorizer.Features(), false), rows: []int{0}}
}

// scores returns one number per label for text: probabilities for sigmoid
// and softmax outputs, scores for linear ones.
func (p *predictor) scores(text string, dst []float64) []float64 {
	idx, vals := p.enc.Encode(text) // vals is nil (all ones) for multi-hot
	p.x.Rows, p.x.Indptr, p.x.Indices, p.x.Values = 1, append(p.x.Indptr[:0], 0, len(idx)), idx, vals
	p.out = p.m.Net.Predict(p.x, p.rows, p.out, &p.ws)
	return classScores(p.m.Net, p.out, dst)
}

// classScores turns one output row into a score per class. A single output
// unit scores class 1; class 0 gets its complement (1 − p for
// probabilities, −s for hinge margins).
func classScores(net *mlp.Network, out []float64, dst []float64) []float64 {
	dst = dst[:0]
	if len(out) > 1 {
		return append(dst, out...)
	}
	a := out[0]
	if net.Threshold() == 0 { // ±1 margins (hinge losses on a linear output)
		return append(dst, -a, a)
	}
	return append(dst, 1-a, a)
}

type prediction struct {
	Label       string             `json:"label"`
	Probability float64            `json:"probability"`
	Scores      map[string]float64 `json:"scores"`
	TopK        []labelScore       `json:"top_k,omitempty"`
}

type labelScore struct {
	Label       string  `json:"label"`
	Probability float64 `json:"probability"`
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

func runPredict(stdio *IO, o *predictOptions) error {
	if o.Model == "" {
		return usageErrorf("dlc predict needs --model FILE; see dlc predict --help")
	}
	m, err := model.Load(o.Model)
	if err != nil {
		return err
	}
	if m.Net.Spec().Regression {
		return predictNumbers(stdio, o, m)
	}
	if o.TopK < 1 || o.TopK > len(m.Labels) {
		return usageErrorf("--top-k must be between 1 and the model's %d labels, not %d", len(m.Labels), o.TopK)
	}
	p := newPredictor(m)
	in := bufio.NewReaderSize(stdio.In, 1<<16)
	out := bufio.NewWriterSize(stdio.Out, 1<<16)
	var line []byte
	var scores []float64
	order := make([]int, len(m.Labels))
	for n := 1; ; n++ {
		line, err = readLine(in, line[:0])
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("cannot read stdin at line %d: %w", n, err)
		}
		scores = p.scores(string(line), scores)
		if err := p.enc.Err(); err != nil { // a line of numbers that does not parse
			out.Flush()
			return fmt.Errorf("stdin line %d %v", n, err)
		}
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int {
			switch {
			case scores[a] > scores[b]:
				return -1
			case scores[a] < scores[b]:
				return 1
			}
			return 0
		})
		if o.Format == "json" {
			pr := prediction{Label: m.Labels[order[0]], Probability: round6(scores[order[0]]), Scores: map[string]float64{}}
			for i, l := range m.Labels {
				pr.Scores[l] = round6(scores[i])
			}
			if o.TopK > 1 {
				for _, c := range order[:o.TopK] {
					pr.TopK = append(pr.TopK, labelScore{m.Labels[c], round6(scores[c])})
				}
			}
			b, err := json.Marshal(pr)
			if err != nil {
				return err
			}
			out.Write(b)
			out.WriteByte('\n')
		} else {
			for k, c := range order[:o.TopK] {
				if k > 0 {
					out.WriteByte('\t')
				}
				out.WriteString(m.Labels[c])
				out.WriteByte('\t')
				out.WriteString(strconv.FormatFloat(scores[c], 'f', 4, 64))
			}
			out.WriteByte('\n')
		}
		// Answer now unless more input is already waiting: a pipe gets each
		// answer as soon as its line is read, a file is written in blocks.
		if in.Buffered() == 0 {
			if err := out.Flush(); err != nil {
				return err
			}
		}
	}
	return out.Flush()
}

// readLine appends the next line of r (without "\n" or "\r\n") to buf.
func readLine(r *bufio.Reader, buf []byte) ([]byte, error) {
	for {
		chunk, err := r.ReadSlice('\n')
		buf = append(buf, chunk...)
		if err == bufio.ErrBufferFull {
			if len(buf) > maxLineBytes {
				return nil, fmt.Errorf("a line is longer than %d MiB", maxLineBytes>>20)
			}
			continue
		}
		if err == io.EOF && len(buf) > 0 {
			err = nil
		}
		return bytes.TrimSuffix(bytes.TrimSuffix(buf, []byte("\n")), []byte("\r")), err
	}
}

const maxLineBytes = 64 << 20
