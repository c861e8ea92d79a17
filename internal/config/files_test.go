package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestTrainList: data.train may be a list; its entries are relative to the
// config's folder (an absolute path or an object URL as it is), recorded
// absolute, rendered as a list and read back from it, and a missing entry
// is named by its index.
func TestTrainList(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "proj", "c.yaml")
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.WriteFile(p, []byte("data:\n  train:\n    - a.jsonl.gz\n    - /abs/b.jsonl.gz\n    - part-*.jsonl\n    - s3://bucket/c.jsonl\n"), 0o644)
	c, err := Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Files{filepath.Join(dir, "proj", "a.jsonl.gz"), "/abs/b.jsonl.gz", filepath.Join(dir, "proj", "part-*.jsonl"), "s3://bucket/c.jsonl"}
	if !slices.Equal(c.Data.Train, want) {
		t.Fatalf("data.train %q, want %q", c.Data.Train, want)
	}
	msg := c.Missing("data.train[0]").Error()
	if wantMsg := p + ":2: data.train[0] a.jsonl.gz does not exist in " + filepath.Join(dir, "proj") + " (the config's folder: paths in a config are relative to it)"; msg != wantMsg {
		t.Errorf("missing entry:\n%s\nwant\n%s", msg, wantMsg)
	}
	if msg := c.Missing("data.train[1]").Error(); msg != p+":2: data.train[1] /abs/b.jsonl.gz does not exist" {
		t.Errorf("missing absolute entry: %s", msg)
	}

	// Rendered as a YAML list; a file that holds it loads the same list.
	y, err := c.YAML()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(y, "  train:\n    - "+want[0]+"\n    - /abs/b.jsonl.gz\n") {
		t.Errorf("YAML:\n%s", y)
	}
	q := filepath.Join(dir, "again.yaml")
	os.WriteFile(q, []byte(y), 0o644)
	again, err := Load(q, nil)
	if err != nil || !slices.Equal(again.Data.Train, want) {
		t.Errorf("read back: %q, %v", again.Data.Train, err)
	}
	// Values and Sets (a checkpoint's record of the config) round-trip it.
	back, err := LoadWith("", Sets(c.Values()), nil)
	if err != nil || !slices.Equal(back.Data.Train, want) {
		t.Errorf("Sets(Values()): %q, %v", back.Data.Train, err)
	}
	// Relative to another folder: the copy's, not c's.
	rel := c.RelativeTo(filepath.Join(dir, "proj"))
	if rel.Data.Train[0] != "a.jsonl.gz" || c.Data.Train[0] != want[0] || rel.Data.Train[3] != "s3://bucket/c.jsonl" {
		t.Errorf("RelativeTo: %q (c: %q)", rel.Data.Train, c.Data.Train)
	}
}

// TestTrainOneIsAString: one file is recorded as a string, as before
// lists were accepted (a model's config, and so its bytes, are unchanged);
// a list as a list.
func TestTrainOneIsAString(t *testing.T) {
	for _, c := range []struct {
		f    Files
		want string
	}{{nil, `""`}, {Files{"a.jsonl"}, `"a.jsonl"`}, {Files{"a", "b"}, `["a","b"]`}} {
		b, err := json.Marshal(c.f)
		if err != nil || string(b) != c.want {
			t.Errorf("%q: %s, want %s", c.f, b, c.want)
		}
		var back Files
		if err := json.Unmarshal(b, &back); err != nil || !slices.Equal(back, c.f) {
			t.Errorf("%s read back as %q, %v", b, back, err)
		}
	}
}

func TestTrainListErrors(t *testing.T) {
	for set, want := range map[string]string{
		"data.train=[a.jsonl, 3]":                "data.train[1] must be a file name, not 3",
		"data.train=[]":                          "data.train is an empty list; name at least one file",
		"data.train=[a.jsonl, b.jsonl, a.jsonl]": "data.train[2] a.jsonl is also data.train[0]; a file listed twice would be read twice",
		"data.train={a: 1}":                      "data.train must be a file name, a pattern (part-*.jsonl.gz) or a list of them ([a.jsonl.gz, b.jsonl.gz]), not",
	} {
		_, err := Load("", []string{set})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("--set %s: %v, want %q", set, err, want)
		}
	}
}
