package checkpoint

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/testenv"
)

// sample is a checkpoint of the calibrating stage with every part filled,
// NaN and infinite scalars among them.
func sample() *Checkpoint {
	st := &gd.State{Epoch: 2, Pos: 16, Shuffled: true, Order: []int{2, 0, 1, 3}, Shuffle: []byte{1, 2, 3},
		EpochSteps: 1, LossSum: 1.25, Correct: 3, LearningRate: 0.01, EpochSeconds: 0.5, Steps: 5,
		History:   []gd.EpochStats{{Epoch: 1, Steps: 4, Loss: 0.7, Accuracy: 0.5, LearningRate: 0.01, ValLoss: math.NaN(), ValAccuracy: math.NaN()}},
		BestEpoch: 1, Best: 0.7, BestVal: math.NaN(), ConvBest: math.Inf(1),
		Params: []float64{1, -2, math.Copysign(0, -1), 1e-300}, BestParams: []float64{4, 3, 2, 1},
		Optimizer: gd.OptimizerState{Name: "momentum", Steps: 5, Scale: 1, Now: 4, Done: []int64{4, 5}, Behind: []int64{0, 3}, Slots: map[string][]float64{"velocity": {0.1, 0.2, 0.3, 0.4}}}}
	return &Checkpoint{DLCVersion: "test", Written: "2026-01-01T00:00:00Z", Seq: 7, Stage: Calibrating,
		ConfigPath: "/x/c.yaml", Sets: []string{"training.epochs=3"}, Config: map[string]string{"training.epochs": "3"},
		Data:     []DataFile{{Key: "data.train", Path: "t.jsonl", SHA256: "ab", Examples: 4}},
		Features: 4, Vectorizer: "cd", Dropout: []byte{9, 9},
		State: st, Main: &gd.Result{Steps: 8, Stopped: gd.StopEarly, BestEpoch: 2, Best: 0.3, Restored: true, History: st.History},
		MainParams:  []float64{5, 6, 7, 8},
		Calibration: &Calibration{Part: 2, Parts: 5, Z: []float64{0.5, -0.5}, Truth: []int{1, 0}, Uncal: []float64{0.6, 0.4}},
		Updates:     []gd.UpdateStats{{Step: 1, Epoch: 1, Examples: 2, Loss: 0.5, LearningRate: 0.01}},
	}
}

