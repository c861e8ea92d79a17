package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestYAMLReadsBack: a config written by YAML, every key of it, loads back
// to the same values, for the defaults and for values that need care in
// YAML (a label that reads as a number, a column with a colon, a fraction
// of 1.0, a tiny learning rate, layers with dropout, a switch turned off);
// keep leaves keys out, and a key left out loads at its default.
func TestYAMLReadsBack(t *testing.T) {
	dir := t.TempDir()
	c, err := Load(writeConfig(t, `data:
  train: "a: b.csv"
  task: classification
vectorizer:
  mode: tf_idf
  min_df: 2
  max_df: 1.0
  sublinear_tf: true
model:
  layers: [{units: 64, activation: relu, dropout: 0.25}, {units: 8, activation: tanh}]
  output: linear
loss: hinge
optimizer:
  name: adagrad
  learning_rate: 0.00001
  initial_accumulator: 0.0001
  lazy: false
training:
  class_weight: {"1": 2, "yes": 0.5, "a b": 3}
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	dense, err := Load(writeConfig(t, `data:
  train: t.csv
  features: ["x: 1", "true", "null"]
vectorizer:
  mode: dense
  scale: fixed
  divisor: 255
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]*Config{"defaults": Default(), "odd values": c, "dense": dense} {
		// Paths in a config file are relative to its folder.
		text := cfg.RelativeTo(dir).KeysYAML(func(string) bool { return true })
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".yaml")
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		back, err := Load(p, nil)
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, text)
		}
		want, _ := json.Marshal(cfg.Absolute())
		got, _ := json.Marshal(back.Absolute())
		if string(got) != string(want) {
			t.Errorf("%s: read back\n%s\nwant\n%s\nfrom\n%s", name, got, want, text)
		}
	}
	part := c.KeysYAML(func(k string) bool { return k == "loss" || strings.HasPrefix(k, "optimizer.") && k != "optimizer.lazy" })
	if strings.Contains(part, "data:") || !strings.Contains(part, "loss: hinge\noptimizer:\n  name: adagrad\n") || strings.Contains(part, "lazy") {
		t.Errorf("keep: wrote\n%s", part)
	}
}
