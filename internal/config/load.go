package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"

	"github.com/dlc-dev/dlc/internal/vectorize"
)

// Error is a config fault; it names the key and where its value came from.
type Error struct {
	Where string // "configs/imdb.yaml:12", "DLC_TRAINING_EPOCHS", "--set", ...
	Msg   string
}

func (e *Error) Error() string {
	if e.Where == "" {
		return e.Msg
	}
	return e.Where + ": " + e.Msg
}

// Load reads the config file at path (none when ""), then the DLC_*
// environment, then the --set overrides ("key=value", the value parsed as
// YAML), and returns the validated result.
func Load(path string, sets []string) (*Config, error) { return LoadWith(path, sets, nil) }

// LoadWith is Load with command-line flags that stand for config keys
// (--text-field for data.text_field): they rank with --set, and messages
// name the flag.
func LoadWith(path string, sets []string, flags []Override) (*Config, error) {
	c := Default()
	c.src = map[string]string{}
	c.loaded = true
	fields := c.fields()
	byKey := map[string]field{}
	v := viper.New()
	for _, f := range fields {
		byKey[f.key] = f
		v.SetDefault(f.key, nil)
	}
	var lines map[string]int
	var nodes map[string]*yaml.Node
	if path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, &Error{Msg: fmt.Sprintf("config file %s does not exist in %s", path, absDir(filepath.Dir(path)))}
			}
			return nil, &Error{Msg: fmt.Sprintf("cannot read config file %s: %v", path, err)}
		}
		if looksBinary(raw) {
			return nil, &Error{Where: path, Msg: "is not a YAML config but a binary file; to continue training a model file, give it as --init MODEL"}
		}
		if lines, nodes, err = checkKeys(raw, path, byKey); err != nil {
			return nil, err
		}
		v.SetConfigType("yaml")
		if err := v.ReadConfig(strings.NewReader(string(raw))); err != nil {
			return nil, &Error{Where: path, Msg: "is not valid YAML: " + oneLine(err)}
		}
		c.Path = path
	}
	// The environment is read per key below rather than with viper's
	// AutomaticEnv: DLC_DATA (the data directory) would otherwise shadow the
	// whole data: section.
	setFrom, err := overrides(byKey, sets, flags)
	if err != nil {
		return nil, err
	}
	for _, f := range fields {
		var where string
		val := v.Get(f.key)
		set, isSet := setFrom[f.key]
		switch env, inEnv := os.LookupEnv(EnvName(f.key)); {
		case isSet:
			where = set.where
			// Taken as parsed: viper would lower-case the keys of a map.
			val = set.val
		case inEnv && env != "":
			where = EnvName(f.key)
			parsed, err := parseScalar(env)
			if err != nil {
				return nil, &Error{Where: where, Msg: "value is not valid YAML: " + oneLine(err)}
			}
			val = parsed
		case v.InConfig(f.key):
			where = fmt.Sprintf("%s:%d", path, lines[f.key])
			if _, isMap := f.ptr.(*ClassWeight); isMap {
				// Read from the YAML itself: viper lower-cases map keys,
				// and labels are case-sensitive.
				var raw any
				if err := nodes[f.key].Decode(&raw); err != nil {
					return nil, &Error{Where: where, Msg: oneLine(err)}
				}
				val = raw
			}
		default:
			continue // keep the default
		}
		if err := assign(f, val); err != nil {
			return nil, &Error{Where: where, Msg: err.Error()}
		}
		c.src[f.key] = where
	}
	c.resolvePaths()
	c.settleExclusive()
	if c.NamesOnlyData() {
		c.GeneralRecipe()
	}
	c.completeHead()
	if err := c.validate(); err != nil {
		return nil, err
	}
	// Checked here, not in validate: a model's config, which With
	// changes, keeps no output file.
	if c.Output.Model == "" {
		return nil, c.Errorf("output.model", "output.model must name a file")
	}
	return c, nil
}

// parseScalar reads an environment or --set value as YAML, so that numbers,
// booleans and lists ([{units: 64}]) come out typed.
func parseScalar(s string) (any, error) {
	var out any
	if err := yaml.Unmarshal([]byte(s), &out); err != nil {
		return nil, err
	}
	if out == nil && strings.TrimSpace(s) != "" && strings.TrimSpace(s) != "null" && strings.TrimSpace(s) != "~" {
		return s, nil
	}
	return out, nil
}

// printable is s as typed when it prints as itself, else Go-quoted: an
// error message echoing user input stays one readable line.
func printable(s string) string {
	if q := strconv.Quote(s); q[1:len(q)-1] != s {
		return q
	}
	return s
}

