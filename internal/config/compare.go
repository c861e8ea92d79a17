package config

import "strings"

// Differs compares the keys of c and other that match one of keys (a key,
// or a section such as "vectorizer." with its dot) and returns the first
// that differs, with both values as help texts write them. A layer is
// compared by its units and activation: its dropout changes how it is
// trained, not what its weights mean.
func (c *Config) Differs(other *Config, keys []string) (key, mine, theirs string, differ bool) {
	theirFields := map[string]field{}
	for _, f := range other.fields() {
		theirFields[f.key] = f
	}
	for _, f := range c.fields() {
		if !matches(f.key, keys) {
			continue
		}
		a, b := format(f.ptr), format(theirFields[f.key].ptr)
		if a != b {
			return f.key, orNone(a), orNone(b), true
		}
	}
	return "", "", "", false
}

func matches(key string, keys []string) bool {
	for _, k := range keys {
		if key == k || strings.HasSuffix(k, ".") && strings.HasPrefix(key, k) {
			return true
		}
	}
	return false
}

func orNone(s string) string {
	if s == "" || s == "[]" {
		return "none"
	}
	return s
}
