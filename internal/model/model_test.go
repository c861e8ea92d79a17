package model

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/calibrate"
	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// tinyModel returns a small trained-looking model: a fitted vectorizer and a
// network with random weights.
func tinyModel(t testing.TB) *Model {
	t.Helper()
	opts := vectorize.Options{Mode: vectorize.TFIDF, MaxTokens: 50, NGrams: 2, Tokenizer: vectorize.Tokenizer{Lowercase: true, StripHTML: true}}
	v, err := vectorize.Fit([]string{"a good film", "a bad film", "good good acting", "bad plot"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	spec := mlp.Spec{Inputs: v.Features(), Hidden: []mlp.LayerSpec{{Units: 4, Activation: mlp.ReLU}}, Outputs: 3, Output: mlp.Softmax, Loss: mlp.CategoricalCrossEntropy}
	net, err := mlp.New(spec, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	acc := 0.75
	return &Model{Config: config.Default(), Vectorizer: v, Net: net, Labels: []string{"bad", "good", "meh"},
		Record: Record{DLCVersion: "test", Seed: 42, TrainExamples: 4, Epochs: []EpochRecord{{Epoch: 1, Loss: 0.5, Accuracy: &acc}}}}
}

func TestRoundTrip(t *testing.T) {
	m := tinyModel(t)
	b, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if !slicesEqual(got.Net.Params(), m.Net.Params()) {
		t.Error("weights changed in the round trip")
	}
	if strings.Join(got.Vectorizer.Vocab, "|") != strings.Join(m.Vectorizer.Vocab, "|") || got.Vectorizer.Options != m.Vectorizer.Options {
		t.Errorf("vectorizer changed: %+v vs %+v", got.Vectorizer.Options, m.Vectorizer.Options)
	}
	if strings.Join(got.Labels, ",") != "bad,good,meh" || got.Record.Seed != 42 || len(got.Record.Epochs) != 1 {
		t.Errorf("labels %v, record %+v", got.Labels, got.Record)
	}
	again, err := Encode(got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, b) {
		t.Error("re-encoding a decoded model gave different bytes")
	}
}

// TestHashingModelRoundTrip: a hashing vectorizer stores no vocabulary, an
// empty tensor that shares its offset with the next; loading must not
// mistake that for overlapping tensors.
func TestHashingModelRoundTrip(t *testing.T) {
	for range 20 { // the tensors' order in the header comes from a map
		m := tinyModel(t)
		opts := m.Vectorizer.Options
		opts.Hashing = 16
		v, err := vectorize.Fit([]string{"a good film", "a bad film"}, opts)
		if err != nil {
			t.Fatal(err)
		}
		m.Vectorizer = v
		spec := m.Net.Spec()
		spec.Inputs = v.Features()
		if m.Net, err = mlp.New(spec, rand.New(rand.NewPCG(2, 2))); err != nil {
			t.Fatal(err)
		}
		b, err := Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Decode(b); err != nil {
			t.Fatalf("a hashing model does not load: %v", err)
		}
	}
}

func slicesEqual(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

func TestRefusesDivergedWeights(t *testing.T) {
	m := tinyModel(t)
	m.Net.Params()[3] = math.NaN()
	dir := t.TempDir()
	path := filepath.Join(dir, "m.dlc")
	os.WriteFile(path, []byte("the good model"), 0o644)
	err := Save(path, m)
	if err == nil || !strings.Contains(err.Error(), "refusing to save a diverged model") {
		t.Fatalf("Save with a NaN weight: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "the good model" {
		t.Error("a failed save replaced the earlier file")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("a failed save left %d files behind", len(entries)-1)
	}
}

// TestCorruptFiles: every damaged file is refused with a message, never a
// panic.
func TestCorruptFiles(t *testing.T) {
	good, err := Encode(tinyModel(t))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 0x20
		return b
	}
	foreign, err := encodeSafetensors(map[string]string{"format": "pt"}, []Tensor{F64("w", []int{2}, []float64{1, 2})})
	if err != nil {
		t.Fatal(err)
	}
	hugeHeader := bytes.Clone(good)
	binary.LittleEndian.PutUint64(hugeHeader, 1<<60)
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "is too short to be a model file"},
		{"truncated", good[:len(good)-9], "the file is truncated or corrupt"},
		{"header length beyond the file", hugeHeader, "is not a model file (header length"},
		{"a flipped weight byte", flip(len(good) - 3), "is corrupt: its checksum does not match"},
		{"not JSON", append([]byte{4, 0, 0, 0, 0, 0, 0, 0}, "abcd"...), "is not a model file (its header is not JSON"},
		{"foreign safetensors", foreign, "is not a dlc model file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(c.b)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
	// Every single-byte truncation point is an error, not a panic.
	for n := 0; n < len(good); n += 97 {
		if _, err := Decode(good[:n]); err == nil {
			t.Fatalf("a file truncated to %d bytes was accepted", n)
		}
	}
}

func TestLoadNamesThePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.dlc")
	os.WriteFile(path, []byte("PK\x03\x04 this is a zip"), 0o644)
	_, err := Load(path)
	if err == nil || !strings.HasPrefix(err.Error(), "model file "+path+" is not a model file") {
		t.Errorf("Load of a foreign file: %v", err)
	}
	_, err = Load(filepath.Join(t.TempDir(), "none.dlc"))
	if err == nil || !strings.Contains(err.Error(), "does not exist; train one with dlc train") {
		t.Errorf("Load of a missing file: %v", err)
	}
}

// A calibrated model keeps its calibration, is written as format 2 (a dlc
// that predates calibration refuses it rather than answer uncalibrated),
// and a calibration that does not fit the model is refused by name.
func TestCalibrationRoundTrip(t *testing.T) {
	m := tinyModel(t)
	if Version(m) != 1 {
		t.Fatalf("an uncalibrated model is format %d", Version(m))
	}
	m.Calibration = &calibrate.Calibrator{Method: calibrate.Temperature, Temperature: 1.5, Labels: len(m.Labels), Fitted: "x"}
	b, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if c := got.Calibration; c == nil || c.Method != calibrate.Temperature || c.Temperature != 1.5 || c.Labels != 3 || Version(got) != 2 {
		t.Errorf("decoded calibration %+v, format %d", got.Calibration, Version(got))
	}
	m.Calibration.Temperature = -1
	b, _ = Encode(m)
	if _, err := Decode(b); err == nil || err.Error() != "has a calibration that has temperature -1" {
		t.Errorf("a negative temperature: %v", err)
	}
}

// A model's format version is the largest among the features it uses, so
// that a dlc refuses exactly the files it would misread; FormatVersion,
// what this dlc reads, is the newest feature's, and no version number is
// skipped.
func TestVersionIsItsNewestFeature(t *testing.T) {
	newest := 1
	seen := map[int]bool{1: true}
	for _, f := range features {
		newest = max(newest, f.version)
		seen[f.version] = true
	}
	if newest != FormatVersion {
		t.Fatalf("FormatVersion is %d, the newest feature's version %d", FormatVersion, newest)
	}
	for v := 1; v <= FormatVersion; v++ {
		if !seen[v] {
			t.Errorf("no feature brought format version %d", v)
		}
	}
	cal := &calibrate.Calibrator{Method: calibrate.Temperature, Temperature: 1.5, Labels: 3, Fitted: "x"}
	for _, c := range []struct {
		name string
		edit func(m *Model)
		want int
	}{
		{"plain", func(*Model) {}, 1},
		{"calibrated", func(m *Model) { m.Calibration = cal }, 2},
		{"character n-grams", func(m *Model) { m.Vectorizer.CharNGrams = vectorize.CharGrams{2, 4} }, 4},
		{"naive-Bayes weighting", func(m *Model) { m.Vectorizer.Weighting = vectorize.NB }, 4},
		{"calibrated ensemble", func(m *Model) { m.Calibration = cal; m.Members = []*mlp.Network{m.Net, m.Net} }, 4},
	} {
		m := tinyModel(t)
		c.edit(m)
		if got := Version(m); got != c.want {
			t.Errorf("%s model: format %d, want %d", c.name, got, c.want)
		}
	}
}

// tinyMultiLabel is tinyModel with a sigmoid per label, calibrated and
// decided by per-label thresholds.
func tinyMultiLabel(t *testing.T) *Model {
	m := tinyModel(t)
	spec := mlp.Spec{Inputs: m.Vectorizer.Features(), Outputs: 3, Output: mlp.Sigmoid, Loss: mlp.BinaryCrossEntropy, MultiLabel: true}
	net, err := mlp.New(spec, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	m.Net = net
	m.Calibration = &calibrate.Calibrator{Method: calibrate.Temperature, Temperature: 1.5, Labels: 3, MultiLabel: true, Fitted: "x"}
	m.Thresholds = &calibrate.Thresholds{Values: []float64{0.3, 0.5, 0.7}, Cut: 0.5, MaxLabels: 3}
	return m
}

// reversion rewrites an encoded model's declared format version, with a
// checksum that matches: a file as another dlc would have written it.
func reversion(t *testing.T, b []byte, version string) []byte {
	t.Helper()
	meta, tensors, err := decodeSafetensors(b)
	if err != nil {
		t.Fatal(err)
	}
	meta["format_version"] = version
	var all []Tensor
	for _, tn := range tensors {
		all = append(all, tn)
	}
	meta["checksum"] = checksum(meta, all)
	out, err := encodeSafetensors(meta, all)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A multi-label model keeps its thresholds and is written as format 3; a
// file's declared version must cover every feature it holds, so a file
// numbered by another scheme (a version 2 holding thresholds) is refused
// rather than misread, and an uncalibrated single-label model stays
// version 1 however new the dlc that wrote it.
func TestFormatVersionFollowsFeatures(t *testing.T) {
	if newest := features[len(features)-1].version; FormatVersion != newest {
		t.Fatalf("FormatVersion %d, but the newest feature is of version %d", FormatVersion, newest)
	}
	m := tinyMultiLabel(t)
	b, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if Version(got) != 3 || !got.MultiLabel() || got.Thresholds == nil || fmt.Sprint(got.Thresholds.Values) != "[0.3 0.5 0.7]" {
		t.Errorf("decoded format %d, multi-label %v, thresholds %+v", Version(got), got.MultiLabel(), got.Thresholds)
	}
	want := "declares format version 2 but holds multi-label outputs and thresholds, which version 3 added; it was written by a dlc whose format versions differ from this one's (format 5)"
	if _, err := Decode(reversion(t, b, "2")); err == nil || err.Error() != want {
		t.Errorf("a multi-label model declared as version 2: %v", err)
	}
	if _, err := Decode(reversion(t, b, "6")); err == nil || err.Error() != `has format version "6", which this dlc (format 5) cannot read; use a newer dlc` {
		t.Errorf("a version 6 file: %v", err)
	}
	single := tinyModel(t)
	single.Calibration = &calibrate.Calibrator{Method: calibrate.Temperature, Temperature: 1.5, Labels: 3, Fitted: "x"}
	b, _ = Encode(single)
	want = "declares format version 1 but holds calibrated probabilities, which version 2 added; it was written by a dlc whose format versions differ from this one's (format 5)"
	if _, err := Decode(reversion(t, b, "1")); err == nil || err.Error() != want {
		t.Errorf("a calibrated model declared as version 1: %v", err)
	}
	if _, err := Decode(reversion(t, b, "3")); err != nil {
		t.Errorf("a calibrated model declared as version 3 (a newer dlc wrote it): %v", err)
	}
	// A monotone map is version 5, and kept whole.
	single.Calibration = &calibrate.Calibrator{Method: calibrate.Monotone, Knots: []float64{-2, 0.5}, Slopes: []float64{0.25, 1, 3}, Labels: 3, Fitted: "x"}
	b, _ = Encode(single)
	if got, err := Decode(b); err != nil || Version(got) != 5 || fmt.Sprint(got.Calibration.Knots, got.Calibration.Slopes) != "[-2 0.5] [0.25 1 3]" {
		t.Errorf("a monotone calibration: format %d, %+v, %v", Version(got), got.Calibration, err)
	}
	want = "declares format version 4 but holds a monotone calibration map, which version 5 added; it was written by a dlc whose format versions differ from this one's (format 5)"
	if _, err := Decode(reversion(t, b, "4")); err == nil || err.Error() != want {
		t.Errorf("a monotone calibration declared as version 4: %v", err)
	}
	single.Calibration = nil
	if Version(single) != 1 {
		t.Errorf("an uncalibrated single-label model is format %d", Version(single))
	}
}
