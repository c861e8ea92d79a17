// Package model is dlc's model file: one self-describing bundle of the
// training config, the fitted vectorizer, the label names, the network's
// weights and the training record, stored as safetensors (a JSON header and
// raw little-endian tensors, readable by other tools), versioned,
// checksummed and written atomically.
//
// The file holds no timestamps or durations, so the same config and seed
// give a byte-identical file.
package model

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/dlc-dev/dlc/internal/atomicfile"
	"github.com/dlc-dev/dlc/internal/calibrate"
	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/objstore"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// Format and FormatVersion identify dlc model files: a file of a newer
// version is refused rather than misread. FormatVersion is the newest
// version this dlc writes and reads: the version of the last row in
// features.
const (
	Format        = "dlc-model"
	FormatVersion = 5
)

// maxFile caps the size of a model file dlc will read into memory.
const maxFile = 8 << 30

// A feature is something a format version added to the file, which a dlc
// that predates it would misread (answer uncalibrated numbers, read a
// multi-label model as one of many exclusive classes).
type feature struct {
	version int
	name    string
	uses    func(*Model) bool
}

// features lists what each version after the first added. A model is
// written in the oldest version that holds every feature it uses (Version),
// so an older dlc refuses exactly the files it would misread and reads the
// others; a file that declares a version older than a feature it holds was
// written by a dlc that numbers the versions otherwise, and is refused.
// A new feature is a new row, with FormatVersion its version.
var features = []feature{
	{2, "calibrated probabilities", func(m *Model) bool { return m.Calibration != nil }},
	{3, "multi-label outputs and thresholds", func(m *Model) bool { return m.MultiLabel() || m.Thresholds != nil }},
	// Each of these an older dlc would silently misread: one network of
	// several, words only, unweighted rows (issue 22).
	{4, "an ensemble of networks", func(m *Model) bool { return len(m.Members) > 1 }},
	{4, "character n-grams", func(m *Model) bool { return m.Vectorizer.Options.CharNGrams.On() }},
	{4, "the naive-Bayes weighting", func(m *Model) bool { return m.Vectorizer.Options.Weighting == vectorize.NB }},
	// An older dlc would refuse it as an unknown method: refused by
	// version, the message says to use a newer dlc (issue 14).
	{5, "a monotone calibration map", func(m *Model) bool {
		return m.Calibration != nil && m.Calibration.Method == calibrate.Monotone
	}},
}

// Version is the format version m is written in: the oldest that holds
// every feature it uses (1 for none).
func Version(m *Model) int {
	v := 1
	for _, f := range features {
		if f.version > v && f.uses(m) {
			v = f.version
		}
	}
	return v
}

// checkVersion refuses a decoded model whose declared version is older
// than a feature it holds.
func checkVersion(m *Model, declared int) error {
	for _, f := range features {
		if f.version > declared && f.uses(m) {
			return fmt.Errorf("declares format version %d but holds %s, which version %d added; it was written by a dlc whose format versions differ from this one's (format %d)", declared, f.name, f.version, FormatVersion)
		}
	}
	return nil
}

// Model is everything predict needs to turn raw text into a label.
type Model struct {
	Config     *config.Config
	Vectorizer *vectorize.Vectorizer
	Net        *mlp.Network
	// Members are the networks of an ensemble (model.ensemble), whose
	// outputs the model averages; Members[0] is Net. Nil for one network.
	Members []*mlp.Network
	Labels  []string // class names; index = class
	// Calibration maps the network's raw scores to the probabilities the
	// model answers with; nil for the network's own outputs.
	Calibration *calibrate.Calibrator
	// Thresholds decide which labels a multi-label model gives a text
	// (nil for the others).
	Thresholds *calibrate.Thresholds
	Record     Record
}

// MultiLabel reports whether m gives each text any number of its labels.
func (m *Model) MultiLabel() bool { return m.Net.Spec().MultiLabel }

