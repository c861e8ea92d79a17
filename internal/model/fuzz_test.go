package model

import (
	"os"
	"sort"
	"testing"

	"github.com/dlc-dev/dlc/internal/calibrate"
	"github.com/dlc-dev/dlc/internal/testenv"
)

// TestMain: see testenv.BoundMinimizing.
func TestMain(m *testing.M) {
	testenv.BoundMinimizing()
	os.Exit(m.Run())
}

// reseal returns b with its checksum made to match its contents, when b
// holds a safetensors layout: the checksum guards against a file damaged
// on the way, not against one made to harm (anyone can compute a
// SHA-256), so Decode must be safe past it too.
func reseal(b []byte) ([]byte, bool) {
	meta, tensors, err := decodeSafetensors(b)
	if err != nil {
		return nil, false
	}
	all := make([]Tensor, 0, len(tensors))
	for _, t := range tensors {
		all = append(all, t)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	meta["checksum"] = checksum(meta, all)
	out, err := encodeSafetensors(meta, all)
	return out, err == nil
}

// FuzzDecode: whatever the bytes, Decode returns a model or an error: no
// panic, no hang, no allocation beyond the file's size. Each input is
// decoded as it is and, resealed, with a checksum that matches; without
// that, the fuzzer's changes almost never pass the SHA-256 and the rest of
// Decode (the metadata, the vectorizer, the networks, the calibration) is
// never reached.
func FuzzDecode(f *testing.F) {
	m := tinyModel(f)
	good, err := Encode(m)
	if err != nil {
		f.Fatal(err)
	}
	m.Calibration = &calibrate.Calibrator{Method: calibrate.Temperature, Temperature: 1.5, Labels: len(m.Labels), Fitted: "x"}
	calibrated, err := Encode(m)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(calibrated)
	f.Add(good[:100])
	f.Add([]byte{})
	decode := func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err == nil && m.Net == nil {
			t.Fatal("decoded without a network")
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		decode(t, b)
		if sealed, ok := reseal(b); ok {
			decode(t, sealed)
		}
	})
}

// TestResealReachesPastTheChecksum: a model file changed in its metadata
// fails the checksum as it is, and is judged by its contents once resealed
// (else FuzzDecode would fuzz little but the checksum).
func TestResealReachesPastTheChecksum(t *testing.T) {
	b, err := Encode(tinyModel(t))
	if err != nil {
		t.Fatal(err)
	}
	meta, tensors, err := decodeSafetensors(b)
	if err != nil {
		t.Fatal(err)
	}
	meta["labels"] = `["only one"]`
	all := make([]Tensor, 0, len(tensors))
	for _, t := range tensors {
		all = append(all, t)
	}
	changed, err := encodeSafetensors(meta, all)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(changed); err == nil || err.Error() != "is corrupt: its checksum does not match its contents" {
		t.Fatalf("changed, not resealed: %v", err)
	}
	sealed, ok := reseal(changed)
	if !ok {
		t.Fatal("not resealed")
	}
	if _, err := Decode(sealed); err == nil || err.Error() != "has 1 labels for 3 outputs" {
		t.Fatalf("resealed: %v", err)
	}
}