// oneLine is a YAML parser's error as one line: without the parsers'
// prefixes, its list of faults joined by "; ".
func oneLine(err error) string {
	var parts []string
	for _, line := range strings.Split(err.Error(), "\n") {
		line = strings.TrimSpace(line)
		for _, prefix := range []string{"While parsing config:", "yaml:", "unmarshal errors:"} {
			line = strings.TrimSpace(strings.TrimPrefix(line, prefix))
		}
		if line != "" {
			parts = append(parts, line)
		}
	}
	return strings.Join(parts, "; ")
}

// checkKeys walks the YAML document and rejects any key the schema does not
// have, naming it and its line. It returns the line and the value node of
// every leaf key.
func checkKeys(raw []byte, path string, known map[string]field) (map[string]int, map[string]*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, nil, &Error{Where: path, Msg: "is not valid YAML: " + oneLine(err)}
	}
	lines := map[string]int{}
	nodes := map[string]*yaml.Node{}
	if len(doc.Content) == 0 {
		return lines, nodes, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, nil, &Error{Where: fmt.Sprintf("%s:%d", path, root.Line), Msg: "a config is a mapping of keys (data:, model:, training:, ...)"}
	}
	var walk func(n *yaml.Node, prefix string) error
	walk = func(n *yaml.Node, prefix string) error {
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			key := k.Value
			if prefix != "" {
				key = prefix + "." + k.Value
			}
			// A key given twice would have one of its values silently
			// win; YAML itself forbids it.
			if first, twice := seen[k.Value]; twice {
				return &Error{Where: fmt.Sprintf("%s:%d", path, k.Line), Msg: fmt.Sprintf("%q is given a second time (first at line %d); keep one", key, first)}
			}
			seen[k.Value] = k.Line
			if _, leaf := known[key]; leaf {
				lines[key] = k.Line
				nodes[key] = val
				if err := checkItems(val, key, path); err != nil {
					return err
				}
				continue
			}
			if isSection(key, known) {
				if val.Kind != yaml.MappingNode {
					if val.Tag == "!!null" {
						continue
					}
					return &Error{Where: fmt.Sprintf("%s:%d", path, k.Line), Msg: fmt.Sprintf("%q is a section and holds keys, not a value", key)}
				}
				if err := walk(val, key); err != nil {
					return err
				}
				continue
			}
			return &Error{Where: fmt.Sprintf("%s:%d", path, k.Line), Msg: unknownKey(key, known)}
		}
		return nil
	}
	return lines, nodes, walk(root, "")
}

// itemKeys lists the keys allowed in the mappings of list-valued keys.
var itemKeys = map[string][]string{
	"model.layers": {"units", "activation", "dropout"},
}

// checkItems rejects unknown keys inside the items of a list-valued key,
// naming the item's own line.
func checkItems(val *yaml.Node, key, path string) error {
	allowed, ok := itemKeys[key]
	if !ok || val.Kind != yaml.SequenceNode {
		return nil
	}
	for i, item := range val.Content {
		if item.Kind != yaml.MappingNode {
			continue
		}
		for j := 0; j+1 < len(item.Content); j += 2 {
			k := item.Content[j]
			if !slices.Contains(allowed, k.Value) {
				return &Error{Where: fmt.Sprintf("%s:%d", path, k.Line), Msg: fmt.Sprintf("%s[%d] has unknown key %q; an item has %s", key, i, k.Value, strings.Join(allowed, ", "))}
			}
		}
	}
	return nil
}

func isSection(key string, known map[string]field) bool {
	for k := range known {
		if strings.HasPrefix(k, key+".") {
			return true
		}
	}
	return false
}