// Record is what training did, kept for inspect and reproducibility.
type Record struct {
	DLCVersion    string `json:"dlc_version"`
	Seed          int    `json:"seed"`
	TrainExamples int    `json:"train_examples"`
	DataSHA256    string `json:"data_sha256"` // fingerprint of the training texts and labels
	// MemberSeeds are the seeds an ensemble's networks were drawn and
	// trained with, Members[k] from MemberSeeds[k].
	MemberSeeds []int         `json:"member_seeds,omitempty"`
	Epochs      []EpochRecord `json:"epochs"`
	// Stopped says why training ended before training.epochs (StopConverged,
	// StopEarly, StopInterrupted); empty when it ran them all. A file of an
	// older dlc, which did not record it, has it empty too: fewer epochs
	// than the config's then mean the reason is unknown.
	Stopped string `json:"stopped,omitempty"`
	// RestoredEpoch is the epoch whose weights the model holds when early
	// stopping put the best epoch's back (0: the last update's weights).
	RestoredEpoch int `json:"restored_epoch,omitempty"`
	// InterruptedSteps is the updates made before an interruption
	// (Stopped is StopInterrupted), the last epoch's partial ones included.
	InterruptedSteps int `json:"interrupted_steps,omitempty"`
	// Init is the model this one continued from (train --init), nil for a
	// model trained from new weights.
	Init *InitRecord `json:"init,omitempty"`
	// Warnings are what looked wrong with the data when it was vectorized
	// (most tokens out of the vocabulary, texts without a feature).
	Warnings []string    `json:"warnings,omitempty"`
	Test     *TestRecord `json:"test,omitempty"`
	// Distributed says how several processes trained the model (mpirun);
	// nil for one.
	Distributed *DistributedRecord `json:"distributed,omitempty"`
}

// DistributedRecord is a run of several processes, each training on its
// share of the examples and averaging the weights with the others.
type DistributedRecord struct {
	Processes        int  `json:"processes"`
	SyncEvery        int  `json:"sync_every"` // 0: at the ends of epochs only
	AverageOptimizer bool `json:"average_optimizer"`
}

// Why training stopped short of training.epochs, as Record.Stopped says it.
const (
	StopConverged   = "converged"      // training.tolerance
	StopEarly       = "early_stopping" // training.early_stopping
	StopInterrupted = "interrupted"    // a signal (Ctrl-C)
)

// InitRecord is the model a run continued from.
type InitRecord struct {
	// From is the model file as the command line named it.
	From string `json:"from"`
	// Epochs is how many epochs its weights had been trained for, counting
	// those of the models it continued from in turn.
	Epochs     int    `json:"epochs"`
	DataSHA256 string `json:"data_sha256"`
}

// EpochRecord is one epoch's training (and validation) metrics. The
// accuracies are pointers because a regression has none: absent, not 0.
type EpochRecord struct {
	Epoch       int      `json:"epoch"`
	Loss        float64  `json:"loss"`
	Accuracy    *float64 `json:"accuracy,omitempty"`
	ValLoss     *float64 `json:"val_loss,omitempty"`
	ValAccuracy *float64 `json:"val_accuracy,omitempty"`
}

// TestRecord is the held-out evaluation made at the end of training:
// accuracy for a classifier, rmse, mae and r2 for a regression.
type TestRecord struct {
	N        int      `json:"n"`
	Loss     float64  `json:"loss"`
	Accuracy *float64 `json:"accuracy,omitempty"`
	// The probabilities' log loss, Brier score and expected calibration
	// error (classifiers written since calibration exists).
	LogLoss *float64 `json:"log_loss,omitempty"`
	Brier   *float64 `json:"brier,omitempty"`
	ECE     *float64 `json:"ece,omitempty"`
	// A multi-label model's micro- and macro-F1 and Hamming loss
	// (Accuracy is then its subset accuracy).
	MicroF1     *float64 `json:"micro_f1,omitempty"`
	MacroF1     *float64 `json:"macro_f1,omitempty"`
	HammingLoss *float64 `json:"hamming_loss,omitempty"`
	RMSE        *float64 `json:"rmse,omitempty"`
	MAE         *float64 `json:"mae,omitempty"`
	R2          *float64 `json:"r2,omitempty"`
}

// vectorizerMeta is the fitted vectorizer's metadata; its vocabulary and
// document frequencies are tensors.
type vectorizerMeta struct {
	vectorize.Options
	Docs int `json:"docs"`
}

// Save writes m to path atomically: a failed or interrupted save leaves any
// earlier file at path untouched.
func Save(path string, m *Model) error {
	b, err := Encode(m)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, b, 0o644)
}

