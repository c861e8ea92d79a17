//go:build cloud

package data

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/objstore"
	"github.com/dlc-dev/dlc/internal/objstore/objtest"
)

func putObject(t *testing.T, u string, b []byte) {
	t.Helper()
	err := objstore.Write(context.Background(), u, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestReadObject: an object (plain and gzipped) reads as the same file on
// disk does, and a missing one is a missing data file.
func TestReadObject(t *testing.T) {
	s := objtest.Start(t)
	var b bytes.Buffer
	for i := range 500 {
		fmt.Fprintf(&b, "{\"text\": \"review %d %s\", \"label\": \"%s\"}\n", i, strings.Repeat("w", i%37), []string{"pos", "neg"}[i%2])
	}
	local := filepath.Join(t.TempDir(), "train.jsonl")
	os.WriteFile(local, b.Bytes(), 0o644)
	want, err := Read(local, Fields{})
	if err != nil {
		t.Fatal(err)
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(b.Bytes())
	zw.Close()
	putObject(t, s.URL("d/train.jsonl"), b.Bytes())
	putObject(t, s.URL("d/train.jsonl.gz"), z.Bytes())
	for _, u := range []string{s.URL("d/train.jsonl"), s.URL("d/train.jsonl.gz")} {
		got, err := Read(u, Fields{})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(got.Texts, "\n") != strings.Join(want.Texts, "\n") || strings.Join(got.Labels, " ") != strings.Join(want.Labels, " ") {
			t.Errorf("%s: %d examples differ from the file's %d", u, got.Len(), want.Len())
		}
	}
	_, err = Read(s.URL("d/none.jsonl"), Fields{})
	if want := "data file s3://dlc-test/d/none.jsonl does not exist"; err == nil || err.Error() != want {
		t.Errorf("missing object: %v, want %q", err, want)
	}
}

// TestObjectSections: an object's shards, read by byte ranges, are the
// same sections as the file's, for lines longer than one range request.
func TestObjectSections(t *testing.T) {
	s := objtest.Start(t)
	var b bytes.Buffer
	b.WriteString("text,label\n")
	for i := range 300 {
		n := []int{3, 40, 900, 150_000}[i%4*(i%7)%4]
		fmt.Fprintf(&b, "%s %d,%d\n", strings.Repeat("t", n), i, i%3)
	}
	u := s.URL("big.csv")
	putObject(t, u, b.Bytes())
	local := filepath.Join(t.TempDir(), "big.csv")
	os.WriteFile(local, b.Bytes(), 0o644)
	for _, n := range []int{1, 2, 7, 16} {
		var all []string
		for i := range n {
			read := func(path string) (string, *Section) {
				r, sec, c, err := OpenSection(path, Shard{Index: i, Count: n}, true)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				got, err := io.ReadAll(r)
				if err != nil {
					t.Fatal(err)
				}
				return string(got), sec
			}
			got, sec := read(u)
			want, wsec := read(local)
			if got != want || sec.Start != wsec.Start || sec.End != wsec.End {
				t.Fatalf("shard %d/%d of the object: bytes %d-%d (%d read), of the file %d-%d (%d)", i, n, sec.Start, sec.End, len(got), wsec.Start, wsec.End, len(want))
			}
			var texts []string
			err := EachSection(u, Shard{Index: i, Count: n}, Fields{}, func(text, label string) error {
				texts = append(texts, text+"\t"+label)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, texts...)
		}
		if len(all) != 300 {
			t.Errorf("%d shards read %d examples, want 300", n, len(all))
		}
	}
}
