package data

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var smallLimits = Limits{MaxBytes: 1 << 20, MaxFiles: 100}

func TestExtractTarGzKeepsSafeArchives(t *testing.T) {
	archive := writeTemp(t, "ok.tar.gz", makeTarGz(t,
		entry{Name: "top/", Type: tar.TypeDir},
		entry{Name: "top/a.txt", Body: "alpha"},
		entry{Name: "top/sub/b.txt", Body: "beta"}, // its folder has no entry of its own
		entry{Name: "./top/c.txt", Body: "gamma"},
		entry{Name: "top/link", Type: tar.TypeSymlink, Link: "sub/b.txt"},
		entry{Name: "top/hard", Type: tar.TypeLink, Link: "top/a.txt"},
		entry{Name: "top/a.txt", Body: "alpha, again"}, // tar may repeat a path: the last wins
	))
	dir := t.TempDir()
	if err := ExtractTarGz(archive, dir, smallLimits); err != nil {
		t.Fatal(err)
	}
	want := []string{"top/", "top/a.txt", "top/c.txt", "top/hard", "top/link -> sub/b.txt", "top/sub/", "top/sub/b.txt"}
	if got := tree(t, dir); !slices.Equal(got, want) {
		t.Errorf("unpacked %q, want %q", got, want)
	}
	for name, body := range map[string]string{"top/a.txt": "alpha, again", "top/link": "beta", "top/hard": "alpha"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(b) != body {
			t.Errorf("%s holds %q (%v), want %q", name, b, err, body)
		}
	}
}

// TestExtractRefusesUnsafeArchives: every way out of the target folder is
// refused with one sentence naming the archive and the entry, and nothing
// is written outside.
func TestExtractRefusesUnsafeArchives(t *testing.T) {
	cases := []struct {
		name    string
		entries []entry
		want    string
	}{
		{"dotdot", []entry{{Name: "ok.txt", Body: "x"}, {Name: "../evil.txt", Body: "pwned"}},
			`its entry "../evil.txt" climbs out of the target folder with ..`},
		{"inner dotdot", []entry{{Name: "a/../../evil.txt", Body: "pwned"}},
			`its entry "a/../../evil.txt" climbs out of the target folder with ..`},
		{"harmless dotdot", []entry{{Name: "a/../b.txt", Body: "x"}},
			`its entry "a/../b.txt" climbs out of the target folder with ..`},
		{"absolute", []entry{{Name: "/tmp/evil.txt", Body: "pwned"}},
			`its entry "/tmp/evil.txt" is an absolute path`},
		{"backslash", []entry{{Name: `..\evil.txt`, Body: "pwned"}},
			`its entry "..\\evil.txt" contains a backslash`},
		{"symlink out", []entry{{Name: "link", Type: tar.TypeSymlink, Link: "../outside"}},
			`its entry "link" is a link leading out of the target folder (../outside)`},
		{"symlink absolute", []entry{{Name: "etc", Type: tar.TypeSymlink, Link: "/etc"}},
			`its entry "etc" is a link to an absolute path (/etc)`},
		{"symlink then write through it", []entry{{Name: "dir", Type: tar.TypeSymlink, Link: "/tmp"}, {Name: "dir/evil.txt", Body: "pwned"}},
			`its entry "dir" is a link to an absolute path (/tmp)`},
		{"symlink chain", []entry{{Name: "b", Type: tar.TypeSymlink, Link: "."}, {Name: "a", Type: tar.TypeSymlink, Link: "b/.."}},
			`its entry "a" is a link leading out of the target folder`},
		{"hard link out", []entry{{Name: "passwd", Type: tar.TypeLink, Link: "../../etc/passwd"}},
			`its entry "passwd" is a hard link leading out of the target folder (../../etc/passwd)`},
		{"device", []entry{{Name: "null", Type: tar.TypeChar}},
			`its entry "null" is a special file (tar type '3'), which no dataset holds`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			parent := t.TempDir()
			archive := writeTemp(t, "evil.tar.gz", makeTarGz(t, c.entries...))
			dir := filepath.Join(parent, "target")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			err := ExtractTarGz(archive, dir, smallLimits)
			var ue *UnsafeArchiveError
			if !errors.As(err, &ue) {
				t.Fatalf("got %v, want an UnsafeArchiveError", err)
			}
			if want := "refusing " + archive + ": " + c.want; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("message\n%s\nwant it to start\n%s", err, want)
			}
			if got := tree(t, parent); slices.ContainsFunc(got, func(p string) bool { return !strings.HasPrefix(p, "target") }) {
				t.Errorf("something was written outside the target: %q", got)
			}
			if _, err := os.Lstat("/tmp/evil.txt"); err == nil && c.name != "absolute" {
				t.Errorf("/tmp/evil.txt exists")
			}
		})
	}
}

