package atomicfile

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"unsafe"
)

// checkedDirect stands for an O_DIRECT descriptor: it fails the test for
// a write O_DIRECT would refuse (address, offset or length not a multiple
// of align) and writes the rest through an ordinary descriptor; with
// refuse, it refuses every write as such a file system does (EINVAL).
type checkedDirect struct {
	t      *testing.T
	f      *os.File
	refuse bool
	writes *atomic.Int64
}

func (c *checkedDirect) WriteAt(p []byte, off int64) (int, error) {
	c.writes.Add(1)
	if c.refuse {
		return 0, &os.PathError{Op: "write", Path: c.f.Name(), Err: syscall.EINVAL}
	}
	if len(p) == 0 || uintptr(unsafe.Pointer(&p[0]))%align != 0 || off%align != 0 || len(p)%align != 0 {
		c.t.Errorf("an O_DIRECT write of %d bytes at offset %d is not aligned", len(p), off)
	}
	return c.f.WriteAt(p, off)
}

func (c *checkedDirect) Close() error { return c.f.Close() }

// useDirect makes the writes of the test go through a checkedDirect,
// refusing or not, and returns its count of writes; nil: through the real
// openDirect (O_DIRECT where this file system has it).
func useDirect(t *testing.T, refuse bool) *atomic.Int64 {
	var writes atomic.Int64
	was := openDirect
	t.Cleanup(func() { openDirect = was })
	openDirect = func(path string) writerAt {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		return &checkedDirect{t: t, f: f, refuse: refuse, writes: &writes}
	}
	return &writes
}

// pieces writes data in pieces of random lengths, as an encoder does.
func pieces(data []byte, seed uint64) func(io.Writer) error {
	return func(w io.Writer) error {
		r := rand.New(rand.NewPCG(seed, 1))
		for p := data; len(p) > 0; {
			k := min(len(p), 1+r.IntN(3*stageSize/2))
			if r.IntN(4) == 0 {
				k = min(len(p), 1+r.IntN(5000))
			}
			if _, err := w.Write(p[:k]); err != nil {
				return err
			}
			p = p[k:]
		}
		return nil
	}
}

// TestDirectWritesTheSameBytes: WriteUnsynced into a new file and
// WriteOver a longer and a shorter spare leave exactly the bytes written,
// whether the blocks go through O_DIRECT (checked for alignment), through
// this file system's own O_DIRECT (or its refusal at the open), or through
// the page cache after the file system refused the first O_DIRECT write;
// lengths around the alignment and the staging buffer's size.
func TestDirectWritesTheSameBytes(t *testing.T) {
	sizes := []int{0, 1, align - 1, align, align + 1, stageSize - 1, stageSize, stageSize + 1, 3*stageSize + 12345}
	r := rand.New(rand.NewPCG(7, 7))
	data := make([]byte, sizes[len(sizes)-1])
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	for _, mode := range []string{"checked", "refused", "system"} {
		t.Run(mode, func(t *testing.T) {
			var writes *atomic.Int64
			if mode != "system" {
				writes = useDirect(t, mode == "refused")
			}
			dir := t.TempDir()
			for i, n := range sizes {
				want := data[:n]
				path := filepath.Join(dir, fmt.Sprintf("new-%d", i))
				if _, err := WriteUnsynced(path, 0o644, pieces(want, uint64(i))); err != nil {
					t.Fatal(err)
				}
				checkFile(t, path, want)
				for _, extra := range []int{-1, stageSize + 3} {
					spare := filepath.Join(dir, fmt.Sprintf(".spare-%d-%d", i, extra))
					os.WriteFile(spare, bytes.Repeat([]byte{0xee}, max(0, n+extra)), 0o600)
					path := filepath.Join(dir, fmt.Sprintf("over-%d-%d", i, extra))
					if _, err := WriteOver(spare, path, 0o644, pieces(want, uint64(i))); err != nil {
						t.Fatal(err)
					}
					checkFile(t, path, want)
				}
			}
			// A file of 3 full blocks and a tail of 3 whole 4 KiB blocks
			// and 57 bytes, written 3 times: 4 O_DIRECT writes tried
			// each time while they are taken, none after the first is
			// refused.
			if want := map[string]int64{"checked": 4 * 3, "refused": 1 * 3}[mode]; writes != nil {
				writes.Store(0)
				path := filepath.Join(dir, "count")
				if _, err := WriteUnsynced(path, 0o644, pieces(data, 9)); err != nil {
					t.Fatal(err)
				}
				spare := filepath.Join(dir, ".spare-count")
				for _, p := range []string{spare, spare + "2"} {
					os.WriteFile(p, nil, 0o600)
					if _, err := WriteOver(p, path, 0o644, pieces(data, 9)); err != nil {
						t.Fatal(err)
					}
				}
				checkFile(t, path, data)
				if got := writes.Load(); got != want {
					t.Errorf("%d O_DIRECT writes tried, want %d", got, want)
				}
			}
		})
	}
}

// checkFile fails the test unless path holds want, and nothing else.
func checkFile(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: %d bytes, not the %d written", path, len(got), len(want))
	}
}

// TestDirectWriteFailureIsReturned: a write the disk fails (not a
// refusal of O_DIRECT) fails the whole write, and the temporary file is
// removed.
func TestDirectWriteFailureIsReturned(t *testing.T) {
	was := openDirect
	t.Cleanup(func() { openDirect = was })
	openDirect = func(path string) writerAt { return failing{} }
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt")
	data := make([]byte, 2*stageSize+1)
	_, err := WriteUnsynced(path, 0o644, pieces(data, 1))
	if want := "cannot write " + path + ": input/output error"; err == nil || err.Error() != want {
		t.Fatalf("error %v, want %s", err, want)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

type failing struct{}

func (failing) WriteAt(p []byte, off int64) (int, error) {
	return 0, &os.PathError{Op: "write", Path: "x", Err: syscall.EIO}
}
func (failing) Close() error { return nil }
