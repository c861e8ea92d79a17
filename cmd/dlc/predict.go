package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/sparse"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

type predictOptions struct {
	Model     string
	Format    string
	TopK      int
	Threshold threshold
	Input     string
	TextField string
	Explain   int
}

// defaultExplain is how many tokens a bare --explain shows.
const defaultExplain = 5

func newPredictCmd(g *globals, stdio *IO) *cobra.Command {
	o := &predictOptions{}
	cmd := &cobra.Command{
		Use:   "predict --model FILE [--input FILE] [< lines]",
		Short: "Classify each line of standard input (or of a file)",
		Long: `predict reads one text per line on stdin and answers each line as soon as it
is read, so it can sit in a pipe: the answer to a line is written (and
flushed) before the next line is waited for. Every input line gets exactly
one answer, empty lines too, in input order.

--input FILE reads the texts from a file instead: .jsonl (the text field of
each object, so texts may hold newlines), .csv or .tsv with a header row
(the text column), each optionally .gz; any other file has one text per
line. The field is the model's data.text_field unless --text-field.

A model of numeric columns (vectorizer.mode dense) reads a line of
comma-separated numbers instead of a text: for the MNIST model, the 784
pixel values (0-255) of a digit, row by row. --input FILE.idx[.gz] (or
MNIST's t10k-images-idx3-ubyte.gz) answers every image of an IDX file.

Formats:
  text  label<TAB>probability; with --top-k K, K label<TAB>p pairs
  json  {"label": ..., "probability": ..., "scores": {label: p, ...}}
        (--top-k K adds "top_k": [{"label", "probability"}, ...])
  tsv   a header row, then label, probability, label_2, probability_2 ...
        (--top-k), and one score_LABEL column per label

The probability is the model's probability of the label it prints; for
models with a linear output (hinge, mse) the numbers are scores, not
probabilities.

--threshold X (two-label models) predicts the second label (in sorted order:
"pos" of neg/pos, "spam" of ham/spam) when its probability is at least X,
trading precision for recall; the default is the model's own cut (0.5, or
0 for a hinge score).

--explain[=N] adds the N (default 5) tokens that pushed the decision most,
found by occlusion: each token (or n-gram) of the text is removed in turn
and the change in the predicted label's probability is its effect, exact
for this model and this text. A positive effect pushed towards the
predicted label, a negative one against it. Text and tsv show them as
"token +0.1234, token -0.0567"; json as "explain": [{"token", "effect"}].`,
		Example: `  printf 'A wonderful, moving film.\nThe worst movie I have ever seen.\n' | dlc predict --model imdb.dlc
  dlc predict -m reuters.dlc --format json --top-k 3 < news.txt
  dlc predict -m imdb.dlc --input reviews.jsonl --format tsv > predictions.tsv
  echo "Not bad at all, a fine cast." | dlc predict -m imdb.dlc --explain
  dlc predict -m spam.dlc --threshold 0.9 < mail.txt
  dlc predict -m mnist.dlc --input t10k-images-idx3-ubyte.gz --top-k 2`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 0 && c.Flags().Changed("explain") {
				if _, err := strconv.Atoi(args[0]); err == nil {
					return usageErrorf("dlc predict takes no arguments; to show %s tokens write --explain=%s", args[0], args[0])
				}
			}
			return exactArgs(0, "no arguments (text comes on stdin, or from --input FILE)")(c, args)
		},
		RunE: func(c *cobra.Command, _ []string) error {
			o.Threshold.set = c.Flags().Changed("threshold")
			return runPredict(stdio, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Model, "model", "m", "", "the model file (required)")
	f.VarP(newEnum(&o.Format, "text", "text", "json", "tsv"), "format", "f", "output format")
	f.IntVarP(&o.TopK, "top-k", "k", 1, "print the K most likely labels")
	f.Float64Var(&o.Threshold.value, "threshold", 0, "two-label models: predict the second label when its probability reaches this (default: the model's own cut)")
	f.StringVarP(&o.Input, "input", "i", "", "read texts from this file instead of stdin (.jsonl, .csv, .tsv, else one per line)")
	f.StringVar(&o.TextField, "text-field", "", "the JSONL field or CSV/TSV column holding the text (default: the model's data.text_field)")
	f.IntVar(&o.Explain, "explain", 0, "show the N tokens that pushed each decision most (--explain alone: 5)")
	f.Lookup("explain").NoOptDefVal = strconv.Itoa(defaultExplain)
	cmd.MarkFlagFilename("model", "dlc")
	cmd.MarkFlagFilename("input")
	return cmd
}

// predictor answers one text at a time with reused buffers: after the
// first few lines, answering a line in text format allocates nothing but
// the line's string.
type predictor struct {
	m       *model.Model
	net     *mlp.Network
	t       threshold
	enc     *vectorize.Encoder
	x       *sparse.Matrix
	ws      mlp.Workspace
	out     []float64
	rows    []int
	scores  []float64
	order   []int
	effects []tokenEffect
	occ     occluder
	value   float64 // a regression model's prediction
	// Buffers of the block path (files).
	batchRows []int
	batchOut  []float64
	batchWS   mlp.Workspace
}

func newPredictor(m *model.Model, t threshold) *predictor {
	return &predictor{
		m: m, net: m.Net, t: t, enc: m.Vectorizer.NewEncoder(),
		x: sparse.New(m.Vectorizer.Features(), false), rows: []int{0},
		order: make([]int, len(m.Labels)),
	}
}

// predict scores one text: p.scores holds a score per label, p.order the
// labels from the decision down, and with explain > 0 p.effects the tokens
// that pushed the decision most.
func (p *predictor) predict(text string, explain int) {
	idx, vals := p.enc.Encode(text) // vals is nil (all ones) for multi-hot
	p.x.Rows, p.x.Indptr, p.x.Indices, p.x.Values = 1, append(p.x.Indptr[:0], 0, len(idx)), idx, vals
	p.out = p.net.Predict(p.x, p.rows, p.out, &p.ws)
	p.decide(p.out, idx, vals, explain)
}

// decide fills p.scores, p.order and p.effects from the network's output
// row out for the input row (idx, vals); for a regression model, p.value.
func (p *predictor) decide(out []float64, idx []int32, vals []float64, explain int) {
	if p.net.Spec().Regression {
		p.value = out[0]
		return
	}
	p.scores = classScores(p.net, out, p.scores)
	// The decision comes first (the net's own, or --threshold), then the
	// rest by score: sorting alone could disagree with the decision on a
	// tie at 0.5.
	first := p.t.decide(p.net, out)
	for i := range p.order {
		p.order[i] = i
	}
	scores := p.scores
	slices.SortStableFunc(p.order, func(a, b int) int {
		switch {
		case a == first:
			return -1
		case b == first:
			return 1
		case scores[a] > scores[b]:
			return -1
		case scores[a] < scores[b]:
			return 1
		}
		return 0
	})
	p.effects = p.effects[:0]
	if explain > 0 {
		p.effects = p.occ.explain(p, idx, vals, first, explain, p.effects)
	}
}

// predictBlock is how many texts of a file are vectorized (on every core)
// and scored (in batches of evalBatch rows) at a time: a file is answered
// several times faster than line by line, in memory that does not grow
// with its length.
const predictBlock = 8192

// block answers texts as one block; the answers are those predict gives
// line by line.
func (a *answerer) block(texts []string) error {
	return a.rows(a.p.m.Vectorizer.Transform(texts))
}

// rows answers every row of x, vectorized inputs, in batches of evalBatch.
func (a *answerer) rows(x *sparse.Matrix) error {
	p := a.p
	k := p.net.Spec().Outputs
	for lo := 0; lo < x.Rows; lo += evalBatch {
		p.batchRows = p.batchRows[:0]
		for r := lo; r < min(x.Rows, lo+evalBatch); r++ {
			p.batchRows = append(p.batchRows, r)
		}
		p.batchOut = p.net.Predict(x, p.batchRows, p.batchOut, &p.batchWS)
		for i, r := range p.batchRows {
			idx, vals := x.Row(r)
			p.decide(p.batchOut[i*k:(i+1)*k], idx, vals, a.o.Explain)
			if err := a.write(); err != nil {
				return err
			}
		}
	}
	return nil
}

type prediction struct {
	Label       string             `json:"label"`
	Probability float64            `json:"probability"`
	Scores      map[string]float64 `json:"scores"`
	TopK        []labelScore       `json:"top_k,omitempty"`
	// Explain is there (possibly empty) when --explain asks for it.
	Explain *[]tokenEffect `json:"explain,omitempty"`
}

type labelScore struct {
	Label       string  `json:"label"`
	Probability float64 `json:"probability"`
}

func (o *predictOptions) check(m *model.Model) error {
	switch {
	case o.TopK < 1 || o.TopK > len(m.Labels):
		return usageErrorf("--top-k must be between 1 and the model's %d labels, not %d", len(m.Labels), o.TopK)
	case o.Explain < 0:
		return usageErrorf("--explain must show at least one token, not %d", o.Explain)
	case o.Explain > 0 && m.Vectorizer.Hashing > 0:
		// Its features are buckets of many n-grams, not tokens to name;
		// dlc vectorize --model shows which of a line's n-grams share one.
		return usageErrorf("--explain names the tokens of a model's vocabulary; %s hashes n-grams into %d buckets and has none (dlc vectorize --model %s shows a line's buckets)", o.Model, m.Vectorizer.Hashing, o.Model)
	}
	return o.Threshold.check(m.Net, m.Labels)
}

func runPredict(stdio *IO, o *predictOptions) error {
	if o.Model == "" {
		return usageErrorf("dlc predict needs --model FILE; see dlc predict --help")
	}
	m, err := model.Load(o.Model)
	if err != nil {
		return err
	}
	check := o.check
	if m.Net.Spec().Regression {
		check = o.checkRegression
	}
	if err := check(m); err != nil {
		return err
	}
	p := newPredictor(m, o.Threshold)
	out := bufio.NewWriterSize(stdio.Out, 1<<16)
	a := &answerer{p: p, o: o, w: out}
	stdin := o.Input == "" || o.Input == "-"
	// Lines of numbers (mode dense) are answered one by one, so that a line
	// that does not parse is reported with its number.
	dense := m.Vectorizer.Mode == vectorize.Dense
	if !stdin && isIDX(o.Input) {
		if o.TextField != "" {
			return usageErrorf("--text-field applies to .jsonl, .csv and .tsv input; %s holds IDX images", o.Input)
		}
		if o.Format == "tsv" {
			a.header()
		}
		return a.images(o.Input)
	}
	if o.TextField != "" && (stdin || !isStructured(o.Input)) {
		name := o.Input
		if stdin {
			name = "stdin"
		}
		return usageErrorf("--text-field applies to .jsonl, .csv and .tsv input; %s is read as one text per line", name)
	}
	if o.Format == "tsv" {
		a.header()
		if stdin {
			if err := out.Flush(); err != nil {
				return err
			}
		}
	}
	if stdin {
		// A pipe or a terminal may be a person or a program waiting for
		// each answer: stream. A regular file (dlc predict < file) is a
		// batch: read and score it in blocks.
		return a.lines(stdio.In, "stdin", dense || !isRegularFile(stdio.In))
	}
	if isStructured(o.Input) {
		fields := fieldsOf(m.Config)
		fields.Unlabelled = true
		if o.TextField != "" {
			fields.Text = o.TextField
		}
		// Streamed in blocks: a file of millions of texts needs no more
		// memory than one block.
		texts := make([]string, 0, predictBlock)
		err := data.Each(o.Input, fields, func(text, _ string) error {
			if texts = append(texts, text); len(texts) < predictBlock {
				return nil
			}
			err := a.block(texts)
			texts = texts[:0]
			return err
		})
		if err == nil {
			err = a.block(texts)
		}
		if ferr := out.Flush(); err == nil {
			err = ferr
		}
		return err
	}
	f, err := os.Open(o.Input)
	if err != nil {
		return fmt.Errorf("cannot read --input %s: %v", o.Input, pathError(err))
	}
	defer f.Close()
	r, err := data.TextReader(f, o.Input)
	if err != nil {
		return err
	}
	return a.lines(r, o.Input, dense)
}

// isRegularFile reports whether r is a regular file: input that no one
// types or waits on.
func isRegularFile(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode().IsRegular()
}

// isStructured reports whether --input names a file whose texts are fields
// (JSONL, CSV, TSV) rather than lines.
func isStructured(path string) bool {
	kind := strings.TrimSuffix(strings.ToLower(path), ".gz")
	for _, ext := range []string{".jsonl", ".ndjson", ".json", ".csv", ".tsv"} {
		if strings.HasSuffix(kind, ext) {
			return true
		}
	}
	return false
}

// answerer writes one answer per text in the chosen format.
type answerer struct {
	p   *predictor
	o   *predictOptions
	w   *bufio.Writer
	num []byte
}

// lines answers every line of r. With stream set, each line is answered
// as it is read and the answer flushed as soon as no more input is already
// buffered: a pipe gets every answer before its next line is waited for.
// Otherwise lines are answered in blocks of predictBlock, and written in
// large pieces.
func (a *answerer) lines(r io.Reader, name string, stream bool) error {
	in := newLineReader(r, name)
	var texts []string
	for {
		line, err := in.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if !stream {
			if texts = append(texts, string(line)); len(texts) == predictBlock {
				if err := a.block(texts); err != nil {
					return err
				}
				texts = texts[:0]
			}
			continue
		}
		a.p.predict(string(line), a.o.Explain)
		if err := a.p.enc.Err(); err != nil { // a line of numbers that does not parse
			a.w.Flush()
			return fmt.Errorf("%s line %d %v", name, in.n, err)
		}
		if err := a.write(); err != nil {
			return err
		}
		if !in.Waiting() {
			if err := a.w.Flush(); err != nil {
				return err
			}
		}
	}
	if err := a.block(texts); err != nil {
		return err
	}
	return a.w.Flush()
}

// write writes the answer the predictor holds.
func (a *answerer) write() error {
	p, o := a.p, a.o
	if p.net.Spec().Regression {
		if o.Format == "json" {
			a.num = append(strconv.AppendFloat(append(a.num[:0], `{"value":`...), p.value, 'g', -1, 64), '}')
		} else {
			a.num = strconv.AppendFloat(a.num[:0], p.value, 'g', 8, 64)
		}
		a.w.Write(a.num)
		return a.w.WriteByte('\n')
	}
	labels := p.m.Labels
	switch o.Format {
	case "json":
		// Full precision: rounded, 52 probabilities no longer sum to 1.
		pr := prediction{Label: labels[p.order[0]], Probability: p.scores[p.order[0]], Scores: make(map[string]float64, len(labels))}
		if o.Explain > 0 {
			effects := append([]tokenEffect{}, p.effects...)
			pr.Explain = &effects
		}
		for i, l := range labels {
			pr.Scores[l] = p.scores[i]
		}
		if o.TopK > 1 {
			for _, c := range p.order[:o.TopK] {
				pr.TopK = append(pr.TopK, labelScore{labels[c], p.scores[c]})
			}
		}
		b, err := json.Marshal(pr)
		if err != nil {
			return err
		}
		a.w.Write(b)
	case "tsv":
		for k, c := range p.order[:o.TopK] {
			if k > 0 {
				a.w.WriteByte('\t')
			}
			a.w.WriteString(tsvField(labels[c]))
			a.w.WriteByte('\t')
			a.float(p.scores[c], 6)
		}
		for i := range labels {
			a.w.WriteByte('\t')
			a.float(p.scores[i], 6)
		}
		if o.Explain > 0 {
			a.w.WriteByte('\t')
			a.effects()
		}
	default:
		for k, c := range p.order[:o.TopK] {
			if k > 0 {
				a.w.WriteByte('\t')
			}
			a.w.WriteString(labels[c])
			a.w.WriteByte('\t')
			a.float(p.scores[c], 4)
		}
		if o.Explain > 0 {
			a.w.WriteByte('\t')
			a.effects()
		}
	}
	return a.w.WriteByte('\n')
}

// header writes the tsv header row.
func (a *answerer) header() {
	if a.p.net.Spec().Regression {
		a.w.WriteString("value\n")
		return
	}
	cols := []string{"label", "probability"}
	for k := 2; k <= a.o.TopK; k++ {
		cols = append(cols, fmt.Sprintf("label_%d", k), fmt.Sprintf("probability_%d", k))
	}
	for _, l := range a.p.m.Labels {
		cols = append(cols, "score_"+tsvField(l))
	}
	if a.o.Explain > 0 {
		cols = append(cols, "explain")
	}
	a.w.WriteString(strings.Join(cols, "\t"))
	a.w.WriteByte('\n')
}

func (a *answerer) float(x float64, digits int) {
	a.num = strconv.AppendFloat(a.num[:0], x, 'f', digits, 64)
	a.w.Write(a.num)
}

// effects writes "token +0.1234, token -0.0567".
func (a *answerer) effects() {
	for i, e := range a.p.effects {
		if i > 0 {
			a.w.WriteString(", ")
		}
		a.w.WriteString(e.Token)
		a.w.WriteByte(' ')
		a.num = strconv.AppendFloat(a.num[:0], e.Effect, 'f', 4, 64)
		if e.Effect >= 0 {
			a.w.WriteByte('+')
		}
		a.w.Write(a.num)
	}
}

// tsvField keeps a label from breaking the tsv layout.
func tsvField(s string) string {
	if !strings.ContainsAny(s, "\t\n\r") {
		return s
	}
	return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s)
}

// lineReader reads the lines predict and vectorize answer: without their
// end of line, the first without a UTF-8 byte-order mark (Windows tools
// write one), none longer than maxLineBytes. It never reads ahead of what
// it must, so a pipe's first line is answered while the next is awaited.
type lineReader struct {
	r    *bufio.Reader
	name string // for errors: "stdin" or the file's name
	n    int    // the number of the line last returned
	buf  []byte
}

func newLineReader(r io.Reader, name string) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 1<<16), name: name}
}

// Next returns the next line, valid until the following call, or io.EOF
// after the last one; a failed read is an error naming the input and line.
func (l *lineReader) Next() ([]byte, error) {
	l.n++
	line, err := readLine(l.r, l.buf[:0])
	if line != nil {
		l.buf = line[:0]
	}
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read %s at line %d: %w", l.name, l.n, err)
	}
	if l.n == 1 {
		line = bytes.TrimPrefix(line, []byte("\ufeff"))
	}
	return line, nil
}

// Waiting reports whether more input has already arrived: answers are
// flushed when none has.
func (l *lineReader) Waiting() bool { return l.r.Buffered() > 0 }

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
