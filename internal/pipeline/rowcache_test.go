package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/config"
)

// TestRowCacheNeverTrusted: a cache cut anywhere, with any byte changed,
// of another version or of other data is refused with why, never read.
func TestRowCacheNeverTrusted(t *testing.T) {
	dir := t.TempDir()
	raw, err := os.ReadFile("../../testdata/tiny/train.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	train := filepath.Join(dir, "train.jsonl")
	os.WriteFile(train, raw, 0o644)
	cfg, err := config.Load("../../testdata/tiny/tiny.yaml", []string{"data.train=" + train, "data.test=", "training.streaming=true"})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := Build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := openStream(context.Background(), plan, []string{train})
	if err != nil {
		t.Fatal(err)
	}
	s.cache.Close()
	path := cachePath(train)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := cacheKey(plan, []string{train})
	check := func(what string, b []byte, want string) {
		t.Helper()
		os.WriteFile(path, b, 0o644)
		c, why := openRowCache(path, key)
		if c != nil {
			c.Close()
			t.Fatalf("%s: the cache was trusted", what)
		}
		if !strings.Contains(why, want) {
			t.Fatalf("%s: refused because it %q; want %q", what, why, want)
		}
	}
	if c, why := openRowCache(path, key); c == nil {
		t.Fatalf("the cache just written is refused: it %s", why)
	} else {
		c.Close()
	}
	for cut := 0; cut < len(good); cut += 1 + len(good)/97 {
		check("cut at "+strconv.Itoa(cut), good[:cut], "")
	}
	for at := 8; at < len(good); at += 1 + len(good)/89 {
		b := append([]byte(nil), good...)
		b[at] ^= 0x40
		check("byte "+strconv.Itoa(at)+" changed", b, "")
	}
	b := append([]byte(nil), good...)
	b[8] = 9
	check("version 9", b, "is of version 9, not this dlc's 1")
	check("foreign", []byte("hello"), "is not a dlc rows cache")
	other, _ := cacheKey(plan, []string{train, train})
	os.WriteFile(path, good, 0o644)
	if c, why := openRowCache(path, other); c != nil || !strings.Contains(why, "is stale") {
		t.Fatalf("a cache of other files: %v, %q", c, why)
	}
}
