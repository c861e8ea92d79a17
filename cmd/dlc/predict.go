package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/pipeline"
)

type predictOptions struct {
	Model       string
	Format      string
	TopK        int
	Threshold   pipeline.Threshold
	topKSet     bool
	Input       string
	InputFormat string
	dataOptions
	// Keep are the input records' fields written beside each answer.
	Keep    []string
	Explain int
	shardOptions
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
line. --input-format jsonl|csv|tsv|lines reads stdin (or a file of another
name) so; stdin that looks like CSV, TSV or JSONL read as lines is warned
about. The field is the model's data.text_field unless --text-field (or
--set data.text_field).

A model of numeric columns (vectorizer.mode dense) reads a line of
comma-separated numbers instead of a text: for the MNIST model, the 784
pixel values (0-255) of a digit, row by row. From a CSV or TSV file (or
--input-format csv) it reads its feature columns by name, whatever else
the file holds (a label, an id); --features names the file's columns that
hold them, in the model's order. --input FILE.idx[.gz] (or MNIST's
t10k-images-idx3-ubyte.gz) answers every image of an IDX file.

--keep id,... carries fields of each input record (JSONL, CSV, TSV) to its
answer: first in text and tsv (tsv's header names them), as keys in json.

Formats:
  text  label<TAB>probability; with --top-k K, K label<TAB>p pairs
  json  {"label": ..., "probability": ..., "scores": {label: p, ...},
        "raw_scores": {label: s, ...}}
        (--top-k K adds "top_k": [{"label", "probability"}, ...])
  tsv   a header row, then label, probability, label_2, probability_2 ...
        (--top-k), and one score_LABEL column per label

The probability is the model's probability of the label it prints,
calibrated on training examples its network was not trained on (see
calibration in dlc train --help): of the answers given with 0.9, about 90 %
are right. json adds "raw_scores", the network's own outputs. A model
trained with calibration.method none answers with its network's outputs,
which for a linear output (hinge, mse) are scores, not probabilities.

--threshold X (two-label models) predicts the second label (in sorted order:
"pos" of neg/pos, "spam" of ham/spam) when its probability is at least X,
trading precision for recall; the default is the model's own cut (0.5, or
0 for a hinge score).

A multi-label model (data.task multilabel) gives a text every label whose
probability reaches that label's threshold (tuned on held-out training
examples; --threshold X puts one cut X on every label), most probable
first, and never fewer or more labels than its training texts had:
  text  label<TAB>p<TAB>label<TAB>p ...; an empty line for no label; with
        --top-k K the K most probable labels, whatever the thresholds
  json  {"labels": [...], "scores": {label: p, ...}, "raw_scores": {...}}
        (--top-k K adds "top_k"), as dlc serve answers
  tsv   a header row, then the labels joined by data.label_separator (else
        ","), label_1, probability_1 ... (--top-k), and score_LABEL columns
Its probabilities are each label's own and need not sum to 1; --explain
names the tokens behind the first label given (or the most probable).

--explain[=N] adds the N (default 5) tokens that pushed the decision most,
found by occlusion: each token (or n-gram) of the text is removed in turn
and the change in the predicted label's probability is its effect, exact
for this model and this text. A positive effect pushed towards the
predicted label, a negative one against it. Text and tsv show them as
"token +0.1234, token -0.0567"; json as "explain": [{"token", "effect"}].

