package checkpoint

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// mapperOr returns a Mapper writing into dir, skipping the test where
// files are not mapped.
func mapperOr(t testing.TB, dir string) *Mapper {
	m := NewMapper(dir)
	if m == nil {
		t.Skip("files are not mapped in memory here")
	}
	return m
}

// mapped writes c with a Mapper into dir and returns the file's path.
func mapped(t testing.TB, m *Mapper, c *Checkpoint) string {
	t.Helper()
	d, err := m.Begin(c)
	if err != nil {
		t.Fatal(err)
	}
	path, _, err := d.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// encodedAligned is c as a version 4 file.
func encodedAligned(t testing.TB, c *Checkpoint) []byte {
	m := mapperOr(t, t.TempDir())
	defer m.Close()
	b, err := os.ReadFile(mapped(t, m, c))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// headerOf parses a file's header.
func headerOf(t *testing.T, b []byte) (header, uint64) {
	t.Helper()
	hl := binary.LittleEndian.Uint64(b[8:])
	var h header
	if err := json.Unmarshal(b[16:16+hl], &h); err != nil {
		t.Fatal(err)
	}
	return h, 16 + hl
}

// TestAlignedLayout: a Mapper's file is version 4, each array at a page's
// start holding its values little-endian, zeros between, the sums in
// place; it reads back as written.
func TestAlignedLayout(t *testing.T) {
	c := sample()
	c.State.Params = make([]float64, 3000) // past a page
	for i := range c.State.Params {
		c.State.Params[i] = float64(i) - 0.5
	}
	b := encodedAligned(t, c)
	h, head := headerOf(t, b)
	if h.FormatVersion != 4 {
		t.Fatalf("format version %d, want 4", h.FormatVersion)
	}
	_, a := pack(c)
	at := head + uint64(sumSize*(len(h.Arrays)+1))
	n := sumSize * len(h.Arrays)
	sums := b[head : head+uint64(n)]
	if got, want := binary.LittleEndian.Uint32(b[head+uint64(n):]), crc32.Checksum(b[:head+uint64(n)], castagnoli); got != want {
		t.Fatalf("header's sum %08x, want %08x", got, want)
	}
	for i, ar := range h.Arrays {
		off := (at + alignment - 1) / alignment * alignment
		if off%alignment != 0 {
			t.Fatalf("array %s at %d", ar.Name, off)
		}
		if slices.ContainsFunc(b[at:off], func(x byte) bool { return x != 0 }) {
			t.Fatalf("bytes before array %s are not zero", ar.Name)
		}
		var want []byte
		switch ar.DType {
		case "f64":
			want = f64Bytes(a.f64[ar.Name])
		case "i64":
			want = i64Bytes(a.i64[ar.Name])
		default:
			want = a.u8[ar.Name]
		}
		got := b[off : off+uint64(len(want))]
		if !bytes.Equal(got, want) {
			t.Fatalf("array %s differs at its offset %d", ar.Name, off)
		}
		if s := binary.LittleEndian.Uint32(sums[sumSize*i:]); s != crc32.Checksum(got, castagnoli) {
			t.Fatalf("array %s: sum %08x", ar.Name, s)
		}
		at = off + uint64(len(want))
	}
	if at != uint64(len(b)) {
		t.Fatalf("%d bytes, the last array ends at %d", len(b), at)
	}
	got, err := Decode(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if !same(c, got) {
		t.Fatal("read back differently")
	}
}

// TestAlignedCutAndFlipAreDetected: a version 4 file cut at any length,
// or with any byte changed (the padding's too), is refused.
func TestAlignedCutAndFlipAreDetected(t *testing.T) {
	b := encodedAligned(t, sample())
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
			t.Fatalf("byte %d of %d changed: read without an error", i, len(b))
		}
	}
	longer := append(bytes.Clone(b), 0)
	if _, err := Decode(bytes.NewReader(longer), int64(len(longer))); !IsCorrupt(err) {
		t.Fatalf("a byte beyond the last array: %v", err)
	}
}

// TestDraftTakesCopiedArrays: the weights copied into the places F64
// gives, and summed by the caller (Summed), are what the file holds, its
// sum the caller's: a wrong one makes the file corrupt. The Mapper writes
// over the spare Prune left, the same file, mapped once.
func TestDraftTakesCopiedArrays(t *testing.T) {
	dir := t.TempDir()
	m := mapperOr(t, dir)
	defer m.Close()
	c := sample()
	params := make([]float64, 5000)
	for i := range params {
		params[i] = float64(i) / 3
	}
	write := func(seq int, sum func(uint32) uint32) string {
		c.Seq = seq
		st := *c.State
		st.Params = params // the trainer's, for Begin's lengths
		c.State = &st
		d, err := m.Begin(c)
		if err != nil {
			t.Fatal(err)
		}
		dst := d.F64("params")
		if len(dst) != len(params) {
			t.Fatalf("F64 gave %d values, want %d", len(dst), len(params))
		}
		copy(dst, params)
		st.Params = dst
		d.Summed("params", sum(SumF64(0, dst)))
		path, _, err := d.Commit()
		if err != nil {
			t.Fatal(err)
		}
		return path
	}
	p1 := write(1, func(s uint32) uint32 { return s })
	got, err := Read(p1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.State.Params, params) {
		t.Fatal("the weights copied into the file read back differently")
	}
	write(2, func(s uint32) uint32 { return s })
	if err := Prune(dir, 1, 0, true); err != nil {
		t.Fatal(err)
	}
	spare, _ := os.Stat(filepath.Join(dir, spareNames[0]))
	p3 := write(3, func(s uint32) uint32 { return s ^ 1 })
	if st, _ := os.Stat(p3); !os.SameFile(st, spare) {
		t.Fatal("the Mapper did not write over the spare")
	}
	if len(m.kept) != 2 {
		t.Fatalf("%d files kept mapped, want 2", len(m.kept))
	}
	if _, err := Read(p3); !IsCorrupt(err) {
		t.Fatalf("a file whose weights' sum is wrong: %v", err)
	}
	c2, path, skipped, err := Newest(dir)
	if err != nil || c2.Seq != 2 || len(skipped) != 1 {
		t.Fatalf("Newest: %v from %s, skipped %v", err, path, skipped)
	}
	// Removed, a file is no longer kept mapped.
	if err := Prune(dir, 1, 0, false); err != nil {
		t.Fatal(err)
	}
	write(4, func(s uint32) uint32 { return s })
	if len(m.kept) != 2 {
		t.Fatalf("%d files kept mapped after 2 was removed, want 2", len(m.kept))
	}
}

// TestMixedVersionsFallBack: a folder of version 3 (Write) and version 4
// (Mapper) checkpoints, the newest of each truncated in turn, resumes
// from the newest whole one; a Mapper writes over a version 3 spare, and
// Write over a version 4 one, longer and shorter.
func TestMixedVersionsFallBack(t *testing.T) {
	dir := t.TempDir()
	m := mapperOr(t, dir)
	defer m.Close()
	big := sample()
	big.State.Params = make([]float64, 20000)
	for seq := 1; seq <= 6; seq++ {
		c := sample()
		if seq%3 == 0 {
			c = big
		}
		c.Seq = seq
		if seq%2 == 0 {
			mapped(t, m, c)
		} else if _, _, err := Write(dir, c); err != nil {
			t.Fatal(err)
		}
		if err := Prune(dir, 3, 0, true); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []int{5, 4} {
		newest := filepath.Join(dir, Name(want+1))
		fi, _ := os.Stat(newest)
		os.Truncate(newest, fi.Size()-1)
		c, _, skipped, err := Newest(dir)
		if err != nil || c.Seq != want || len(skipped) != 1 {
			t.Fatalf("newest %d truncated: %v, seq %v, skipped %v", want+1, err, c, skipped)
		}
		if want == 5 && !same(c, func() *Checkpoint { s := sample(); s.Seq = 5; return s }()) {
			t.Fatal("the version 3 checkpoint read back differently")
		}
		os.Remove(newest)
	}
}
