package pipeline

import (
	"errors"
	"io/fs"
	"os"

	"github.com/dlc-dev/dlc/internal/config"
)

// checkPaths refuses, before anything is read, a file the config names
// that does not exist, in the config's words: the key, where it was set,
// and the folder the file was looked for in. Files of a fetched dataset
// are the registry's, and Resolve has checked them.
func checkPaths(cfg *config.Config, p Paths) error {
	for _, f := range []struct{ key, path, own string }{
		{"data.train", p.Train, cfg.Data.Train},
		{"data.validation", p.Validation, cfg.Data.Validation},
		{"data.test", p.Test, cfg.Data.Test},
	} {
		if f.path == "" || f.path != f.own {
			continue
		}
		if _, err := os.Stat(f.path); errors.Is(err, fs.ErrNotExist) {
			return cfg.Missing(f.key)
		}
	}
	return nil
}
