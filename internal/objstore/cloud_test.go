//go:build cloud

package objstore_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/objstore"
	"github.com/dlc-dev/dlc/internal/objstore/objtest"
)

func put(t *testing.T, u, content string) {
	t.Helper()
	err := objstore.Write(context.Background(), u, func(w io.Writer) error {
		_, err := io.WriteString(w, content)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, u string, off, n int64) string {
	t.Helper()
	r, err := objstore.OpenRange(context.Background(), u, off, n)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWriteReadRange(t *testing.T) {
	s := objtest.Start(t)
	ctx := context.Background()
	u := s.URL("data/train.jsonl")
	content := strings.Repeat("0123456789", 1000)
	put(t, u, content)
	info, err := objstore.Stat(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != int64(len(content)) || info.ETag == "" {
		t.Errorf("Stat = %+v, want size %d and an ETag", info, len(content))
	}
	if got := get(t, u, 0, -1); got != content {
		t.Errorf("whole object: %d bytes, want %d", len(got), len(content))
	}
	if got := get(t, u, 4995, 7); got != content[4995:5002] {
		t.Errorf("range 4995+7 = %q, want %q", got, content[4995:5002])
	}
	if got := get(t, u, 9990, -1); got != content[9990:] {
		t.Errorf("range 9990- = %q, want %q", got, content[9990:])
	}
}

// A write that fails leaves the object as it was: absent, or the old one.
func TestWriteFailedIsNotCommitted(t *testing.T) {
	s := objtest.Start(t)
	ctx := context.Background()
	boom := errors.New("boom")
	failing := func(w io.Writer) error {
		// More than one part's worth, so some of it was sent.
		w.Write(bytes.Repeat([]byte("x"), 6<<20))
		return boom
	}
	u := s.URL("model.dlc")
	if err := objstore.Write(ctx, u, failing); !errors.Is(err, boom) {
		t.Fatalf("Write = %v, want the writer's error", err)
	}
	if _, err := objstore.Stat(ctx, u); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("after a failed write, Stat = %v, want not exist", err)
	}
	put(t, u, "the good model")
	if err := objstore.Write(ctx, u, failing); !errors.Is(err, boom) {
		t.Fatalf("Write = %v, want the writer's error", err)
	}
	if got := get(t, u, 0, -1); got != "the good model" {
		t.Errorf("after a failed write over it, the object holds %d bytes, want the old content", len(got))
	}
}

func TestNotExist(t *testing.T) {
	s := objtest.Start(t)
	u := s.URL("nothing.jsonl")
	_, err := objstore.Stat(context.Background(), u)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat = %v, want fs.ErrNotExist", err)
	}
	if want := "s3://dlc-test/nothing.jsonl does not exist"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if _, err := objstore.Open(context.Background(), u); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open = %v, want fs.ErrNotExist", err)
	}
}

func TestGlob(t *testing.T) {
	s := objtest.Start(t)
	for _, k := range []string{"shards/b.jsonl.gz", "shards/a.jsonl.gz", "shards/c.csv", "shards/sub/d.jsonl.gz", "other/e.jsonl.gz"} {
		put(t, s.URL(k), "{}\n")
	}
	got, err := objstore.Glob(context.Background(), s.URL("shards/*.jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{s.URL("shards/a.jsonl.gz"), s.URL("shards/b.jsonl.gz")}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Glob = %q, want %q", got, want)
	}
}
