package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
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
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), args, &IO{In: strings.NewReader(""), Out: &stdout, Err: &stderr}); code != 0 {
		tb.Fatalf("dlc %s: exit %d\n%s", strings.Join(args, " "), code, stderr.String())
	}
	return out
}

func topicsModel(tb testing.TB, extra ...string) string {
	return trainFixture(tb, "topics", "topics.yaml", extra...)
}

// benchModel is the topics model, for benchmarks of the per-line path.
func benchModel(b *testing.B) string { return topicsModel(b) }
