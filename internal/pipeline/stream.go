package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/dlc-dev/dlc/internal/calibrate"
	"github.com/dlc-dev/dlc/internal/checkpoint"
	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/objstore"
	"github.com/dlc-dev/dlc/internal/sparse"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// Streaming training (training.streaming) holds no more of the training
// data in memory than a shuffle buffer, whatever its size, in three
// passes over it, as Vowpal Wabbit does:
//
//  1. the texts are read once to count their n-grams and labels
//     (vectorize.Counter: exact counts, in memory that grows with the
//     distinct n-grams, not with the texts; vectorizer.hashing keeps it
//     fixed) and the vocabulary is chosen as in memory;
//  2. they are read again and their rows written to a cache file beside
//     the data (rowcache.go), in checksummed blocks;
//  3. every epoch streams the cache: its blocks in a shuffled order, each
//     row through a shuffle buffer of training.shuffle_buffer rows, from
//     which the batches are drawn at random (a windowed shuffle, as
//     tf.data's shuffle(buffer_size)).
//
// A cache made from the same files (path, size, modification time), read
// the same way with the same vectorizer settings, is used again without
// passes 1 and 2. What the windowed shuffle gives up: an example can only
// be drawn once its block has been read, so an epoch's order is a random
// order of blocks, mixed within a window of the buffer's size, not a
// uniform permutation of the examples; with a buffer at least as large
// as the data it is one.
//
// Calibration holds out a share of the stream (calibration.holdout, the
// examples a seeded hash of their position picks), as in memory: the
// model's network trains on every example, a second network on the
// others, which scores the held-out ones.

// DefaultShuffleBuffer is the rows of the shuffle buffer when
// training.shuffle_buffer is 0.
const DefaultShuffleBuffer = 32768

// autoStream turns training.streaming on, and says why, for a config that
// leaves it out and whose training files would take more than half of
// the machine's memory in memory: memoryPerByte times their size, a
// gzipped file's gzipRatio times more. A config streaming cannot train is
// left alone.
func autoStream(cfg *config.Config, train []string) string {
	if cfg.Training.Streaming || cfg.IsSet("training.streaming") || cfg.CanStream() != nil {
		return ""
	}
	have := totalMemory()
	if have == 0 || len(train) == 0 {
		return ""
	}
	files, err := streamFiles(cfg, train)
	if err != nil {
		return ""
	}
	var size float64
	for _, f := range files {
		st, err := statPath(f)
		if err != nil || st.dir {
			return ""
		}
		n := float64(st.size)
		if strings.HasSuffix(strings.ToLower(objstore.Name(f)), ".gz") {
			n *= gzipRatio
		}
		size += n
	}
	if need := size * memoryPerByte(cfg.VectorizerOptions()); need > float64(have)/2 {
		cfg.Training.Streaming = true
		return fmt.Sprintf("chosen: the training data (%s) would take about %s in memory, more than half of this machine's %s", bytesOf(size), bytesOf(need), bytesOf(float64(have)))
	}
	return ""
}

// memoryPerByte is autoStream's estimate of the memory training in
// memory takes per byte of training file, as it grows with the data: the
// rows (an index, and for tf-idf a value, per distinct n-gram of a text)
// and, with n-grams, a vocabulary and a network that grow too until
// vectorizer.max_tokens. Measured as the growth of peak RSS between 1x
// and 4x the data (bench/streaming.sh's files; `dlc train`, in memory,
// go1.26, GOGC 50):
//
//   - words: the IMDB notebook (multi-hot, 10,000 words) 114 -> 218 MiB
//     for 33.9 -> 125.8 MB, 1.2 bytes per byte; the R52 recipe (tf-idf,
//     10,000 words) 132 -> 249 MiB for 5.0 -> 39.8 MB (8x), 3.5 per byte:
//     4.
//   - word n-grams (or character n-grams): the IMDB recipe (tf-idf words
//     and pairs, up to 1,000,000) 1,247 -> 2,503 MiB for 33.9 -> 125.8 MB,
//     14.3 per byte: 16.
//
// The fixed part (the test split, the network at its first size) is left
// out: it matters next to half of a machine's memory only for small data,
// which fits anyway.
func memoryPerByte(o vectorize.Options) float64 {
	if o.NGrams > 1 || o.CharNGrams.On() {
		return 16
	}
	return 4
}

