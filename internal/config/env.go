package config

import (
	"fmt"
	"slices"
	"strings"
)

// OtherEnv are the DLC_* variables that are not config keys: the data
// folder and dlc's home.
var OtherEnv = []string{"DLC_DATA", "DLC_HOME"}

// UnknownEnv returns a warning for every DLC_* variable of environ
// ("NAME=value" pairs, as os.Environ gives them) that dlc does not read: a
// mistyped DLC_TRAINING_EPOCHZ would otherwise be ignored in silence. Each
// warning suggests the closest known name.
func UnknownEnv(environ []string) []string {
	known := slices.Clone(OtherEnv)
	for _, k := range Keys() {
		known = append(known, EnvName(k.Name))
	}
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "DLC_") || slices.Contains(known, name) {
			continue
		}
		msg := fmt.Sprintf("%s is not a variable dlc reads", name)
		best, bestD := "", 4
		for _, k := range known {
			if d := editDistance(name, k); d < bestD {
				best, bestD = k, d
			}
		}
		if best != "" {
			msg += fmt.Sprintf("; did you mean %s?", best)
		} else {
			msg += "; config keys are DLC_ and the key in capitals, dots as underscores (DLC_TRAINING_EPOCHS)"
		}
		out = append(out, msg)
	}
	slices.Sort(out)
	return out
}