// Encode returns the bytes of the model file.
func Encode(m *Model) ([]byte, error) {
	for _, net := range m.Networks() {
		for _, p := range net.Params() {
			if math.IsNaN(p) || math.IsInf(p, 0) {
				return nil, errors.New("the network has NaN or infinite weights; refusing to save a diverged model")
			}
		}
	}
	if len(m.Members) > 1 && m.Members[0] != m.Net {
		return nil, errors.New("model: an ensemble's first member is not its network")
	}
	v := m.Vectorizer
	for _, t := range v.Vocab {
		if strings.ContainsRune(t, '\n') {
			return nil, fmt.Errorf("vocabulary token %q holds a newline", t)
		}
	}
	meta := map[string]string{
		"format":         Format,
		"format_version": strconv.Itoa(Version(m)),
		"dlc_version":    m.Record.DLCVersion,
	}
	put := func(key string, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("model: encoding %s: %w", key, err)
		}
		meta[key] = string(b)
		return nil
	}
	// Where the file is written says nothing about what it is: leave it out,
	// so that --out a.dlc and --out b.dlc give the same bytes.
	stored := *m.Config
	stored.Output.Model = ""
	for _, kv := range []struct {
		key string
		v   any
	}{
		{"config", &stored},
		{"labels", m.Labels},
		{"training", m.Record},
		{"spec", m.Net.Spec()},
		{"vectorizer", vectorizerMeta{v.Options, v.Docs}},
	} {
		if err := put(kv.key, kv.v); err != nil {
			return nil, err
		}
	}
	if m.Calibration != nil {
		if err := put("calibration", m.Calibration); err != nil {
			return nil, err
		}
	}
	if len(m.Members) > 1 {
		if err := put("ensemble", ensembleMeta{Members: len(m.Members)}); err != nil {
			return nil, err
		}
	}
	if m.Thresholds != nil {
		if err := put("thresholds", m.Thresholds); err != nil {
			return nil, err
		}
	}
	vocab := []byte(strings.Join(v.Vocab, "\n"))
	tensors := []Tensor{
		{Name: "vectorizer.vocab", DType: "U8", Shape: []int{len(vocab)}, Data: vocab},
		I32("vectorizer.doc_freq", []int{len(v.DocFreq)}, v.DocFreq),
	}
	if v.NBRatio != nil {
		tensors = append(tensors, F64("vectorizer.nb_ratio", []int{len(v.NBRatio)}, v.NBRatio))
	}
	for k, net := range m.Networks() {
		for i, l := range net.Layers {
			// Keras' names and (in, out) kernel layout; the first
			// network's tensors keep their names, so a tool that reads
			// one network reads an ensemble's first member.
			tensors = append(tensors,
				F64(memberPrefix(k)+fmt.Sprintf("dense_%d.kernel", i), []int{l.In, l.Out}, l.W),
				F64(memberPrefix(k)+fmt.Sprintf("dense_%d.bias", i), []int{l.Out}, l.B))
		}
	}
	meta["checksum"] = checksum(meta, tensors)
	return encodeSafetensors(meta, tensors)
}

// ensembleMeta is the "ensemble" metadata of a model of several networks.
type ensembleMeta struct {
	Members int `json:"members"`
}

// maxMembers bounds the members a file may announce, before any is read.
const maxMembers = 1024

// memberPrefix is the prefix of member k's tensor names: none for the
// first.
func memberPrefix(k int) string {
	if k == 0 {
		return ""
	}
	return fmt.Sprintf("member_%d.", k)
}

// Networks returns the model's networks: its ensemble's members, or its
// one network.
func (m *Model) Networks() []*mlp.Network {
	if len(m.Members) > 1 {
		return m.Members
	}
	return []*mlp.Network{m.Net}
}

