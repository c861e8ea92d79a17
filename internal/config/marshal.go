package config

import (
	"encoding/json"
	"strings"

	"go.yaml.in/yaml/v3"
)

// YAML renders c as a config file Load reads back to the same config: the
// keys in the schema's order (its JSON form keeps the struct's field
// order), block style but for the small mappings of a list (model.layers
// items, one per line), keys left empty left out.
func (c *Config) YAML() (string, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return "", err
	}
	blockStyle(&doc, false)
	var out strings.Builder
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return "", err
	}
	return out.String(), nil
}

// blockStyle turns the flow style that JSON parses into YAML's block
// style, keeping small mappings inside lists (model.layers) on one line,
// and drops keys whose value is an empty string or an emptied section.
func blockStyle(n *yaml.Node, inList bool) {
	if !(inList && n.Kind == yaml.MappingNode) {
		n.Style &^= yaml.FlowStyle
	}
	if n.Kind == yaml.ScalarNode {
		n.Style &^= yaml.DoubleQuotedStyle
	}
	for _, c := range n.Content {
		blockStyle(c, n.Kind == yaml.SequenceNode)
	}
	if n.Kind == yaml.MappingNode {
		kept := n.Content[:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			val := n.Content[i+1]
			if val.Kind == yaml.ScalarNode && val.Tag == "!!str" && val.Value == "" || val.Kind == yaml.MappingNode && len(val.Content) == 0 {
				continue
			}
			kept = append(kept, n.Content[i], n.Content[i+1])
		}
		n.Content = kept
	}
}
