package tune

import (
	"context"
	"sync"
	"time"

	"github.com/dlc-dev/dlc/internal/pipeline"
	"github.com/dlc-dev/dlc/internal/sparse"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// foldKey names one fold vectorized one way: trials whose vectorizer
// settings are equal share it.
type foldKey struct {
	vectorizer vectorize.Options
	scaling    vectorize.Scaling
	fold       int
}

// foldRows is one fold vectorized: its training half (on which the
// vectorizer was fitted) and its validation half.
type foldRows struct {
	features   int
	train, val pipeline.Rows
	seconds    float64 // to fit and encode
	bytes      int64
}

// cache holds vectorized folds, computed on first use by whoever asks
// first (the others wait for it) and kept while they fit in limit bytes;
// beyond it the least recently used folds no trial is using are dropped,
// to be vectorized again if asked for.
type cache struct {
	mu      sync.Mutex
	entries map[foldKey]*cacheEntry
	bytes   int64
	limit   int64
	tick    int64
	hits    int
	misses  int
}

type cacheEntry struct {
	ready chan struct{} // closed when rows or err is set
	rows  *foldRows
	err   error
	refs  int   // users holding it
	used  int64 // tick of the last use
}

func newCache(limit int64) *cache {
	return &cache{entries: map[foldKey]*cacheEntry{}, limit: limit}
}

// get returns the fold vectorized as key says, computing it with build
// when no one has; release must be called when the rows are no longer
// used. hit says the rows were there (or being made) already.
func (c *cache) get(ctx context.Context, key foldKey, build func() (*foldRows, error)) (rows *foldRows, hit bool, release func(), err error) {
	c.mu.Lock()
	e, ok := c.entries[key]
	if !ok {
		e = &cacheEntry{ready: make(chan struct{})}
		c.entries[key] = e
		c.misses++
	} else {
		c.hits++
	}
	e.refs++
	c.tick++
	e.used = c.tick
	c.mu.Unlock()
	release = func() {
		c.mu.Lock()
		e.refs--
		c.evict()
		c.mu.Unlock()
	}
	if !ok {
		start := time.Now()
		r, err := build()
		c.mu.Lock()
		if err != nil {
			// Not kept: another trial may ask again (after an
			// interruption, say).
			delete(c.entries, key)
			e.err = err
		} else {
			r.seconds = time.Since(start).Seconds()
			e.rows = r
			c.bytes += r.bytes
		}
		close(e.ready)
		c.mu.Unlock()
	} else {
		select {
		case <-e.ready:
		case <-ctx.Done():
			release()
			return nil, true, nil, ctx.Err()
		}
	}
	if e.err != nil {
		release()
		return nil, ok, nil, e.err
	}
	return e.rows, ok, release, nil
}

// counts returns the folds found vectorized and those vectorized anew.
func (c *cache) counts() (hits, misses int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.misses
}

// evict drops the least recently used folds no one holds until the rest
// fit. c.mu is held.
func (c *cache) evict() {
	for c.bytes > c.limit {
		var oldest foldKey
		var found *cacheEntry
		for k, e := range c.entries {
			if e.refs == 0 && e.rows != nil && (found == nil || e.used < found.used) {
				oldest, found = k, e
			}
		}
		if found == nil {
			return
		}
		delete(c.entries, oldest)
		c.bytes -= found.rows.bytes
	}
}

// matrixBytes is about what a sparse matrix holds in memory.
func matrixBytes(m *sparse.Matrix) int64 {
	return int64(len(m.Indptr))*8 + int64(len(m.Indices))*4 + int64(len(m.Values))*8
}
