package atomicfile

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestWriteBuffers: more buffers than one writev(2) call takes, empty ones
// among them, land back to back in the file WriteOver and WriteUnsynced
// write (whose length WriteOver counts: a shorter file over a longer
// spare is cut to it) and in any other writer, and the caller's buffers
// are left as they were.
func TestWriteBuffers(t *testing.T) {
	var bufs [][]byte
	var want []byte
	for i := range 3*maxBuffers + 7 {
		b := bytes.Repeat([]byte{byte(i)}, i%5)
		bufs = append(bufs, b)
		want = append(want, b...)
	}
	kept := slices.Clone(bufs)
	write := func(w io.Writer) error { return WriteBuffers(w, bufs) }
	dir := t.TempDir()
	spare := filepath.Join(dir, ".spare.tmp-x")
	if err := os.WriteFile(spare, bytes.Repeat([]byte{0xff}, 2*len(want)), 0o644); err != nil {
		t.Fatal(err)
	}
	over := filepath.Join(dir, "over")
	if _, err := WriteOver(spare, over, 0o644, write); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(dir, "fresh")
	if _, err := WriteUnsynced(fresh, 0o644, write); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{over, fresh} {
		if got := read(t, p); got != string(want) {
			t.Fatalf("%s: %d bytes, want %d", filepath.Base(p), len(got), len(want))
		}
	}
	var b bytes.Buffer
	if err := write(&b); err != nil || !bytes.Equal(b.Bytes(), want) {
		t.Fatalf("into a buffer: %d bytes, %v", b.Len(), err)
	}
	for i := range bufs {
		if len(bufs[i]) != len(kept[i]) || len(bufs[i]) > 0 && &bufs[i][0] != &kept[i][0] {
			t.Fatalf("buffer %d changed", i)
		}
	}
}