// TestExtractRefusesBombs: more bytes or more files than the limits allow
// are refused, before they are all written.
func TestExtractRefusesBombs(t *testing.T) {
	// 64 MiB of zeros gzip to 64 kB: a 1000:1 bomb against a 1 MiB limit.
	bomb := makeTarGz(t, entry{Name: "zeros", Size: 64 << 20})
	if len(bomb) > 200<<10 {
		t.Fatalf("the bomb is %d bytes; it should be tiny", len(bomb))
	}
	archive := writeTemp(t, "bomb.tar.gz", bomb)
	dir := t.TempDir()
	err := ExtractTarGz(archive, dir, smallLimits)
	want := "refusing " + archive + ": it unpacks to more than 1.0 MiB (a decompression bomb, or not the dataset's archive)"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	if got := tree(t, dir); len(got) != 0 {
		t.Errorf("the bomb left %q", got)
	}

	var many []entry
	for i := range 101 {
		many = append(many, entry{Name: strings.Repeat("x", i+1)})
	}
	archive = writeTemp(t, "many.tar.gz", makeTarGz(t, many...))
	err = ExtractTarGz(archive, t.TempDir(), smallLimits)
	want = "refusing " + archive + ": it holds more than 100 entries (a decompression bomb, or not the dataset's archive)"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}

	// Many small files that add up.
	var sum []entry
	for i := range 5 {
		sum = append(sum, entry{Name: strings.Repeat("y", i+1), Size: 300 << 10})
	}
	archive = writeTemp(t, "sum.tar.gz", makeTarGz(t, sum...))
	var tl *TooLargeError
	if err := ExtractTarGz(archive, t.TempDir(), smallLimits); !errors.As(err, &tl) {
		t.Errorf("5 x 300 kB against a 1 MiB limit: got %v, want a TooLargeError", err)
	}
}

func TestExtractTarGzBrokenArchives(t *testing.T) {
	good := makeTarGz(t, entry{Name: "a.txt", Body: strings.Repeat("a", 5000)})
	notGz := writeTemp(t, "plain.tar.gz", []byte("just text"))
	if err := ExtractTarGz(notGz, t.TempDir(), smallLimits); err == nil || !strings.Contains(err.Error(), "plain.tar.gz is not a gzip archive") {
		t.Errorf("got %v", err)
	}
	cut := writeTemp(t, "cut.tar.gz", good[:len(good)/2])
	if err := ExtractTarGz(cut, t.TempDir(), smallLimits); err == nil {
		t.Error("a truncated archive was unpacked without error")
	}
}

func TestExtractZip(t *testing.T) {
	archive := writeTemp(t, "ok.zip", makeZip(t,
		entry{Name: "d", Type: tar.TypeDir},
		entry{Name: "d/a.txt", Body: "alpha"},
		entry{Name: "d/l", Type: tar.TypeSymlink, Link: "a.txt"},
	))
	dir := t.TempDir()
	if err := ExtractZip(archive, dir, smallLimits); err != nil {
		t.Fatal(err)
	}
	if got, want := tree(t, dir), []string{"d/", "d/a.txt", "d/l -> a.txt"}; !slices.Equal(got, want) {
		t.Errorf("unpacked %q, want %q", got, want)
	}

	cases := []struct {
		name    string
		entries []entry
		want    string
	}{
		{"dotdot", []entry{{Name: "../evil.txt", Body: "pwned"}}, `its entry "../evil.txt" climbs out of the target folder with ..`},
		{"absolute", []entry{{Name: "/evil.txt", Body: "pwned"}}, `its entry "/evil.txt" is an absolute path`},
		{"symlink out", []entry{{Name: "l", Type: tar.TypeSymlink, Link: "../../etc"}}, `its entry "l" is a link leading out of the target folder (../../etc)`},
		{"bomb", []entry{{Name: "zeros", Size: 8 << 20}}, `it unpacks to more than 1.0 MiB`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "target")
			os.Mkdir(dir, 0o755)
			archive := writeTemp(t, "evil.zip", makeZip(t, c.entries...))
			err := ExtractZip(archive, dir, smallLimits)
			if want := "refusing " + archive + ": " + c.want; err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Errorf("got %v\nwant %s", err, want)
			}
			if got := tree(t, parent); slices.ContainsFunc(got, func(p string) bool { return !strings.HasPrefix(p, "target") }) {
				t.Errorf("something was written outside the target: %q", got)
			}
		})
	}
}

