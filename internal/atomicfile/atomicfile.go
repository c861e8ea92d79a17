// Package atomicfile writes files so that readers see either the old file or
// the complete new one, never a half-written one: the data goes to a
// temporary file in the same folder, is synced, and is renamed into place.
//
// It never replaces what is not a regular file: a symbolic link is
// followed and its target written atomically; a FIFO or a device
// (/dev/stdout, /dev/null) is written through, since renaming over it would
// replace the node itself; a folder is refused. The temporary files being
// written are known (Pending), so that a process stopped at once by a
// second signal can remove them (RemovePending).
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
	"sync"

	"github.com/dlc-dev/dlc/internal/objstore"
)

// pending are the temporary files being written now.
var pending struct {
	sync.Mutex
	paths map[string]string // temporary file → target
}

func track(tmp, target string) {
	pending.Lock()
	defer pending.Unlock()
	if pending.paths == nil {
		pending.paths = map[string]string{}
	}
	pending.paths[tmp] = target
}

func untrack(tmp string) {
	pending.Lock()
	defer pending.Unlock()
	delete(pending.paths, tmp)
}

// RemovePending removes every temporary file still being written and
// returns the targets they were for, sorted; for a process about to exit
// without finishing its writes.
func RemovePending() []string {
	pending.Lock()
	defer pending.Unlock()
	var targets []string
	for tmp, target := range pending.paths {
		os.Remove(tmp)
		targets = append(targets, target)
	}
	clear(pending.paths)
	slices.Sort(targets)
	return targets
}

// Target returns the file a write to path lands on: path itself, or the
// file a symbolic link at path points to (followed to the end, even when
// that file does not exist yet).
func Target(path string) (string, error) {
	for range 40 { // as many links as Linux follows
		st, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) || (err == nil && st.Mode()&fs.ModeSymlink == 0) {
			return path, nil
		}
		if err != nil {
			return "", fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
		}
		link, err := os.Readlink(path)
		if err != nil {
			return "", fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(path), link)
		}
		path = link
	}
	return "", fmt.Errorf("cannot write %s: too many levels of symbolic links", path)
}

// Write creates path with the bytes write produces. If write fails, the
// temporary file is removed and path is left as it was. A symbolic link is
// followed; a FIFO or a device is written through (not atomic: there is no
// old content to keep); a folder is refused. An object URL (s3://, gs://)
// is written as one object, committed only when write succeeds.
func Write(path string, perm os.FileMode, write func(w io.Writer) error) (err error) {
	if objstore.IsURL(path) {
		return objstore.Write(context.Background(), path, write)
	}
	if st, serr := os.Stat(path); serr == nil && st.IsDir() {
		return fmt.Errorf("cannot write %s: it is a folder", path)
	}
	if WritesThrough(path) {
		return writeThrough(path, write)
	}
	target, err := Target(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(target)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".tmp-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	track(tmp.Name(), path)
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
		untrack(tmp.Name())
	}()
	if err = write(tmp); err != nil {
		// The writer's error names the temporary file; the user knows the
		// target.
		return fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	if err = tmp.Chmod(perm); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	if err = os.Rename(tmp.Name(), target); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	return nil
}

// WritesThrough reports whether Write writes into path as it is, rather
// than replacing it: a FIFO, a device, or a name for a file the process has
// open (/dev/stdout). Asked of the path itself: the kernel follows the
// links, /proc's magic ones (/dev/stdout → /proc/self/fd/1 → a pipe)
// included.
func WritesThrough(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir() && (!st.Mode().IsRegular() || isProcLink(path))
}

// isProcLink reports whether path is a name the kernel makes up for an
// open file (/dev/stdout, /dev/fd/N, /proc/self/fd/N): it stands for the
// file the process already has open, which must be written as it is.
func isProcLink(path string) bool {
	p := filepath.Clean(path)
	for _, dir := range []string{"/dev/fd/", "/proc/"} {
		if strings.HasPrefix(p, dir) {
			return true
		}
	}
	return p == "/dev/stdout" || p == "/dev/stderr"
}

// writeThrough writes into a FIFO, a device or an open file as it is.
func writeThrough(path string, write func(w io.Writer) error) error {
	// Appending: an open file (stdout redirected to a file) may already
	// hold what the process wrote before, at the offset its own descriptor
	// has reached.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	return nil
}

// WriteFile is Write for bytes already in memory.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// unwrapPath drops the *PathError wrapper, whose temporary file name would
// only confuse: the caller names the real path.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
