package pipeline

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/config"
)

// openTinyStream opens train for streamed training under the tiny config
// with sets on top (no test split), writing its rows cache.
func openTinyStream(t *testing.T, train string, sets ...string) (*Plan, *streamData) {
	t.Helper()
	cfg, err := config.Load("../../testdata/tiny/tiny.yaml", append([]string{"data.train=" + train, "data.test=", "training.streaming=true"}, sets...))
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
	return plan, s
}

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
	plan, s := openTinyStream(t, train)
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

// TestEpochWindow: an epoch gives every row of the cache once, as the
// vectorizer made it (label, indices, values), whatever the shuffle
// buffer: in order with none, drawn from a window of 1, 7 or 1,000 rows
// (the packed arena compacted and grown on the way) or one holding every
// row; and a skip leaves out exactly its rows.
func TestEpochWindow(t *testing.T) {
	for _, mode := range []string{"multi_hot", "tf_idf"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			train := filepath.Join(dir, "train.jsonl")
			rng := rand.New(rand.NewPCG(17, 0))
			var lines []string
			var texts, labels []string
			for i := range 4000 {
				var words []string
				for range 5 + rng.IntN(40) {
					words = append(words, "w"+strconv.Itoa(rng.IntN(600)))
				}
				texts = append(texts, strings.Join(words, " "))
				labels = append(labels, []string{"neg", "pos"}[i%2])
				lines = append(lines, `{"text": "`+texts[i]+`", "label": "`+labels[i]+`"}`)
			}
			os.WriteFile(train, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
			_, s := openTinyStream(t, train, "vectorizer.mode="+mode, "vectorizer.max_tokens=500")
			defer s.cache.Close()
			x := s.vec.Transform(texts)
			want := make([]string, len(texts))
			for i := range texts {
				idx, val := x.Row(i)
				want[i] = fmt.Sprint(slices.Index(s.classes, labels[i]), idx, val)
			}
			read := func(e *epochReader) []string {
				t.Helper()
				var got []string
				for {
					r, err := e.next()
					if err != nil {
						t.Fatal(err)
					}
					if r == nil {
						return got
					}
					got = append(got, fmt.Sprint(int(r.label), r.idx, r.val))
				}
			}
			if got := read(s.cache.epoch(nil, false, 1, nil)); !slices.Equal(got, want) {
				t.Fatalf("in order: %d rows, want %d (or other rows)", len(got), len(want))
			}
			sorted := slices.Sorted(slices.Values(want))
			for _, size := range []int{1, 7, 1000, len(texts)} {
				for epoch := range 2 {
					got := read(s.cache.epoch(rand.New(rand.NewPCG(uint64(size), uint64(epoch))), true, size, nil))
					if size > 1 && slices.Equal(got, want) {
						t.Fatalf("window of %d rows, epoch %d: the rows in their order", size, epoch)
					}
					if slices.Sort(got); !slices.Equal(got, sorted) {
						t.Fatalf("window of %d rows, epoch %d: other rows than the cache's", size, epoch)
					}
				}
			}
			odd := func(i int) bool { return i%3 == 1 }
			var kept []string
			for i, w := range want {
				if !odd(i) {
					kept = append(kept, w)
				}
			}
			got := read(s.cache.epoch(rand.New(rand.NewPCG(1, 2)), true, 1000, odd))
			if slices.Sort(got); !slices.Equal(got, slices.Sorted(slices.Values(kept))) {
				t.Fatalf("skipping every third row: %d rows, want %d (or other rows)", len(got), len(kept))
			}
		})
	}
}
