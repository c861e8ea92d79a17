package main

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/metrics"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/sparse"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// dataPaths are the files a config's data section names.
//
// For an image dataset (data.dataset: mnist, Kind data.Images) Train and
// Test are the IDX images files and TrainLabels and TestLabels the IDX
// labels files of the same splits: read them with
// data.ReadImageSet(Train, TrainLabels). For text data the label paths are
// empty.
type dataPaths struct {
	Train, Test, Validation string
	Kind                    data.Kind
	TrainLabels, TestLabels string
}

// configData is a config's data, read: where it is, and the training,
// validation (nil when there is none) and test (nil when there is none)
// examples.
type configData struct {
	paths            dataPaths
	train, val, test *examples
}

// readData resolves a config's data and reads it for train and vectorize:
// the training, validation and test files side by side (reading is a good
// part of the time), their errors reported in that order; then
// data.validation_split holds part of the training examples out.
func readData(cfg *config.Config, dataDir string) (*configData, error) {
	paths, err := resolveData(cfg, dataDir)
	if err != nil {
		return nil, err
	}
	if paths.Train == "" {
		return nil, cfg.Errorf("data.train", "the config names no training data; set data.dataset or data.train")
	}
	if paths.Kind == data.Images || isIDX(paths.Train) {
		if err := checkImageConfig(cfg, paths.Train); err != nil {
			return nil, err
		}
	}
	split := cfg.Data.ValidationSplit > 0
	reads := []func() (*examples, error){
		func() (*examples, error) { return readSplit(cfg, paths.Train, paths.TrainLabels) },
		func() (*examples, error) {
			if split || paths.Validation == "" {
				return nil, nil
			}
			return readExamples(cfg, paths.Validation)
		},
		func() (*examples, error) {
			if paths.Test == "" {
				return nil, nil
			}
			return readSplit(cfg, paths.Test, paths.TestLabels)
		},
	}
	sets := make([]*examples, len(reads))
	errs := make([]error, len(reads))
	var wg sync.WaitGroup
	for i, read := range reads {
		wg.Go(func() { sets[i], errs[i] = read() })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	d := &configData{paths: paths, train: sets[0], val: sets[1], test: sets[2]}
	if split {
		d.train, d.val = splitValidation(d.train, cfg.Data.ValidationSplit, uint64(cfg.Training.Seed), cfg.Regression())
	}
	return d, nil
}

// resolveData turns data.dataset or data.train/test into file paths.
func resolveData(cfg *config.Config, dataDir string) (dataPaths, error) {
	p := dataPaths{Train: cfg.Data.Train, Test: cfg.Data.Test, Validation: cfg.Data.Validation, Kind: data.Text}
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
	train, test := src.Split(dataDir, "train"), src.Split(dataDir, "test")
	p.Kind = src.Kind
	p.Train, p.TrainLabels = train.Path, train.Labels
	if p.Test == "" {
		p.Test, p.TestLabels = test.Path, test.Labels
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

// examples are labelled data in the form a model's vectorizer reads: texts
// for the text modes, a numeric table for vectorizer.mode dense.
type examples struct {
	Path   string
	Texts  []string        // text modes
	Table  *data.Table     // mode dense
	Images *data.IDXImages // mode dense on IDX images (images.go)
	Labels []string
}

// Len returns the number of examples.
func (e *examples) Len() int {
	switch {
	case e.Table != nil:
		return e.Table.Len()
	case e.Images != nil:
		return e.Images.Count
	}
	return len(e.Texts)
}

// where names example i for a message: its file line when known.
func (e *examples) where(i int) string {
	switch {
	case e.Table != nil:
		return fmt.Sprintf("%s:%d", e.Path, e.Table.Lines[i])
	case e.Images != nil:
		return fmt.Sprintf("%s: image %d", e.Path, i+1)
	}
	return fmt.Sprintf("%s: example %d", e.Path, i+1)
}

// readExamples reads the data at path as the config's vectorizer wants it.
func readExamples(cfg *config.Config, path string) (*examples, error) {
	if isIDX(path) {
		if cfg.Vectorizer.Mode != string(vectorize.Dense) {
			return nil, checkImageConfig(cfg, path)
		}
		return readImages(path, "")
	}
	if cfg.Vectorizer.Mode == string(vectorize.Dense) {
		t, err := data.ReadTable(path, data.TableFields{Label: cfg.Data.LabelField, Features: cfg.Data.Features})
		if err != nil {
			return nil, err
		}
		return &examples{Path: path, Table: t, Labels: t.Labels}, nil
	}
	ds, err := data.Read(path, fieldsOf(cfg))
	if err != nil {
		return nil, err
	}
	return &examples{Path: path, Texts: ds.Texts, Labels: ds.Labels}, nil
}

// readFor reads data at path for a trained model: its own config says how,
// and a numeric file must have the model's columns.
func readFor(m *model.Model, path string) (*examples, error) {
	cfg := *m.Config
	if m.Vectorizer.Mode == vectorize.Dense {
		cfg.Data.Features = m.Vectorizer.Columns()
	}
	e, err := readExamples(&cfg, path)
	if err == nil && e.Images != nil {
		err = checkImagesFit(m, e.Images)
	}
	return e, err
}

// subset returns the examples idx of e.
func (e *examples) subset(idx []int, path string) *examples {
	out := &examples{Path: path, Labels: make([]string, len(idx))}
	switch {
	case e.Table != nil:
		out.Table = e.Table.Subset(idx, path)
	case e.Images != nil:
		out.Images = subsetImages(e.Images, idx)
	default:
		out.Texts = make([]string, len(idx))
	}
	for i, j := range idx {
		if out.Texts != nil {
			out.Texts[i] = e.Texts[j]
		}
		out.Labels[i] = e.Labels[j]
	}
	return out
}

// fitRows fits the config's vectorizer on the training examples and
// returns their rows and what share of their tokens the vocabulary covers:
// texts in one pass (each is tokenized once), numeric tables and pixels
// scaled.
func fitRows(cfg *config.Config, e *examples) (*vectorize.Vectorizer, *sparse.Matrix, vectorize.Coverage, error) {
	scaling := vectorize.Scaling{Scale: vectorize.Scale(cfg.Vectorizer.Scale), Divisor: cfg.Vectorizer.Divisor}
	if e.Images != nil {
		v, err := vectorize.FitDenseBytes(pixelColumns(e.Images.Rows*e.Images.Cols), e.Images.Pixels, scaling)
		if err != nil {
			return nil, nil, vectorize.Coverage{}, fmt.Errorf("%s: %v", e.Path, err)
		}
		return v, v.TransformBytes(e.Images.Pixels), vectorize.Coverage{}, nil
	}
	if e.Table != nil {
		v, err := vectorize.FitDense(e.Table.Columns, e.Table.Values, scaling)
		if err != nil {
			return nil, nil, vectorize.Coverage{}, fmt.Errorf("%s: %v", e.Path, err)
		}
		return v, v.TransformValues(e.Table.Values), vectorize.Coverage{}, nil
	}
	return vectorize.FitTransform(e.Texts, vectorizerOptions(cfg))
}

// rowsOf encodes examples with a fitted vectorizer.
func rowsOf(v *vectorize.Vectorizer, e *examples) *sparse.Matrix {
	x, _ := rowsCoverage(v, e)
	return x
}

// rowsCoverage is rowsOf that also counts the tokens the vocabulary covers
// (zero for numeric tables and pixels).
func rowsCoverage(v *vectorize.Vectorizer, e *examples) (*sparse.Matrix, vectorize.Coverage) {
	if e.Images != nil {
		return v.TransformBytes(e.Images.Pixels), vectorize.Coverage{}
	}
	if e.Table != nil {
		return v.TransformValues(e.Table.Values), vectorize.Coverage{}
	}
	return v.TransformCoverage(e.Texts)
}

// fingerprint is the sha256 of the training data recorded in the model.
func fingerprint(e *examples) string {
	if e.Images != nil {
		return imagesFingerprint(e.Images, e.Labels)
	}
	if e.Table == nil {
		return model.Fingerprint(e.Texts, e.Labels)
	}
	h := sha256.New()
	for _, c := range e.Table.Columns {
		fmt.Fprintf(h, "%d:%s", len(c), c)
	}
	var b [8]byte
	for i := range e.Table.Len() {
		for _, x := range e.Table.Row(i) {
			binary.LittleEndian.PutUint64(b[:], math.Float64bits(x))
			h.Write(b[:])
		}
		fmt.Fprintf(h, "%d:%s", len(e.Labels[i]), e.Labels[i])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// labelTargets maps labels to class indices, or, for a regression, parses
// them as numbers.
func labelTargets(e *examples, classes []string, regression bool) (mlp.Targets, error) {
	if e.Labels == nil {
		return mlp.Targets{}, fmt.Errorf("%s has no labels; evaluation needs a label for every example", e.Path)
	}
	if regression {
		y := mlp.Targets{Value: make([]float64, len(e.Labels))}
		for i, l := range e.Labels {
			v, err := strconv.ParseFloat(strings.TrimSpace(l), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return y, fmt.Errorf("%s has label %q, which is not a finite number (data.task is regression)", e.where(i), l)
			}
			y.Value[i] = v
		}
		return y, nil
	}
	index := make(map[string]int32, len(classes))
	for i, c := range classes {
		index[c] = int32(i)
	}
	y := mlp.Targets{Class: make([]int32, len(e.Labels))}
	for i, l := range e.Labels {
		c, ok := index[l]
		if !ok {
			return y, fmt.Errorf("%s has label %q, which the model does not know (it knows %s)", e.where(i), l, quoteList(classes, 10))
		}
		y.Class[i] = c
	}
	return y, nil
}

// classWeights returns each training example's weight under
// training.class_weight, and the weight of each class: "balanced" gives
// class c the weight n / (classes · count(c)), as scikit-learn does; a map
// gives the listed labels their weight and the others 1.
func classWeights(cfg *config.Config, y mlp.Targets, classes []string) ([]float64, []float64, error) {
	cw := cfg.Training.ClassWeight
	if !cw.IsSet() {
		return nil, nil, nil
	}
	perClass := make([]float64, len(classes))
	if cw.Balanced {
		counts := make([]int, len(classes))
		for _, c := range y.Class {
			counts[c]++
		}
		for c, n := range counts {
			perClass[c] = float64(len(y.Class)) / float64(len(classes)*max(1, n))
		}
	} else {
		for c := range perClass {
			perClass[c] = 1
		}
		labels := make([]string, 0, len(cw.Weights))
		for l := range cw.Weights {
			labels = append(labels, l)
		}
		slices.Sort(labels)
		for _, l := range labels {
			c, found := slices.BinarySearch(classes, l)
			if !found {
				return nil, nil, cfg.Errorf("training.class_weight", "training.class_weight names the label %q, which the training data does not have (it has %s)", l, quoteList(classes, 10))
			}
			perClass[c] = cw.Weights[l]
		}
	}
	w := make([]float64, len(y.Class))
	for i, c := range y.Class {
		w[i] = perClass[c]
	}
	return w, perClass, nil
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

// splitValidation holds out a seeded random fraction of e for validation.
// The draw is random rather than the last rows because fetched files are
// ordered by label. Classification data is split per label (stratified),
// and every label keeps at least one training example: Reuters has topics
// with one or two documents, which a plain draw can move wholly into
// validation, leaving the model unable to name them.
func splitValidation(e *examples, frac float64, seed uint64, regression bool) (train, val *examples) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	var valIdx []int
	if regression {
		perm := rng.Perm(e.Len())
		valIdx = perm[:int(float64(len(perm))*frac+0.5)]
	} else {
		byLabel := map[string][]int{}
		for i, l := range e.Labels {
			byLabel[l] = append(byLabel[l], i)
		}
		for _, l := range classNames(e.Labels) { // sorted: the draw is reproducible
			idx := byLabel[l]
			rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
			k := min(int(float64(len(idx))*frac+0.5), len(idx)-1)
			valIdx = append(valIdx, idx[:k]...)
		}
	}
	held := make([]bool, e.Len())
	for _, i := range valIdx {
		held[i] = true
	}
	var trainIdx []int
	for i := range held {
		if !held[i] {
			trainIdx = append(trainIdx, i)
		}
	}
	slices.Sort(valIdx)
	return e.subset(trainIdx, e.Path), e.subset(valIdx, e.Path+" (validation split)")
}

// evalBatch is how many rows one forward pass of evaluation takes.
const evalBatch = 1024

// scored holds a model's outputs on a data set and their summary.
type scored struct {
	Report     metrics.Report
	Regression *metrics.RegressionReport // regression models only
	Loss       float64                   // mean
	Predicted  []int                     // class per example (classification)
	Truth      []int                     // true class per example (classification)
	Outputs    []float64                 // rows × outputs
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
	s.Loss = lossSum / float64(max(1, x.Rows))
	if net.Spec().Regression {
		r := metrics.Regression(y.Value, s.Outputs)
		s.Regression, s.Predicted = &r, nil
		s.Report.N = r.N
		return s
	}
	s.Truth = make([]int, x.Rows)
	for i, c := range y.Class {
		s.Truth[i] = int(c)
	}
	s.Report = metrics.Classification(s.Truth, s.Predicted, classes)
	return s
}

// scoreExamples vectorizes labelled examples with the model and scores them.
func scoreExamples(m *model.Model, e *examples) (scored, error) {
	y, err := labelTargets(e, m.Labels, m.Net.Spec().Regression)
	if err != nil {
		return scored{}, err
	}
	return score(m.Net, rowsOf(m.Vectorizer, e), y, len(m.Labels)), nil
}

// printRegression writes the regression lines of a report, aligned as the
// classification report is.
func printRegression(w io.Writer, r *metrics.RegressionReport) {
	fmt.Fprintf(w, "rmse\t%.6g\nmae\t%.6g\nr2\t%.6f\n", r.RMSE, r.MAE, r.R2)
}
