package pipeline

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"sync"

	"github.com/dlc-dev/dlc/internal/atomicfile"
	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/sparse"
	"github.com/dlc-dev/dlc/internal/svmlight"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// Features are a config's data vectorized as train vectorizes it: the
// vectorizer fitted on the training split and every split's rows.
type Features struct {
	Vectorizer *vectorize.Vectorizer
	Classes    []string // nil for a regression
	Splits     []*Split // train, then validation and test when there are
	// Warnings say what looks wrong with the fit (most training tokens
	// out of the vocabulary, a split whose texts have no feature), one
	// sentence each.
	Warnings []string
}

// Split is one named part of the data and its rows.
type Split struct {
	Name     string // "train", "validation" or "test"
	Examples *data.Examples
	X        *sparse.Matrix
	Coverage vectorize.Coverage
	// Y holds class indices, or the numbers of a regression; Sets, of a
	// multi-label config, each row's labels (as the columns of its row).
	Y    []float64
	Sets *sparse.Matrix
}

// Vectorize fits the config's vectorizer on d's training split and
// encodes every split.
func Vectorize(cfg *config.Config, d *Data) (*Features, error) {
	plan, err := Build(cfg)
	if err != nil {
		return nil, err
	}
	f := &Features{}
	if !plan.Regression {
		f.Classes = d.Train.Classes()
	}
	vec, x, cov, err := plan.Fit(d.Train)
	if err != nil {
		return nil, err
	}
	if err := d.ReadRest(vec); err != nil {
		return nil, err
	}
	f.Vectorizer = vec
	f.Splits = []*Split{{Name: "train", Examples: d.Train, X: x, Coverage: cov}}
	for _, s := range []struct {
		name string
		e    *data.Examples
	}{{"validation", d.Validation}, {"test", d.Test}} {
		if s.e != nil {
			sx, scov := Encode(vec, s.e)
			f.Splits = append(f.Splits, &Split{Name: s.name, Examples: s.e, X: sx, Coverage: scov})
		}
	}
	f.Warnings = appendWarning(nil, vocabularyWarning(cfg, d.Train, cov))
	for _, s := range f.Splits {
		name := s.Name
		if name == "train" {
			name = "training"
		}
		f.Warnings = appendWarning(f.Warnings, emptyRowsWarning(cfg, name, s.Examples, s.X))
	}
	for _, s := range f.Splits {
		t, err := targets(s.Examples, f.Classes, plan.Regression)
		if err != nil {
			return nil, err
		}
		if t.Multi != nil {
			s.Sets = t.Multi
			continue
		}
		s.Y = t.Value
		if !plan.Regression {
			s.Y = make([]float64, len(t.Class))
			for i, c := range t.Class {
				s.Y[i] = float64(c)
			}
		}
	}
	return f, nil
}

// SplitSummary describes the rows of one data split.
type SplitSummary struct {
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

// Summary counts the split's rows.
func (s *Split) Summary() *SplitSummary {
	n := s.X.Rows
	sum := &SplitSummary{Path: s.Examples.Path, Texts: n, Tokens: s.Coverage.Tokens, NNZ: s.X.NNZ(), OOVRate: s.Coverage.OOVRate(), NGramOOV: s.Coverage.NGramOOVRate()}
	if n == 0 {
		return sum
	}
	lens := make([]int, n)
	for i := range lens {
		lens[i] = s.X.Indptr[i+1] - s.X.Indptr[i]
	}
	slices.Sort(lens)
	sum.NNZMean = float64(s.X.NNZ()) / float64(n)
	sum.NNZMedian = float64(lens[(n-1)/2]+lens[n/2]) / 2
	sum.NNZMax = lens[n-1]
	return sum
}

// The files Features.Write writes beside the splits' NAME.svm.
const (
	VocabularyFile = "vocabulary.tsv"
	LabelsFile     = "labels.tsv"
)

// Written lists the files Features.Write wrote.
type Written struct {
	Vocabulary string
	Labels     string            // "" for a regression
	Splits     map[string]string // split name → its .svm file
}

// Write writes the vocabulary, the labels and one svmlight file per split
// into dir, as one set (atomicfile.WriteDir): the folder holds the whole
// new set or, after a failure, the whole old one. A dir holding other
// files is refused.
func (f *Features) Write(dir string) (*Written, error) {
	w := &Written{Vocabulary: JoinPath(dir, VocabularyFile), Splits: map[string]string{}}
	if f.Classes != nil { // a regression's .svm files hold the numbers themselves
		w.Labels = JoinPath(dir, LabelsFile)
	}
	for _, s := range f.Splits {
		w.Splits[s.Name] = JoinPath(dir, s.Name+".svm")
	}
	owned := func(name string) bool {
		return name == VocabularyFile || name == LabelsFile || slices.Contains([]string{"train.svm", "validation.svm", "test.svm"}, name)
	}
	err := atomicfile.WriteDir(dir, owned, func(tmp string) error { return f.writeFiles(tmp) })
	if err != nil {
		return nil, err
	}
	return w, nil
}

// writeFiles writes the set into dir.
func (f *Features) writeFiles(dir string) error {
	vec := f.Vectorizer
	err := atomicfile.Write(filepath.Join(dir, VocabularyFile), 0o644, func(out io.Writer) error {
		bw := bufio.NewWriterSize(out, 1<<20)
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
	if f.Classes != nil {
		err = atomicfile.Write(filepath.Join(dir, LabelsFile), 0o644, func(out io.Writer) error {
			bw := bufio.NewWriter(out)
			bw.WriteString("index\tlabel\n")
			for i, c := range f.Classes {
				fmt.Fprintf(bw, "%d\t%s\n", i, data.EscapeField(c))
			}
			return bw.Flush()
		})
		if err != nil {
			return err
		}
	}
	// The splits are written side by side: one file's formatting overlaps
	// another's flush to disk.
	errs := make([]error, len(f.Splits))
	var wg sync.WaitGroup
	for i, s := range f.Splits {
		wg.Go(func() {
			path := filepath.Join(dir, s.Name+".svm")
			if s.Sets != nil {
				errs[i] = svmlight.WriteFileMulti(path, s.X, s.Sets)
				return
			}
			errs[i] = svmlight.WriteFile(path, s.X, s.Y)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
