package config

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Files is the value of data.train: one file, folder or glob pattern
// (a.jsonl, part-*.jsonl.gz), or a list of them ([a.jsonl.gz, b.jsonl.gz]),
// read in the order given. One entry is written as a string, as before
// lists were accepted, so a model's recorded config and its file's bytes
// are what they were.
type Files []string

// String is the one entry, or the entries joined by ", " (for messages).
func (f Files) String() string { return strings.Join(f, ", ") }

// One returns the entry of a Files of one entry, and "" for none or a list.
func (f Files) One() string {
	if len(f) == 1 {
		return f[0]
	}
	return ""
}

// IsList reports whether f is a list of several entries.
func (f Files) IsList() bool { return len(f) > 1 }

// MarshalJSON writes no entry as "", one as a string, several as a list.
func (f Files) MarshalJSON() ([]byte, error) {
	switch len(f) {
	case 0:
		return []byte(`""`), nil
	case 1:
		return json.Marshal(f[0])
	}
	return json.Marshal([]string(f))
}

// UnmarshalJSON reads a string ("" is none) or a list of strings.
func (f *Files) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*f = nil
		if one != "" {
			*f = Files{one}
		}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("a file name or a list of them, not %s", b)
	}
	*f = list
	return nil
}

// asFiles reads data.train's YAML value: a string, or a list of strings
// (the error names the entry).
func asFiles(key string, v any) (Files, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		if x == "" {
			return nil, nil
		}
		return Files{x}, nil
	case []any:
		if len(x) == 0 {
			return nil, fmt.Errorf("%s is an empty list; name at least one file", key)
		}
		out := make(Files, len(x))
		for i, item := range x {
			s, ok := item.(string)
			if !ok || s == "" {
				return nil, fmt.Errorf("%s[%d] must be a file name, not %v", key, i, show(item))
			}
			if j := slices.Index(out[:i], s); j >= 0 {
				return nil, fmt.Errorf("%s[%d] %s is also %s[%d]; a file listed twice would be read twice", key, i, s, key, j)
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s must be a file name, a pattern (part-*.jsonl.gz) or a list of them ([a.jsonl.gz, b.jsonl.gz]), not %v", key, show(v))
}