// checksum is the sha256 of the metadata (bar the checksum, keys sorted) and
// the tensors (names sorted), so any changed byte is detected.
func checksum(meta map[string]string, tensors []Tensor) string {
	h := sha256.New()
	keys := make([]string, 0, len(meta))
	for k := range meta {
		if k != "checksum" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "%d:%s%d:%s", len(k), k, len(meta[k]), meta[k])
	}
	sorted := append([]Tensor(nil), tensors...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, t := range sorted {
		fmt.Fprintf(h, "%d:%s%s%v%d:", len(t.Name), t.Name, t.DType, t.Shape, len(t.Data))
		h.Write(t.Data)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Load reads and verifies a model file.
func Load(path string) (*Model, error) {
	if objstore.IsURL(path) {
		return loadObject(path)
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			where := ""
			if !filepath.IsAbs(path) {
				if wd, err := os.Getwd(); err == nil {
					where = " in " + wd
				}
			}
			return nil, fmt.Errorf("model file %s does not exist%s; train one with dlc train", path, where)
		}
		return nil, fmt.Errorf("cannot read model file %s: %v", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cannot read model file %s: %v", path, err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("model file %s is a directory", path)
	}
	if st.Size() > maxFile {
		return nil, fmt.Errorf("model file %s is %d bytes, larger than any dlc model", path, st.Size())
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("cannot read model file %s: %v", path, err)
	}
	m, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("model file %s %v", path, err)
	}
	return m, nil
}

// loadObject reads and verifies a model object (s3://, gs://).
func loadObject(u string) (*Model, error) {
	name := objstore.Name(u)
	info, err := objstore.Stat(context.Background(), u)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("model file %s does not exist; train one with dlc train", name)
	case err != nil:
		return nil, err
	case info.Size > maxFile:
		return nil, fmt.Errorf("model file %s is %d bytes, larger than any dlc model", name, info.Size)
	}
	r, err := objstore.Open(context.Background(), u)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, maxFile+1))
	if err != nil {
		return nil, err
	}
	m, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("model file %s %v", name, err)
	}
	return m, nil
}

