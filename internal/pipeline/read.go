package pipeline

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/objstore"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// Paths are the files a config's data section names.
//
// For an image dataset (data.dataset: mnist, Kind data.Images) Train and
// Test are the IDX images files and TrainLabels and TestLabels the IDX
// labels files of the same splits. For text data the label paths are
// empty.
type Paths struct {
	Train, Test, Validation string
	Kind                    data.Kind
	TrainLabels, TestLabels string
	// TrainFiles are data.train's entries (files or patterns) in order,
	// when it names more than one: a list, which streaming reads one
	// after another. Train is then the first.
	TrainFiles []string
}

// trainFiles are the entries of the training data: TrainFiles, or Train.
func (p Paths) trainFiles() []string {
	if len(p.TrainFiles) > 0 {
		return p.TrainFiles
	}
	if p.Train == "" {
		return nil
	}
	return []string{p.Train}
}

// severalFiles reports whether the training data are several files: a
// list or a pattern, which training.streaming reads.
func (p Paths) severalFiles() bool {
	return len(p.TrainFiles) > 1 || strings.ContainsAny(objstore.Name(p.Train), "*?[")
}

// Data is a config's data, read: where it is, and the training, validation
// (nil when there is none) and test (nil when there is none) examples.
type Data struct {
	Paths                   Paths
	Train, Validation, Test *data.Examples
	// Streamed says why training.streaming was chosen for a config that
	// left it out ("" when it was not, or was set).
	Streamed string
	// later is the validation text file left to be read once the
	// vectorizer is fitted (ReadRest), Validation nil until then. A test
	// text file left so is not in it: Test then holds its labels alone,
	// and a *laterText.
	later []laterSplit
}

// laterSplit is a text file Read left for the fitted vectorizer: where
// it goes in Data, its path and fields.
type laterSplit struct {
	e      **data.Examples
	path   string
	fields data.Fields
}

