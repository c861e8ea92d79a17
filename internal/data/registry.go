package data

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Kind says what a fetched dataset's files hold.
type Kind string

const (
	// Text datasets are train.jsonl and test.jsonl, one
	// {"text": ..., "label": ...} object per line; Read reads them.
	Text Kind = "text"
	// Images datasets are IDX files, an images file and a labels file per
	// split, kept as the site serves them; ReadImageSet reads a split.
	Images Kind = "images"
)

// File is one file of a dataset as its site serves it.
type File struct {
	Name   string `json:"name"`   // the file name at every location, and in the cache
	SHA256 string `json:"sha256"` // of the file as served
	// Size is the file's size in bytes, for --list and progress. Where the
	// site does not publish it, it is the size of a known copy; the sha256
	// is what is checked, Size only bounds a download (at twice Size).
	Size int64 `json:"size"`
}

// Split locates one split of a fetched dataset. For Text datasets Path is
// the JSONL file and Labels is empty; for Images datasets Path is the IDX
// images file and Labels the IDX labels file of the same split.
type Split struct {
	Path   string
	Labels string
}

// Counts is what a conversion produced.
type Counts struct {
	Train, Test int
	Labels      []string // sorted
}

// Source is one public dataset dlc can fetch: where its files live, how
// to verify them, and how to turn them into the splits.
type Source struct {
	Name        string
	Description string
	License     string
	Kind        Kind
	// MultiLabel says each text has a list of labels ("labels": [...]),
	// which a config reads with data.task multilabel.
	MultiLabel bool
	// URLs are the folders that serve Files, tried in order: the home
	// site first, then mirrors. A file's URL is the folder's plus its name.
	URLs  []string
	Files []File
	// Classes, Train and Test are what the conversion yields (examples per
	// split); Fetch checks them.
	Classes     int
	Train, Test int
	// Version numbers the conversion. A dataset fetched by a dlc whose
	// conversion differed (another version) counts as not fetched, so the
	// next fetch converts it again rather than train on stale data.
	Version int
	// Limits bound the unpacking of the files; zero means DefaultLimits.
	Limits Limits
	// Layout maps "train" and "test" to the split's files, relative to
	// the dataset's folder; nil means train.jsonl and test.jsonl.
	Layout map[string]Split
	// Convert reads the verified files (in Files order) and writes the
	// splits into dir, an empty temporary folder renamed into place when
	// Convert succeeds.
	Convert func(files []string, dir string, lim Limits) (Counts, error)
}

// Sources is the registry: one entry per dataset, in `dlc fetch --list` order.
var Sources = []*Source{imdbSource, reutersSource, reuters8Source, reutersModApteSource, newsgroupsSource, mnistSource}

// Names returns the registered dataset names, sorted.
func Names() []string {
	names := make([]string, len(Sources))
	for i, s := range Sources {
		names[i] = s.Name
	}
	sort.Strings(names)
	return names
}

// Lookup returns the registered dataset called name.
func Lookup(name string) (*Source, error) {
	for _, s := range Sources {
		if s.Name == name {
			return s, nil
		}
	}
	return nil, fmt.Errorf("unknown dataset %q; the datasets dlc can fetch are %s (see dlc fetch --list)", name, strings.Join(Names(), ", "))
}

// Size is the total download size of the dataset's files.
func (s *Source) Size() int64 {
	var n int64
	for _, f := range s.Files {
		n += f.Size
	}
	return n
}

func (s *Source) limits() Limits {
	if s.Limits == (Limits{}) {
		return DefaultLimits
	}
	return s.Limits
}

// Dir is the dataset's folder in dataDir.
func (s *Source) Dir(dataDir string) string { return filepath.Join(dataDir, s.Name) }

// Split returns where the split ("train" or "test") of the fetched dataset
// lives in dataDir.
func (s *Source) Split(dataDir, split string) Split {
	dir := s.Dir(dataDir)
	if s.Layout == nil {
		return Split{Path: filepath.Join(dir, split+".jsonl")}
	}
	l := s.Layout[split]
	return Split{Path: filepath.Join(dir, l.Path), Labels: filepath.Join(dir, l.Labels)}
}

// Splits returns the paths of a fetched dataset's train and test files
// (for Images datasets, the images files; see Split for the labels).
func (s *Source) Splits(dataDir string) (train, test string) {
	return s.Split(dataDir, "train").Path, s.Split(dataDir, "test").Path
}

// outputs lists the files a complete dataset folder holds.
func (s *Source) outputs(dataDir string) []string {
	var out []string
	for _, split := range []string{"train", "test"} {
		sp := s.Split(dataDir, split)
		out = append(out, sp.Path)
		if sp.Labels != "" {
			out = append(out, sp.Labels)
		}
	}
	return out
}

// Fetched reports whether the dataset is complete in dataDir and was
// converted by this version of dlc. Fetch renames the folder into place
// only once it is complete, so its files existing is enough; a folder
// without a manifest (made by hand, or by an early dlc) is trusted.
func (s *Source) Fetched(dataDir string) bool {
	for _, p := range s.outputs(dataDir) {
		if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
			return false
		}
	}
	m, err := ReadManifest(s.Dir(dataDir))
	if err != nil {
		return os.IsNotExist(err)
	}
	return m.Name == s.Name && m.Version == s.Version
}

// ManifestFile is the file in a dataset's folder that says what it is.
const ManifestFile = "dataset.json"

// Manifest records what a fetch produced: which files it converted and
// what came out. It is written last into the temporary folder, so a folder
// with a manifest is a finished one.
type Manifest struct {
	Name    string            `json:"name"`
	Kind    Kind              `json:"kind"`
	Version int               `json:"version"`
	SHA256  map[string]string `json:"sha256"` // of each file converted, by name
	Train   int               `json:"train"`
	Test    int               `json:"test"`
	Labels  []string          `json:"labels"`
}

// ReadManifest reads the manifest of the dataset folder dir.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestFile), err)
	}
	return &m, nil
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
