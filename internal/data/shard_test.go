package data

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSectionsCoverTheFile: for any line lengths (empty lines, a line
// longer than a shard, no final newline) and any number of shards, the
// shards' sections are line-aligned and, in order, are the file.
func TestSectionsCoverTheFile(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dir := t.TempDir()
	for trial := range 40 {
		var b bytes.Buffer
		for range rng.IntN(30) {
			b.WriteString(strings.Repeat("x", []int{0, 1, 5, 80, 300}[rng.IntN(5)]))
			b.WriteByte('\n')
		}
		if trial%3 == 0 {
			b.WriteString("last line without a newline")
		}
		path := filepath.Join(dir, "f.txt")
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		for n := 1; n <= 12; n++ {
			var all []byte
			for i := range n {
				r, sec, c, err := OpenSection(path, Shard{Index: i, Count: n}, false)
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(r)
				c.Close()
				if err != nil {
					t.Fatal(err)
				}
				if sec.Start > 0 && sec.Start < int64(b.Len()) && b.Bytes()[sec.Start-1] != '\n' {
					t.Fatalf("trial %d shard %d/%d starts at %d, not after a newline", trial, i, n, sec.Start)
				}
				all = append(all, got...)
			}
			if !bytes.Equal(all, b.Bytes()) {
				t.Fatalf("trial %d: %d shards concatenated are not the file", trial, n)
			}
		}
	}
}

// TestSectionFileLine: a CSV section reads the header first, and its lines
// are numbered as the file's.
func TestSectionFileLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.csv")
	os.WriteFile(path, []byte("id,text\n1,aaaaaaaa\n2,bbbbbbbb\n3,cccccccc\n4,dddddddd\n"), 0o644)
	r, sec, c, err := OpenSection(path, Shard{Index: 1, Count: 2}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got, _ := io.ReadAll(r)
	if string(got) != "id,text\n3,cccccccc\n4,dddddddd\n" {
		t.Fatalf("section read %q", got)
	}
	if sec.FileLine(1) != 1 || sec.FileLine(2) != 4 || sec.FileLine(3) != 5 {
		t.Fatalf("lines 1, 2, 3 of the section are the file's %d, %d, %d; want 1, 4, 5", sec.FileLine(1), sec.FileLine(2), sec.FileLine(3))
	}
}

func TestShardRange(t *testing.T) {
	for _, n := range []int64{0, 1, 7, 100, 1 << 62} {
		for c := 1; c <= 9; c++ {
			prev := int64(0)
			for i := range c {
				lo, hi := Shard{Index: i, Count: c}.Range(n)
				if lo != prev || hi < lo || hi-lo > n/int64(c)+1 {
					t.Fatalf("shard %d/%d of %d: [%d, %d) after %d", i, c, n, lo, hi, prev)
				}
				prev = hi
			}
			if prev != n {
				t.Fatalf("%d shards of %d end at %d", c, n, prev)
			}
		}
	}
}
