package data

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// entry is one member of a test archive.
type entry struct {
	Name string
	Body string
	Type byte   // tar.TypeReg (default), TypeDir, TypeSymlink, TypeLink, ...
	Link string // link target
	Size int64  // for zero-filled bodies: the body is Size zero bytes
}

// makeTarGz builds a gzipped tar archive in memory.
func makeTarGz(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		typ := e.Type
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: e.Name, Typeflag: typ, Linkname: e.Link, Mode: 0o644, Format: tar.FormatPAX}
		if typ == tar.TypeReg {
			h.Size = int64(len(e.Body))
			if e.Size > 0 {
				h.Size = e.Size
			}
		}
		if typ == tar.TypeDir {
			h.Mode = 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			if e.Size > 0 {
				zeros := make([]byte, 1<<20)
				for left := e.Size; left > 0; left -= int64(len(zeros)) {
					if _, err := tw.Write(zeros[:min(left, int64(len(zeros)))]); err != nil {
						t.Fatal(err)
					}
				}
			} else if _, err := tw.Write([]byte(e.Body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// makeZip builds a zip archive in memory; a TypeSymlink entry becomes a
// zip symlink (its body is the target).
func makeZip(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.Name, Method: zip.Deflate}
		body := []byte(e.Body)
		switch e.Type {
		case tar.TypeSymlink:
			h.SetMode(fs.ModeSymlink | 0o777)
			body = []byte(e.Link)
		case tar.TypeDir:
			h.Name += "/"
			h.SetMode(fs.ModeDir | 0o755)
		default:
			h.SetMode(0o644)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if e.Size > 0 {
			body = make([]byte, e.Size)
		}
		if _, err := w.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeTemp(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeData writes content to a file called name in a folder of its own,
// gzipped when the name ends in .gz, and returns its path.
func writeData(t testing.TB, name, content string) string {
	t.Helper()
	b := []byte(content)
	if strings.HasSuffix(name, ".gz") {
		b = gzipBytes(b)
	}
	return writeTemp(t, name, b)
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// tree lists every path under dir (relative, slash-separated, folders
// with a trailing slash, links as "name -> target"), sorted.
func tree(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			rel += " -> " + target
		case d.IsDir():
			rel += "/"
		}
		out = append(out, rel)
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// imdbArchive is a tiny aclImdb_v1.tar.gz: two reviews per split and
// label, plus files the converter must skip.
func imdbArchive(t testing.TB, extra ...entry) []byte {
	t.Helper()
	entries := []entry{
		{Name: "aclImdb/", Type: tar.TypeDir},
		{Name: "aclImdb/README", Body: "readme"},
		{Name: "aclImdb/train/unsup/0_0.txt", Body: "unlabelled"},
	}
	for _, split := range []string{"train", "test"} {
		for _, label := range []string{"neg", "pos"} {
			for id := 10; id >= 9; id-- { // out of order: the converter sorts by id
				entries = append(entries, entry{
					Name: fmt.Sprintf("aclImdb/%s/%s/%d_%d.txt", split, label, id, 7),
					Body: fmt.Sprintf("%s %s review %d <br />with \"quotes\" & ünïcode", split, label, id),
				})
			}
		}
	}
	return makeTarGz(t, append(entries, extra...)...)
}
