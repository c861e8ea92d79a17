package main

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/dlc-dev/dlc/internal/config"
)

// dataOptions are the flags that say how to read the data, alike on train,
// vectorize, evaluate and predict: --set for any config key the command
// may change, and --text-field, --label-field and --features, each short
// for a --set of its data.* key (and named as the flag in messages).
type dataOptions struct {
	Sets       []string
	TextField  string
	LabelField string
	Features   []string
	flags      *pflag.FlagSet
}

// AddFlags binds the data flags to f; setHelp says what --set may set.
func (d *dataOptions) AddFlags(f *pflag.FlagSet, setHelp string) {
	d.flags = f
	f.StringArrayVar(&d.Sets, "set", nil, setHelp)
	f.StringVar(&d.TextField, "text-field", "", "the JSONL field or CSV/TSV column holding the text (data.text_field)")
	f.StringVar(&d.LabelField, "label-field", "", "the JSONL field or CSV/TSV column holding the label (data.label_field)")
	f.StringSliceVar(&d.Features, "features", nil, "the numeric columns a dense model reads, in order: --features x1,x2 (data.features)")
}

// overrides are the data flags given, as the config keys they stand for.
func (d *dataOptions) overrides() []config.Override {
	var out []config.Override
	for _, f := range []struct {
		flag, key string
		value     any
	}{
		{"text-field", "data.text_field", d.TextField},
		{"label-field", "data.label_field", d.LabelField},
		{"features", "data.features", d.Features},
	} {
		if d.flags != nil && d.flags.Changed(f.flag) {
			out = append(out, config.Override{Key: f.key, Value: f.value, Flag: "--" + f.flag})
		}
	}
	return out
}

// given reports whether any data flag or --set was given.
func (d *dataOptions) given() bool { return len(d.Sets) > 0 || len(d.overrides()) > 0 }

// completeSet offers the config's keys (key=) as the values of --set, so
// the shell completes --set train<TAB> to --set training.
func completeSet(keys func(string) bool) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var out []cobra.Completion
		for _, k := range config.Keys() {
			if (keys == nil || keys(k.Name)) && strings.HasPrefix(k.Name, prefix) {
				out = append(out, cobra.CompletionWithDesc(k.Name+"=", firstClause(k.Doc)))
			}
		}
		slices.Sort(out)
		return out, cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
	}
}

// firstClause shortens a key's help to what fits beside a completion.
func firstClause(doc string) string {
	if i := strings.IndexAny(doc, ";("); i > 0 {
		return strings.TrimSpace(doc[:i])
	}
	return doc
}
