package pipeline

import "testing"

// TestSeveralFiles: a list or a pattern is several files; in an object
// URL a ? starts the query (?region=…): its wildcards are * and [...].
func TestSeveralFiles(t *testing.T) {
	for _, c := range []struct {
		p    Paths
		want bool
	}{
		{Paths{Train: "train.jsonl"}, false},
		{Paths{Train: "s3://b/train.jsonl?region=eu-west-1"}, false},
		{Paths{Train: "part-*.jsonl.gz"}, true},
		{Paths{Train: "s3://b/part-[0-9].jsonl?region=eu-west-1"}, true},
		{Paths{Train: "s3://b/part-?.jsonl"}, false},
		{Paths{Train: "a.jsonl", TrainFiles: []string{"a.jsonl", "b.jsonl"}}, true},
	} {
		if got := c.p.severalFiles(); got != c.want {
			t.Errorf("%+v: severalFiles %v, want %v", c.p, got, c.want)
		}
	}
}