// gzipRatio is autoStream's estimate of how much a gzipped training
// file's text is larger than the file.
const gzipRatio = 4

// streamFiles are the training files of a streaming run: data.train's
// entries in order (one, or a list), each a file or the files its glob
// pattern matches, in byte order of their names.
func streamFiles(cfg *config.Config, train []string) ([]string, error) {
	if len(train) == 0 {
		return nil, cfg.Errorf("data.train", "the config names no training data; set data.dataset or data.train")
	}
	var files []string
	for i, entry := range train {
		key := cfg.TrainEntry(i)
		if !strings.ContainsAny(objstore.Name(entry), "*?[") { // a query's ? is no wildcard
			st, err := statPath(entry)
			switch {
			case errors.Is(err, os.ErrNotExist):
				if cfg.Data.Dataset != "" {
					return nil, data.NotExist(entry)
				}
				return nil, cfg.Missing(key)
			case err != nil && objstore.IsURL(entry):
				return nil, cfg.Errorf(key, "%v", err)
			case err == nil && st.dir:
				return nil, cfg.Errorf(key, "training.streaming reads JSONL, CSV or TSV files (also .gz), and %s is a folder; give its files as a pattern (%s: %s)", entry, key, filepath.Join(entry, "*.jsonl"))
			}
			files = append(files, entry)
			continue
		}
		matched, err := globPaths(entry)
		if err != nil {
			if objstore.IsURL(entry) {
				return nil, cfg.Errorf(key, "%v", err)
			}
			return nil, cfg.Errorf(key, "%s is not a valid file pattern: %v", entry, err)
		}
		if len(matched) == 0 {
			return nil, cfg.Errorf(key, "no file matches %s", objstore.Name(entry))
		}
		files = append(files, matched...)
	}
	return files, nil
}

// streamCounts is what pass 1 learns of the training files.
type streamCounts struct {
	vec         *vectorize.Vectorizer
	classes     []string // nil for a regression
	labelCounts []int    // examples per class
	examples    int
	fingerprint string // as data.Examples.Fingerprint of the examples
}

// fingerprinter hashes examples as data.Examples.Fingerprint does, one at
// a time.
type fingerprinter struct {
	h hash.Hash
	n [8]byte
}

func (f *fingerprinter) add(text, label string) {
	for _, s := range []string{text, label} {
		binary.LittleEndian.PutUint64(f.n[:], uint64(len(s)))
		f.h.Write(f.n[:])
		io.WriteString(f.h, s)
	}
}

