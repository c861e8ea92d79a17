package config

import "slices"

// Values returns every key's value as the config would write it (flow
// style YAML), its paths absolute: what a checkpoint records of the
// config it was started from, to compare a resumed run's with and to
// load it again (Sets).
func (c *Config) Values() map[string]string {
	out := map[string]string{}
	for _, f := range c.Absolute().fields() {
		out[f.key] = flow(f.ptr)
	}
	return out
}

// Sets turns Values back into --set arguments, in the schema's order,
// leaving out the keys at their default value but the paths and the
// recipe's keys (a key such as data.label_separator refuses the empty
// value it defaults to):
// LoadWith("", Sets(v), nil) is the config v was taken from.
func Sets(values map[string]string) []string {
	def := Default().Values()
	var out []string
	for _, f := range Default().fields() {
		// A recipe key is kept even at its default: left out, a config
		// of only data would train the general recipe instead.
		if v, ok := values[f.key]; ok && (v != def[f.key] || slices.Contains(PathKeys, f.key) || isRecipeKey(f.key) && v != `""`) {
			out = append(out, f.key+"="+v)
		}
	}
	return out
}

// Resumable lists the keys whose value a resumed run may change: how
// long training goes on and how patient it is, where the model and the
// checkpoints go. Every other key changes what the run computes, so a
// resume that changes it is refused.
var Resumable = []string{
	"training.epochs",
	"training.patience",
	"training.early_stopping.patience",
	"output.model",
	"checkpoint.dir",
	"checkpoint.every_updates",
	"checkpoint.every_seconds",
	"checkpoint.every_epoch",
	"checkpoint.wait_for_write",
	"checkpoint.keep",
}

// Changed returns the keys, in the schema's order, whose values differ
// between was (Values of an earlier config) and c, leaving out the
// Resumable ones; a key was lacks (a newer dlc's) counts as changed only
// when c sets it away from its default.
func (c *Config) Changed(was map[string]string) []string {
	def := Default().Values()
	now := c.Values()
	var out []string
	for _, f := range c.fields() {
		if slices.Contains(Resumable, f.key) {
			continue
		}
		old, ok := was[f.key]
		if !ok {
			old = def[f.key]
		}
		if now[f.key] != old {
			out = append(out, f.key)
		}
	}
	return out
}

// fieldPtr returns the field of key.
func (c *Config) fieldPtr(key string) any {
	for _, f := range c.fields() {
		if f.key == key {
			return f.ptr
		}
	}
	return nil
}
