package config

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dlc-dev/dlc/internal/objstore"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// Override sets one config key from a command-line flag that stands for it
// (--text-field for data.text_field). It ranks with --set, above the
// environment and the file; messages name the flag.
type Override struct {
	Key string
	// Value is already typed: a string, or a []string for a list key. It
	// is not parsed as YAML, so a column named 1 stays the string "1".
	Value any
	Flag  string // "--text-field"
}

// setting is a value from the command line and how messages name it.
type setting struct {
	val   any
	where string
}

// overrides parses the --set values and the flags' overrides, refusing
// unknown keys; a flag given after --set wins.
func overrides(byKey map[string]field, sets []string, flags []Override) (map[string]setting, error) {
	out := map[string]setting{}
	for _, s := range sets {
		key, val, ok := strings.Cut(s, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			return nil, &Error{Where: "--set " + printable(s), Msg: "expected key=value, such as training.epochs=3"}
		}
		if _, known := byKey[key]; !known {
			return nil, &Error{Where: "--set " + printable(s), Msg: unknownKey(key, byKey)}
		}
		parsed, err := parseScalar(val)
		if err != nil {
			return nil, &Error{Where: "--set " + printable(s), Msg: "value is not valid YAML: " + oneLine(err)}
		}
		out[key] = setting{parsed, "--set " + key}
	}
	for _, o := range flags {
		if _, known := byKey[o.Key]; !known {
			panic("config: flag " + o.Flag + " stands for no key " + o.Key)
		}
		val := o.Value
		if list, ok := val.([]string); ok {
			items := make([]any, len(list))
			for i, s := range list {
				items[i] = s
			}
			val = items
		}
		out[o.Key] = setting{val, o.Flag}
	}
	return out, nil
}

// With returns a copy of c (a model's config, say) with the --set values
// and flags applied over it and validated; keys outside allowed (nil: any)
// are refused, naming where they were given. What c had set keeps its
// place in messages.
func (c *Config) With(sets []string, flags []Override, allowed func(key string) bool, why string) (*Config, error) {
	out := *c
	out.src = make(map[string]string, len(c.src))
	for k, v := range c.src {
		out.src[k] = v
	}
	out.derived = nil
	fields := out.fields()
	byKey := map[string]field{}
	for _, f := range fields {
		byKey[f.key] = f
	}
	setFrom, err := overrides(byKey, sets, flags)
	if err != nil {
		return nil, err
	}
	for _, f := range fields {
		set, ok := setFrom[f.key]
		if !ok {
			continue
		}
		if allowed != nil && !allowed(f.key) {
			return nil, &Error{Where: set.where, Msg: fmt.Sprintf("%s cannot be changed here: %s", f.key, why)}
		}
		if err := assign(f, set.val); err != nil {
			return nil, &Error{Where: set.where, Msg: err.Error()}
		}
		out.src[f.key] = set.where
	}
	out.settleExclusive()
	if err := out.validate(); err != nil {
		return nil, err
	}
	return &out, nil
}

// IsSet reports whether key was given a value (in the file, the
// environment or on the command line) rather than left at its default.
func (c *Config) IsSet(key string) bool {
	_, ok := c.src[key]
	return ok
}

// rank orders where a value came from: the command line above the
// environment above the file.
func rank(where string) int {
	switch {
	case strings.HasPrefix(where, "--"):
		return 3
	case strings.HasPrefix(where, "DLC_"):
		return 2
	}
	return 1
}

// settleExclusive lets the command line win over the file for keys that
// exclude each other: --set data.validation=v.jsonl replaces the file's
// validation_split, --train a.csv its dataset (and that dataset's test
// data), as a higher source replaces a lower one's value of the same key.
// Set at the same level, both stay, for validate to refuse.
func (c *Config) settleExclusive() {
	d := &c.Data
	clear := func(key string) {
		switch key {
		case "data.dataset":
			d.Dataset = ""
		case "data.train":
			d.Train = nil
		case "data.test":
			d.Test = ""
		case "data.validation":
			d.Validation = ""
		case "data.validation_split":
			d.ValidationSplit = 0
		}
		delete(c.src, key)
	}
	// A value not in src comes from below any source: a model's stored
	// config, which --set and the flags override.
	above := func(a, b string) bool {
		wa, okA := c.src[a]
		if !okA {
			return false
		}
		rb := 0
		if wb, okB := c.src[b]; okB {
			rb = rank(wb)
		}
		return rank(wa) > rb
	}
	if d.Dataset != "" && len(d.Train) > 0 {
		switch {
		case above("data.dataset", "data.train"):
			clear("data.train")
			if above("data.dataset", "data.test") {
				clear("data.test")
			}
		case above("data.train", "data.dataset"):
			clear("data.dataset")
		}
	}
	if d.Validation != "" && d.ValidationSplit > 0 {
		switch {
		case above("data.validation", "data.validation_split"):
			clear("data.validation_split")
		case above("data.validation_split", "data.validation"):
			clear("data.validation")
		}
	}
}

// PathKeys are the keys that name files. A relative path in a config file
// is relative to the file's folder, so a config runs the same from any
// directory; one given on the command line or in the environment is
// relative to the current folder, as a shell path is.
var PathKeys = []string{"data.train", "data.test", "data.validation", "output.model", "checkpoint.dir"}

