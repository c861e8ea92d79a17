package config

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/dlc-dev/dlc/internal/vectorize"
)

// KeysYAML writes the keys of c that keep accepts as a YAML config, in the
// schema's order, sections nested, each value in flow style: what Load
// reads back to the same values (dlc tune writes its winner with it).
func (c *Config) KeysYAML(keep func(key string) bool) string {
	var b strings.Builder
	var open []string // the sections of the last key written
	for _, f := range c.fields() {
		if !keep(f.key) {
			continue
		}
		if p, ok := f.ptr.(*Files); ok && len(*p) == 0 {
			continue // no training files (a dataset's)
		}
		if p, ok := f.ptr.(*string); ok && *p == "" && *Default().fieldPtr(f.key).(*string) == "" {
			// Left empty and empty by default: left out, as YAML() does
			// (data.label_separator refuses an empty value).
			continue
		}
		parts := strings.Split(f.key, ".")
		sections, leaf := parts[:len(parts)-1], parts[len(parts)-1]
		same := 0
		for same < len(open) && same < len(sections) && open[same] == sections[same] {
			same++
		}
		for i := same; i < len(sections); i++ {
			fmt.Fprintf(&b, "%s%s:\n", strings.Repeat("  ", i), sections[i])
		}
		open = sections
		fmt.Fprintf(&b, "%s%s: %s\n", strings.Repeat("  ", len(sections)), leaf, flow(f.ptr))
	}
	return b.String()
}

// flow writes a value as YAML in flow style.
func flow(ptr any) string {
	switch p := ptr.(type) {
	case *string:
		return scalar(*p)
	case *int:
		return strconv.Itoa(*p)
	case *float64:
		s := strconv.FormatFloat(*p, 'g', -1, 64)
		if strings.Contains(s, "e") && !strings.Contains(s, ".") {
			// YAML 1.1 readers take 1e-05 for a string; 1.0e-05 is a
			// number to every reader.
			m, e, _ := strings.Cut(s, "e")
			s = m + ".0e" + e
		}
		return s
	case *bool:
		return strconv.FormatBool(*p)
	case *vectorize.DFBound:
		return p.String()
	case *[]Layer:
		parts := make([]string, len(*p))
		for i, l := range *p {
			parts[i] = fmt.Sprintf("{units: %d, activation: %s", l.Units, scalar(l.Activation))
			if l.Dropout != 0 {
				parts[i] += ", dropout: " + strconv.FormatFloat(l.Dropout, 'g', -1, 64)
			}
			parts[i] += "}"
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *[]int:
		parts := make([]string, len(*p))
		for i, n := range *p {
			parts[i] = strconv.Itoa(n)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *Files:
		if !p.IsList() {
			return scalar(p.One())
		}
		parts := make([]string, len(*p))
		for i, s := range *p {
			parts[i] = scalar(s)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *[]string:
		parts := make([]string, len(*p))
		for i, s := range *p {
			parts[i] = scalar(s)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *ClassWeight:
		return p.format(scalar)
	}
	panic(fmt.Sprintf("config: no YAML form for %T", ptr))
}

// scalar writes a string as a YAML scalar, quoted when YAML would read it
// as something else (a number, a boolean, null) or could not read it
// plain.
func scalar(s string) string {
	b, err := yaml.Marshal(s)
	if err != nil {
		return strconv.Quote(s)
	}
	out := strings.TrimSuffix(string(b), "\n")
	if strings.ContainsAny(out, "\n") || strings.HasPrefix(out, "|") || strings.HasPrefix(out, ">") {
		return strconv.Quote(s)
	}
	return out
}
