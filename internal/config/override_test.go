package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/vectorize"
)

// TestAmbiguousDFBounds: a whole number 1 for max_df (how jq writes the
// fraction 1.0) and the fraction 1.0 for min_df are refused with the fix;
// the unambiguous spellings still read as before.
func TestAmbiguousDFBounds(t *testing.T) {
	for _, c := range []struct {
		set, want string
	}{
		{"vectorizer.max_df=1", "--set vectorizer.max_df: vectorizer.max_df 1 is a count and would keep only the n-grams found in a single text; write 1.0 to keep every n-gram (JSON tools such as jq write 1.0 as 1), or a count of at least 2"},
		{"vectorizer.min_df=1.0", "--set vectorizer.min_df: vectorizer.min_df 1.0 is a fraction and would keep only the n-grams found in every training text; write 1 for no bound, or a fraction below 1.0 such as 0.01"},
	} {
		if _, err := Load("", []string{c.set}); err == nil || err.Error() != c.want {
			t.Errorf("%s: got %v\nwant %s", c.set, err, c.want)
		}
	}
	for set, want := range map[string]vectorize.DFBound{
		"vectorizer.max_df=1.0": vectorize.Fraction(1),
		"vectorizer.max_df=2":   vectorize.Docs(2),
		"vectorizer.max_df=0.5": vectorize.Fraction(0.5),
		"vectorizer.min_df=1":   vectorize.Docs(1),
		"vectorizer.min_df=0.5": vectorize.Fraction(0.5),
	} {
		c, err := Load("", []string{set})
		if err != nil {
			t.Errorf("%s: %v", set, err)
			continue
		}
		got := c.Vectorizer.MaxDF
		if strings.Contains(set, "min_df") {
			got = c.Vectorizer.MinDF
		}
		if got != want {
			t.Errorf("%s: %v, want %v", set, got, want)
		}
	}
	// A JSON config, as jq writes a model's: "max_df": 1.
	p := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(p, []byte(`{"vectorizer": {"min_df": 1, "max_df": 1}}`), 0o644)
	if _, err := Load(p, nil); err == nil || !strings.HasPrefix(err.Error(), p+":1: vectorizer.max_df 1 is a count") {
		t.Errorf("JSON config: %v", err)
	}
}

// TestPathsRelativeToTheConfig: a config's relative paths are from its
// folder, those of --set from the current one; a missing file is named
// with its key, line and folder.
func TestPathsRelativeToTheConfig(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "proj", "c.yaml")
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.WriteFile(p, []byte("data:\n  train: train.csv\n  test: /abs/test.csv\noutput:\n  model: m.dlc\n"), 0o644)
	c, err := Load(p, []string{"data.validation=v.csv"})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "proj", "train.csv"); c.Data.Train.One() != want {
		t.Errorf("data.train %s, want %s", c.Data.Train, want)
	}
	if c.Data.Test != "/abs/test.csv" || c.Data.Validation != "v.csv" || c.Output.Model != filepath.Join(dir, "proj", "m.dlc") {
		t.Errorf("test %s, validation %s, model %s", c.Data.Test, c.Data.Validation, c.Output.Model)
	}
	want := p + ":2: data.train train.csv does not exist in " + filepath.Join(dir, "proj") + " (the config's folder: paths in a config are relative to it)"
	if err := c.Missing("data.train"); err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	wd, _ := os.Getwd()
	if err := c.Missing("data.validation"); err.Error() != "--set data.validation: data.validation v.csv does not exist in "+wd+" (the current folder)" {
		t.Errorf("got %v", err)
	}
	if err := c.Missing("data.test"); err.Error() != p+":3: data.test /abs/test.csv does not exist" {
		t.Errorf("got %v", err)
	}
	abs := c.Absolute()
	if abs.Data.Validation != filepath.Join(wd, "v.csv") || c.Data.Validation != "v.csv" {
		t.Errorf("absolute: %s (original %s)", abs.Data.Validation, c.Data.Validation)
	}
}