// resolvePaths rewrites the relative paths the file set as paths from the
// current folder (proj/train.csv for train.csv in proj/cfg.yaml), keeping
// what was written for messages.
func (c *Config) resolvePaths() {
	if c.Path == "" {
		return
	}
	dir := filepath.Dir(c.Path)
	for _, key := range PathKeys {
		if rank(c.where(key)) != 1 || !c.IsSet(key) {
			continue
		}
		for entry, p := range c.pathPtrs(key) {
			if *p == "" || isAbs(*p) {
				continue
			}
			if c.written == nil {
				c.written = map[string]string{}
			}
			c.written[entry] = *p
			*p = filepath.Join(dir, *p)
		}
	}
}

// pathPtrs returns the paths of a path key by the names messages give
// them: data.train's entries as data.train[i] when it is a list, every
// other key's one path as the key.
func (c *Config) pathPtrs(key string) map[string]*string {
	if key == "data.train" && c.Data.Train.IsList() {
		out := map[string]*string{}
		for i := range c.Data.Train {
			out[fmt.Sprintf("%s[%d]", key, i)] = &c.Data.Train[i]
		}
		return out
	}
	if key == "data.train" {
		if len(c.Data.Train) == 0 {
			return nil
		}
		return map[string]*string{key: &c.Data.Train[0]}
	}
	return map[string]*string{key: c.pathPtr(key)}
}

// TrainEntry names entry i of data.train in messages: data.train when it
// is one file, data.train[i] in a list.
func (c *Config) TrainEntry(i int) string {
	if c.Data.Train.IsList() {
		return fmt.Sprintf("data.train[%d]", i)
	}
	return "data.train"
}

// isAbs reports whether p names the same file from any folder: an
// absolute path, or an object URL (s3://, gs://).
func isAbs(p string) bool { return filepath.IsAbs(p) || objstore.IsURL(p) }

func (c *Config) pathPtr(key string) *string {
	switch key {
	case "data.test":
		return &c.Data.Test
	case "data.validation":
		return &c.Data.Validation
	case "output.model":
		return &c.Output.Model
	case "checkpoint.dir":
		return &c.Checkpoint.Dir
	}
	panic("config: " + key + " is not a path key")
}

// Missing is the error for the file of path key key that does not exist:
// it names the key, where it was set, the path as written and the folder
// it was looked for in.
//
// The key of an entry of data.train's list is data.train[i] (TrainEntry).
func (c *Config) Missing(key string) error {
	p := *c.pathPtrs(strings.SplitN(key, "[", 2)[0])[key]
	written, fromFile := c.written[key]
	if !fromFile {
		written = p
	}
	if isAbs(written) {
		return c.Errorf(key, "%s %s does not exist", key, objstore.Name(written))
	}
	base := "."
	how := "the current folder"
	if fromFile {
		base, how = filepath.Dir(c.Path), "the config's folder: paths in a config are relative to it"
	}
	return c.Errorf(key, "%s %s does not exist in %s (%s)", key, written, absDir(base), how)
}

// absDir is dir as an absolute path, for messages that say where a file
// was looked for.
func absDir(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

// Absolute returns a copy of c whose file paths are absolute, as a model
// records them: a model's config then says which files it was trained
// and tested on, from wherever it is read.
func (c *Config) Absolute() *Config {
	out := *c
	out.Data.Train = slices.Clone(c.Data.Train) // not c's entries
	for _, key := range PathKeys {
		for _, p := range out.pathPtrs(key) {
			if *p == "" || isAbs(*p) {
				continue
			}
			if abs, err := filepath.Abs(*p); err == nil {
				*p = abs
			}
		}
	}
	return &out
}

// RelativeTo returns a copy of c whose file paths are relative to dir
// where they can be, for a config file written in dir.
func (c *Config) RelativeTo(dir string) *Config {
	out := *c
	out.Data.Train = slices.Clone(c.Data.Train) // not c's entries
	base := absDir(dir)
	for _, key := range PathKeys {
		for _, p := range out.pathPtrs(key) {
			if *p == "" || objstore.IsURL(*p) {
				continue
			}
			if rel, err := filepath.Rel(base, absDir(*p)); err == nil {
				*p = rel
			}
		}
	}
	return &out
}

// ambiguousDF refuses the document-frequency bounds whose two readings,
// a count of texts and a fraction of them, are far apart and easily
// swapped: JSON tools (jq) write the fraction 1.0 as 1, which as a count
// keeps only the n-grams of a single text.
func ambiguousDF(key string, b vectorize.DFBound) error {
	switch {
	case strings.HasSuffix(key, "max_df") && !b.Fraction && b.Value == 1:
		return fmt.Errorf("%s 1 is a count and would keep only the n-grams found in a single text; write 1.0 to keep every n-gram (JSON tools such as jq write 1.0 as 1), or a count of at least 2", key)
	case strings.HasSuffix(key, "min_df") && b.Fraction && b.Value == 1:
		return fmt.Errorf("%s 1.0 is a fraction and would keep only the n-grams found in every training text; write 1 for no bound, or a fraction below 1.0 such as 0.01", key)
	}
	return nil
}

// looksBinary reports whether raw is not text but, say, a model file
// (whose first bytes, a little-endian length, hold zeros), so the message
// can say what the file is rather than quote a YAML parser on its bytes.
func looksBinary(raw []byte) bool {
	return bytes.IndexByte(raw[:min(len(raw), 512)], 0) >= 0
}