// countStream is pass 1: it counts the n-grams and labels of the files
// and fits the vectorizer.
func countStream(ctx context.Context, plan *Plan, files []string) (*streamCounts, error) {
	c, err := vectorize.NewCounter(plan.Vectorizer)
	if err != nil {
		return nil, err
	}
	labels := map[string]int{}
	fp := fingerprinter{h: sha256.New()}
	n := 0
	for _, f := range files {
		err := data.Each(f, fields(plan.Config), func(text, label string) error {
			if n%4096 == 0 && ctx.Err() != nil {
				return &InterruptedError{When: "while counting the training data's n-grams"}
			}
			c.Add(text)
			labels[label]++
			fp.add(text, label)
			n++
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	vec, err := c.Fit()
	if err != nil {
		return nil, err
	}
	s := &streamCounts{vec: vec, examples: n, fingerprint: hex.EncodeToString(fp.h.Sum(nil))}
	if !plan.Regression {
		for l := range labels {
			s.classes = append(s.classes, l)
		}
		slices.Sort(s.classes)
		if len(s.classes) < 2 {
			return nil, fmt.Errorf("%s has only the label %s; a classifier needs at least two (or set data.task: regression for numeric labels)", strings.Join(files, ", "), data.QuoteList(s.classes, 1))
		}
		for _, l := range s.classes {
			s.labelCounts = append(s.labelCounts, labels[l])
		}
	}
	return s, nil
}

// streamData is a streaming run's training data: the cache of its rows,
// with what pass 1 learnt.
type streamData struct {
	files []string
	cache *rowCache
	*streamCounts
	// Said says what was done to get the cache ("written", or "reused"
	// and why not rebuilt), for the log.
	said string
}

// openStream returns the cache of the files' rows for plan: the one
// beside the data when it was made from these files with these settings
// and is whole, else a new one from passes 1 and 2. A cache that is
// truncated, damaged, of another version or stale is rebuilt, and said so.
func openStream(ctx context.Context, plan *Plan, files []string) (*streamData, error) {
	key, err := cacheKey(plan, files)
	if err != nil {
		return nil, err
	}
	path := cachePath(files[0])
	if objstore.IsURL(files[0]) {
		// Beside an object is the bucket: the cache is the user's.
		if path, err = userCachePath(files[0]); err != nil {
			return nil, err
		}
	}
	c, why := openRowCache(path, key)
	if c != nil {
		return &streamData{files: files, cache: c, streamCounts: c.counts, said: "reused " + path}, nil
	}
	counts, err := countStream(ctx, plan, files)
	if err != nil {
		return nil, err
	}
	said := "wrote " + path
	if why != "" {
		said = fmt.Sprintf("%s (the cache there %s)", said, why)
	}
	if err := writeRowCache(ctx, path, key, plan, files, counts); err != nil {
		// Beside the data may be read-only: then the user's cache folder.
		alt, aerr := userCachePath(files[0])
		if aerr != nil || errors.Is(err, context.Canceled) || isInterrupted(err) {
			return nil, err
		}
		if c, why2 := openRowCache(alt, key); c != nil {
			return &streamData{files: files, cache: c, streamCounts: c.counts, said: fmt.Sprintf("reused %s (cannot write beside the data: %v)", alt, err)}, nil
		} else if why2 != "" {
			why = why2
		}
		if err2 := writeRowCache(ctx, alt, key, plan, files, counts); err2 != nil {
			return nil, err
		}
		said = fmt.Sprintf("wrote %s (cannot write beside the data: %v)", alt, err)
		path = alt
	}
	c, why = openRowCache(path, key)
	if c == nil {
		return nil, fmt.Errorf("the rows cache %s just written cannot be read back: it %s", path, why)
	}
	return &streamData{files: files, cache: c, streamCounts: counts, said: said}, nil
}

func isInterrupted(err error) bool {
	var ie *InterruptedError
	return errors.As(err, &ie)
}

// cachePath is the cache file beside the first training file.
func cachePath(first string) string {
	return first + ".dlc-rows"
}

// userCachePath is the cache file for data in a folder dlc cannot write:
// in the user's cache folder, named by the data's absolute path.
func userCachePath(first string) (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	abs, base := objstore.Name(first), path.Base(objstore.Name(first))
	if !objstore.IsURL(first) {
		if abs, err = filepath.Abs(first); err != nil {
			return "", err
		}
		base = filepath.Base(first)
	}
	sum := sha256.Sum256([]byte(abs))
	dir = filepath.Join(dir, "dlc", "rows")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return filepath.Join(dir, base+"-"+hex.EncodeToString(sum[:8])+".dlc-rows"), nil
}

// cacheKey identifies what a cache holds: the files (absolute path, size,
// modification time), how they are read (fields, task) and the vectorizer
// settings. Any change makes another key, and the cache is rebuilt.
func cacheKey(plan *Plan, files []string) ([32]byte, error) {
	h := sha256.New()
	fmt.Fprintf(h, "dlc rows %d\n", rowCacheVersion)
	for _, f := range files {
		abs := f // an object's URL, query and all: another endpoint is another object
		if !objstore.IsURL(f) {
			var err error
			if abs, err = filepath.Abs(f); err != nil {
				return [32]byte{}, err
			}
		}
		st, err := statPath(f)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return [32]byte{}, data.NotExist(f)
			}
			if objstore.IsURL(f) {
				return [32]byte{}, err
			}
			return [32]byte{}, fmt.Errorf("cannot read %s: %v", f, pathErr(err))
		}
		fmt.Fprintf(h, "file %q %d %d\n", abs, st.size, st.mod.UnixNano())
		if st.tag != "" {
			fmt.Fprintf(h, "etag %q\n", st.tag)
		}
	}
	cfg := plan.Config
	opts, _ := json.Marshal(plan.Vectorizer)
	fmt.Fprintf(h, "fields %q %q regression %v\nvectorizer %s\n", cfg.Data.TextField, cfg.Data.LabelField, plan.Regression, opts)
	var k [32]byte
	copy(k[:], h.Sum(nil))
	return k, nil
}

// streamObjective trains a network on the rows of a cache, one batch in
// memory at a time: a gd.RowSource over an mlp.Objective whose X and Y
// are the current batch.
type streamObjective struct {
	*mlp.Objective
	cache   *rowCache
	shuffle bool
	buffer  int
	seed    uint64
	// skip, when set, leaves out the examples it is true for (those held
	// out for calibration); n is the examples left.
	skip func(i int) bool
	n    int

	epoch   *epochReader
	x       *sparse.Matrix
	y       mlp.Targets
	weights []float64 // per class, nil without class weights
	rows    []int
}

func (o *streamObjective) Len() int { return o.n }

// StartEpoch implements gd.RowSource: a new order of blocks and a new
// shuffle buffer's draws, from the seed and the epoch alone.
func (o *streamObjective) StartEpoch(epoch int) error {
	rng := rand.New(rand.NewPCG(o.seed, 0x57ea<<32|uint64(epoch)))
	o.epoch = o.cache.epoch(rng, o.shuffle, o.buffer, o.skip)
	return nil
}

// NextBatch implements gd.RowSource.
func (o *streamObjective) NextBatch(n int) ([]int, error) {
	o.x.Reset()
	o.y.Class, o.y.Value, o.y.Weight = o.y.Class[:0], o.y.Value[:0], o.y.Weight[:0]
	for range n {
		r, err := o.epoch.next()
		if err != nil {
			return nil, err
		}
		if r == nil {
			break
		}
		o.x.AppendRow(r.idx, r.val)
		if o.cache.counts.classes != nil {
			c := int32(r.label)
			o.y.Class = append(o.y.Class, c)
			if o.weights != nil {
				o.y.Weight = append(o.y.Weight, o.weights[c])
			}
		} else {
			o.y.Value = append(o.y.Value, r.label)
		}
	}
	if o.weights == nil {
		o.y.Weight = nil
	}
	o.Objective.X, o.Objective.Y = o.x, o.y
	o.rows = o.rows[:0]
	for i := range o.x.Rows {
		o.rows = append(o.rows, i)
	}
	if len(o.rows) < n {
		return nil, fmt.Errorf("the rows cache %s ended %d examples early; it is removed, train again to rebuild it", o.cache.path, n-len(o.rows))
	}
	return o.rows, nil
}

var _ gd.RowSource = (*streamObjective)(nil)

// maxStreamHeldOut bounds the examples streamed calibration holds out:
// their scores are kept in memory to fit the calibration, and would
// otherwise grow with the data. 65,536 held-out scores fit a temperature
// or a monotone map as well as more do; calibration.holdout's share is
// lowered to keep about this many (its hash picks them, as before), and
// the second network then trains on the rest. (A variable for the test.)
var maxStreamHeldOut = 1 << 16

// streamHoldout is the share of examples streamed calibration holds out:
// frac, or less when frac of them would be more than maxStreamHeldOut.
func streamHoldout(frac float64, examples int) float64 {
	return min(frac, float64(maxStreamHeldOut)/float64(max(1, examples)))
}

// heldOutOfStream picks the share frac of the examples calibration holds
// out, by a seeded hash of their position in the stream: the same ones in
// every epoch and every run with the seed.
func heldOutOfStream(seed uint64, frac float64) func(i int) bool {
	cut := uint64(frac * (1 << 53))
	return func(i int) bool {
		h := seed ^ 0xca1b<<48 ^ uint64(i)*0x9e3779b97f4a7c15
		h ^= h >> 33
		h *= 0xff51afd7ed558ccd
		h ^= h >> 33
		h *= 0xc4ceb9fe1a85ec53
		h ^= h >> 33
		return h>>11 < cut
	}
}

// trainStream is train for training.streaming: the same model, trained on
// rows streamed from the cache.
func trainStream(ctx context.Context, cfg *config.Config, d *Data, h Hooks, from *model.Model) (*model.Model, *Result, error) {
	if from != nil {
		return nil, nil, cfg.Errorf("training.streaming", "training.streaming starts a model afresh; continuing --init %s streams nothing yet: train it in memory", "a model")
	}
	vecStart := time.Now()
	plan, err := Build(cfg)
	if err != nil {
		return nil, nil, err
	}
	files, err := streamFiles(cfg, d.Paths.trainFiles())
	if err != nil {
		return nil, nil, err
	}
	s, err := openStream(ctx, plan, files)
	if err != nil {
		return nil, nil, err
	}
	defer s.cache.Close()
	classes := s.classes
	cfg = cfg.ForClasses(len(classes))
	if plan, err = Build(cfg); err != nil {
		return nil, nil, err
	}
	if cfg.CalibrationOptions().Method == calibrate.Platt && len(classes) != 2 {
		return nil, nil, cfg.Errorf("calibration.method", "calibration.method platt calibrates two labels, and the training data has %d: use monotone, temperature or isotonic", len(classes))
	}
	if d.Test != nil {
		if _, err := targets(d.Test, classes, plan.Regression); err != nil {
			return nil, nil, err
		}
	}
	vec := s.vec
	// Checkpoints: an epoch's order is drawn from the seed and the epoch
	// alone (StartEpoch), so a run resumed within an epoch draws it again
	// and reads the examples it had trained on again, dropping them (gd
	// does); the state is gd's, the dropout source's, and the calibration
	// network's as in memory.
	ck := h.Checkpoint
	if ck == nil {
		ck = &Checkpointing{ConfigPath: cfg.Path}
	}
	resume := ck.Resume
	fingerprints := dataFiles(d, &checkpoint.DataFile{Key: "data.train", Path: d.Paths.Train, SHA256: s.fingerprint, Examples: s.examples})
	if resume != nil {
		if err := checkResume(resume, cfg, fingerprints); err != nil {
			return nil, nil, err
		}
	}
	sv, err := saverFor(cfg, ck, resume, fingerprints, vec)
	if err != nil {
		return nil, nil, err
	}
	defer sv.finish(false)
	keepUpdates(&h, sv, resume)
	var weights, perClass []float64
	if !plan.Regression && cfg.Training.ClassWeight.IsSet() {
		if perClass, err = classWeightsFromCounts(cfg, s.labelCounts, classes); err != nil {
			return nil, nil, err
		}
		weights = perClass
	}
	res := &Result{VectorizeSeconds: time.Since(vecStart).Seconds()}
	if ctx.Err() != nil {
		return nil, nil, &InterruptedError{When: "while vectorizing"}
	}
	net, err := plan.Network(vec.Features(), len(classes))
	if err != nil {
		return nil, nil, err
	}
	opt, err := plan.NewOptimizer(len(net.Params()))
	if err != nil {
		return nil, nil, err
	}
	sv.prepare(len(net.Params()), opt)
	var xVal *sparse.Matrix
	var yVal mlp.Targets
	var warnings []string
	if d.Validation != nil {
		if yVal, err = targets(d.Validation, classes, plan.Regression); err != nil {
			return nil, nil, err
		}
		xVal, _ = Encode(vec, d.Validation)
		warnings = appendWarning(warnings, emptyRowsWarning(cfg, "validation", d.Validation, xVal))
	}
	buffer := cfg.Training.ShuffleBuffer
	if buffer == 0 {
		buffer = DefaultShuffleBuffer
	}
	how := fmt.Sprintf("training.streaming: %s; epochs stream it through a shuffle buffer of %d rows", s.said, buffer)
	if d.Streamed != "" {
		how = fmt.Sprintf("training.streaming (%s): %s; epochs stream it through a shuffle buffer of %d rows", d.Streamed, s.said, buffer)
	}
	chosen := append(cfg.Chosen(), how)
	if h.Started != nil {
		h.Started(&Setup{Examples: s.examples, Classes: classes, Features: vec.Features(), Spec: net.Spec(), ClassWeights: perClass,
			Chosen: chosen, Warnings: warnings})
	}
	newObjective := func(net *mlp.Network, skip func(int) bool, n int, dropout *rand.PCG) *streamObjective {
		return &streamObjective{
			Objective: &mlp.Objective{Net: net, Dropout: rand.New(dropout)},
			cache:     s.cache, shuffle: !plan.Training.NoShuffle, buffer: buffer, seed: uint64(cfg.Training.Seed),
			skip: skip, n: n, x: sparse.New(vec.Features(), vec.Binary()), weights: weights,
		}
	}
	cb := trainingCallbacks(h, net, xVal, yVal, len(classes), plan.Regression, d.Validation != nil)
	trainStart := time.Now()
	var gres *gd.Result
	if resume != nil && resume.Stage == checkpoint.Calibrating {
		if gres, err = restoreTrained(net, resume); err != nil {
			return nil, nil, err
		}
	} else {
		var src *rand.PCG
		if src, err = dropoutSource(cfg, resume, sv, &cb); err != nil {
			return nil, nil, err
		}
		gres, err = gd.Train(ctx, newObjective(net, nil, s.examples, src), opt, plan.Training, cb)
	}
	res.Interrupted = errors.Is(err, context.Canceled)
	if err != nil && !res.Interrupted {
		return nil, nil, err
	}
	res.Result = *gres
	if res.Interrupted && res.Steps == 0 {
		return nil, nil, &InterruptedError{When: "before the first update"}
	}
	var cal *calibrate.Calibrator
	if res.Interrupted {
		res.While = "training"
	} else if cfg.CalibrationOptions().Enabled() {
		opt = nil
		if sv != nil {
			main := *gres
			sv.stage, sv.main, sv.mainParams = checkpoint.Calibrating, &main, net.Params()
			// One network, whose held-out scores are taken after it
			// trained: none are kept in the checkpoint.
			sv.cal = &checkpoint.Calibration{Part: 1, Parts: 1, Z: []float64{}, Truth: []int{}, Uncal: []float64{}}
		}
		cal, err = streamCalibration(ctx, plan, s, classes, h, newObjective, sv, resume)
		switch {
		case errors.Is(err, context.Canceled):
			res.Interrupted, res.While = true, "calibrating"
		case errors.Is(err, calibrate.ErrTooFew):
			res.Uncalibrated = "its held-out examples hold only one label"
		case err != nil:
			return nil, nil, err
		}
	}
	if err := sv.finish(!res.Interrupted); err != nil {
		return nil, nil, err
	}
	res.TrainSeconds = time.Since(trainStart).Seconds()
	m := &model.Model{Config: cfg.Absolute(), Vectorizer: vec, Net: net, Labels: classes, Calibration: cal, Record: model.Record{
		Seed: cfg.Training.Seed, TrainExamples: s.examples, DataSHA256: s.fingerprint,
	}}
	for _, st := range res.History {
		m.Record.Epochs = append(m.Record.Epochs, epochRecord(st, plan.Regression))
	}
	recordStop(&m.Record, res, nil)
	if d.Test != nil && !res.Interrupted {
		var warning string
		if res.Test, warning, err = scoreTest(cfg, m, d.Test); err != nil {
			return nil, nil, err
		}
		res.TestPath = d.Paths.Test
		m.Record.Test = testRecord(res.Test)
		if warning != "" {
			warnings = append(warnings, warning)
			res.Warnings = []string{warning}
		}
	}
	m.Record.Warnings = warnings
	return m, res, nil
}

// streamCalibration trains a second network without the held-out share
// of the stream, scores that share with it and fits the calibration.
// With sv, it saves checkpoints as it trains; resume, in the calibrating
// stage, is the checkpoint it goes on from.
func streamCalibration(ctx context.Context, plan *Plan, s *streamData, classes []string, h Hooks, newObjective func(*mlp.Network, func(int) bool, int, *rand.PCG) *streamObjective, sv *saver, resume *checkpoint.Checkpoint) (*calibrate.Calibrator, error) {
	opts := plan.Config.CalibrationOptions()
	seed := uint64(plan.Config.Training.Seed)
	held := heldOutOfStream(seed, streamHoldout(opts.Holdout, s.examples))
	nHeld := 0
	for i := range s.examples {
		if held(i) {
			nHeld++
		}
	}
	if h.Calibrating != nil {
		h.Calibrating(&CalibrationPart{Part: 1, Parts: 1, NTrained: s.examples - nHeld, NHeld: nHeld})
	}
	net, err := plan.Network(s.vec.Features(), len(classes))
	if err != nil {
		return nil, err
	}
	opt, err := plan.NewOptimizer(len(net.Params()))
	if err != nil {
		return nil, err
	}
	if resume != nil && (resume.Stage != checkpoint.Calibrating || resume.State == nil) {
		resume = nil // the calibration network had not begun
	}
	if resume != nil {
		if c := resume.Calibration; c.Part != 1 || c.Parts != 1 {
			return nil, fmt.Errorf("the checkpoint's calibration is at network %d of %d, and streamed training makes 1", c.Part, c.Parts)
		}
	} else if sv != nil {
		if err := sv.boundary(); err != nil {
			return nil, err
		}
	}
	var cb gd.Callbacks
	src, err := dropoutSource(plan.Config, resume, sv, &cb)
	if err != nil {
		return nil, err
	}
	if _, err := gd.Train(ctx, newObjective(net, held, s.examples-nHeld, src), opt, plan.Training, cb); err != nil {
		return nil, err
	}
	var scores calibrate.Scores
	var uncal []float64
	var ws mlp.Workspace
	var out []float64
	var one [1]float64
	k := net.Spec().Outputs
	scores.K, scores.Labels = k, len(classes)
	x := sparse.New(s.vec.Features(), s.vec.Binary())
	var truth []int
	flush := func() {
		if x.Rows == 0 {
			return
		}
		rows := make([]int, x.Rows)
		for i := range rows {
			rows[i] = i
		}
		out = net.Predict(x, rows, out, &ws)
		z := ws.Logits(len(out))
		for i := range rows {
			scores.Z = append(scores.Z, calibrationScore(net, z[i*k:(i+1)*k], &one)...)
			uncal = uncalibrated(net, out[i*k:(i+1)*k], z[i*k:(i+1)*k], uncal)
		}
		scores.Truth = append(scores.Truth, truth...)
		x.Reset()
		truth = truth[:0]
	}
	// In stream order, without shuffling: only the held-out examples.
	e := s.cache.epoch(nil, false, 1, func(i int) bool { return !held(i) })
	for {
		r, err := e.next()
		if err != nil {
			return nil, err
		}
		if r == nil {
			break
		}
		x.AppendRow(r.idx, r.val)
		truth = append(truth, int(r.label))
		if x.Rows == evalBatch {
			flush()
		}
	}
	flush()
	what := fmt.Sprintf("%d training examples held out of a network trained on the other %d (a seeded share of the stream)", nHeld, s.examples-nHeld)
	return calibrate.Fit(opts.Method, &scores, uncal, what)
}

// classWeightsFromCounts is classWeights' weight per class from the
// examples per class, without a class per example.
func classWeightsFromCounts(cfg *config.Config, counts []int, classes []string) ([]float64, error) {
	if !cfg.Training.ClassWeight.Balanced {
		_, perClass, err := classWeights(cfg, mlp.Targets{}, classes)
		return perClass, err
	}
	n := 0
	for _, c := range counts {
		n += c
	}
	perClass := make([]float64, len(classes))
	for c, k := range counts {
		perClass[c] = float64(n) / float64(len(classes)*max(1, k))
	}
	return perClass, nil
}

// streamLabels reads the distinct labels of the training files, sorted.
func streamLabels(cfg *config.Config, train []string) ([]string, error) {
	files, err := streamFiles(cfg, train)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, f := range files {
		if err := data.Each(f, fields(cfg), func(_, label string) error { seen[label] = true; return nil }); err != nil {
			return nil, err
		}
	}
	var out []string
	for l := range seen {
		out = append(out, l)
	}
	slices.Sort(out)
	return out, nil
}

// dropoutSource is the dropout source of a streamed network (the one
// trained, or calibration's): afresh from the seed, or where resume's
// state left it (whose gd state then goes into cb); with sv, cb saves
// checkpoints and sv the source's state in them.
func dropoutSource(cfg *config.Config, resume *checkpoint.Checkpoint, sv *saver, cb *gd.Callbacks) (*rand.PCG, error) {
	src := rand.NewPCG(uint64(cfg.Training.Seed), 0xd20b0a7)
	if resume != nil {
		if err := src.UnmarshalBinary(resume.Dropout); err != nil {
			return nil, fmt.Errorf("the checkpoint's dropout source: %v", err)
		}
		cb.Resume = resume.State
	}
	if sv != nil {
		sv.dropout, cb.Checkpoint = src, sv
	}
	return src, nil
}
