//go:build !cloud

package objstore

import (
	"context"
	"fmt"
	"io"
)

// Built reports whether this binary reads and writes object URLs.
const Built = false

// unbuilt is the error for any use of an object URL in this build.
func unbuilt(u string) error {
	return fmt.Errorf("%s is an object URL, which only a dlc built with object storage reads and writes (go build -tags cloud ./cmd/dlc); give a local file, or use that build", Name(u))
}

// Check returns nil when u is an object URL this build can write, and
// otherwise the error that says why not.
func Check(u string) error { return unbuilt(u) }

// Stat returns what the object at u is.
func Stat(ctx context.Context, u string) (Info, error) { return Info{}, unbuilt(u) }

// Open opens the object at u to read it whole.
func Open(ctx context.Context, u string) (io.ReadCloser, error) { return nil, unbuilt(u) }

// OpenRange opens n bytes of the object at u from offset off (n < 0: to
// its end).
func OpenRange(ctx context.Context, u string, off, n int64) (io.ReadCloser, error) {
	return nil, unbuilt(u)
}

// Write writes the object at u with what write produces: it appears whole
// when write succeeds, and is left as it was when write fails.
func Write(ctx context.Context, u string, write func(w io.Writer) error) error { return unbuilt(u) }

// Glob returns the objects whose URLs match pattern (path.Match's syntax
// in the key), sorted.
func Glob(ctx context.Context, pattern string) ([]string, error) { return nil, unbuilt(pattern) }
