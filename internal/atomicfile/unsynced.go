package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteUnsynced is Write for a file that is written often and large (a
// training checkpoint): the file is renamed into place as soon as it is
// written, without waiting for the disk, and sync, which the caller may
// run later on another goroutine, waits for the file and its folder to
// reach the disk. A process killed in between loses nothing (the kernel
// holds the data); a machine that crashes in between may be left with a
// file cut short or empty under the new name, which the reader must
// detect (a checksum) and pass over. Only regular files are written.
func WriteUnsynced(path string, perm os.FileMode, write func(w io.Writer) error) (sync func() error, err error) {
	if st, serr := os.Lstat(path); serr == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("cannot write %s: it is not a regular file", path)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
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
		return nil, fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	if err = tmp.Chmod(perm); err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	if err = tmp.Close(); err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	return syncer(path), nil
}

// syncer waits for path and its folder to reach the disk.
func syncer(path string) func() error {
	return func() error {
		for _, p := range []string{path, filepath.Dir(path)} {
			f, err := os.Open(p)
			if err != nil {
				return fmt.Errorf("cannot sync %s: %w", path, unwrapPath(err))
			}
			err = f.Sync()
			f.Close()
			if err != nil {
				return fmt.Errorf("cannot sync %s: %w", path, unwrapPath(err))
			}
		}
		return nil
	}
}

// WriteOver is WriteUnsynced writing over spare, a file of path's folder
// that is no longer wanted (an old checkpoint), in place, before renaming
// it to path: the kernel reuses the spare's pages in its cache. Writing a
// large file anew makes it find fresh pages, and on a machine short of
// them (a virtual machine, others' page cache) that cost a 224 MB
// checkpoint up to half a second of system time and seconds of stalls,
// against about 35 ms over the pages of the last-but-keep one. The spare
// must be named as a temporary file, so that a reader never takes it for
// a whole one while it is written; cut off (a SIGKILL), it stays a
// temporary file.
func WriteOver(spare, path string, perm os.FileMode, write func(w io.Writer) error) (sync func() error, err error) {
	if st, serr := os.Lstat(path); serr == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("cannot write %s: it is not a regular file", path)
	}
	f, err := os.OpenFile(spare, os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(spare)
		}
	}()
	cw := &counter{w: f}
	if err = write(cw); err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	if err = f.Truncate(cw.n); err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	if err = f.Chmod(perm); err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	if err = f.Close(); err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	if err = os.Rename(spare, path); err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	return syncer(path), nil
}

// counter counts the bytes written through it.
type counter struct {
	w io.Writer
	n int64
}

func (c *counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
