package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dlc-dev/dlc/internal/atomicfile"
	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/sparse"
	"github.com/dlc-dev/dlc/internal/svmlight"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

type vectorizeOptions struct {
	Config string
	Sets   []string
	Out    string
	Model  string
	Format string
}

// The files vectorize --out writes.
const (
	vocabularyFile = "vocabulary.tsv"
	labelsFile     = "labels.tsv"
)

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
tab, CR, LF and backslash are written \t, \r, \n and \\.`,
		Example: `  dlc vectorize --config configs/imdb.yaml
  dlc vectorize --config configs/imdb.yaml --set vectorizer.mode=tf_idf --out features/
  dlc vectorize -c configs/imdb.yaml --format json | jq .splits.test.oov_rate
  echo "A wonderful, moving film." | dlc vectorize --model imdb.dlc`,
		Args: exactArgs(0, "no arguments (--config FILE or --model FILE)"),
		RunE: func(c *cobra.Command, _ []string) error {
			if o.Model != "" {
				return runVectorizeModel(stdio, o)
			}
			return runVectorizeConfig(g, stdio, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Config, "config", "c", "", "fit the vectorizer of this YAML config")
	f.StringArrayVar(&o.Sets, "set", nil, "override a config key: --set vectorizer.ngrams=2 (repeatable)")
	f.StringVarP(&o.Out, "out", "o", "", "write the vocabulary, labels and svmlight features into this folder")
	f.StringVarP(&o.Model, "model", "m", "", "show what this model sees of each line of stdin")
	f.VarP(newEnum(&o.Format, "text", "text", "json"), "format", "f", "output format")
	return cmd
}

// splitSummary describes the rows of one data split.
type splitSummary struct {
	Path      string  `json:"path"`
	Texts     int     `json:"texts"`
	Tokens    int64   `json:"tokens"`
	NNZ       int     `json:"nnz"`
	NNZMean   float64 `json:"nnz_per_text_mean"`
	NNZMedian float64 `json:"nnz_per_text_median"`
	NNZMax    int     `json:"nnz_per_text_max"`
	OOVRate   float64 `json:"oov_rate"`       // tokens that are not features
	NGramOOV  float64 `json:"ngram_oov_rate"` // n-gram occurrences that are not features
	File      string  `json:"file,omitempty"`
}

// vectorizeSummary is what vectorize --config prints.
type vectorizeSummary struct {
	Config     string                   `json:"config"`
	Mode       string                   `json:"mode"`
	NGrams     int                      `json:"ngrams"`
	Hashing    int                      `json:"hashing"`
	Features   int                      `json:"features"`
	Distinct   int                      `json:"distinct_ngrams"`
	Labels     []string                 `json:"labels"`
	Splits     map[string]*splitSummary `json:"splits"`
	Vocabulary string                   `json:"vocabulary_file,omitempty"`
	LabelsFile string                   `json:"labels_file,omitempty"`
}

// split is one named part of the data and its rows.
type split struct {
	name string
	ds   *examples
	x    *sparse.Matrix
	cov  vectorize.Coverage
	y    []float64 // class indices, or the numbers of a regression
}

func runVectorizeConfig(g *globals, stdio *IO, o *vectorizeOptions) error {
	if o.Config == "" {
		return usageErrorf("dlc vectorize needs --config FILE or --model FILE; see dlc vectorize --help")
	}
	cfg, err := config.Load(o.Config, o.Sets)
	if err != nil {
		return err
	}
	start := time.Now()
	read, err := readData(cfg, g.DataDir)
	if err != nil {
		return err
	}
	trainSet, testSet, valSet := read.train, read.test, read.val
	regression := cfg.Regression()
	var classes []string
	if !regression {
		classes = classNames(trainSet.Labels)
	}
	readSecs := time.Since(start).Seconds()

	vecStart := time.Now()
	vec, x, cov, err := fitRows(cfg, trainSet)
	if err != nil {
		return err
	}
	splits := []*split{{name: "train", ds: trainSet, x: x, cov: cov}}
	for _, s := range []struct {
		name string
		ds   *examples
	}{{"validation", valSet}, {"test", testSet}} {
		if s.ds != nil {
			sx, scov := rowsCoverage(vec, s.ds)
			splits = append(splits, &split{name: s.name, ds: s.ds, x: sx, cov: scov})
		}
	}
	for _, s := range splits {
		t, err := labelTargets(s.ds, classes, regression)
		if err != nil {
			return err
		}
		s.y = t.Value
		if !regression {
			s.y = make([]float64, len(t.Class))
			for i, c := range t.Class {
				s.y[i] = float64(c)
			}
		}
	}
	vecSecs := time.Since(vecStart).Seconds()

	sum := vectorizeSummary{
		Config: o.Config, Mode: string(vec.Mode), NGrams: vec.NGrams, Hashing: vec.Hashing,
		Features: vec.Features(), Distinct: vec.Distinct, Labels: classes, Splits: map[string]*splitSummary{},
	}
	for _, s := range splits {
		sum.Splits[s.name] = summarize(s)
	}
	writeStart := time.Now()
	if o.Out != "" {
		if err := writeFeatures(o.Out, vec, classes, splits, &sum); err != nil {
			return err
		}
	}
	stdio.Progressf("read %.2fs, vectorize %.2fs, write %.2fs, total %.2fs\n", readSecs, vecSecs, time.Since(writeStart).Seconds(), time.Since(start).Seconds())
	if o.Format == "json" {
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(sum)
	}
	return printSummary(stdio.Out, &sum, splits)
}

// summarize counts one split's rows.
func summarize(s *split) *splitSummary {
	n := s.x.Rows
	sum := &splitSummary{Path: s.ds.Path, Texts: n, Tokens: s.cov.Tokens, NNZ: s.x.NNZ(), OOVRate: s.cov.OOVRate(), NGramOOV: s.cov.NGramOOVRate()}
	if n == 0 {
		return sum
	}
	lens := make([]int, n)
	for i := range lens {
		lens[i] = s.x.Indptr[i+1] - s.x.Indptr[i]
	}
	slices.Sort(lens)
	sum.NNZMean = float64(s.x.NNZ()) / float64(n)
	sum.NNZMedian = float64(lens[(n-1)/2]+lens[n/2]) / 2
	sum.NNZMax = lens[n-1]
	return sum
}

func printSummary(w io.Writer, sum *vectorizeSummary, splits []*split) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	what := fmt.Sprintf("%d features: the most frequent of %d distinct n-grams", sum.Features, sum.Distinct)
	if sum.Hashing > 0 {
		what = fmt.Sprintf("%d hashing buckets, %d of them used", sum.Features, sum.Distinct)
	}
	fmt.Fprintf(tw, "vectorizer\t%s, %d-grams, %s\n", sum.Mode, sum.NGrams, what)
	fmt.Fprintf(tw, "labels\t%s\n\n", quoteList(sum.Labels, 20))
	fmt.Fprint(tw, "split\ttexts\ttokens/text\tnon-zeros/text\tmedian\tmax\ttokens out of vocabulary")
	if sum.NGrams > 1 {
		fmt.Fprint(tw, "\tn-grams out of vocabulary")
	}
	fmt.Fprintln(tw)
	for _, s := range splits {
		ss := sum.Splits[s.name]
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%g\t%d\t%.2f%%", s.name, ss.Texts, float64(ss.Tokens)/float64(max(1, ss.Texts)),
			ss.NNZMean, ss.NNZMedian, ss.NNZMax, 100*ss.OOVRate)
		if sum.NGrams > 1 {
			fmt.Fprintf(tw, "\t%.2f%%", 100*ss.NGramOOV)
		}
		fmt.Fprintln(tw)
	}
	if sum.Vocabulary != "" {
		fmt.Fprintf(tw, "\nwrote\t%s, %s", sum.Vocabulary, sum.LabelsFile)
		for _, s := range splits {
			fmt.Fprintf(tw, ", %s", sum.Splits[s.name].File)
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

// writeFeatures writes the vocabulary, the labels and one svmlight file per
// split into dir.
func writeFeatures(dir string, vec *vectorize.Vectorizer, classes []string, splits []*split, sum *vectorizeSummary) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create the output folder %s: %v", dir, pathError(err))
	}
	sum.Vocabulary = filepath.Join(dir, vocabularyFile)
	err := atomicfile.Write(sum.Vocabulary, 0o644, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		bw.WriteString("index\ttoken\tdocument_frequency\n")
		var line []byte
		for i, df := range vec.DocFreq {
			if vec.Hashing > 0 && df == 0 {
				continue
			}
			line = strconv.AppendInt(line[:0], int64(i), 10)
			line = append(line, '\t')
			if vec.Hashing == 0 {
				line = append(line, vec.Vocab[i]...)
			}
			line = append(line, '\t')
			line = strconv.AppendInt(line, int64(df), 10)
			line = append(line, '\n')
			bw.Write(line)
		}
		return bw.Flush()
	})
	if err != nil {
		return err
	}
	if classes != nil { // a regression's .svm files hold the numbers themselves
		sum.LabelsFile = filepath.Join(dir, labelsFile)
		err = atomicfile.Write(sum.LabelsFile, 0o644, func(w io.Writer) error {
			bw := bufio.NewWriter(w)
			bw.WriteString("index\tlabel\n")
			for i, c := range classes {
				fmt.Fprintf(bw, "%d\t%s\n", i, tsvEscape.Replace(c))
			}
			return bw.Flush()
		})
		if err != nil {
			return err
		}
	}
	// The splits are written side by side: one file's formatting overlaps
	// another's flush to disk.
	errs := make([]error, len(splits))
	var wg sync.WaitGroup
	for i, s := range splits {
		path := filepath.Join(dir, s.name+".svm")
		sum.Splits[s.name].File = path
		wg.Go(func() { errs[i] = svmlight.WriteFile(path, s.x, s.y) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// tsvEscape keeps a field on its line and in its column.
var tsvEscape = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`)

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
	case o.Out != "" || len(o.Sets) > 0:
		return usageErrorf("--out and --set go with --config, not --model")
	}
	m, err := model.Load(o.Model)
	if err != nil {
		return err
	}
	enc := m.Vectorizer.NewEncoder()
	in := newLineReader(stdio.In, "stdin")
	out := bufio.NewWriterSize(stdio.Out, 1<<16)
	for {
		line, err := in.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		n := in.n
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
