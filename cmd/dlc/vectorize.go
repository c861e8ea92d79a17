package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/pipeline"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

type vectorizeOptions struct {
	Config string
	dataOptions
	Out    string
	Model  string
	Format string
	// Counts, Vocabulary and Split are the sharded runs (vectorize_shard.go).
	Counts     string
	Vocabulary string
	Split      string
	shardOptions
}

func newVectorizeCmd(g *globals, stdio *IO) *cobra.Command {
	o := &vectorizeOptions{}
	cmd := &cobra.Command{
		Use:   "vectorize (--config FILE [--out DIR] | --model FILE < lines)",
		Short: "Fit the vectorizer and export features, or show what a model sees",
		Long: `vectorize --config fits the config's vectorizer on its training data, as
train does, encodes the training (and validation and test) texts, and prints
a summary of each split: texts, tokens, non-zero features per text (mean,
median, max) and the out-of-vocabulary rates: the share of the tokens that
are not features, and with n-grams the share of the n-grams.

With --out DIR it also writes, each file atomically:

  vocabulary.tsv  index, token (n-grams joined by a space), document frequency;
                  with hashing, the buckets used, with an empty token
  labels.tsv      index, label: the class indices of the .svm files
  train.svm       the training features in svmlight format: one line per text,
  test.svm        "label index:value ...", indices from 1 (feature i of
                  vocabulary.tsv is written i+1), as liblinear and libsvm
                  require; scikit-learn's load_svmlight_file reads them as
                  they are (zero_based="auto")
  validation.svm  when the config holds validation data out

vectorize --model reads one text per line on stdin and prints, for each line
as soon as it is read, the tokens and the features the model's network sees:
index, value and n-gram (with hashing, the line's n-grams in that bucket).

Labels and tokens never hold a tab or a line break in TSV files: a label's
tab, CR, LF and backslash are written \t, \r, \n and \\.

Sharded, for corpora that one process should not fit alone, in three
steps whose every part runs anywhere (Spark, Hadoop, a Kubernetes Indexed
Job, mpirun, GNU parallel; --shard and its defaults as in dlc predict):

  --counts FILE --shard i/n   counts the n-grams (total and document
                              frequency) and labels of shard i of the
                              training file, exactly, into FILE
  dlc vocab merge             adds the n shards' counts up and chooses the
                              vocabulary one run would: vocabulary.tsv,
                              labels.tsv and vectorizer.json, byte for byte
                              one run's first two
  --vocabulary DIR --shard i/n  writes the svmlight rows of shard i of
                              --split (train, validation, test) to stdout;
                              the shards' rows, concatenated in order, are
                              one run's NAME.svm, byte for byte

A shard is the lines starting in its contiguous byte range of the file (a
gzipped file cannot be cut; a CSV field may not hold a line break).
data.validation_split draws from the whole file and is refused.`,
		Example: `  dlc vectorize --config configs/imdb.yaml
  dlc vectorize --config configs/imdb.yaml --set vectorizer.mode=tf_idf --out features/
  dlc vectorize -c configs/imdb.yaml --format json | jq .splits.test.oov_rate
  echo "A wonderful, moving film." | dlc vectorize --model imdb.dlc
  # the same features from 4 processes (one machine or many):
  for i in 0 1 2 3; do dlc vectorize -c imdb.yaml --counts c$i.tsv --shard $i/4; done
  dlc vocab merge -c imdb.yaml --out features c0.tsv c1.tsv c2.tsv c3.tsv
  for i in 0 1 2 3; do dlc vectorize -c imdb.yaml --vocabulary features --shard $i/4 > train-$i.svm; done
  cat train-?.svm > features/train.svm   # = dlc vectorize --out's, byte for byte`,
		Args: exactArgs(0, "no arguments (--config FILE or --model FILE)"),
		RunE: func(c *cobra.Command, _ []string) error {
			if o.Model != "" {
				return runVectorizeModel(stdio, o)
			}
			if o.Counts != "" || o.Vocabulary != "" || o.shardOptions.Spec != "" || o.shardOptions.Count != 0 {
				return runVectorizeShard(g, stdio, o)
			}
			return runVectorizeConfig(c.Context(), g, stdio, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Config, "config", "c", "", "fit the vectorizer of this YAML config")
	o.dataOptions.AddFlags(f, "override a config key: --set vectorizer.ngrams=2 (repeatable)")
	f.StringVarP(&o.Out, "out", "o", "", "write the vocabulary, labels and svmlight features into this folder")
	f.StringVarP(&o.Model, "model", "m", "", "show what this model sees of each line of stdin")
	f.VarP(newEnum(&o.Format, "text", "text", "json"), "format", "f", "output format")
	f.StringVar(&o.Counts, "counts", "", "count the n-grams and labels of the training data's shard into this file, for dlc vocab merge")
	f.StringVar(&o.Vocabulary, "vocabulary", "", "write the svmlight rows of --split's shard, encoded with the vectorizer dlc vocab merge wrote into this folder, to stdout")
	f.VarP(newEnum(&o.Split, "train", "train", "validation", "test"), "split", "", "the split --vocabulary encodes")
	o.shardOptions.AddFlags(f)
	cmd.MarkFlagFilename("config", "yaml", "yml")
	cmd.RegisterFlagCompletionFunc("set", completeSet(nil))
	return cmd
}

// vectorizeSummary is what vectorize --config prints.
type vectorizeSummary struct {
	Config     string                            `json:"config"`
	Mode       string                            `json:"mode"`
	NGrams     int                               `json:"ngrams"`
	Hashing    int                               `json:"hashing"`
	Features   int                               `json:"features"`
	Distinct   int                               `json:"distinct_ngrams"`
	Labels     []string                          `json:"labels"`
	Splits     map[string]*pipeline.SplitSummary `json:"splits"`
	Vocabulary string                            `json:"vocabulary_file,omitempty"`
	LabelsFile string                            `json:"labels_file,omitempty"`
}

func runVectorizeConfig(ctx context.Context, g *globals, stdio *IO, o *vectorizeOptions) error {
	if o.Config == "" {
		return usageErrorf("dlc vectorize needs --config FILE or --model FILE; see dlc vectorize --help")
	}
	cfg, err := config.LoadWith(o.Config, o.Sets, o.dataOptions.overrides())
	if err != nil {
		return err
	}
	start := time.Now()
	d, err := pipeline.Read(ctx, cfg, g.DataDir)
	if err != nil {
		return err
	}
	readSecs := time.Since(start).Seconds()

	vecStart := time.Now()
	f, err := pipeline.Vectorize(cfg, d)
	if err != nil {
		return err
	}
	vecSecs := time.Since(vecStart).Seconds()
	for _, w := range f.Warnings {
		fmt.Fprintf(stdio.Err, "dlc: warning: %s\n", w)
	}

	vec := f.Vectorizer
	sum := vectorizeSummary{
		Config: o.Config, Mode: string(vec.Mode), NGrams: vec.NGrams, Hashing: vec.Hashing,
		Features: vec.Features(), Distinct: vec.Distinct, Labels: f.Classes, Splits: map[string]*pipeline.SplitSummary{},
	}
	for _, s := range f.Splits {
		sum.Splits[s.Name] = s.Summary()
	}
	writeStart := time.Now()
	if o.Out != "" {
		w, err := f.Write(o.Out)
		if err != nil {
			return err
		}
		sum.Vocabulary, sum.LabelsFile = w.Vocabulary, w.Labels
		for name, path := range w.Splits {
			sum.Splits[name].File = path
		}
	}
	stdio.Progressf("read %.2fs, vectorize %.2fs, write %.2fs, total %.2fs\n", readSecs, vecSecs, time.Since(writeStart).Seconds(), time.Since(start).Seconds())
	if o.Format == "json" {
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(sum)
	}
	return printSummary(stdio.Out, &sum, f.Splits)
}

func printSummary(w io.Writer, sum *vectorizeSummary, splits []*pipeline.Split) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	what := fmt.Sprintf("%d features: the most frequent of %d distinct n-grams", sum.Features, sum.Distinct)
	if sum.Hashing > 0 {
		what = fmt.Sprintf("%d hashing buckets, %d of them used", sum.Features, sum.Distinct)
	}
	fmt.Fprintf(tw, "vectorizer\t%s, %d-grams, %s\n", sum.Mode, sum.NGrams, what)
	fmt.Fprintf(tw, "labels\t%s\n\n", data.QuoteList(sum.Labels, 20))
	fmt.Fprint(tw, "split\ttexts\ttokens/text\tnon-zeros/text\tmedian\tmax\ttokens out of vocabulary")
	if sum.NGrams > 1 {
		fmt.Fprint(tw, "\tn-grams out of vocabulary")
	}
	fmt.Fprintln(tw)
	for _, s := range splits {
		ss := sum.Splits[s.Name]
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%g\t%d\t%.2f%%", s.Name, ss.Texts, float64(ss.Tokens)/float64(max(1, ss.Texts)),
			ss.NNZMean, ss.NNZMedian, ss.NNZMax, 100*ss.OOVRate)
		if sum.NGrams > 1 {
			fmt.Fprintf(tw, "\t%.2f%%", 100*ss.NGramOOV)
		}
		fmt.Fprintln(tw)
	}
	if sum.Vocabulary != "" {
		fmt.Fprintf(tw, "\nwrote\t%s, %s", sum.Vocabulary, sum.LabelsFile)
		for _, s := range splits {
			fmt.Fprintf(tw, ", %s", sum.Splits[s.Name].File)
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

// explained is one line of vectorize --model --format json.
type explained struct {
	Line     int                 `json:"line"`
	Tokens   []string            `json:"tokens"`
	Features []vectorize.Feature `json:"features"`
	Grams    int64               `json:"grams"`
	Known    int64               `json:"known"`
}

func runVectorizeModel(stdio *IO, o *vectorizeOptions) error {
	switch {
	case o.Config != "":
		return usageErrorf("give --config or --model, not both")
	case o.Out != "" || o.dataOptions.given():
		return usageErrorf("--out, --set and the data flags (--text-field, --label-field, --features) go with --config, not --model")
	}
	m, err := model.Load(o.Model)
	if err != nil {
		return err
	}
	enc := m.Vectorizer.NewEncoder()
	in := data.NewLineReader(stdio.In, "stdin")
	out := bufio.NewWriterSize(stdio.Out, 1<<16)
	for {
		line, err := in.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		n := in.Line()
		tokens, feats, cov := enc.Explain(string(line))
		if o.Format == "json" {
			if tokens == nil {
				tokens = []string{}
			}
			b, err := json.Marshal(explained{Line: n, Tokens: tokens, Features: feats, Grams: cov.Grams, Known: cov.Known})
			if err != nil {
				return err
			}
			out.Write(b)
			out.WriteByte('\n')
		} else {
			if n > 1 {
				out.WriteByte('\n')
			}
			fmt.Fprintf(out, "line %d: %d tokens, %d features; %d of %d n-grams known\n", n, len(tokens), len(feats), cov.Known, cov.Grams)
			fmt.Fprintf(out, "tokens\t%s\n", strings.Join(tokens, " "))
			for _, f := range feats {
				fmt.Fprintf(out, "%d\t%s\t%s\n", f.Index, strconv.FormatFloat(f.Value, 'g', 6, 64), f.Gram)
			}
		}
		// Answer now unless more input is already waiting, as predict does.
		if !in.Waiting() {
			if err := out.Flush(); err != nil {
				return err
			}
		}
	}
	return out.Flush()
}