// Decode parses the bytes of a model file. Its errors read as a predicate
// ("is not a model file ..."), for Load to prefix with the path.
func Decode(b []byte) (*Model, error) {
	meta, tensors, err := decodeSafetensors(b)
	if err != nil {
		return nil, err
	}
	if meta["format"] != Format {
		return nil, errors.New("is not a dlc model file (a safetensors file without dlc's metadata)")
	}
	declared, err := strconv.Atoi(meta["format_version"])
	if err != nil || declared < 1 || declared > FormatVersion {
		return nil, fmt.Errorf("has format version %q, which this dlc (format %d) cannot read; use a newer dlc", meta["format_version"], FormatVersion)
	}
	all := make([]Tensor, 0, len(tensors))
	for _, t := range tensors {
		all = append(all, t)
	}
	if meta["checksum"] != checksum(meta, all) {
		return nil, errors.New("is corrupt: its checksum does not match its contents")
	}
	m := &Model{Config: config.Default()}
	var vm vectorizerMeta
	var spec mlp.Spec
	for _, kv := range []struct {
		key string
		v   any
	}{{"config", m.Config}, {"labels", &m.Labels}, {"training", &m.Record}, {"spec", &spec}, {"vectorizer", &vm}} {
		if err := json.Unmarshal([]byte(meta[kv.key]), kv.v); err != nil {
			return nil, fmt.Errorf("has malformed %s metadata: %v", kv.key, err)
		}
	}
	var stored struct {
		Calibration json.RawMessage `json:"calibration"`
	}
	if json.Unmarshal([]byte(meta["config"]), &stored) == nil && stored.Calibration == nil {
		// Written before calibration existed: its config did not ask
		// for one, whatever today's default.
		m.Config.Calibration.Method = calibrate.None
	}
	vocabT, ok1 := tensors["vectorizer.vocab"]
	dfT, ok2 := tensors["vectorizer.doc_freq"]
	if !ok1 || !ok2 {
		return nil, errors.New("lacks its vectorizer tensors")
	}
	var vocab []string
	if len(vocabT.Data) > 0 {
		vocab = strings.Split(string(vocabT.Data), "\n")
	}
	df, err := dfT.Int32s()
	if err != nil {
		return nil, err
	}
	if m.Vectorizer, err = vectorize.Restore(vm.Options, vocab, df, vm.Docs); err != nil {
		return nil, fmt.Errorf("has an invalid vectorizer: %v", err)
	}
	if nbT, ok := tensors["vectorizer.nb_ratio"]; ok || m.Vectorizer.Weighting == vectorize.NB {
		if !ok {
			return nil, errors.New("lacks its vectorizer's naive-Bayes ratios (tensor vectorizer.nb_ratio)")
		}
		r, err := nbT.Float64s()
		if err != nil {
			return nil, err
		}
		if err := m.Vectorizer.SetNBRatio(r); err != nil {
			return nil, fmt.Errorf("has an invalid vectorizer: %v", err)
		}
	}
	if spec.Inputs != m.Vectorizer.Features() {
		return nil, fmt.Errorf("has a network of %d inputs for %d features", spec.Inputs, m.Vectorizer.Features())
	}
	if want := max(2, spec.Outputs); spec.MultiLabel && len(m.Labels) != spec.Outputs || !spec.MultiLabel && !spec.Regression && len(m.Labels) != want {
		return nil, fmt.Errorf("has %d labels for %d outputs", len(m.Labels), spec.Outputs)
	}
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("describes an invalid network: %v", err)
	}
	members := 1
	if raw, ok := meta["ensemble"]; ok {
		var em ensembleMeta
		if err := json.Unmarshal([]byte(raw), &em); err != nil {
			return nil, fmt.Errorf("has malformed ensemble metadata: %v", err)
		}
		if em.Members < 2 || em.Members > maxMembers {
			return nil, fmt.Errorf("has an ensemble of %d networks; an ensemble has 2 to %d", em.Members, maxMembers)
		}
		members = em.Members
	}
	for k := range members {
		net, err := readNetwork(tensors, memberPrefix(k), spec)
		if err != nil {
			return nil, err
		}
		if members > 1 {
			m.Members = append(m.Members, net)
		}
		if k == 0 {
			m.Net = net
		}
	}
	if len(m.Record.MemberSeeds) != 0 && len(m.Record.MemberSeeds) != members {
		return nil, fmt.Errorf("has %d member seeds for %d networks", len(m.Record.MemberSeeds), members)
	}
	if raw, ok := meta["calibration"]; ok {
		m.Calibration = new(calibrate.Calibrator)
		if err := json.Unmarshal([]byte(raw), m.Calibration); err != nil {
			return nil, fmt.Errorf("has malformed calibration metadata: %v", err)
		}
		if err := m.Calibration.Check(len(m.Labels), spec.Outputs); err != nil {
			return nil, fmt.Errorf("has a calibration that %v", err)
		}
		if m.Calibration.MultiLabel != spec.MultiLabel {
			return nil, errors.New("has a calibration made for another kind of model (multi-label or not)")
		}
	}
	raw, ok := meta["thresholds"]
	switch {
	case ok != spec.MultiLabel && spec.MultiLabel:
		return nil, errors.New("is a multi-label model without its thresholds")
	case ok != spec.MultiLabel:
		return nil, errors.New("has thresholds, which only a multi-label model has")
	case ok:
		m.Thresholds = new(calibrate.Thresholds)
		if err := json.Unmarshal([]byte(raw), m.Thresholds); err != nil {
			return nil, fmt.Errorf("has malformed thresholds metadata: %v", err)
		}
		if err := m.Thresholds.Check(len(m.Labels)); err != nil {
			return nil, fmt.Errorf("has thresholds that %v", err)
		}
	}
	if err := checkVersion(m, declared); err != nil {
		return nil, err
	}
	return m, nil
}

// readNetwork reads the network of spec whose tensors' names start with
// prefix.
func readNetwork(tensors map[string]Tensor, prefix string, spec mlp.Spec) (*mlp.Network, error) {
	var params []float64
	in := spec.Inputs
	for i := 0; i <= len(spec.Hidden); i++ {
		out := spec.Outputs
		if i < len(spec.Hidden) {
			out = spec.Hidden[i].Units
		}
		for _, part := range []string{"kernel", "bias"} {
			name := fmt.Sprintf("%sdense_%d.%s", prefix, i, part)
			t, ok := tensors[name]
			if !ok {
				return nil, fmt.Errorf("lacks tensor %s", name)
			}
			want := []int{out}
			if part == "kernel" {
				want = []int{in, out}
			}
			if fmt.Sprint(t.Shape) != fmt.Sprint(want) {
				return nil, fmt.Errorf("has tensor %s of shape %v where its network needs %v", name, t.Shape, want)
			}
			v, err := t.Float64s()
			if err != nil {
				return nil, err
			}
			params = append(params, v...)
		}
		in = out
	}
	net, err := mlp.FromParams(spec, params)
	if err != nil {
		return nil, fmt.Errorf("has weights that do not fit its network: %v", err)
	}
	return net, nil
}
