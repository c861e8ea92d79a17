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
	return func() error {
		for _, p := range []string{path, dir} {
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
	}, nil
}
