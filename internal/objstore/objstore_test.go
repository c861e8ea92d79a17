package objstore_test

import (
	"context"
	"testing"

	"github.com/dlc-dev/dlc/internal/objstore"
)

func TestURLHelpers(t *testing.T) {
	for _, c := range []struct {
		in   string
		url  bool
		name string
	}{
		{"s3://b/k.jsonl?region=x", true, "s3://b/k.jsonl"},
		{"GS://b/k", true, "GS://b/k"},
		{"data/s3://x", false, "data/s3://x"},
		{"s3://", false, "s3://"},
		{"train.jsonl?x", false, "train.jsonl?x"},
	} {
		if objstore.IsURL(c.in) != c.url || objstore.Name(c.in) != c.name {
			t.Errorf("%q: IsURL %v, Name %q; want %v, %q", c.in, objstore.IsURL(c.in), objstore.Name(c.in), c.url, c.name)
		}
	}
	if got, want := objstore.Join("s3://b/out/?region=x", "train.svm"), "s3://b/out/train.svm?region=x"; got != want {
		t.Errorf("Join = %q, want %q", got, want)
	}
}

// Without the cloud tag an object URL is one sentence that says which
// build reads it.
func TestUnbuilt(t *testing.T) {
	if objstore.Built {
		t.Skip("this build reads object URLs (-tags cloud)")
	}
	_, err := objstore.Stat(context.Background(), "s3://bucket/train.jsonl?region=eu-west-1")
	want := "s3://bucket/train.jsonl is an object URL, which only a dlc built with object storage reads and writes (go build -tags cloud ./cmd/dlc); give a local file, or use that build"
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}
