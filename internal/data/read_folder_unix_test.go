//go:build unix

package data

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// TestReadFolderFollowsLinks: a linked example file and a linked label
// folder are read like the real ones (they were skipped in silence).
func TestReadFolderFollowsLinks(t *testing.T) {
	root, elsewhere := t.TempDir(), t.TempDir()
	os.Mkdir(filepath.Join(root, "pos"), 0o755)
	for i := range 200 {
		name := fmt.Sprintf("%03d.txt", i)
		p := filepath.Join(root, "pos", name)
		if i%4 == 0 { // 50 of the 200 are links to files kept elsewhere
			target := filepath.Join(elsewhere, name)
			os.WriteFile(target, []byte("linked"), 0o644)
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		os.WriteFile(p, []byte("here"), 0o644)
	}
	neg := filepath.Join(elsewhere, "negatives")
	os.Mkdir(neg, 0o755)
	os.WriteFile(filepath.Join(neg, "a.txt"), []byte("bad"), 0o644)
	os.Symlink(neg, filepath.Join(root, "neg"))
	// A link beside the label folders to a file is skipped like the file.
	os.Symlink(filepath.Join(neg, "a.txt"), filepath.Join(root, "README"))

	ds, err := Read(root, Fields{})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Len() != 201 {
		t.Fatalf("read %d examples, want 201", ds.Len())
	}
	if !slices.Equal(ds.Classes(), []string{"neg", "pos"}) || ds.Texts[0] != "bad" || ds.Texts[1] != "linked" || ds.Texts[2] != "here" {
		t.Errorf("classes %q, texts %q...", ds.Classes(), ds.Texts[:3])
	}
}

// TestReadFolderRefuses: what is neither an example nor a documented skip
// is refused in one sentence naming it and saying what to do.
func TestReadFolderRefuses(t *testing.T) {
	for _, c := range []struct {
		name string
		make func(root, pos string) error
		want string // with ROOT for the folder
	}{
		{"sub-folder", func(root, pos string) error { return os.Mkdir(filepath.Join(pos, "more"), 0o755) },
			"ROOT/pos/more is a folder inside the label folder ROOT/pos; each example is one file in its label's folder: move the files up into ROOT/pos or remove it"},
		{"link to a folder", func(root, pos string) error { return os.Symlink(root, filepath.Join(pos, "loop")) },
			"ROOT/pos/loop is a symbolic link to a folder inside the label folder ROOT/pos; each example is one file in its label's folder: move the files up into ROOT/pos or remove it"},
		{"dangling link", func(root, pos string) error {
			return os.Symlink(filepath.Join(root, "gone.txt"), filepath.Join(pos, "b.txt"))
		},
			"ROOT/pos/b.txt is a symbolic link to ROOT/gone.txt, which does not exist; fix the link or remove it"},
		{"dangling label link", func(root, pos string) error {
			return os.Symlink(filepath.Join(root, "gone"), filepath.Join(root, "neg"))
		},
			"ROOT/neg is a symbolic link to ROOT/gone, which does not exist; fix the link or remove it"},
		{"named pipe", func(root, pos string) error { return syscall.Mkfifo(filepath.Join(pos, "pipe"), 0o644) },
			"ROOT/pos/pipe is a named pipe; each example of a data folder is a regular file: replace it by one or remove it"},
		{"link to a named pipe", func(root, pos string) error {
			syscall.Mkfifo(filepath.Join(root, "pipe"), 0o644)
			return os.Symlink(filepath.Join(root, "pipe"), filepath.Join(pos, "p.txt"))
		}, "ROOT/pos/p.txt is a symbolic link to a named pipe; each example of a data folder is a regular file: replace it by one or remove it"},
		{"socket", func(root, pos string) error {
			l, err := net.Listen("unix", filepath.Join(pos, "sock"))
			if err == nil {
				t.Cleanup(func() { l.Close() })
			}
			return err
		}, "ROOT/pos/sock is a socket; each example of a data folder is a regular file: replace it by one or remove it"},
		{"device", func(root, pos string) error { return os.Symlink("/dev/null", filepath.Join(pos, "null.txt")) },
			"ROOT/pos/null.txt is a symbolic link to a device; each example of a data folder is a regular file: replace it by one or remove it"},
		{"empty label folder", func(root, pos string) error { return os.Mkdir(filepath.Join(root, "neg"), 0o755) },
			`the label folder ROOT/neg holds no examples; put the examples of "neg" in it, one file each, or remove it`},
		{"label folder of hidden files", func(root, pos string) error {
			os.Mkdir(filepath.Join(root, "neg"), 0o755)
			return os.WriteFile(filepath.Join(root, "neg", ".DS_Store"), nil, 0o644)
		}, `the label folder ROOT/neg holds no examples; put the examples of "neg" in it, one file each, or remove it`},
	} {
		t.Run(c.name, func(t *testing.T) {
			// A short root: a socket's path must fit in 108 bytes.
			root, err := os.MkdirTemp("", "d")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(root) })
			pos := filepath.Join(root, "pos")
			os.Mkdir(pos, 0o755)
			os.WriteFile(filepath.Join(pos, "a.txt"), []byte("fine"), 0o644)
			if err := c.make(root, pos); err != nil {
				t.Skip(err)
			}
			_, err = Read(root, Fields{})
			want := strings.ReplaceAll(c.want, "ROOT", root)
			if err == nil || err.Error() != want {
				t.Errorf("got  %v\nwant %s", err, want)
			}
		})
	}
}
