package pipeline

import (
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/config"
)

// TestNetworkRefusesWhatCannotFit: a network whose training state exceeds
// the machine's memory is refused before anything is allocated, with its
// parameter count, the bytes it needs, the memory there is and the keys to
// change; one whose parameters cannot be counted, on any machine.
func TestNetworkRefusesWhatCannotFit(t *testing.T) {
	defer func(f func() uint64) { totalMemory = f }(totalMemory)
	totalMemory = func() uint64 { return 16 << 30 }
	for _, c := range []struct {
		sets          []string
		inputs, class int
		want          string
	}{
		{[]string{"model.layers=[{units: 1000000000, activation: relu}]"}, 10, 2,
			"--set model.layers: the network has 12000000001 parameters (10 inputs, hidden layers of [1000000000] units, 1 output); training it needs 268.2 GiB (weights, gradient and rmsprop's state: 24 bytes a parameter), more than this machine's 16.0 GiB of memory; use fewer units in model.layers, or fewer inputs (vectorizer.max_tokens, vectorizer.hashing)"},
		{[]string{"model.layers=[{units: 1000, activation: relu}, {units: 1000000, activation: relu}]", "optimizer.name=adam", "training.early_stopping.monitor=loss", "training.early_stopping.restore_best_weights=true"}, 10000, 5,
			"--set model.layers: the network has 1016001005 parameters (10000 inputs, hidden layers of [1000 1000000] units, 5 outputs); training it needs 37.8 GiB (weights, gradient and adam's two slots of state, the best epoch's weights: 40 bytes a parameter), more than this machine's 16.0 GiB of memory; use fewer units in model.layers, or fewer inputs (vectorizer.max_tokens, vectorizer.hashing)"},
		{[]string{"model.layers=[]", "optimizer.name=sgd", "model.output=softmax", "loss=categorical_crossentropy"}, 1 << 24, 100000,
			"--set model.layers: the network has 1677721700000 parameters (16777216 inputs, 100000 outputs); training it needs 24.4 TiB (weights, gradient: 16 bytes a parameter), more than this machine's 16.0 GiB of memory; use a model with fewer outputs, or fewer inputs (vectorizer.max_tokens, vectorizer.hashing)"},
		{[]string{"model.layers=[{units: 4000000000000000000, activation: relu}]"}, 10, 2,
			"--set model.layers: the network has more than 9223372036854775807 parameters (10 inputs, hidden layers of [4000000000000000000] units, 1 output), more than any machine can hold; use fewer units in model.layers, or fewer inputs (vectorizer.max_tokens, vectorizer.hashing)"},
	} {
		cfg, err := config.Load("", append([]string{"data.train=x.jsonl"}, c.sets...))
		if err != nil {
			t.Fatal(err)
		}
		plan, err := Build(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := plan.Network(c.inputs, c.class); err == nil || err.Error() != c.want {
			t.Errorf("%s:\n got %v\nwant %s", strings.Join(c.sets, " "), err, c.want)
		}
	}

	// What fits is built; and where the memory is not known, only the
	// count is checked.
	cfg, _ := config.Load("", []string{"data.train=x.jsonl", "model.layers=[{units: 1000, activation: relu}]"})
	plan, _ := Build(cfg)
	if _, err := plan.Network(1000, 2); err != nil {
		t.Errorf("a network of 1 million parameters: %v", err)
	}
	totalMemory = func() uint64 { return 0 }
	cfg, _ = config.Load("", []string{"data.train=x.jsonl", "model.layers=[{units: 4000000000000000000, activation: relu}]"})
	plan, _ = Build(cfg)
	if _, err := plan.Network(10, 2); err == nil || !strings.Contains(err.Error(), "more than any machine can hold") {
		t.Errorf("overflow without a memory size: %v", err)
	}
}
