package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A symbolic link is followed to its target, which is written atomically;
// the link stays a link, also when the target does not exist yet.
func TestWriteFollowsLinks(t *testing.T) {
	dir := t.TempDir()
	real, link := filepath.Join(dir, "real.dlc"), filepath.Join(dir, "link.dlc")
	os.Symlink("real.dlc", link)
	if err := WriteFile(link, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v", err)
	}
	if got := read(t, real); got != "new" {
		t.Errorf("target holds %q", got)
	}
}

// A FIFO is written through and stays a FIFO.
func TestWriteThroughFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "h.fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	got := make(chan string)
	go func() {
		f, _ := os.Open(fifo)
		b, _ := io.ReadAll(f)
		f.Close()
		got <- string(b)
	}()
	if err := WriteFile(fifo, []byte("epoch,loss\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "epoch,loss\n" {
		t.Errorf("the reader got %q", s)
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v", err)
	}
}

// A failing writer leaves the old file and no temporary file, and its error
// names the target, not the temporary file.
func TestWriteFailureNamesTarget(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "m.dlc")
	os.WriteFile(p, []byte("old"), 0o644)
	err := Write(p, 0o644, func(w io.Writer) error {
		return &os.PathError{Op: "write", Path: w.(*os.File).Name(), Err: syscall.ENOSPC}
	})
	if want := "cannot write " + p + ": no space left on device"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
	if got := read(t, p); got != "old" {
		t.Errorf("the file holds %q", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}

// RemovePending removes the temporary file of a write in progress (what a
// second Ctrl-C does) and names its target.
func TestRemovePending(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "m.dlc")
	err := Write(p, 0o644, func(w io.Writer) error {
		w.Write([]byte("half"))
		if got := RemovePending(); !slices.Equal(got, []string{p}) {
			t.Errorf("RemovePending = %v", got)
		}
		return errors.New("stopped")
	})
	if err == nil {
		t.Fatal("the write went on")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

// WriteDir swaps in a whole new set: no file of the old set survives; a
// failure keeps the old set whole; a folder with other files is refused.
func TestWriteDir(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "feats")
	owned := func(name string) bool { return strings.HasSuffix(name, ".svm") || name == "vocabulary.tsv" }
	fill := func(files ...string) func(string) error {
		return func(tmp string) error {
			for _, f := range files {
				if err := os.WriteFile(filepath.Join(tmp, f), []byte(f), 0o644); err != nil {
					return err
				}
			}
			return nil
		}
	}
	if err := WriteDir(dir, owned, fill("vocabulary.tsv", "train.svm", "validation.svm")); err != nil {
		t.Fatal(err)
	}
	if err := WriteDir(dir, owned, fill("vocabulary.tsv", "train.svm")); err != nil {
		t.Fatal(err)
	}
	names := func() []string {
		entries, _ := os.ReadDir(dir)
		var out []string
		for _, e := range entries {
			out = append(out, e.Name())
		}
		return out
	}
	if got := names(); !slices.Equal(got, []string{"train.svm", "vocabulary.tsv"}) {
		t.Errorf("after the second set: %v", got)
	}
	err := WriteDir(dir, owned, func(tmp string) error {
		fill("vocabulary.tsv")(tmp)
		return errors.New("cannot write " + filepath.Join(tmp, "train.svm") + ": no space left on device")
	})
	if want := "cannot write " + filepath.Join(dir, "train.svm") + ": no space left on device"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
	if got := names(); !slices.Equal(got, []string{"train.svm", "vocabulary.tsv"}) || read(t, filepath.Join(dir, "train.svm")) != "train.svm" {
		t.Errorf("after a failed set: %v", got)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), nil, 0o644)
	if err := WriteDir(dir, owned, fill("train.svm")); err == nil || !strings.Contains(err.Error(), "holds files this command did not write (notes.txt)") {
		t.Errorf("a folder with a user's file: %v", err)
	}
}
