package config

import (
	"strings"

	"github.com/dlc-dev/dlc/internal/vectorize"
)

// RecipeKeys are the keys of a recipe: how texts become features, the
// network, its loss and the update rule. A text classification config
// that sets none of them gets the general recipe (GeneralRecipe); one
// that sets any keeps the defaults of Default for the rest, so that a
// config written for the book's models trains as before. The training
// section is not among them: a config may name its data and the number
// of epochs (as dlc tune's winner does when the general recipe won) and
// still get the recipe.
var RecipeKeys = []string{"vectorizer.", "model.", "loss", "optimizer."}

// isRecipeKey reports whether key belongs to a recipe (RecipeKeys).
func isRecipeKey(key string) bool {
	for _, k := range RecipeKeys {
		if key == k || strings.HasSuffix(k, ".") && strings.HasPrefix(key, k) {
			return true
		}
	}
	return false
}

// NamesOnlyData reports whether c is a text classification config (one
// label per text) that sets none of the RecipeKeys: the config
// GeneralRecipe is for.
func (c *Config) NamesOnlyData() bool {
	if c.Regression() || c.MultiLabel() {
		return false
	}
	for key := range c.src {
		if isRecipeKey(key) {
			return false
		}
	}
	return true
}

// GeneralRecipe sets c's recipe to the one cross-validation found
// strongest across IMDB, Reuters R52 and R8 on their training splits
// (bench/defaults_cv.sh, docs/recipes.md): tf-idf of the 10,000 most
// frequent words into 256 relu units with dropout 0.3, a linear output
// per label trained with the hinge loss, Adagrad at 0.03 from an
// accumulator of 1e-4, and, unless the config sets them, mini-batches of
// 32 for 10 epochs. Load calls it for a config that names only its data
// (NamesOnlyData); the keys stay unset, so that dlc tune still searches
// them.
func (c *Config) GeneralRecipe() {
	c.general = true
	v := &c.Vectorizer
	v.Mode, v.MaxTokens, v.NGrams = "tf_idf", 10000, 1
	v.MinDF, v.SublinearTF = vectorize.Docs(1), false
	c.Model.Layers = []Layer{{Units: 256, Activation: "relu", Dropout: 0.3}}
	c.Model.Output, c.Loss = "linear", "hinge"
	o := &c.Optimizer
	o.Name, o.LearningRate, o.InitialAccumulator = "adagrad", 0.03, 1e-4
	t := &c.Training
	for _, k := range []struct {
		key string
		set func()
	}{
		{"training.method", func() { t.Method = "minibatch" }},
		{"training.batch_size", func() { t.BatchSize = 32 }},
		{"training.epochs", func() { t.Epochs = 10 }},
	} {
		if !c.IsSet(k.key) {
			k.set()
		}
	}
}