--shard i/n answers shard i (counted from 0) of n of --input: the file is
cut into n contiguous byte ranges of equal size, and a line (a record)
belongs to the shard its first byte falls in, as Hadoop splits its inputs;
the shards' outputs, concatenated in shard order, are byte for byte one
run's (tsv's header comes with shard 0). Under mpirun the shard defaults
to OMPI_COMM_WORLD_RANK/OMPI_COMM_WORLD_SIZE (said on stderr); in a
Kubernetes Indexed Job, --shards N takes the index from
JOB_COMPLETION_INDEX. A gzipped file cannot be cut (give each process its
own file), nor can a CSV field holding a line break (use JSONL); stdin is
split by the engine that pipes it (parallel --pipe -k, RDD.pipe, Hadoop
Streaming), not by --shard. IDX images are split by image.`,
		Example: `  printf 'A wonderful, moving film.\nThe worst movie I have ever seen.\n' | dlc predict --model imdb.dlc
  dlc predict -m reuters.dlc --format json --top-k 3 < news.txt
  dlc predict -m imdb.dlc --input reviews.jsonl --format tsv > predictions.tsv
  echo "Not bad at all, a fine cast." | dlc predict -m imdb.dlc --explain
  dlc predict -m spam.dlc --threshold 0.9 < mail.txt
  dlc predict -m mnist.dlc --input t10k-images-idx3-ubyte.gz --top-k 2
  dlc predict -m news.dlc --input new.csv --text-field body --keep id --format tsv
  cut -d, -f1,3 new.csv | dlc predict -m news.dlc --input-format csv --text-field body --keep id
  dlc predict -m imdb.dlc --input reviews.jsonl --shard 2/8 > part-2.tsv   # 8 processes, cat part-* = one run
  mpirun -np 8 sh -c 'dlc predict -m imdb.dlc --input reviews.jsonl > part-$OMPI_COMM_WORLD_RANK'`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 0 && c.Flags().Changed("explain") {
				if _, err := strconv.Atoi(args[0]); err == nil {
					return usageErrorf("dlc predict takes no arguments; to show %s tokens write --explain=%s", args[0], args[0])
				}
			}
			return exactArgs(0, "no arguments (text comes on stdin, or from --input FILE)")(c, args)
		},
		RunE: func(c *cobra.Command, _ []string) error {
			o.Threshold.Set, o.topKSet = c.Flags().Changed("threshold"), c.Flags().Changed("top-k")
			if c.Flags().Changed("explain") && o.Explain < 1 {
				return usageErrorf("--explain must show at least one token, not %d", o.Explain)
			}
			return runPredict(stdio, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Model, "model", "m", "", "the model file (required)")
	f.VarP(newEnum(&o.Format, "text", "text", "json", "tsv"), "format", "f", "output format")
	f.IntVarP(&o.TopK, "top-k", "k", 1, "print the K most likely labels")
	f.Float64Var(&o.Threshold.Value, "threshold", 0, "two-label models: predict the second label when its probability reaches this; multi-label models: every label whose probability reaches it (default: the model's own cuts)")
	f.StringVarP(&o.Input, "input", "i", "", "read texts from this file instead of stdin (.jsonl, .csv, .tsv, else one per line)")
	f.VarP(newEnum(&o.InputFormat, "", "lines", "jsonl", "csv", "tsv"), "input-format", "", "read the input as this format (default: by --input's name; stdin: lines)")
	o.dataOptions.AddFlags(f, "name the input's fields as config keys: --set data.text_field=body (repeatable; data.text_field, data.label_field, data.features)")
	f.StringSliceVar(&o.Keep, "keep", nil, "write these fields of each input record beside its answer: --keep id")
	f.IntVar(&o.Explain, "explain", 0, "show the N tokens that pushed each decision most (--explain alone: 5)")
	f.Lookup("explain").NoOptDefVal = strconv.Itoa(defaultExplain)
	o.shardOptions.AddFlags(f)
	cmd.MarkFlagFilename("model", "dlc")
	cmd.MarkFlagFilename("input")
	cmd.RegisterFlagCompletionFunc("set", completeSet(pipeline.DataKeys))
	return cmd
}

func (o *predictOptions) check(m *model.Model) error {
	switch {
	case o.TopK < 1 || o.TopK > len(m.Labels):
		return usageErrorf("--top-k must be between 1 and the model's %d labels, not %d", len(m.Labels), o.TopK)
	case o.Explain > 0 && m.Vectorizer.Hashing > 0:
		// Its features are buckets of many n-grams, not tokens to name;
		// dlc vectorize --model shows which of a line's n-grams share one.
		return usageErrorf("--explain names the tokens of a model's vocabulary; %s hashes n-grams into %d buckets and has none (dlc vectorize --model %s shows a line's buckets)", o.Model, m.Vectorizer.Hashing, o.Model)
	}
	if err := o.Threshold.Check(m); err != nil {
		return flagError(err)
	}
	return nil
}

// shard is the share of --input this process answers: --shard, or the
// environment's (said on stderr, as a launcher sets it unseen).
func (o *predictOptions) shard(stdin bool, stdio *IO) (data.Shard, error) {
	sh, from, err := o.shardOptions.resolve()
	if err != nil || sh.Whole() {
		return data.Shard{}, err
	}
	if stdin {
		why := "--shard " + sh.String()
		if from != "" {
			why = from + " (shard " + sh.String() + ")"
		}
		return data.Shard{}, usageErrorf("%s splits a file, and the input is stdin; give --input FILE, or let the engine split stdin (parallel --pipe, Spark's RDD.pipe and Hadoop Streaming each pipe a share to each process)", why)
	}
	if from != "" {
		stdio.Progressf("dlc: answering shard %s of %s (%s)\n", sh, o.Input, from)
	}
	return sh, nil
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
	stdin := o.Input == "" || o.Input == "-"
	in, err := o.input(m, stdin, stdio)
	if err != nil {
		return err
	}
	if in.Shard, err = o.shard(stdin, stdio); err != nil {
		return err
	}
	out := bufio.NewWriterSize(stdio.Out, 1<<16)
	a := &answerer{m: m, o: o, w: out}
	in.Idle = out.Flush
	if o.Format == "tsv" && in.Shard.Index == 0 { // the shards' answers concatenate to the whole's
		a.header()
		if stdin {
			if err := out.Flush(); err != nil {
				return err
			}
		}
	}
	p := pipeline.NewPredictor(m, pipeline.PredictOptions{Threshold: o.Threshold, Explain: o.Explain})
	err = p.Run(in, a.write)
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	return err
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

// answerer writes one answer per input in the chosen format.
type answerer struct {
	m       *model.Model
	o       *predictOptions
	w       *bufio.Writer
	num     []byte
	escaped []string // the labels as text and tsv write them
}

// label returns label c as the text and tsv formats write it: a tab or a
// line break inside would split the answer (data.EscapeField).
func (a *answerer) label(c int) string {
	if a.escaped == nil {
		for _, l := range a.m.Labels {
			a.escaped = append(a.escaped, data.EscapeField(l))
		}
	}
	return a.escaped[c]
}

// write writes one answer.
func (a *answerer) write(p *pipeline.Answer) error {
	o := a.o
	if o.Format == "json" {
		b, err := p.AppendJSON(a.num[:0], a.m, o.TopK, o.Explain > 0)
		if err != nil {
			return err
		}
		a.num = b
		if kept := a.keptJSON(p.Keep); kept != "" {
			// The kept fields lead the answer's object.
			a.w.WriteByte('{')
			a.w.WriteString(kept)
			b = b[1:]
		}
		a.w.Write(b)
		return a.w.WriteByte('\n')
	}
	a.keptText(p.Keep)
	if a.m.Net.Spec().Regression {
		a.num = strconv.AppendFloat(a.num[:0], p.Value, 'g', 8, 64)
		a.w.Write(a.num)
		return a.w.WriteByte('\n')
	}
	if a.m.MultiLabel() {
		a.writeMulti(p)
		return a.w.WriteByte('\n')
	}
	switch o.Format {
	case "tsv":
		a.labelScores(p, p.Order[:o.TopK], 6)
		a.tsvScores(p)
	default:
		a.labelScores(p, p.Order[:o.TopK], 4)
		if o.Explain > 0 {
			a.w.WriteByte('\t')
			a.effects(p.Effects)
		}
	}
	return a.w.WriteByte('\n')
}

// labelScores writes the answer's label and score columns for the
// classes cs, tab-separated, each score to the given digits (more for
// tsv, which scripts read, than for the text a person reads).
func (a *answerer) labelScores(p *pipeline.Answer, cs []int, digits int) {
	for k, c := range cs {
		if k > 0 {
			a.w.WriteByte('\t')
		}
		a.w.WriteString(a.label(c))
		a.w.WriteByte('\t')
		a.float(p.Scores[c], digits)
	}
}

// tsvScores writes the tsv columns every answer ends with: each label's
// score, then the explanation when asked for.
func (a *answerer) tsvScores(p *pipeline.Answer) {
	for i := range a.m.Labels {
		a.w.WriteByte('\t')
		a.float(p.Scores[i], 6)
	}
	if a.o.Explain > 0 {
		a.w.WriteByte('\t')
		a.effects(p.Effects)
	}
}

// header writes the tsv header row.
func (a *answerer) header() {
	for _, k := range a.o.Keep {
		a.w.WriteString(data.EscapeField(k))
		a.w.WriteByte('\t')
	}
	if a.m.Net.Spec().Regression {
		a.w.WriteString("value\n")
		return
	}
	if a.m.MultiLabel() {
		a.headerMulti()
		return
	}
	cols := []string{"label", "probability"}
	for k := 2; k <= a.o.TopK; k++ {
		cols = append(cols, fmt.Sprintf("label_%d", k), fmt.Sprintf("probability_%d", k))
	}
	a.headerEnd(cols)
}

// headerEnd writes the tsv header row of a classifier: cols, then the
// score and explain columns every classifier's answer ends with (as
// tsvScores writes them).
func (a *answerer) headerEnd(cols []string) {
	for _, l := range a.m.Labels {
		cols = append(cols, "score_"+data.EscapeField(l))
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
func (a *answerer) effects(effects []pipeline.TokenEffect) {
	for i, e := range effects {
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
