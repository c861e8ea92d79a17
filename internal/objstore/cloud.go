//go:build cloud

package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/gcsblob" // gs://: Cloud Storage, credentials from the environment (ADC)
	_ "gocloud.dev/blob/s3blob"  // s3://: S3 and its kin, credentials from AWS_* and ~/.aws
	"gocloud.dev/gcerrors"
)

// Built reports whether this binary reads and writes object URLs.
const Built = true

// buckets are the buckets opened so far, by URL (with its query): a
// bucket holds a client and its connections, reused by every object.
var buckets struct {
	sync.Mutex
	open map[string]*blob.Bucket
}

func bucket(l location) (*blob.Bucket, error) {
	buckets.Lock()
	defer buckets.Unlock()
	if b, ok := buckets.open[l.bucket]; ok {
		return b, nil
	}
	// The bucket outlives the call that opens it: not its context.
	b, err := blob.OpenBucket(context.Background(), l.bucket)
	if err != nil {
		return nil, fmt.Errorf("cannot open the bucket %s: %v", l.bucket, err)
	}
	if buckets.open == nil {
		buckets.open = map[string]*blob.Bucket{}
	}
	buckets.open[l.bucket] = b
	return b, nil
}

func open(u string) (*blob.Bucket, location, error) {
	l, err := parse(u)
	if err != nil {
		return nil, l, err
	}
	b, err := bucket(l)
	return b, l, err
}

// readErr is the error of a read of u: a missing object is fs.ErrNotExist.
func readErr(u string, err error) error {
	if gcerrors.Code(err) == gcerrors.NotFound {
		return &notExist{url: Name(u)}
	}
	return fmt.Errorf("cannot read %s: %v", Name(u), err)
}

// Check returns nil when u is an object URL this build can write, and
// otherwise the error that says why not.
func Check(u string) error {
	_, err := parse(u)
	return err
}

// Stat returns what the object at u is.
func Stat(ctx context.Context, u string) (Info, error) {
	b, l, err := open(u)
	if err != nil {
		return Info{}, err
	}
	a, err := b.Attributes(ctx, l.key)
	if err != nil {
		return Info{}, readErr(u, err)
	}
	return Info{Size: a.Size, ModTime: a.ModTime, ETag: a.ETag}, nil
}

// Open opens the object at u to read it whole.
func Open(ctx context.Context, u string) (io.ReadCloser, error) {
	return OpenRange(ctx, u, 0, -1)
}

// OpenRange opens n bytes of the object at u from offset off (n < 0: to
// its end). Only those bytes are fetched: a shard reads its section of an
// object, not the object.
func OpenRange(ctx context.Context, u string, off, n int64) (io.ReadCloser, error) {
	b, l, err := open(u)
	if err != nil {
		return nil, err
	}
	r, err := b.NewRangeReader(ctx, l.key, off, n, nil)
	if err != nil {
		return nil, readErr(u, err)
	}
	return &reader{r: r, u: u}, nil
}

// reader names the object in the errors of its reads.
type reader struct {
	r *blob.Reader
	u string
}

func (r *reader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		err = readErr(r.u, err)
	}
	return n, err
}

func (r *reader) Close() error { return r.r.Close() }

// Write writes the object at u with what write produces: it appears whole
// when write succeeds, and is left as it was when write fails. The object
// is committed when the blob writer is closed; a failed write cancels the
// writer's context first, which discards what was sent.
func Write(ctx context.Context, u string, write func(w io.Writer) error) (err error) {
	b, l, err := open(u)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := b.NewWriter(ctx, l.key, nil)
	if err != nil {
		return fmt.Errorf("cannot write %s: %v", Name(u), err)
	}
	if err := write(w); err != nil {
		cancel()
		w.Close()
		return fmt.Errorf("cannot write %s: %w", Name(u), err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %v", Name(u), err)
	}
	return nil
}

// Glob returns the objects whose URLs match pattern (path.Match's syntax
// in the key), sorted. It lists the keys that start with the pattern's
// part before its first wildcard.
func Glob(ctx context.Context, pattern string) ([]string, error) {
	b, l, err := open(pattern)
	if err != nil {
		return nil, err
	}
	if _, err := path.Match(l.key, ""); err != nil {
		return nil, fmt.Errorf("%s is not a valid pattern: %v", Name(pattern), err)
	}
	prefix := l.key
	if i := strings.IndexAny(prefix, `*?[\`); i >= 0 {
		prefix = prefix[:i]
	}
	pu, _ := url.Parse(pattern)
	var out []string
	it := b.List(&blob.ListOptions{Prefix: prefix})
	for {
		o, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("cannot list %s: %v", Name(pattern), err)
		}
		if ok, _ := path.Match(l.key, o.Key); !ok || o.IsDir {
			continue
		}
		m := url.URL{Scheme: pu.Scheme, Host: pu.Host, Path: "/" + o.Key, RawQuery: pu.RawQuery}
		out = append(out, m.String())
	}
	slices.Sort(out)
	return out, nil
}

// Size is the object's size, for the gzip reader's bound.
func (r *reader) Size() int64 { return r.r.Size() }

// location is an object URL cut into the URL of its bucket (with the
// query, which configures the client: region, endpoint, use_path_style)
// and the object's key.
type location struct {
	bucket, key string
}

// parse cuts u into its bucket and key.
func parse(u string) (location, error) {
	pu, err := url.Parse(u)
	if err != nil {
		return location{}, fmt.Errorf("%s is not an object URL: %v", u, err)
	}
	key := strings.TrimPrefix(pu.Path, "/")
	if pu.Host == "" || key == "" {
		return location{}, fmt.Errorf("%s names no object; write %s://BUCKET/KEY", u, strings.ToLower(pu.Scheme))
	}
	b := url.URL{Scheme: strings.ToLower(pu.Scheme), Host: pu.Host, RawQuery: pu.RawQuery}
	return location{bucket: b.String(), key: key}, nil
}

// notExist is the error for an object that does not exist; it is
// fs.ErrNotExist to errors.Is, as a missing file's is.
type notExist struct{ url string }

func (e *notExist) Error() string { return e.url + " does not exist" }
func (e *notExist) Unwrap() error { return fs.ErrNotExist }
