package serve

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/pipeline"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// A Model is one model the server answers with: its name in the URL, the
// file it is loaded from, and the version loaded now. A reload swaps the
// version; a request keeps the version it started with to the end.
type Model struct {
	Name, Path string

	cur atomic.Pointer[Version]
	mu  sync.Mutex // one load at a time
	// failed is the file a load refused last, so that the same broken file
	// is not tried again at every change in its folder.
	failed os.FileInfo
}

// Version is one loaded version of a model file.
type Version struct {
	Model    *model.Model
	SHA256   string // of the file's bytes
	LoadedAt time.Time
	owner    *Model
	file     os.FileInfo // the file read, to tell when it is replaced; under owner.mu
}

// Dense says whether the version reads rows of numbers (vectorizer mode
// dense) rather than texts.
func (v *Version) Dense() bool { return v.Model.Vectorizer.Mode == vectorize.Dense }

// nameRE is what a model's name may be: it appears in URLs and metrics.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// ParseModelArg reads one --model argument: NAME=PATH, or a bare PATH,
// named after its file without the extension (imdb for models/imdb.dlc).
func ParseModelArg(arg string) (name, path string, err error) {
	name, path, ok := splitModelArg(arg)
	if !ok {
		path = arg
		name = filepath.Base(path)
		name = name[:len(name)-len(filepath.Ext(name))]
	}
	if path == "" {
		return "", "", fmt.Errorf("--model %s names no file; write NAME=PATH or PATH", arg)
	}
	if !nameRE.MatchString(name) {
		return "", "", fmt.Errorf("the model name %q is not usable in a URL; use letters, digits, '.', '_' and '-' (NAME=PATH names it)", name)
	}
	return name, path, nil
}

// splitModelArg splits NAME=PATH when what comes before '=' can be a name
// and no path separator precedes it (so ./a=b.dlc stays a path).
func splitModelArg(arg string) (name, path string, ok bool) {
	i := strings.IndexAny(arg, "=/"+string(os.PathSeparator))
	if i < 0 || arg[i] != '=' {
		return "", "", false
	}
	return arg[:i], arg[i+1:], true
}

// Open loads the model file at path as the model name: checked as a reload
// is, and refused when it does not load.
func Open(name, path string) (*Model, error) {
	m := &Model{Name: name, Path: path}
	v, err := m.load()
	if err != nil {
		return nil, err
	}
	m.cur.Store(v)
	return m, nil
}

// Current returns the version answering now.
func (m *Model) Current() *Version { return m.cur.Load() }

// load reads, decodes and checks the model file.
func (m *Model) load() (*Version, error) {
	// A FIFO would block the open until someone writes to it.
	if st, err := os.Stat(m.Path); err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("model file %s is not a regular file", m.Path)
	}
	f, err := os.Open(m.Path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("model file %s does not exist; train one with dlc train", m.Path)
		}
		return nil, fmt.Errorf("cannot read model file %s: %v", m.Path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cannot read model file %s: %v", m.Path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("model file %s is not a regular file", m.Path)
	}
	// Read once, sized as the file is: the sha256 is of the bytes decoded.
	var buf bytes.Buffer
	buf.Grow(int(st.Size()) + bytes.MinRead)
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, fmt.Errorf("cannot read model file %s: %v", m.Path, err)
	}
	b := buf.Bytes()
	sum := sha256.Sum256(b)
	mod, err := model.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("model file %s %v", m.Path, err)
	}
	v := &Version{Model: mod, SHA256: hex.EncodeToString(sum[:]), LoadedAt: time.Now().UTC(), owner: m, file: st}
	if err := v.check(); err != nil {
		return nil, fmt.Errorf("model file %s %v", m.Path, err)
	}
	return v, nil
}

// check answers one empty input with the version, as a request would be
// answered: a model that decodes but cannot answer, or answers with
// numbers that are not finite, is refused before it serves.
func (v *Version) check() error {
	p := pipeline.NewPredictor(v.Model, pipeline.PredictOptions{})
	var a *pipeline.Answer
	var err error
	if v.Dense() {
		err = p.PredictRows(v.Model.Vectorizer.TransformValues(make([]float64, v.Model.Vectorizer.Features())), func(x *pipeline.Answer) error {
			a = x
			return nil
		})
	} else {
		a, err = p.Predict("")
	}
	if err != nil {
		return fmt.Errorf("cannot answer an empty input: %v", err)
	}
	for _, s := range append(a.Scores, a.Value) {
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return errors.New("answers an empty input with a score that is not a finite number")
		}
	}
	return nil
}

// ReloadResult says what a reload did.
type ReloadResult int

const (
	// Unchanged: the file holds the bytes already serving.
	Unchanged ReloadResult = iota
	// Swapped: a new version serves from now on.
	Swapped
	// Failed: the file did not load; the version before serves on.
	Failed
	// Skipped: the file is the one a load refused last (checks only).
	Skipped
)

// reload loads the model file again and swaps the new version in when it
// loads and its bytes differ; otherwise the version serving goes on.
// With onlyChanged, a file whose identity (inode, size, time) is that of
// the version serving, or of the last file refused, is not read.
func (m *Model) reload(onlyChanged bool) (old, now *Version, res ReloadResult, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	old = m.Current()
	if onlyChanged {
		st, err := os.Stat(m.Path)
		switch {
		case err != nil:
			// Between a remove and the rename that follows, or gone:
			// the version serving goes on, and a later change says more.
			return old, old, Skipped, nil
		case sameFile(st, old.file):
			return old, old, Unchanged, nil
		case m.failed != nil && sameFile(st, m.failed):
			return old, old, Skipped, nil
		}
	}
	v, err := m.load()
	if err != nil {
		if st, serr := os.Stat(m.Path); serr == nil {
			m.failed = st
		}
		return old, old, Failed, err
	}
	m.failed = nil
	if v.SHA256 == old.SHA256 {
		// The same bytes: the loaded version serves on (with its load
		// time); its file is remembered, so that it is not read again.
		old.file = v.file
		return old, old, Unchanged, nil
	}
	m.cur.Store(v)
	return old, v, Swapped, nil
}

// sameFile reports whether a and b describe the same file, unchanged.
func sameFile(a, b os.FileInfo) bool {
	return a != nil && b != nil && os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}