// TestCommandLineWinsOverExclusiveKeys: --set data.validation replaces the
// file's validation_split, --set data.train its dataset; in one file both
// are still refused.
func TestCommandLineWinsOverExclusiveKeys(t *testing.T) {
	p := writeConfig(t, "data:\n  dataset: imdb\n  validation_split: 0.2\n")
	c, err := Load(p, []string{"data.validation=v.jsonl", "data.train=t.jsonl"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Data.ValidationSplit != 0 || c.Data.Validation != "v.jsonl" || c.Data.Dataset != "" || c.Data.Train.One() != "t.jsonl" {
		t.Errorf("data %+v", c.Data)
	}
	p = writeConfig(t, "data:\n  train: t.jsonl\n  test: u.jsonl\n")
	c, err = Load(p, []string{"data.dataset=imdb"})
	if err != nil || len(c.Data.Train) != 0 || c.Data.Test != "" || c.Data.Dataset != "imdb" {
		t.Errorf("--set data.dataset over a file's train and test: %+v, %v", c.Data, err)
	}
	p = writeConfig(t, "data:\n  validation: v.jsonl\n  validation_split: 0.2\n")
	if _, err := Load(p, nil); err == nil || !strings.Contains(err.Error(), "set data.validation or data.validation_split, not both") {
		t.Errorf("both in the file: %v", err)
	}
}

// TestHeadFromTheData: output and loss left out are chosen from the data
// and said so; one set brings the other; a choice is never made over a
// key the user set. (A config naming only its data trains the general
// recipe, whose linear output and hinge loss fit any number of labels; the
// configs here set a recipe key to get the defaults.)
func TestHeadFromTheData(t *testing.T) {
	g, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if k := g.ForClasses(32); k.Model.Output != "linear" || k.Loss != "hinge" || len(k.Chosen()) != 1 || !strings.HasPrefix(k.Chosen()[0], "the general recipe") {
		t.Errorf("only data, 32 labels: %s + %s, chosen %q", k.Model.Output, k.Loss, k.Chosen())
	}
	c, err := Load("", []string{"optimizer.name=rmsprop"})
	if err != nil {
		t.Fatal(err)
	}
	k := c.ForClasses(32)
	if k.Model.Output != "softmax" || k.Loss != "categorical_crossentropy" || c.Loss != "binary_crossentropy" {
		t.Errorf("32 labels: %s + %s (the config itself: %s)", k.Model.Output, k.Loss, c.Loss)
	}
	if got := k.Chosen(); len(got) != 1 || got[0] != "model.output softmax and loss categorical_crossentropy, chosen for 32 labels (set model.output and loss to choose others)" {
		t.Errorf("chosen %q", got)
	}
	if two := c.ForClasses(2); two.Model.Output != "sigmoid" || two.Loss != "binary_crossentropy" {
		t.Errorf("2 labels: %s + %s", two.Model.Output, two.Loss)
	}
	r, err := Load("", []string{"data.task=regression"})
	if err != nil || r.Model.Output != "linear" || r.Loss != "mse" || len(r.Chosen()) != 1 {
		t.Errorf("regression: %v %v", r, err)
	}
	h, err := Load("", []string{"loss=hinge"})
	if err != nil || h.Model.Output != "linear" || h.ForClasses(5).Model.Output != "linear" {
		t.Fatalf("hinge: %v", err)
	}
	if got := h.Chosen(); len(got) != 1 || got[0] != "model.output linear, chosen for loss hinge (set model.output to choose another)" {
		t.Errorf("chosen %q", got)
	}
	s, err := Load("", []string{"model.output=softmax"})
	if err != nil || s.Loss != "categorical_crossentropy" {
		t.Errorf("softmax: %v", err)
	}
	if got := s.Chosen(); len(got) != 1 || got[0] != "loss categorical_crossentropy, chosen for model.output softmax (set loss to choose another)" {
		t.Errorf("chosen %q", got)
	}
	both, _ := Load("", []string{"model.output=sigmoid", "loss=binary_crossentropy"})
	if got := both.ForClasses(32); got.Model.Output != "sigmoid" || len(got.Chosen()) != 0 {
		t.Errorf("set by the user, yet chosen: %s %q", got.Model.Output, got.Chosen())
	}
	// A config not read by Load (a model's) keeps its head.
	d := Default()
	d.Model.Output, d.Loss = "linear", "hinge"
	if got := d.ForClasses(32); got.Loss != "hinge" {
		t.Errorf("a model's config chose %s", got.Loss)
	}
}

// TestWith: a model's config takes data.* overrides from flags, named as
// the flags are, and refuses other keys.
func TestWith(t *testing.T) {
	c := Default()
	data := func(key string) bool { return strings.HasPrefix(key, "data.") }
	w, err := c.With([]string{"data.label_field=category"}, []Override{{Key: "data.text_field", Value: "1", Flag: "--text-field"}}, data, "it belongs to the model")
	if err != nil || w.Data.TextField != "1" || w.Data.LabelField != "category" || c.Data.TextField != "text" {
		t.Fatalf("%+v %v", w, err)
	}
	if _, err := c.With([]string{"model.l2=1"}, nil, data, "it belongs to the model"); err == nil || err.Error() != "--set model.l2: model.l2 cannot be changed here: it belongs to the model" {
		t.Errorf("got %v", err)
	}
	if _, err := c.With(nil, []Override{{Key: "data.text_field", Value: "", Flag: "--text-field"}}, data, ""); err == nil || !strings.HasPrefix(err.Error(), "--text-field: ") {
		t.Errorf("got %v", err)
	}
}

// TestModelFileAsConfig: a model file given as a config is named as one.
func TestModelFileAsConfig(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m.dlc")
	os.WriteFile(p, []byte("\x10\x00\x00\x00\x00\x00\x00\x00{\"__metadata__\":{}}"), 0o644)
	if _, err := Load(p, nil); err == nil || !strings.Contains(err.Error(), "is not a YAML config but a binary file; to continue training a model file, give it as --init MODEL") {
		t.Errorf("got %v", err)
	}
}

// TestDefaultsAreNotTheFiles: a key the file leaves out is located as a
// default, not at the file, which does not set it.
func TestDefaultsAreNotTheFiles(t *testing.T) {
	p := writeConfig(t, "data:\n  train: t.jsonl\n")
	c, err := Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Where("training.epochs"); got != "default training.epochs" {
		t.Errorf("an unset key is located at %q", got)
	}
	if got := c.Where("data.train"); got != p+":2" {
		t.Errorf("a set key is located at %q", got)
	}
	_, err = Load(p, []string{"data.label_field="})
	if err == nil || err.Error() != "--set data.label_field: data.label_field must name a field, not be empty" {
		t.Errorf("an emptied label field: %v", err)
	}
}