func TestGunzip(t *testing.T) {
	src := writeTemp(t, "x.gz", gzipBytes([]byte("hello")))
	dst := filepath.Join(t.TempDir(), "x")
	if err := Gunzip(src, dst, 10); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "hello" {
		t.Errorf("got %q", b)
	}

	bomb := writeTemp(t, "bomb.gz", gzipBytes(make([]byte, 4<<20)))
	out := t.TempDir()
	err := Gunzip(bomb, filepath.Join(out, "bomb"), 1<<20)
	if want := "refusing " + bomb + ": it unpacks to more than 1.0 MiB (a decompression bomb, or not the dataset's archive)"; err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	if got := tree(t, out); len(got) != 0 {
		t.Errorf("a refused gunzip left %q", got)
	}
}

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"a", "a/b", "a/b/", "./a", "a/./b", "a..b", "..a", "a/..b/c"} {
		if err := checkName("x", ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "..", "../a", "a/..", "a/../b", "/a", `a\b`, "C:/x", "a\x00b"} {
		if err := checkName("x", bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Unpack works in a temporary folder: the destination appears complete or
// not at all.
func TestUnpack(t *testing.T) {
	parent := t.TempDir()
	good := writeTemp(t, "good.tgz", makeTarGz(t, entry{Name: "a/b.txt", Body: "b"}))
	dest := filepath.Join(parent, "out")
	if err := Unpack(good, dest, smallLimits); err != nil {
		t.Fatal(err)
	}
	if got := tree(t, parent); !slices.Equal(got, []string{"out/", "out/a/", "out/a/b.txt"}) {
		t.Errorf("unpacked %q", got)
	}
	if err := Unpack(good, dest, smallLimits); err == nil || !strings.HasSuffix(err.Error(), "it exists already") {
		t.Errorf("unpacking over an existing folder: %v", err)
	}

	one := writeTemp(t, "notes.txt.gz", gzipBytes([]byte("plain")))
	if err := Unpack(one, filepath.Join(parent, "notes"), smallLimits); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(parent, "notes", "notes.txt")); string(b) != "plain" {
		t.Errorf("gunzipped %q", b)
	}

	for _, bad := range []string{
		writeTemp(t, "evil.tar.gz", makeTarGz(t, entry{Name: "ok.txt", Body: "x"}, entry{Name: "../evil", Body: "x"})),
		writeTemp(t, "bomb.zip", makeZip(t, entry{Name: "ok.txt", Body: "x"}, entry{Name: "z", Size: 4 << 20})),
		writeTemp(t, "data.rar", []byte("x")),
	} {
		before := tree(t, parent)
		if err := Unpack(bad, filepath.Join(parent, "bad"), smallLimits); err == nil {
			t.Errorf("%s unpacked", bad)
		}
		if after := tree(t, parent); !slices.Equal(after, before) {
			t.Errorf("a refused %s left %q", filepath.Base(bad), after)
		}
	}
}

// FuzzExtractTarGz: whatever two entries an archive holds (any names, any
// link targets, files, folders, symbolic and hard links, in any order),
// extraction never panics and never creates anything outside its target
// folder. The target sits four folders deep in a sandbox, so an escape by
// a few ".." lands where the test can see it. (Absolute names are refused
// before anything is written: TestExtractRefusesUnsafeArchives.)
func FuzzExtractTarGz(f *testing.F) {
	f.Add("a", byte(0), "", "b/c.txt", byte(0), "", "x")
	f.Add("../evil", byte(0), "", "ok", byte(1), "", "x")
	f.Add("l", byte(2), "..", "l/evil", byte(0), "", "pwned")
	f.Add("l", byte(2), "/tmp", "l/evil", byte(0), "", "pwned")
	f.Add("d", byte(1), "", "d/h", byte(3), "../../../../x", "")
	f.Add("l", byte(2), "a/../../..", "l/x", byte(0), "", "pwned")
	f.Add("h", byte(3), "h", "h", byte(2), "h", "")
	f.Fuzz(func(t *testing.T, name1 string, type1 byte, link1 string, name2 string, type2 byte, link2 string, body string) {
		types := []byte{tar.TypeReg, tar.TypeDir, tar.TypeSymlink, tar.TypeLink}
		for _, n := range []string{name1, name2, link1, link2} {
			// The archive/tar writer refuses these, or they would only
			// test the tar library.
			if strings.ContainsRune(n, 0) || len(n) > 200 {
				return
			}
		}
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		tw := tar.NewWriter(zw)
		for _, e := range []entry{{Name: name1, Type: types[int(type1)%4], Link: link1}, {Name: name2, Type: types[int(type2)%4], Link: link2, Body: body}} {
			h := &tar.Header{Name: e.Name, Typeflag: e.Type, Linkname: e.Link, Mode: 0o644, Format: tar.FormatPAX}
			if e.Type == tar.TypeReg {
				h.Size = int64(len(e.Body))
			}
			if tw.WriteHeader(h) != nil {
				return
			}
			if e.Type == tar.TypeReg {
				tw.Write([]byte(e.Body))
			}
		}
		tw.Close()
		zw.Close()
		archive := filepath.Join(t.TempDir(), "f.tar.gz")
		if err := os.WriteFile(archive, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		sandbox := t.TempDir()
		target := filepath.Join(sandbox, "a", "b", "c", "out")
		if err := os.MkdirAll(target, 0o755); err != nil {
			t.Fatal(err)
		}
		ExtractTarGz(archive, target, smallLimits)
		got := tree(t, sandbox)
		for _, p := range got {
			if !strings.HasPrefix(p, "a/b/c/out/") && !slices.Contains([]string{"a/", "a/b/", "a/b/c/", "a/b/c/out/"}, p) {
				t.Fatalf("extraction created %s outside its target folder (sandbox: %q)", p, got)
			}
		}
	})
}