func encoded(t testing.TB, c *Checkpoint) []byte {
	var b bytes.Buffer
	if err := Encode(&b, c); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// same compares two checkpoints field by field as fmt prints them: NaN
// equal to NaN, -0 unequal to 0, maps in key order.
func same(a, b *Checkpoint) bool {
	flat := func(c *Checkpoint) string {
		top := *c
		top.State, top.Main, top.Calibration = nil, nil, nil
		return fmt.Sprintf("%v|%v|%v|%v", top, *c.State, *c.Main, *c.Calibration)
	}
	return flat(a) == flat(b)
}

// TestRoundTrip: every field reads back bit for bit (NaN, +Inf, -0).
func TestRoundTrip(t *testing.T) {
	c := sample()
	b := encoded(t, c)
	got, err := Decode(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if !same(c, got) {
		t.Fatalf("read back\n%+v\nwrote\n%+v", got, c)
	}
	if math.Signbit(got.State.Params[2]) != true || !math.IsInf(got.State.ConvBest, 1) || !math.IsNaN(got.State.BestVal) {
		t.Fatal("-0, +Inf or NaN did not survive")
	}
}

// TestPiecesSumTheWholeFile: arrays longer than a piece of summed (and
// not a multiple of it) are written whole, and the trailer is the CRC-32C
// of every byte before it.
func TestPiecesSumTheWholeFile(t *testing.T) {
	c := sample()
	st := *c.State
	st.Params = make([]float64, 3*piece/8+5)
	for i := range st.Params {
		st.Params[i] = float64(i) * 1.5
	}
	st.Optimizer.Slots = map[string][]float64{"velocity": slices.Clone(st.Params)}
	c.State = &st
	b := encoded(t, c)
	body := b[:len(b)-sumSize]
	if got, want := binary.LittleEndian.Uint32(b[len(body):]), crc32.Checksum(body, castagnoli); got != want {
		t.Fatalf("trailer %08x, the CRC-32C of the file %08x", got, want)
	}
	got, err := Decode(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if !same(c, got) {
		t.Fatal("an array of several pieces read back changed")
	}
}

// TestEveryCutAndFlipIsDetected: a file cut at any length, or with any
// byte changed, is refused as torn or corrupt.
func TestEveryCutAndFlipIsDetected(t *testing.T) {
	b := encoded(t, sample())
	for n := 0; n < len(b); n++ {
		_, err := Decode(bytes.NewReader(b[:n]), int64(n))
		if err == nil || !IsCorrupt(err) && !strings.Contains(err.Error(), "not a dlc checkpoint") {
			t.Fatalf("cut at %d of %d: %v", n, len(b), err)
		}
	}
	for i := range b {
		c := bytes.Clone(b)
		c[i] ^= 0x20
		if _, err := Decode(bytes.NewReader(c), int64(len(c))); err == nil {
			t.Fatalf("byte %d changed: read without an error", i)
		}
	}
}

// TestNewestFallsBack: the newest whole checkpoint is read, a torn newer
// one passed over and reported; Prune keeps the last K; the numbering
// goes on above the torn one; Prune keeps a pinned old one.
func TestNewestFallsBack(t *testing.T) {
	dir := t.TempDir()
	if _, _, _, err := Newest(dir); err == nil || !strings.Contains(err.Error(), "no checkpoint") {
		t.Fatalf("empty folder: %v", err)
	}
	for seq := 1; seq <= 5; seq++ {
		c := sample()
		c.Seq = seq
		_, sync, err := Write(dir, c)
		if err != nil {
			t.Fatal(err)
		}
		if err := sync(); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644)
	if err := Prune(dir, 3, 1, false); err != nil {
		t.Fatal(err)
	}
	if list, _ := List(dir); len(list) != 4 || list[0].Seq != 1 || list[1].Seq != 3 {
		t.Fatalf("after Prune(3) pinning 1: %v", list)
	}
	os.Remove(filepath.Join(dir, Name(5)))
	stale := filepath.Join(dir, "."+Name(5)+".tmp-123")
	os.WriteFile(stale, []byte("cut off"), 0o644)
	if err := RemoveStale(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Fatal("RemoveStale left a cut-off temporary file")
	}
	if err := Prune(dir, 2, 0, false); err != nil {
		t.Fatal(err)
	}
	list, _ := List(dir)
	if len(list) != 2 || list[0].Seq != 3 {
		t.Fatalf("after Prune(2): %v", list)
	}
	if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil {
		t.Fatal("Prune removed a file that is not a checkpoint")
	}
	newest := filepath.Join(dir, Name(4))
	fi, _ := os.Stat(newest)
	os.Truncate(newest, fi.Size()/2)
	c, path, skipped, err := Newest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Seq != 3 || path != filepath.Join(dir, Name(3)) || len(skipped) != 1 || skipped[0].Path != newest {
		t.Fatalf("got seq %d from %s, skipped %v", c.Seq, path, skipped)
	}
	if n, _ := NextSeq(dir); n != 5 {
		t.Fatalf("NextSeq = %d, want 5", n)
	}
}

// TestMain: see testenv.BoundMinimizing.
func TestMain(m *testing.M) {
	testenv.BoundMinimizing()
	os.Exit(m.Run())
}

// reseal returns b with its CRC-32C trailer made to match the rest: the
// checksum guards against a torn or damaged file, not one made to harm.
func reseal(b []byte) []byte {
	if len(b) < sumSize {
		return b
	}
	out := slices.Clone(b)
	binary.LittleEndian.PutUint32(out[len(out)-sumSize:], crc32.Checksum(out[:len(out)-sumSize], castagnoli))
	return out
}

// FuzzDecode: no input makes Decode panic or allocate beyond what the
// input's size allows; what it accepts encodes again. Each input is
// decoded as it is and resealed, with a checksum that matches: without
// that, the fuzzer's changes almost never pass the CRC-32C, and the
// metadata and the arrays' assembly behind it are never reached. Each is
// also read as a network file (see WriteNetwork).
func FuzzDecode(f *testing.F) {
	f.Add(encoded(f, sample()))
	named := sample()
	named.MainFile, named.MainSHA256 = networkName(NetworkSum(named.MainParams)), NetworkSum(named.MainParams)
	f.Add(encoded(f, named))
	s := sample()
	s.Stage, s.Main, s.MainParams, s.Calibration, s.Updates = Training, nil, nil, nil, nil
	f.Add(encoded(f, s))
	s.State = nil
	f.Add(encoded(f, s))
	f.Add([]byte(magic))
	var net bytes.Buffer
	a := newArrays()
	a.putF64("params", named.MainParams)
	if err := encode(&net, networkFormat, networkMeta{SHA256: named.MainSHA256}, a); err != nil {
		f.Fatal(err)
	}
	f.Add(net.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, b := range [][]byte{b, reseal(b)} {
			var m networkMeta
			decode(bytes.NewReader(b), int64(len(b)), networkFormat, &m)
			c, err := Decode(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				continue
			}
			var again bytes.Buffer
			if err := Encode(&again, c); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestPortableLayout: the word-by-word path of a big-endian machine writes
// and reads the same bytes as the memory view of a little-endian one.
func TestPortableLayout(t *testing.T) {
	if !littleEndian {
		t.Skip("the memory view is the little-endian machines' path")
	}
	want := encoded(t, sample())
	littleEndian = false
	defer func() { littleEndian = true }()
	got := encoded(t, sample())
	if !bytes.Equal(got, want) {
		t.Fatal("the portable path writes other bytes")
	}
	c, err := Decode(bytes.NewReader(got), int64(len(got)))
	if err != nil {
		t.Fatal(err)
	}
	if !same(c, sample()) {
		t.Fatal("the portable path reads other values")
	}
}

// BenchmarkWrite writes a checkpoint of the IMDB recipe's size (436,963
// features × 32 units of weights, and Adagrad's sum beside them: 224 MB)
// into a file and waits for the disk.
func BenchmarkWrite(b *testing.B) {
	n := 436963*32 + 32 + 32*2 + 2
	st := *sample().State
	st.Params, st.BestParams = make([]float64, n), nil
	st.Optimizer = gd.OptimizerState{Name: "adagrad", Scale: 1, Slots: map[string][]float64{"acc": make([]float64, n)}}
	c := &Checkpoint{Stage: Training, State: &st}
	dir := b.TempDir()
	b.SetBytes(int64(16 * n))
	for i := range b.N {
		c.Seq = i
		_, sync, err := Write(dir, c)
		if err != nil {
			b.Fatal(err)
		}
		if err := sync(); err != nil {
			b.Fatal(err)
		}
		if err := Prune(dir, 1, 0, false); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPruneRecycles: Prune with recycle keeps the newest checkpoint it
// would remove as the spare (hidden from List), Write writes over it —
// a shorter checkpoint over a longer one reads back whole — and
// RemoveSpare removes it; a spare cut off mid-write is RemoveStale's.
func TestPruneRecycles(t *testing.T) {
	dir := t.TempDir()
	big := sample()
	big.State.Params = make([]float64, 10000)
	for seq := 1; seq <= 3; seq++ {
		big.Seq = seq
		if _, _, err := Write(dir, big); err != nil {
			t.Fatal(err)
		}
	}
	if err := Prune(dir, 1, 0, true); err != nil {
		t.Fatal(err)
	}
	spare := filepath.Join(dir, spareNames[0])
	if list, _ := List(dir); len(list) != 1 || list[0].Seq != 3 {
		t.Fatalf("after Prune(1) recycling: %v", list)
	}
	if _, err := os.Stat(spare); err != nil {
		t.Fatalf("no spare: %v", err)
	}
	small := sample()
	small.Seq = 4
	path, _, err := Write(dir, small)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(spare); err == nil {
		t.Fatal("Write left the spare")
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !same(got, small) {
		t.Fatal("the checkpoint written over the spare reads back differently")
	}
	if fi, _ := os.Stat(path); fi.Size() != int64(len(encoded(t, small))) {
		t.Fatalf("%d bytes, want %d", fi.Size(), len(encoded(t, small)))
	}
	if err := Prune(dir, 1, 0, true); err != nil {
		t.Fatal(err)
	}
	if err := RemoveSpare(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(spare); err == nil {
		t.Fatal("RemoveSpare left the spare")
	}
	os.WriteFile(spare, []byte("cut off"), 0o644)
	if err := RemoveStale(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(spare); err == nil {
		t.Fatal("RemoveStale left a spare cut off mid-write")
	}
}

// TestResealReachesPastTheChecksum: a checkpoint changed in its metadata
// fails its checksum as it is and, resealed, is judged by its contents
// (else FuzzDecode would fuzz little but the CRC-32C).
func TestResealReachesPastTheChecksum(t *testing.T) {
	b := encoded(t, sample())
	i := bytes.Index(b, []byte(`"seq":`))
	if i < 0 {
		t.Fatal("no seq in the header")
	}
	b[i+1] = 'x' // "xeq": the header's JSON still parses
	if _, err := Decode(bytes.NewReader(b), int64(len(b))); err == nil || !strings.Contains(err.Error(), "its checksum does not match") {
		t.Fatalf("changed, not resealed: %v", err)
	}
	sealed := reseal(b)
	if _, err := Decode(bytes.NewReader(sealed), int64(len(sealed))); err != nil && strings.Contains(err.Error(), "checksum") {
		t.Fatalf("resealed: %v", err)
	}
}

// TestFormatVersions: a checkpoint of format 2 or 1 (before adam's row
// counters) is read as it was written; one newer than this dlc's is
// refused, saying so.
func TestFormatVersions(t *testing.T) {
	b := encoded(t, sample())
	cur := []byte(`"format_version":3,`)
	if !bytes.Contains(b, cur) {
		t.Fatalf("the header lacks %s", cur)
	}
	for _, v := range []string{"2", "1"} {
		old := reseal(bytes.Replace(b, cur, []byte(`"format_version":`+v+`,`), 1))
		c, err := Decode(bytes.NewReader(old), int64(len(old)))
		if err != nil || !same(c, sample()) {
			t.Fatalf("format %s: %v", v, err)
		}
	}
	newer := reseal(bytes.Replace(b, cur, []byte(`"format_version":4,`), 1))
	_, err := Decode(bytes.NewReader(newer), int64(len(newer)))
	if want := "has format version 4, which this dlc (format 3) cannot read; use a newer dlc"; err == nil || err.Error() != want {
		t.Fatalf("format 4: %v, want %q", err, want)
	}
}

// TestPruneKeepsTwoSpares: when the pinned (fsynced) checkpoint is no
// longer pinned, Prune makes it the second spare instead of removing it,
// and the writes that follow go over the spares' files (the same files,
// their pages cached) until none is left.
func TestPruneKeepsTwoSpares(t *testing.T) {
	dir := t.TempDir()
	c := sample()
	write := func(seq int) string {
		c.Seq = seq
		path, _, err := Write(dir, c)
		if err != nil {
			t.Fatal(err)
		}
		return path
	}
	for seq := 1; seq <= 4; seq++ {
		write(seq)
	}
	// Keep 2, 1 pinned: 2 becomes the spare.
	if err := Prune(dir, 2, 1, true); err != nil {
		t.Fatal(err)
	}
	// 5 is fsynced and pinned now: 3 and 1 are no longer wanted.
	write(5)
	if err := Prune(dir, 2, 5, true); err != nil {
		t.Fatal(err)
	}
	if list, _ := List(dir); fmt.Sprint(list) != fmt.Sprint([]Entry{{4, filepath.Join(dir, Name(4))}, {5, filepath.Join(dir, Name(5))}}) {
		t.Fatalf("after Prune(2) pinning 5: %v", list)
	}
	var spares []os.FileInfo
	for _, name := range spareNames {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("spare %s: %v", name, err)
		}
		spares = append(spares, fi)
	}
	for i, seq := range []int{6, 7} {
		fi, err := os.Stat(write(seq))
		if err != nil {
			t.Fatal(err)
		}
		if !os.SameFile(fi, spares[i]) {
			t.Fatalf("checkpoint %d was not written over spare %d", seq, i+1)
		}
	}
	if err := RemoveSpare(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range spareNames {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Fatalf("RemoveSpare left %s", name)
		}
	}
}