// Resolve turns data.dataset or data.train/test into file paths; a
// dataset must have been fetched into dataDir.
func Resolve(cfg *config.Config, dataDir string) (Paths, error) {
	p := Paths{Test: cfg.Data.Test, Validation: cfg.Data.Validation, Kind: data.Text}
	if len(cfg.Data.Train) > 0 {
		p.Train = cfg.Data.Train[0]
	}
	if cfg.Data.Train.IsList() {
		p.TrainFiles = slices.Clone(cfg.Data.Train)
	}
	if cfg.Data.Dataset == "" {
		return p, nil
	}
	src, err := data.Lookup(cfg.Data.Dataset)
	if err != nil {
		return p, cfg.Errorf("data.dataset", "%v", err)
	}
	if err := CheckDataset(cfg); err != nil {
		return p, err
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

// CheckDataset refuses a config that cannot read its data.dataset as the
// dataset's files are (before anything is fetched): a multi-label dataset
// needs data.task multilabel. A config naming no dataset, or an unknown
// one, passes (Resolve says what is wrong with the name).
func CheckDataset(cfg *config.Config) error {
	src, err := data.Lookup(cfg.Data.Dataset)
	if cfg.Data.Dataset == "" || err != nil {
		return nil
	}
	if src.MultiLabel && !cfg.MultiLabel() {
		return cfg.Errorf("data.dataset", "dataset %s gives each text a list of labels; set data.task: multilabel and data.label_field: labels", src.Name)
	}
	return nil
}

// Read resolves a config's data and reads it: the training, validation and
// test files side by side (reading is a good part of the time), their
// errors reported in that order; then data.validation_split holds part of
// the training examples out. When the training texts are counted as they
// are read (a vocabulary to fit, one label a text), the validation text
// file is left for Data.ReadRest, which Train and Vectorize call once the
// vocabulary is fitted, and of the test text file only the labels and
// fingerprint are read: Train reads it again once the model is trained,
// encoding and scoring it a batch at a time, and ReadRest encodes it
// whole.
func Read(ctx context.Context, cfg *config.Config, dataDir string) (*Data, error) {
	paths, err := resolveTrain(cfg, dataDir)
	if err != nil {
		return nil, err
	}
	if paths.Train == "" {
		return nil, cfg.Errorf("data.train", "the config names no training data; set data.dataset or data.train")
	}
	checked := paths
	if cfg.Training.Streaming || paths.severalFiles() {
		checked.Train = "" // a pattern or a list, which streamFiles checks
	}
	if err := checkPaths(cfg, checked); err != nil {
		return nil, err
	}
	if paths.Kind == data.Images || data.IsIDX(paths.Train) {
		if err := checkImageConfig(cfg, paths.Train); err != nil {
			return nil, err
		}
	}
	streamed := autoStream(cfg, paths.trainFiles())
	if paths.severalFiles() && !cfg.Training.Streaming {
		return nil, cfg.Errorf("data.train", "data.train names several files (%s), which training.streaming reads one after another; set training.streaming: true, or give one file", strings.Join(paths.trainFiles(), ", "))
	}
	split := cfg.Data.ValidationSplit > 0
	// Texts are counted as they are read, but those a validation split is
	// drawn from, which are kept to be drawn from.
	count := countable(cfg)
	text := func(path, labels string) bool { return labels == "" && !data.IsIDX(path) }
	// With the training texts counted, the validation and test texts need
	// no counts of their own: they are read once the vocabulary is fitted
	// and encoded through it as they come, a lookup in its small table
	// for each token where counting them took a probe of a table of every
	// word they have (IMDB: 10,000 words against 81,000). The test texts
	// are not even held as rows through training (the IMDB recipe's
	// n-gram rows of them are about 100 MB): only their labels, read now
	// to be checked before any epoch.
	trainCounted := count && !split && !cfg.Training.Streaming && text(paths.Train, paths.TrainLabels)
	var later []laterSplit
	read := func(path, labels string, counted bool) (*data.Examples, error) {
		if counted && text(path, labels) {
			return readCounted(cfg, path, cfg.VectorizerOptions())
		}
		return readSplit(cfg, path, labels)
	}
	reads := []func() (*data.Examples, error){
		func() (*data.Examples, error) {
			if cfg.Training.Streaming {
				// Streamed by Train (stream.go), never held.
				_, err := streamFiles(cfg, paths.trainFiles())
				return nil, err
			}
			return read(paths.Train, paths.TrainLabels, count && !split)
		},
		func() (*data.Examples, error) {
			if split || paths.Validation == "" || (trainCounted && text(paths.Validation, "")) {
				return nil, nil
			}
			return read(paths.Validation, "", count)
		},
		func() (*data.Examples, error) {
			if paths.Test == "" {
				return nil, nil
			}
			if trainCounted && text(paths.Test, paths.TestLabels) {
				return readLabels(fields(cfg), paths.Test)
			}
			return read(paths.Test, paths.TestLabels, count)
		},
	}
	sets := make([]*data.Examples, len(reads))
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
	if err := ctx.Err(); err != nil {
		return nil, &InterruptedError{When: "while reading the data"}
	}
	d := &Data{Paths: paths, Train: sets[0], Validation: sets[1], Test: sets[2], Streamed: streamed}
	if trainCounted && !split && paths.Validation != "" && text(paths.Validation, "") {
		later = append(later, laterSplit{&d.Validation, paths.Validation, fields(cfg)})
	}
	d.later = later
	if split {
		d.Train, d.Validation = splitValidation(d.Train, cfg.Data.ValidationSplit, uint64(cfg.Training.Seed), cfg.Regression())
	}
	return d, nil
}

// ReadRest reads the validation text file that Read left for the fitted
// vectorizer v, and the test text file Read took only the labels of, each
// encoded by v as it is read (Vectorize calls it after the fit); it does
// nothing when Read left neither. Of a counted training split,
// d.Validation is nil until then, and d.Test holds no rows.
func (d *Data) ReadRest(v *vectorize.Vectorizer) error {
	if err := d.readValidation(v); err != nil {
		return err
	}
	if d.Test == nil || d.Test.Streamed == nil {
		return nil
	}
	lt, ok := d.Test.Streamed.Value.(*laterText)
	if !ok {
		return nil
	}
	e, err := readEncoded(lt.f, lt.path, v, true)
	if err != nil {
		return err
	}
	if err := lt.same(d.Test, e); err != nil {
		return fmt.Errorf("%w; run again once it no longer changes", err)
	}
	d.Test = e
	return nil
}

// readValidation is ReadRest for the validation file alone: what Train
// needs before its epochs.
func (d *Data) readValidation(v *vectorize.Vectorizer) error {
	for _, l := range d.later {
		e, err := readEncoded(l.fields, l.path, v, true)
		if err != nil {
			return err
		}
		*l.e = e
	}
	d.later = nil
	return nil
}

// ReadTrain reads a config's training examples and nothing else: the
// validation and test data the config names are not opened, and the Data
// it returns names neither (dlc tune cross-validates on the training
// split alone). data.validation_split is not applied.
func ReadTrain(ctx context.Context, cfg *config.Config, dataDir string) (*Data, error) {
	paths, err := resolveTrain(cfg, dataDir)
	if err != nil {
		return nil, err
	}
	paths.Test, paths.TestLabels, paths.Validation = "", "", ""
	train, err := readSplit(cfg, paths.Train, paths.TrainLabels)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, &InterruptedError{When: "while reading the data"}
	}
	return &Data{Paths: paths, Train: train}, nil
}

// resolveTrain resolves a config's data and checks that it names training
// data the config can read.
func resolveTrain(cfg *config.Config, dataDir string) (Paths, error) {
	paths, err := Resolve(cfg, dataDir)
	if err != nil {
		return paths, err
	}
	if paths.Train == "" {
		return paths, cfg.Errorf("data.train", "the config names no training data; set data.dataset or data.train")
	}
	if paths.Kind == data.Images || data.IsIDX(paths.Train) {
		if err := checkImageConfig(cfg, paths.Train); err != nil {
			return paths, err
		}
	}
	return paths, nil
}

// InterruptedError is a run stopped, by its context, before it had a model
// to show for it.
type InterruptedError struct {
	When string // "while reading the data", "before the first update", ...
}

func (e *InterruptedError) Error() string { return "interrupted " + e.When }

// Unwrap makes an InterruptedError a context.Canceled.
func (e *InterruptedError) Unwrap() error { return context.Canceled }

// readExamples reads the data at path as the config's vectorizer wants it.
func readExamples(cfg *config.Config, path string) (*data.Examples, error) {
	if data.IsIDX(path) {
		if cfg.Vectorizer.Mode != string(vectorize.Dense) {
			return nil, checkImageConfig(cfg, path)
		}
		return data.ReadImages(path, "")
	}
	if cfg.Vectorizer.Mode == string(vectorize.Dense) {
		t, err := data.ReadTable(path, data.TableFields{Label: cfg.Data.LabelField, Features: cfg.Data.Features})
		if err != nil {
			return nil, err
		}
		return &data.Examples{Path: path, Table: t, Labels: t.Labels}, nil
	}
	return data.Read(path, fields(cfg))
}

// readSplit reads a training or test split: IDX images when labels names
// their labels file (a fetched image dataset, whose config Read has
// checked), else what readExamples reads.
func readSplit(cfg *config.Config, path, labels string) (*data.Examples, error) {
	if labels == "" {
		return readExamples(cfg, path)
	}
	return data.ReadImages(path, labels)
}

// fields are the JSONL/CSV fields the config names.
func fields(cfg *config.Config) data.Fields {
	return data.Fields{Text: cfg.Data.TextField, Label: cfg.Data.LabelField, Multi: cfg.MultiLabel(), Separator: cfg.Data.LabelSeparator}
}

// checkImageConfig refuses a config that cannot read images, naming the key.
func checkImageConfig(cfg *config.Config, path string) error {
	if cfg.Vectorizer.Mode != string(vectorize.Dense) {
		return cfg.Errorf("vectorizer.mode", "%s holds IDX images, which vectorizer.mode dense reads (a row of pixel values per image), not %s; set vectorizer.mode: dense with vectorizer.scale: fixed and vectorizer.divisor: 255", path, cfg.Vectorizer.Mode)
	}
	if len(cfg.Data.Features) > 0 {
		return cfg.Errorf("data.features", "data.features selects columns of a CSV file; %s holds IDX images, whose every pixel is a feature: remove data.features", path)
	}
	return nil
}

// ReadFor reads labelled data at path for a trained model: its own config
// says how, and a numeric file must have the model's columns.
func ReadFor(m *model.Model, path string) (*data.Examples, error) {
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

// checkImagesFit refuses images whose pixel count is not the model's input
// width.
func checkImagesFit(m *model.Model, im *data.IDXImages) error {
	if n, want := im.Rows*im.Cols, m.Vectorizer.Features(); n != want {
		return fmt.Errorf("%s holds %d×%d images (%d pixels), but the model reads %d values", im.Path, im.Rows, im.Cols, n, want)
	}
	return nil
}

// splitValidation holds out a seeded random fraction of e for validation.
// The draw is random rather than the last rows because fetched files are
// ordered by label. Classification data is split per label (stratified),
// and every label keeps at least one training example: Reuters has topics
// with one or two documents, which a plain draw can move wholly into
// validation, leaving the model unable to name them.
func splitValidation(e *data.Examples, frac float64, seed uint64, regression bool) (train, val *data.Examples) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	var valIdx []int
	if regression {
		perm := rng.Perm(e.Len())
		valIdx = perm[:int(float64(len(perm))*frac+0.5)]
	} else {
		// A multi-label example is drawn with the examples of its rarest
		// label (see rarestLabels).
		keys := e.Labels
		if e.LabelSets != nil {
			keys = rarestLabelNames(e)
		}
		byLabel := map[string][]int{}
		for i, l := range keys {
			byLabel[l] = append(byLabel[l], i)
		}
		for _, l := range slices.Sorted(maps.Keys(byLabel)) { // sorted: the draw is reproducible
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
	return e.Subset(trainIdx, e.Path), e.Subset(valIdx, e.Path+" (validation split)")
}
