package config

import (
	"reflect"
	"testing"
)

// TestGeneralRecipe: a text classification config that names only its
// data (and perhaps training keys such as the epochs) trains the general
// recipe, its keys still unset (dlc tune searches them); one that sets
// any vectorizer, model, loss or optimizer key, or a regression, keeps
// Default's values for the rest.
func TestGeneralRecipe(t *testing.T) {
	for _, c := range []struct {
		name, body string
		sets       []string
		recipe     bool
		epochs     int
	}{
		{"only data", "data:\n  train: a.jsonl\n", nil, true, 10},
		{"data and epochs", "data:\n  train: a.jsonl\ntraining:\n  epochs: 3\n  seed: 7\n", nil, true, 3},
		{"a recipe key by --set", "data:\n  train: a.jsonl\n", []string{"optimizer.learning_rate=0.01"}, false, 4},
		{"a model key", "data:\n  train: a.jsonl\nmodel:\n  output: softmax\nloss: categorical_crossentropy\n", nil, false, 4},
		{"a regression", "data:\n  train: a.csv\n  task: regression\nloss: mse\nmodel:\n  output: linear\n", nil, false, 4},
	} {
		cfg, err := Load(writeConfig(t, c.body), c.sets)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := cfg.NamesOnlyData(); got != c.recipe {
			t.Errorf("%s: NamesOnlyData = %v, want %v", c.name, got, c.recipe)
		}
		recipe := Default()
		recipe.GeneralRecipe()
		layers := Default().Model.Layers
		if c.recipe {
			layers = recipe.Model.Layers
			if cfg.Vectorizer.Mode != "tf_idf" || cfg.Loss != "hinge" || cfg.Model.Output != "linear" || cfg.Optimizer.Name != "adagrad" ||
				cfg.Optimizer.LearningRate != 0.03 || cfg.Optimizer.InitialAccumulator != 1e-4 || cfg.Training.BatchSize != 32 {
				t.Errorf("%s: not the general recipe: %+v %+v %+v", c.name, cfg.Vectorizer, cfg.Model, cfg.Optimizer)
			}
			if cfg.IsSet("model.layers") || cfg.IsSet("optimizer.name") {
				t.Errorf("%s: the recipe's keys count as set", c.name)
			}
		}
		if !reflect.DeepEqual(cfg.Model.Layers, layers) {
			t.Errorf("%s: layers %+v, want %+v", c.name, cfg.Model.Layers, layers)
		}
		if cfg.Training.Epochs != c.epochs {
			t.Errorf("%s: %d epochs, want %d", c.name, cfg.Training.Epochs, c.epochs)
		}
	}
}

// TestSetsKeepTheRecipe: a config at the defaults (the IMDB notebook, as a
// checkpoint records it) and one given the general recipe both come back
// from Sets(Values()) as they were: a recipe key at its default is not
// left out, or the config would name only its data and train the general
// recipe.
func TestSetsKeepTheRecipe(t *testing.T) {
	notebook, err := Load(writeConfig(t, "data:\n  train: a.jsonl\nmodel:\n  output: sigmoid\nloss: binary_crossentropy\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	general, err := Load(writeConfig(t, "data:\n  train: a.jsonl\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*Config{"notebook": notebook, "general": general} {
		back, err := LoadWith("", Sets(c.Values()), nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if changed := back.Changed(c.Values()); len(changed) > 0 {
			t.Errorf("%s: %v changed", name, changed)
		}
	}
}
