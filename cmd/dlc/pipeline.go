package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/metrics"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/sparse"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// dataPaths are the files a config's data section names.
type dataPaths struct {
	Train, Test, Validation string
}

// resolveData turns data.dataset or data.train/test into file paths.
func resolveData(cfg *config.Config, dataDir string) (dataPaths, error) {
	p := dataPaths{Train: cfg.Data.Train, Test: cfg.Data.Test, Validation: cfg.Data.Validation}
	if cfg.Data.Dataset == "" {
		return p, nil
	}
	src, err := data.Lookup(cfg.Data.Dataset)
	if err != nil {
		return p, cfg.Errorf("data.dataset", "%v", err)
	}
	if !src.Fetched(dataDir) {
		return p, fmt.Errorf("dataset %s is not in %s; run dlc fetch %s first (or set --data-dir)", src.Name, dataDir, src.Name)
	}
	train, test := src.Splits(dataDir)
	p.Train = train
	if p.Test == "" {
		p.Test = test
	}
	return p, nil
}

func fieldsOf(cfg *config.Config) data.Fields {
	return data.Fields{Text: cfg.Data.TextField, Label: cfg.Data.LabelField}
}

// vectorizerOptions maps the config's vectorizer section.
func vectorizerOptions(cfg *config.Config) vectorize.Options {
	v := cfg.Vectorizer
	return vectorize.Options{
		Mode:      vectorize.Mode(v.Mode),
		MaxTokens: v.MaxTokens,
		NGrams:    v.NGrams,
		Tokenizer: vectorize.Tokenizer{
			Lowercase: v.Lowercase, StripHTML: v.StripHTML,
			StopWords: v.StopWords, MinLength: v.MinTokenLength,
		},
		SublinearTF: v.SublinearTF,
		MinDF:       v.MinDF,
		MaxDF:       v.MaxDF,
		Hashing:     v.Hashing,
	}
}

// classNames returns the sorted distinct labels of the training data.
func classNames(labels []string) []string {
	names := slices.Clone(labels)
	slices.Sort(names)
	return slices.Compact(names)
}

// targets maps a data set's labels to the model's class indices.
func targets(ds *data.Dataset, classes []string) (mlp.Targets, error) {
	if ds.Labels == nil {
		return mlp.Targets{}, fmt.Errorf("%s has no labels; evaluation needs a label for every example", ds.Path)
	}
	index := make(map[string]int32, len(classes))
	for i, c := range classes {
		index[c] = int32(i)
	}
	y := mlp.Targets{Class: make([]int32, len(ds.Labels))}
	for i, l := range ds.Labels {
		c, ok := index[l]
		if !ok {
			return y, fmt.Errorf("%s: example %d has label %q, which the model does not know (it knows %s)", ds.Path, i+1, l, quoteList(classes, 10))
		}
		y.Class[i] = c
	}
	return y, nil
}

func quoteList(s []string, limit int) string {
	q := make([]string, 0, min(len(s), limit))
	for _, v := range s[:min(len(s), limit)] {
		q = append(q, fmt.Sprintf("%q", v))
	}
	out := strings.Join(q, ", ")
	if len(s) > limit {
		out += fmt.Sprintf(" and %d more", len(s)-limit)
	}
	return out
}

// splitValidation holds out a seeded random fraction of ds for validation.
// The draw is random rather than the last rows because fetched files are
// ordered by label.
func splitValidation(ds *data.Dataset, frac float64, seed uint64) (train, val *data.Dataset) {
	n := ds.Len()
	k := int(float64(n)*frac + 0.5)
	perm := rand.New(rand.NewPCG(seed, 0x5eed)).Perm(n)
	valIdx := perm[:k]
	trainIdx := perm[k:]
	slices.Sort(valIdx)
	slices.Sort(trainIdx)
	pick := func(idx []int, suffix string) *data.Dataset {
		out := &data.Dataset{Path: ds.Path + suffix, Texts: make([]string, len(idx)), Labels: make([]string, len(idx))}
		for i, j := range idx {
			out.Texts[i], out.Labels[i] = ds.Texts[j], ds.Labels[j]
		}
		return out
	}
	return pick(trainIdx, ""), pick(valIdx, " (validation split)")
}

// evalBatch is how many rows one forward pass of evaluation takes.
const evalBatch = 1024

// scored holds a model's outputs on a data set and their summary.
type scored struct {
	Report    metrics.Report
	Loss      float64   // mean
	Predicted []int     // class per example
	Outputs   []float64 // rows × outputs
}

// score runs net over every row of x and compares with y.
func score(net *mlp.Network, x *sparse.Matrix, y mlp.Targets, classes int) scored {
	var ws mlp.Workspace
	k := net.Spec().Outputs
	s := scored{Predicted: make([]int, x.Rows), Outputs: make([]float64, 0, x.Rows*k)}
	rows := make([]int, 0, evalBatch)
	var out []float64
	var lossSum float64
	for lo := 0; lo < x.Rows; lo += evalBatch {
		rows = rows[:0]
		for r := lo; r < min(x.Rows, lo+evalBatch); r++ {
			rows = append(rows, r)
		}
		var l float64
		out, l = net.Evaluate(x, y, rows, out, &ws)
		lossSum += l
		for i, r := range rows {
			s.Predicted[r] = net.Decide(out[i*k : (i+1)*k])
		}
		s.Outputs = append(s.Outputs, out...)
	}
	truth := make([]int, x.Rows)
	for i, c := range y.Class {
		truth[i] = int(c)
	}
	s.Report = metrics.Classification(truth, s.Predicted, classes)
	s.Loss = lossSum / float64(max(1, x.Rows))
	return s
}

// scoreData vectorizes a labelled data set with the model and scores it.
func scoreData(m *model.Model, ds *data.Dataset) (scored, error) {
	y, err := targets(ds, m.Labels)
	if err != nil {
		return scored{}, err
	}
	x := m.Vectorizer.Transform(ds.Texts)
	return score(m.Net, x, y, len(m.Labels)), nil
}
