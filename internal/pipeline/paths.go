package pipeline

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/objstore"
)

// checkPaths refuses, before anything is read, a file the config names
// that does not exist, in the config's words: the key, where it was set,
// and the folder the file was looked for in. Files of a fetched dataset
// are the registry's, and Resolve has checked them.
func checkPaths(cfg *config.Config, p Paths) error {
	for _, f := range []struct{ key, path, own string }{
		{"data.train", p.Train, cfg.Data.Train.One()},
		{"data.validation", p.Validation, cfg.Data.Validation},
		{"data.test", p.Test, cfg.Data.Test},
	} {
		if f.path == "" || f.path != f.own {
			continue
		}
		_, err := statPath(f.path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return cfg.Missing(f.key)
		case err != nil && objstore.IsURL(f.path):
			return cfg.Errorf(f.key, "%v", err) // this build, the bucket, the network
		}
	}
	return nil
}

// fileInfo is what statPath tells of a file or an object.
type fileInfo struct {
	size int64
	mod  time.Time
	tag  string // an object's ETag
	dir  bool
}

// statPath returns what the file, or the object (s3://, gs://), at p is;
// a missing one is fs.ErrNotExist to errors.Is.
func statPath(p string) (fileInfo, error) {
	if objstore.IsURL(p) {
		info, err := objstore.Stat(context.Background(), p)
		return fileInfo{size: info.Size, mod: info.ModTime, tag: info.ETag}, err
	}
	st, err := os.Stat(p)
	if err != nil {
		return fileInfo{}, err
	}
	return fileInfo{size: st.Size(), mod: st.ModTime(), dir: st.IsDir()}, nil
}

// globPaths returns the files, or the objects, whose names match pattern,
// sorted.
func globPaths(pattern string) ([]string, error) {
	if objstore.IsURL(pattern) {
		return objstore.Glob(context.Background(), pattern)
	}
	files, err := filepath.Glob(pattern)
	slices.Sort(files)
	return files, err
}

// JoinPath names the file name in the output folder dir, for messages:
// an object's URL under a prefix (without its query), or a file's path.
func JoinPath(dir, name string) string {
	if objstore.IsURL(dir) {
		return objstore.Name(objstore.Join(dir, name))
	}
	return filepath.Join(dir, name)
}
