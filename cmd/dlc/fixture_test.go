package main

import (
	"path/filepath"
	"testing"

	"github.com/dlc-dev/dlc/internal/testenv"
)

// trainFixture trains the model of testdata/NAME/CONFIG (tiny/tiny.yaml,
// topics/topics.yaml) into a temporary folder and returns its path; it
// takes milliseconds. extra are more --set overrides.
func trainFixture(tb testing.TB, name, config string, extra ...string) string {
	tb.Helper()
	dir := filepath.Join(testenv.Root(tb), "testdata", name)
	out := filepath.Join(tb.TempDir(), name+".dlc")
	args := []string{"train", "--quiet", "--config", filepath.Join(dir, config), "--out", out,
		"--set", "data.train=" + filepath.Join(dir, "train.jsonl"), "--set", "data.test=" + filepath.Join(dir, "test.jsonl")}
	for _, s := range extra {
		args = append(args, "--set", s)
	}
	mustRun(tb, "", args...)
	return out
}

func topicsModel(tb testing.TB, extra ...string) string {
	return trainFixture(tb, "topics", "topics.yaml", extra...)
}
