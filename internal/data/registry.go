package data

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Source is one public dataset dlc can fetch: where its archive lives, how
// to verify it, and how to turn it into train.jsonl and test.jsonl.
type Source struct {
	Name        string
	Description string
	License     string
	URL         string
	Mirrors     []string
	SHA256      string // of the archive as its site serves it
	Size        int64  // archive bytes, for --list and progress
	Classes     int
	Train, Test int // examples in each split
	// Convert reads the verified archive and writes the splits into dir.
	Convert func(archive, dir string) error
}

// Sources is the registry: one entry per dataset, in `dlc fetch --list` order.
var Sources = []*Source{imdbSource}

// Lookup returns the registered dataset called name.
func Lookup(name string) (*Source, error) {
	for _, s := range Sources {
		if s.Name == name {
			return s, nil
		}
	}
	names := make([]string, len(Sources))
	for i, s := range Sources {
		names[i] = s.Name
	}
	sort.Strings(names)
	return nil, fmt.Errorf("unknown dataset %q; the datasets dlc can fetch are %s (see dlc fetch --list)", name, strings.Join(names, ", "))
}

// Splits returns the paths of a fetched dataset's train and test files.
func (s *Source) Splits(dataDir string) (train, test string) {
	dir := filepath.Join(dataDir, s.Name)
	return filepath.Join(dir, "train.jsonl"), filepath.Join(dir, "test.jsonl")
}

// Fetched reports whether the dataset's splits are complete in dataDir.
// Fetch renames the folder into place only once it is complete, so the
// files existing is enough.
func (s *Source) Fetched(dataDir string) bool {
	train, test := s.Splits(dataDir)
	_, e1 := os.Stat(train)
	_, e2 := os.Stat(test)
	return e1 == nil && e2 == nil
}

// DefaultDir is where datasets are cached: $DLC_DATA, else $DLC_HOME/datasets,
// else $XDG_CACHE_HOME/dlc/datasets, else ~/.cache/dlc/datasets.
func DefaultDir() string {
	if d := os.Getenv("DLC_DATA"); d != "" {
		return d
	}
	if h := os.Getenv("DLC_HOME"); h != "" {
		return filepath.Join(h, "datasets")
	}
	if c, err := os.UserCacheDir(); err == nil {
		return filepath.Join(c, "dlc", "datasets")
	}
	return filepath.Join(".dlc", "datasets")
}
