package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/objstore"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// DataKeys are the keys of a model's config that name the fields of data
// to score or answer, the only ones evaluate and predict may change: the
// rest is the model's own.
func DataKeys(key string) bool {
	return key == "data.text_field" || key == "data.label_field" || key == "data.features"
}

// WhyDataKeys says why DataKeys are the only keys that may change.
const WhyDataKeys = "a trained model keeps its vectorizer and network; only the names of the data's fields (data.text_field, data.label_field, data.features) may differ from its training data's"

// ReadWith reads labelled data at path for m, naming its fields as cfg
// (m's config, its data fields renamed with config.With) does: a model
// trained on a CSV of category,body can score a JSONL of text,label. A
// dense model reads its columns by name: data.features, when set, lists
// the file's columns that hold the model's, in the model's order.
func ReadWith(m *model.Model, cfg *config.Config, path string) (*data.Examples, error) {
	c := *cfg
	if m.Vectorizer.Mode == vectorize.Dense {
		cols := m.Vectorizer.Columns()
		switch {
		case !cfg.IsSet("data.features"):
			c.Data.Features = cols
		case len(c.Data.Features) != len(cols):
			return nil, cfg.Errorf("data.features", "data.features names %d columns, but the model reads %d (%s)", len(c.Data.Features), len(cols), data.QuoteList(cols, 10))
		}
	}
	if v := m.Vectorizer; v.Mode != vectorize.Dense && !c.MultiLabel() && !data.IsIDX(path) {
		// Encoded as read: the texts are not kept (data.ReadEach reads one
		// label a text). Nor hashed: nothing asks the data's fingerprint
		// of what is only scored.
		return readEncoded(fields(&c), path, v, false)
	}
	e, err := readExamples(&c, path)
	if err == nil && e.Images != nil {
		err = checkImagesFit(m, e.Images)
	}
	return e, err
}

// TestPath is the test data a model's own config names: a fetched
// dataset's test split in dataDir, or data.test, which a model records as
// an absolute path. When that file is gone, the error says which file was
// tried; a model written before dlc recorded absolute paths holds its
// path as given then, which is tried from the current folder.
func TestPath(cfg *config.Config, dataDir string) (string, error) {
	paths, err := Resolve(cfg, dataDir)
	if err != nil {
		return "", err
	}
	switch {
	case paths.Test == "":
		return "", errors.New("the model's config names no test data; give --data PATH")
	case paths.Test != cfg.Data.Test:
		return paths.Test, nil // the dataset's
	}
	if _, err := statPath(paths.Test); errors.Is(err, fs.ErrNotExist) {
		if filepath.IsAbs(paths.Test) || objstore.IsURL(paths.Test) {
			return "", fmt.Errorf("the model's test data %s (data.test, recorded when it was trained) does not exist; give --data PATH", paths.Test)
		}
		wd, _ := os.Getwd()
		return "", fmt.Errorf("the model's test data %s (data.test, as an older dlc recorded it: relative to the folder it was trained in) does not exist in %s; give --data PATH", paths.Test, wd)
	}
	return paths.Test, nil
}

// Locations names each example of e for a per-example report: the line
// of its record in a JSONL, CSV or TSV file, else its number; with keep,
// the record's fields of those names too (read from the file again, as
// the examples hold only what the model reads).
func Locations(e *data.Examples, keep []string) (lines []string, kept [][]data.Value, err error) {
	n := e.Len()
	if data.RecordFormat(e.Path) == "" {
		if len(keep) > 0 {
			return nil, nil, fmt.Errorf("--keep names fields of JSONL, CSV or TSV records; %s has none", e.Path)
		}
		lines = make([]string, n)
		for i := range lines {
			lines[i] = fmt.Sprint(i + 1)
		}
		return lines, nil, nil
	}
	errMore := errors.New("more records than examples")
	err = data.EachRecordFile(e.Path, keep, func(values []data.Value, line int) error {
		if len(lines) == n {
			return errMore
		}
		lines = append(lines, strconv.Itoa(line))
		if len(keep) > 0 {
			kept = append(kept, slices.Clone(values))
		}
		return nil
	})
	if errors.Is(err, errMore) || err == nil && len(lines) != n {
		return nil, nil, fmt.Errorf("%s changed while it was read: it held %d examples, then other records", e.Path, n)
	}
	return lines, kept, err
}
