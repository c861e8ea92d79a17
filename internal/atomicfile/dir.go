package atomicfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dlc-dev/dlc/internal/objstore"
)

// WriteDir writes a set of files as one: fill writes them into a new
// temporary folder beside dir, which then takes dir's place whole (on
// Linux in one atomic exchange). A reader never sees the new vocabulary
// beside the old features, and no file of an earlier set survives.
//
// An existing dir is replaced only when it is empty or holds nothing but
// files owned says the command writes: a folder with other files in it (a
// user's work, or "." ) is refused, never deleted.
//
// A dir that is an object URL (s3://bucket/prefix) is filled in a local
// temporary folder, whose files are then written as the objects
// prefix/NAME, each atomically: a bucket has no folders to exchange, so
// the set is not written as one, and objects of an earlier set that this
// one lacks are left as they were.
func WriteDir(dir string, owned func(name string) bool, fill func(tmp string) error) (err error) {
	if objstore.IsURL(dir) {
		return writeObjects(dir, fill)
	}
	entries, err := os.ReadDir(dir)
	exists := err == nil
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("cannot write %s: %w", dir, unwrapPath(err))
	default:
		var foreign []string
		for _, e := range entries {
			if !e.Type().IsRegular() || !owned(e.Name()) {
				foreign = append(foreign, e.Name())
			}
		}
		if len(foreign) > 0 {
			slices.Sort(foreign)
			more := ""
			if len(foreign) > 5 {
				foreign, more = foreign[:5], fmt.Sprintf(" and %d more", len(foreign)-5)
			}
			return fmt.Errorf("%s holds files this command did not write (%s%s), which replacing it would delete; give a new or empty folder", dir, strings.Join(foreign, ", "), more)
		}
	}
	parent, base := filepath.Split(filepath.Clean(dir))
	if parent == "" {
		parent = "."
	}
	if st, err := os.Stat(parent); err != nil || !st.IsDir() {
		return fmt.Errorf("cannot write %s: the folder %s does not exist", dir, parent)
	}
	tmp, err := os.MkdirTemp(parent, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", dir, unwrapPath(err))
	}
	track(tmp, dir)
	defer func() {
		os.RemoveAll(tmp) // after an exchange: the old set
		untrack(tmp)
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("cannot write %s: %w", dir, unwrapPath(err))
	}
	if err := fill(tmp); err != nil {
		// Name the files as the user will know them.
		return errors.New(strings.ReplaceAll(err.Error(), tmp, filepath.Clean(dir)))
	}
	if !exists {
		if err := os.Rename(tmp, dir); err != nil {
			return fmt.Errorf("cannot write %s: %w", dir, unwrapPath(err))
		}
		return nil
	}
	if err := exchange(tmp, dir); err != nil {
		return fmt.Errorf("cannot write %s: %w", dir, unwrapPath(err))
	}
	return nil
}

// swapByRenames puts dir aside, renames tmp into its place, and leaves the
// old set at tmp for the caller to remove: two renames, where a crash
// between them leaves dir missing and its old content beside it.
func swapByRenames(tmp, dir string) error {
	old := tmp + ".old"
	if err := os.Rename(dir, old); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.Rename(old, dir)
		return err
	}
	return os.Rename(old, tmp)
}

// writeObjects fills a local temporary folder and writes each of its files
// as an object under the prefix dir.
func writeObjects(dir string, fill func(tmp string) error) error {
	tmp, err := os.MkdirTemp("", ".dlc-objects.tmp-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", objstore.Name(dir), unwrapPath(err))
	}
	track(tmp, dir)
	defer func() {
		os.RemoveAll(tmp)
		untrack(tmp)
	}()
	if err := fill(tmp); err != nil {
		return errors.New(strings.ReplaceAll(err.Error(), tmp, objstore.Name(dir)))
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", objstore.Name(dir), unwrapPath(err))
	}
	for _, e := range entries {
		f, err := os.Open(filepath.Join(tmp, e.Name()))
		if err != nil {
			return fmt.Errorf("cannot write %s: %w", objstore.Name(dir), unwrapPath(err))
		}
		err = objstore.Write(context.Background(), objstore.Join(dir, e.Name()), func(w io.Writer) error {
			_, err := io.Copy(w, f)
			return err
		})
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