// unknownKey says a key does not exist, suggesting the closest one.
func unknownKey(key string, known map[string]field) string {
	best, bestD := "", 4
	names := make([]string, 0, len(known))
	for k := range known {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if d := editDistance(key, k); d < bestD {
			best, bestD = k, d
		}
	}
	msg := fmt.Sprintf("unknown key %q", key)
	if best != "" {
		msg += fmt.Sprintf("; did you mean %q?", best)
	} else {
		msg += "; dlc train --help lists the keys"
	}
	return msg
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// assign converts a YAML-typed value into the field, with a message that
// names the key and the expected type.
func assign(f field, val any) error {
	switch p := f.ptr.(type) {
	case *string:
		switch x := val.(type) {
		case string:
			*p = x
		case nil:
			*p = ""
		default:
			return fmt.Errorf("%s must be a string, not %v", f.key, val)
		}
	case *int:
		n, ok := asInt(val)
		if !ok {
			return fmt.Errorf("%s must be a whole number, not %v", f.key, show(val))
		}
		*p = n
	case *float64:
		x, ok := asFloat(val)
		if !ok {
			return fmt.Errorf("%s must be a number, not %v", f.key, show(val))
		}
		*p = x
	case *bool:
		b, ok := val.(bool)
		if !ok {
			return fmt.Errorf("%s must be true or false, not %v", f.key, show(val))
		}
		*p = b
	case *vectorize.DFBound:
		switch x := val.(type) {
		case float64:
			*p = vectorize.Fraction(x)
		default:
			n, ok := asInt(val)
			if !ok {
				return fmt.Errorf("%s must be a number of documents (2) or a fraction of them (0.5), not %v", f.key, show(val))
			}
			*p = vectorize.Docs(n)
		}
		return ambiguousDF(f.key, *p)
	case *[]Layer:
		layers, err := asLayers(f.key, val)
		if err != nil {
			return err
		}
		*p = layers
	case *Files:
		files, err := asFiles(f.key, val)
		if err != nil {
			return err
		}
		*p = files
	case *[]string:
		list, err := asStrings(f.key, val)
		if err != nil {
			return err
		}
		*p = list
	case *[]int:
		list, err := asInts(f.key, val)
		if err != nil {
			return err
		}
		*p = list
	case *ClassWeight:
		w, err := asClassWeight(f.key, val)
		if err != nil {
			return err
		}
		*p = w
	}
	return nil
}

func asStrings(key string, v any) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s must be a list such as [x1, x2], not %v", key, show(v))
	}
	out := make([]string, len(list))
	for i, item := range list {
		switch x := item.(type) {
		case string:
			out[i] = x
		case int, int64, uint64, float64, bool:
			out[i] = fmt.Sprint(x) // a column called 1 is the column "1"
		default:
			return nil, fmt.Errorf("%s[%d] must be a column name, not %v", key, i, show(item))
		}
	}
	return out, nil
}

// asInts reads a list of whole numbers, such as [2, 5].
func asInts(key string, v any) ([]int, error) {
	if v == nil {
		return []int{}, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s must be a list of whole numbers such as [2, 5], not %v", key, show(v))
	}
	out := make([]int, len(list))
	for i, item := range list {
		n, ok := asInt(item)
		if !ok {
			return nil, fmt.Errorf("%s[%d] must be a whole number, not %v", key, i, show(item))
		}
		out[i] = n
	}
	return out, nil
}

// asClassWeight reads none, balanced, or a {label: weight} mapping.
func asClassWeight(key string, v any) (ClassWeight, error) {
	var w ClassWeight
	var m map[string]any
	switch x := v.(type) {
	case nil:
		return w, nil
	case string:
		switch x {
		case "", "none":
			return w, nil
		case "balanced":
			w.Balanced = true
			return w, nil
		}
		return w, fmt.Errorf("%s must be none, balanced or a mapping {label: weight}, not %q", key, x)
	case map[string]any:
		m = x
	case map[any]any: // labels that YAML reads as numbers: {0: 1, 1: 5}
		m = make(map[string]any, len(x))
		for k, val := range x {
			m[fmt.Sprint(k)] = val
		}
	default:
		return w, fmt.Errorf("%s must be none, balanced or a mapping {label: weight}, not %v", key, show(v))
	}
	w.Weights = make(map[string]float64, len(m))
	for label, val := range m {
		f, ok := asFloat(val)
		if !ok || f < 0 {
			return w, fmt.Errorf("%s[%q] must be a number of at least 0, not %v", key, label, show(val))
		}
		w.Weights[label] = f
	}
	return w, nil
}

func show(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v)
}

func asInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	case uint64:
		if x <= math.MaxInt64 {
			return int(x), true
		}
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int(x), true
		}
	}
	return 0, false
}

func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, !math.IsNaN(x) && !math.IsInf(x, 0)
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	}
	return 0, false
}

func asLayers(key string, v any) ([]Layer, error) {
	if v == nil {
		return []Layer{}, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s must be a list such as [{units: 16, activation: relu}], not %v", key, show(v))
	}
	out := make([]Layer, 0, len(list))
	for i, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s[%d] must be a mapping such as {units: 16, activation: relu}, not %v", key, i, show(item))
		}
		l := Layer{Activation: "relu"}
		units := false
		for k, val := range m {
			switch k {
			case "units":
				n, ok := asInt(val)
				if !ok {
					return nil, fmt.Errorf("%s[%d].units must be a whole number, not %v", key, i, show(val))
				}
				l.Units, units = n, true
			case "activation":
				s, ok := val.(string)
				if !ok {
					return nil, fmt.Errorf("%s[%d].activation must be a string, not %v", key, i, show(val))
				}
				l.Activation = s
			case "dropout":
				p, ok := asFloat(val)
				if !ok {
					return nil, fmt.Errorf("%s[%d].dropout must be a number, not %v", key, i, show(val))
				}
				l.Dropout = p
			default:
				return nil, fmt.Errorf("%s[%d] has unknown key %q; an item has %s", key, i, k, strings.Join(itemKeys[key], ", "))
			}
		}
		if !units {
			return nil, fmt.Errorf("%s[%d] needs units", key, i)
		}
		out = append(out, l)
	}
	return out, nil
}
