package pipeline

import (
	"bufio"
	"bytes"
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/dlc-dev/dlc/internal/atomicfile"
	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/objstore"
	"github.com/dlc-dev/dlc/internal/sparse"
	"github.com/dlc-dev/dlc/internal/svmlight"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// A vectorizer fitted by many processes, as one fits it: each counts the
// n-grams of its shard of the training file (WriteCounts), one merge adds
// the counts up and chooses the vocabulary (MergeCounts), and each encodes
// its shard of a split with it (EncodeShard). The vocabulary, the labels
// and the shards' svmlight rows, concatenated in shard order, are those of
// one dlc vectorize, byte for byte.

// countsFormat and countsVersion open a counts file: a JSON header line
// (countsHeader), then one line per n-gram, "gram<TAB>total<TAB>df", in the
// byte order of the grams.
const (
	countsFormat  = "dlc-counts"
	countsVersion = 1
)

// countsHeader is the first line of a counts file.
type countsHeader struct {
	Format  string            `json:"format"`
	Version int               `json:"version"`
	Source  string            `json:"source"` // the training file, absolute
	Size    int64             `json:"size"`   // its size in bytes
	Shard   string            `json:"shard"`  // "i/n"
	Bytes   [2]int64          `json:"bytes"`  // the shard's section
	Options vectorize.Options `json:"options"`
	Docs    int               `json:"docs"`
	Labels  map[string]int    `json:"labels,omitempty"` // examples per label; none for a regression
	Grams   int               `json:"grams"`            // the lines that follow
}

// CountsSummary says what WriteCounts counted.
type CountsSummary struct {
	Source string     `json:"source"`
	Shard  data.Shard `json:"-"`
	Texts  int        `json:"texts"`
	Grams  int        `json:"distinct_ngrams"`
	File   string     `json:"file"`
}

// shardable returns the training file of cfg that shards split, or why
// the config cannot be split.
func shardable(cfg *config.Config, dataDir, split string) (string, error) {
	paths, err := Resolve(cfg, dataDir)
	if err != nil {
		return "", err
	}
	if cfg.Vectorizer.Mode == string(vectorize.Dense) || paths.Kind == data.Images {
		return "", cfg.Errorf("vectorizer.mode", "shards count and encode texts; a dense vectorizer (numeric columns, pixels) has no vocabulary to merge: vectorize it in one run")
	}
	var path, key string
	switch split {
	case "train":
		path, key = paths.Train, "data.train"
		if cfg.Data.ValidationSplit > 0 {
			return "", cfg.Errorf("data.validation_split", "a share held out of the whole training file cannot be drawn by shards; set data.validation to a file, or this to 0, to count shards")
		}
	case "test":
		path, key = paths.Test, "data.test"
	case "validation":
		path, key = paths.Validation, "data.validation"
	default:
		return "", fmt.Errorf("there is no split %q: the splits are train, validation and test", split)
	}
	if path == "" {
		return "", cfg.Errorf(key, "the config names no %s data", split)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return "", cfg.Errorf(key, "%s is a folder of texts; shards are byte ranges of one JSONL, CSV or TSV file", path)
	}
	return path, nil
}

// WriteCounts counts the texts and labels of shard s of cfg's training
// file and writes them to out, atomically.
func WriteCounts(cfg *config.Config, dataDir string, s data.Shard, out string) (*CountsSummary, error) {
	plan, err := Build(cfg)
	if err != nil {
		return nil, err
	}
	path, err := shardable(cfg, dataDir, "train")
	if err != nil {
		return nil, err
	}
	c, err := vectorize.NewCounter(plan.Vectorizer)
	if err != nil {
		return nil, err
	}
	labels := map[string]int{}
	err = data.EachSection(path, s, fields(cfg), func(text, label string) error {
		c.Add(text)
		if !plan.Regression {
			labels[label]++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	abs := objstore.Name(path)
	if !objstore.IsURL(path) {
		if abs, err = filepath.Abs(path); err != nil {
			return nil, err
		}
	}
	st, err := statPath(path)
	if err != nil {
		return nil, err
	}
	h := countsHeader{Format: countsFormat, Version: countsVersion, Source: abs, Size: st.size, Shard: s.String(),
		Options: plan.Vectorizer, Docs: c.Docs(), Grams: c.Distinct()}
	if !plan.Regression {
		h.Labels = labels
	}
	if !s.Whole() {
		_, sec, f, err := data.OpenSection(path, s, false)
		if err != nil {
			return nil, err
		}
		f.Close()
		h.Bytes = [2]int64{sec.Start, sec.End}
	} else {
		h.Bytes = [2]int64{0, st.size}
	}
	err = atomicfile.Write(out, 0o644, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		head, err := json.Marshal(h)
		if err != nil {
			return err
		}
		bw.Write(head)
		bw.WriteByte('\n')
		var line []byte
		err = c.Each(func(g []byte, total int64, df int32) error {
			line = append(line[:0], g...)
			line = append(line, '\t')
			line = strconv.AppendInt(line, total, 10)
			line = append(line, '\t')
			line = strconv.AppendInt(line, int64(df), 10)
			line = append(line, '\n')
			_, err := bw.Write(line)
			return err
		})
		if err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return nil, err
	}
	return &CountsSummary{Source: abs, Shard: s, Texts: c.Docs(), Grams: c.Distinct(), File: out}, nil
}

// countsReader reads the n-gram lines of one counts file in order.
type countsReader struct {
	path string
	h    countsHeader
	f    io.ReadCloser
	r    *bufio.Reader
	n    int    // lines read
	gram []byte // the current line's
	tot  int64
	df   int32
}

// openCounts opens a counts file and reads its header.
func openCounts(path string) (_ *countsReader, err error) {
	var f io.ReadCloser
	if objstore.IsURL(path) {
		f, err = objstore.Open(context.Background(), path)
	} else {
		f, err = os.Open(path)
	}
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, notExist("counts file", path)
		}
		if objstore.IsURL(path) {
			return nil, err
		}
		return nil, fmt.Errorf("cannot read %s: %v", path, pathErr(err))
	}
	c := &countsReader{path: path, f: f, r: bufio.NewReaderSize(f, 1<<20)}
	line, err := c.r.ReadSlice('\n')
	foreign := fmt.Errorf("%s is not a counts file of dlc vectorize --counts", path)
	if err != nil || json.Unmarshal(line, &c.h) != nil || c.h.Format != countsFormat {
		f.Close()
		return nil, foreign
	}
	if c.h.Version != countsVersion {
		f.Close()
		return nil, fmt.Errorf("%s is a counts file of version %d, which this dlc (version %d) cannot read; count the shard again with this dlc", path, c.h.Version, countsVersion)
	}
	return c, nil
}

// next reads the next n-gram line; false at the end, with the error of a
// file that is cut short, unsorted or damaged.
func (c *countsReader) next() (bool, error) {
	line, err := c.r.ReadSlice('\n')
	if err == io.EOF && len(line) == 0 {
		if c.n != c.h.Grams {
			return false, fmt.Errorf("%s is truncated: it holds %d of its %d n-gram counts; count shard %s again", c.path, c.n, c.h.Grams, c.h.Shard)
		}
		return false, nil
	}
	bad := func(why string) error {
		return fmt.Errorf("%s line %d %s; count shard %s again", c.path, c.n+2, why, c.h.Shard)
	}
	if err != nil {
		if err == io.EOF {
			return false, bad("is cut short: the file is truncated")
		}
		return false, fmt.Errorf("cannot read %s: %v", c.path, err)
	}
	c.n++
	if c.n > c.h.Grams {
		return false, bad(fmt.Sprintf("is past the %d n-gram counts its header announces", c.h.Grams))
	}
	fields := bytes.Split(line[:len(line)-1], []byte{'\t'})
	if len(fields) != 3 {
		return false, bad("is not gram<TAB>total<TAB>document frequency")
	}
	tot, err1 := strconv.ParseInt(string(fields[1]), 10, 64)
	df, err2 := strconv.ParseInt(string(fields[2]), 10, 32)
	if err1 != nil || err2 != nil || tot < 0 || df < 1 || df > int64(c.h.Docs) {
		return false, bad("has counts that are not numbers within the shard's documents")
	}
	if c.n > 1 && bytes.Compare(fields[0], c.gram) <= 0 {
		return false, bad("is out of order: the n-grams of a counts file are sorted")
	}
	c.gram = append(c.gram[:0], fields[0]...)
	c.tot, c.df = tot, int32(df)
	return true, nil
}

// mergeHeap orders the readers by their current gram.
type mergeHeap []*countsReader

func (h mergeHeap) Len() int           { return len(h) }
func (h mergeHeap) Less(i, j int) bool { return bytes.Compare(h[i].gram, h[j].gram) < 0 }
func (h mergeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)        { *h = append(*h, x.(*countsReader)) }
func (h *mergeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// MergeCounts adds up the counts files of every shard of cfg's training
// file and fits the vectorizer one dlc vectorize would fit on the whole
// file: the Features it returns have no splits. The files must be the
// shards 0..n-1 of one file, each once, counted with cfg's vectorizer. The
// files are read side by side in one pass: memory holds the vocabulary
// being chosen, not the n-grams.
func MergeCounts(cfg *config.Config, paths []string) (*Features, error) {
	plan, err := Build(cfg)
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, errors.New("name the counts files to merge: one per shard, as dlc vectorize --counts wrote them")
	}
	readers := make([]*countsReader, 0, len(paths))
	defer func() {
		for _, c := range readers {
			c.f.Close()
		}
	}()
	want, _ := json.Marshal(plan.Vectorizer)
	docs := 0
	labels := map[string]int{}
	seen := map[int]string{}
	var first *countsReader
	for _, p := range paths {
		c, err := openCounts(p)
		if err != nil {
			return nil, err
		}
		readers = append(readers, c)
		if got, _ := json.Marshal(c.h.Options); !bytes.Equal(got, want) {
			return nil, fmt.Errorf("%s was counted with other vectorizer settings than the config's (%s, not %s); count every shard with the config you merge with", p, got, want)
		}
		sh, err := data.ParseShard(c.h.Shard)
		if err != nil {
			return nil, fmt.Errorf("%s is not a counts file of dlc vectorize --counts: its shard %q %v", p, c.h.Shard, err)
		}
		if first == nil {
			first = c
		}
		if c.h.Source != first.h.Source || c.h.Size != first.h.Size {
			return nil, fmt.Errorf("%s counts %s (%d bytes) and %s counts %s (%d bytes); merge the shards of one training file", first.path, first.h.Source, first.h.Size, p, c.h.Source, c.h.Size)
		}
		if fs, _ := data.ParseShard(first.h.Shard); fs.Count != sh.Count {
			return nil, fmt.Errorf("%s is shard %s and %s shard %s; merge the shards of one split of the file", first.path, first.h.Shard, p, c.h.Shard)
		}
		if other, ok := seen[sh.Index]; ok {
			return nil, fmt.Errorf("%s and %s both count shard %s; merge each shard once", other, p, c.h.Shard)
		}
		seen[sh.Index] = p
		if (c.h.Labels == nil) != plan.Regression && c.h.Docs > 0 {
			return nil, fmt.Errorf("%s was counted for a %s, and the config is a %s; count every shard with the config you merge with", p, task(!plan.Regression), task(plan.Regression))
		}
		docs += c.h.Docs
		for l, n := range c.h.Labels {
			labels[l] += n
		}
	}
	if fs, _ := data.ParseShard(first.h.Shard); len(seen) < fs.Count {
		var missing []string
		for i := range fs.Count {
			if _, ok := seen[i]; !ok {
				missing = append(missing, fmt.Sprintf("%d/%d", i, fs.Count))
			}
		}
		return nil, fmt.Errorf("the counts of shard %s of %s are missing; a vocabulary from some shards would not be the whole file's", data.QuoteList(missing, 10), first.h.Source)
	}
	if docs == 0 {
		return nil, &data.LineError{Path: first.h.Source, Msg: "holds no examples"}
	}
	fit, err := vectorize.NewFitter(plan.Vectorizer, docs)
	if err != nil {
		return nil, err
	}
	h := make(mergeHeap, 0, len(readers))
	for _, c := range readers {
		ok, err := c.next()
		if err != nil {
			return nil, err
		}
		if ok {
			h = append(h, c)
		}
	}
	heap.Init(&h)
	var gram []byte
	for len(h) > 0 {
		gram = append(gram[:0], h[0].gram...)
		var tot int64
		var df int32
		for len(h) > 0 && bytes.Equal(h[0].gram, gram) {
			c := h[0]
			tot += c.tot
			df += c.df
			ok, err := c.next()
			if err != nil {
				return nil, err
			}
			if ok {
				heap.Fix(&h, 0)
			} else {
				heap.Pop(&h)
			}
		}
		if err := fit.Add(gram, tot, df); err != nil {
			return nil, err
		}
	}
	v, err := fit.Vectorizer()
	if err != nil {
		return nil, err
	}
	f := &Features{Vectorizer: v}
	if !plan.Regression {
		for l := range labels {
			f.Classes = append(f.Classes, l)
		}
		slices.Sort(f.Classes)
	}
	return f, nil
}

func task(classification bool) string {
	if classification {
		return "classification"
	}
	return "regression"
}

// VectorizerFile is the fitted vectorizer that MergeCounts's features are
// written with (WriteVectorizer) and EncodeShard reads.
const VectorizerFile = "vectorizer.json"

// savedVectorizer is VectorizerFile's content.
type savedVectorizer struct {
	Format   string            `json:"format"`
	Version  int               `json:"version"`
	Options  vectorize.Options `json:"options"`
	Docs     int               `json:"docs"`
	Distinct int               `json:"distinct_ngrams"`
	Classes  []string          `json:"classes"`
	Vocab    []string          `json:"vocabulary"`
	DocFreq  []int32           `json:"document_frequency"`
}

const vectorizerFormat = "dlc-vectorizer"

// WriteVectorizer writes the fitted vectorizer into dir as one set:
// vocabulary.tsv and labels.tsv as Write writes them, and vectorizer.json,
// which EncodeShard reads.
func (f *Features) WriteVectorizer(dir string) (*Written, error) {
	w := &Written{Vocabulary: JoinPath(dir, VocabularyFile)}
	if f.Classes != nil {
		w.Labels = JoinPath(dir, LabelsFile)
	}
	owned := func(name string) bool {
		return name == VocabularyFile || name == LabelsFile || name == VectorizerFile
	}
	v := f.Vectorizer
	s := savedVectorizer{Format: vectorizerFormat, Version: 1, Options: v.Options, Docs: v.Docs, Distinct: v.Distinct,
		Classes: f.Classes, Vocab: v.Vocab, DocFreq: v.DocFreq}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	err = atomicfile.WriteDir(dir, owned, func(tmp string) error {
		if err := f.writeFiles(tmp); err != nil {
			return err
		}
		return atomicfile.WriteFile(filepath.Join(tmp, VectorizerFile), append(b, '\n'), 0o644)
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// ReadVectorizer reads the vectorizer and labels WriteVectorizer wrote
// into dir.
func ReadVectorizer(dir string) (*vectorize.Vectorizer, []string, error) {
	path := filepath.Join(dir, VectorizerFile)
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, fmt.Errorf("%s has no %s; dlc vocab merge writes it", dir, VectorizerFile)
		}
		return nil, nil, fmt.Errorf("cannot read %s: %v", path, pathErr(err))
	}
	var s savedVectorizer
	if json.Unmarshal(b, &s) != nil || s.Format != vectorizerFormat {
		return nil, nil, fmt.Errorf("%s is not a vectorizer of dlc vocab merge", path)
	}
	if s.Version != 1 {
		return nil, nil, fmt.Errorf("%s is of version %d, which this dlc cannot read; merge the counts again with this dlc", path, s.Version)
	}
	v, err := vectorize.Restore(s.Options, s.Vocab, s.DocFreq, s.Docs)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", path, err)
	}
	v.Distinct = s.Distinct
	return v, s.Classes, nil
}

// EncodeShard writes the svmlight rows of shard s of a split of cfg's
// data ("train", "validation" or "test"), encoded with the vectorizer in
// dir (WriteVectorizer), to w: the lines one dlc vectorize --out writes
// into NAME.svm for the examples of the shard. It reads and encodes
// Block examples at a time, in memory that does not grow with the shard.
func EncodeShard(cfg *config.Config, dataDir, dir, split string, s data.Shard, w io.Writer) (int, error) {
	plan, err := Build(cfg)
	if err != nil {
		return 0, err
	}
	path, err := shardable(cfg, dataDir, split)
	if err != nil {
		return 0, err
	}
	v, classes, err := ReadVectorizer(dir)
	if err != nil {
		return 0, err
	}
	got, _ := json.Marshal(v.Options)
	if want, _ := json.Marshal(plan.Vectorizer); !bytes.Equal(got, want) {
		return 0, fmt.Errorf("%s was fitted with other vectorizer settings than the config's (%s, not %s); merge counts of this config", filepath.Join(dir, VectorizerFile), got, want)
	}
	if (classes == nil) != plan.Regression {
		return 0, fmt.Errorf("%s was fitted for a %s, and the config is a %s; merge counts of this config", filepath.Join(dir, VectorizerFile), task(classes != nil), task(!plan.Regression))
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	e := &data.Examples{Path: path}
	n := 0
	flush := func() error {
		if len(e.Texts) == 0 {
			return nil
		}
		y, err := targets(e, classes, plan.Regression)
		if err != nil {
			return err
		}
		ys := y.Value
		if !plan.Regression {
			ys = make([]float64, len(y.Class))
			for i, c := range y.Class {
				ys[i] = float64(c)
			}
		}
		var x *sparse.Matrix = v.Transform(e.Texts)
		if err := svmlight.Write(bw, x, ys); err != nil {
			return err
		}
		n += len(e.Texts)
		e.Texts, e.Labels = e.Texts[:0], e.Labels[:0]
		return nil
	}
	err = data.EachSection(path, s, fields(cfg), func(text, label string) error {
		e.Texts = append(e.Texts, text)
		e.Labels = append(e.Labels, label)
		if len(e.Texts) == Block {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return n, err
	}
	return n, bw.Flush()
}

// pathErr drops the operation and path of an *fs.PathError.
func pathErr(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	return err
}

// notExist names a missing file and the folder it was looked for in.
func notExist(what, path string) error {
	if filepath.IsAbs(path) || objstore.IsURL(path) {
		return fmt.Errorf("%s %s does not exist", what, objstore.Name(path))
	}
	wd, _ := os.Getwd()
	return fmt.Errorf("%s %s does not exist in %s", what, path, strings.TrimSuffix(wd, "/"))
}
