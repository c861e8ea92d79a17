package checkpoint

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// calibrating writes a checkpoint numbered seq into dir whose model's
// network is in the network file of main, and returns it.
func calibrating(t *testing.T, dir string, seq int, main []float64) *Checkpoint {
	t.Helper()
	c := sample()
	c.Seq, c.MainParams = seq, main
	name, sum, err := WriteNetwork(dir, main)
	if err != nil {
		t.Fatal(err)
	}
	c.MainFile, c.MainSHA256 = name, sum
	if _, _, err := Write(dir, c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestNetworkFile: a calibrating checkpoint naming the model's network's
// file does not hold the weights itself, and Read gives them back; a
// network file missing, changed, or of other weights makes the
// checkpoint torn, and Newest falls back past it.
func TestNetworkFile(t *testing.T) {
	dir := t.TempDir()
	old := sample()
	old.Seq = 1
	if _, _, err := Write(dir, old); err != nil {
		t.Fatal(err)
	}
	main := make([]float64, 5000)
	for i := range main {
		main[i] = float64(i) / 7
	}
	c := calibrating(t, dir, 2, main)
	path := filepath.Join(dir, Name(2))
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !same(got, c) || !slices.Equal(got.MainParams, main) {
		t.Fatal("the checkpoint naming its network file reads back differently")
	}
	if fi, _ := os.Stat(path); fi.Size() >= int64(8*len(main)) {
		t.Fatalf("the checkpoint is %d bytes: it holds the network's %d weights itself", fi.Size(), len(main))
	}
	// Written once: a second run's WriteNetwork keeps the whole file.
	net := filepath.Join(dir, c.MainFile)
	before, _ := os.Stat(net)
	if name, _, err := WriteNetwork(dir, main); err != nil || name != c.MainFile {
		t.Fatalf("WriteNetwork again: %s, %v", name, err)
	}
	if after, _ := os.Stat(net); !os.SameFile(before, after) {
		t.Fatal("WriteNetwork wrote a whole network file again")
	}
	whole, _ := os.ReadFile(net)
	other, otherSum := slices.Clone(main), ""
	other[3] = 42
	for _, tc := range []struct {
		name  string
		spoil func()
		want  string
	}{
		{"missing", func() { os.Remove(net) }, "is missing"},
		{"cut", func() { os.WriteFile(net, whole[:len(whole)/2], 0o644) }, "does not fit in the file"},
		{"flipped", func() {
			b := slices.Clone(whole)
			b[len(b)/2] ^= 1
			os.WriteFile(net, b, 0o644)
		}, "its checksum does not match"},
		{"other weights", func() {
			name, sum, err := WriteNetwork(dir, other)
			if err != nil {
				t.Fatal(err)
			}
			otherSum = sum
			os.Rename(filepath.Join(dir, name), net)
		}, "holds other weights"},
	} {
		tc.spoil()
		_, err := Read(path)
		if err == nil || !IsCorrupt(err) || !strings.Contains(err.Error(), c.MainFile) || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("network file %s: %v", tc.name, err)
		}
		got, from, skipped, err := Newest(dir)
		if err != nil || got.Seq != 1 || from != filepath.Join(dir, Name(1)) || len(skipped) != 1 {
			t.Fatalf("network file %s: Newest gave %v from %s, skipped %v", tc.name, err, from, skipped)
		}
		os.WriteFile(net, whole, 0o644)
	}
	if otherSum == "" || otherSum == c.MainSHA256 {
		t.Fatal("the other weights have the same SHA-256")
	}
}

// TestNetworkNameIsChecked: a checkpoint that names anything but a
// network file's name (a path, a name not of its SHA-256) is refused,
// before any file is opened.
func TestNetworkNameIsChecked(t *testing.T) {
	c := sample()
	c.MainFile, c.MainSHA256 = "", NetworkSum(c.MainParams)
	for _, name := range []string{"../" + networkName(c.MainSHA256), "net-0000000000000000.dlcn", "ckpt-000000001.dlcc"} {
		c.MainFile = name
		b := encoded(t, c)
		if _, err := Decode(bytes.NewReader(b), int64(len(b))); err == nil || !strings.Contains(err.Error(), "not a network file's name") {
			t.Fatalf("naming %q: %v", name, err)
		}
	}
	c.MainFile = networkName(c.MainSHA256)
	c.Main, c.Stage, c.Calibration = nil, Training, nil
	b := encoded(t, c)
	if _, err := Decode(bytes.NewReader(b), int64(len(b))); err == nil || !strings.Contains(err.Error(), "does not have") {
		t.Fatalf("a training checkpoint naming a network file: %v", err)
	}
}

// TestReadsFormatVersion1: a checkpoint of the first layout (the model's
// network inside every calibrating checkpoint) is still read, and may not
// name a network file.
func TestReadsFormatVersion1(t *testing.T) {
	c := sample()
	m, a := pack(c)
	var b bytes.Buffer
	if err := encodeVersion(&b, checkpointFormat, 1, m, a); err != nil {
		t.Fatal(err)
	}
	got, err := Decode(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if !same(got, c) || !slices.Equal(got.MainParams, c.MainParams) {
		t.Fatal("a version 1 checkpoint reads back differently")
	}
	c.MainFile, c.MainSHA256 = networkName(NetworkSum(c.MainParams)), NetworkSum(c.MainParams)
	m, a = pack(c)
	b.Reset()
	if err := encodeVersion(&b, checkpointFormat, 1, m, a); err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(bytes.NewReader(b.Bytes()), int64(b.Len())); err == nil || !strings.Contains(err.Error(), "format version 1") {
		t.Fatalf("a version 1 checkpoint naming a network file: %v", err)
	}
}

// TestPruneRemovesUnnamedNetworks: Prune keeps the network files the
// checkpoints left name and removes the others; RemoveStale removes a
// network file cut off mid-write.
func TestPruneRemovesUnnamedNetworks(t *testing.T) {
	dir := t.TempDir()
	a, b := []float64{1, 2, 3}, []float64{4, 5, 6}
	ca := calibrating(t, dir, 1, a)
	cb := calibrating(t, dir, 2, b)
	calibrating(t, dir, 3, b)
	if err := Prune(dir, 2, 0, false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ca.MainFile)); err == nil {
		t.Fatal("Prune kept a network file no checkpoint names")
	}
	if _, err := os.Stat(filepath.Join(dir, cb.MainFile)); err != nil {
		t.Fatalf("Prune removed a network file checkpoints name: %v", err)
	}
	if _, err := Read(filepath.Join(dir, Name(2))); err != nil {
		t.Fatal(err)
	}
	plain := sample()
	plain.Seq = 4
	if _, _, err := Write(dir, plain); err != nil {
		t.Fatal(err)
	}
	if err := Prune(dir, 1, 0, false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, cb.MainFile)); err == nil {
		t.Fatal("Prune kept a network file after the checkpoints naming it")
	}
	stale := filepath.Join(dir, "."+cb.MainFile+".tmp-123")
	os.WriteFile(stale, []byte("cut off"), 0o644)
	if err := RemoveStale(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Fatal("RemoveStale left a network file cut off mid-write")
	}
}
