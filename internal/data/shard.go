package data

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/dlc-dev/dlc/internal/objstore"
)

// Shard is one of Count contiguous shares of an input, numbered from 0:
// the unit of work of the engines that run dlc side by side (Spark, Hadoop
// Streaming, a Kubernetes Indexed Job, mpirun, GNU parallel). The zero
// value, and any Shard of Count 1, is the whole input.
type Shard struct {
	Index, Count int
}

// ParseShard reads "i/n": shard i (from 0) of n.
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, errors.New("is not a shard; write i/n, shard i (counted from 0) of n: 0/4, 1/4, 2/4, 3/4")
	}
	return NewShard(i, n)
}

// NewShard returns shard i of n, checked.
func NewShard(i, n int) (Shard, error) {
	switch {
	case n < 1:
		return Shard{}, fmt.Errorf("a shard count must be at least 1, not %d", n)
	case i < 0 || i >= n:
		return Shard{}, fmt.Errorf("is not a shard: the %d shards are counted from 0 to %d", n, n-1)
	}
	return Shard{Index: i, Count: n}, nil
}

// Whole reports whether the shard is the whole input.
func (s Shard) Whole() bool { return s.Count <= 1 }

func (s Shard) String() string {
	if s.Whole() {
		return "0/1"
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Range returns the shard's share [lo, hi) of n items (bytes, images):
// shares differ in size by at most one and, in shard order, cover 0..n.
func (s Shard) Range(n int64) (lo, hi int64) {
	if s.Whole() {
		return 0, n
	}
	c, i := int64(s.Count), int64(s.Index)
	// n/c*i + n%c*i/c is n*i/c without the overflow of n*i.
	at := func(i int64) int64 { return n/c*i + n%c*i/c }
	return at(i), at(i + 1)
}

// Section is the part of a file a shard reads: the lines that start in
// its byte range, as Hadoop's TextInputFormat splits a file. A line
// belongs to the shard whose range holds its first byte, so every line
// belongs to exactly one shard whatever the line lengths, and the shards'
// sections, in order, are the file.
type Section struct {
	Path  string
	Shard Shard
	// Start and End are the bytes of the file the shard reads: from the
	// first line starting at or after its range's start to the first line
	// starting at or after its range's end.
	Start, End int64
	// header is true when the section is read after the file's first line
	// (a CSV or TSV header), which is then the reader's line 1.
	header bool
	before int // lines of the file before Start, once counted; -1 not yet
}

// OpenSection opens the shard's section of the file at path; with header,
// the file's first line (a CSV or TSV header) is read first by every shard
// but shard 0, whose section starts with it anyway. A gzipped file cannot
// be split: only its whole (Shard Count 1) is read. An object (s3://,
// gs://) is read by byte ranges: a shard fetches its section, not the
// object. The caller closes c.
func OpenSection(path string, s Shard, header bool) (r io.Reader, sec *Section, c io.Closer, err error) {
	if strings.HasSuffix(strings.ToLower(objstore.Name(path)), ".gz") && !s.Whole() {
		return nil, nil, nil, fmt.Errorf("%s is gzipped, and a gzip stream cannot be cut into byte ranges for shard %s; give each shard its own file, or decompress it (gzip -dk %s)", path, s, path)
	}
	src, err := openSource(path)
	if err != nil {
		return nil, nil, nil, err
	}
	fail := func(err error) (io.Reader, *Section, io.Closer, error) {
		src.Close()
		return nil, nil, nil, fmt.Errorf("cannot read %s: %v", path, pathErr(err))
	}
	sec = &Section{Path: path, Shard: s, before: -1}
	lo, hi := s.Range(src.size())
	if sec.Start, err = lineStart(src, lo); err == nil {
		sec.End, err = lineStart(src, hi)
	}
	if err != nil {
		return fail(err)
	}
	sec.End = max(sec.End, sec.Start)
	body, err := src.section(sec.Start, sec.End-sec.Start)
	if err != nil {
		return fail(err)
	}
	c = closers{body, src}
	r = body
	if sec.Start == 0 {
		// The file's start: without its byte-order mark, as TextReader.
		if r, err = TextReader(r, path); err != nil {
			c.Close()
			return nil, nil, nil, err
		}
		return r, sec, c, nil
	}
	if header {
		first, err := firstLine(src)
		if err != nil {
			body.Close()
			return fail(err)
		}
		sec.header = true
		r = io.MultiReader(strings.NewReader(first), r)
	}
	return r, sec, c, nil
}

// closers closes each of its closers, and returns the first error.
type closers []io.Closer

func (cs closers) Close() error {
	var first error
	for _, c := range cs {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// source is what a shard reads by byte ranges: a regular file, or an
// object.
type source interface {
	size() int64
	// section opens n bytes from off.
	section(off, n int64) (io.ReadCloser, error)
	Close() error
}

// openSource opens the file or object at path to be read by ranges.
func openSource(path string) (source, error) {
	if objstore.IsURL(path) {
		info, err := objstore.Stat(context.Background(), path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, NotExist(path)
			}
			return nil, err
		}
		return &objectSource{url: path, n: info.Size}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, NotExist(path)
		}
		return nil, fmt.Errorf("cannot read %s: %v", path, pathErr(err))
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = errors.New("not a regular file")
		}
		return nil, fmt.Errorf("cannot split %s into shards: %v; shards are byte ranges of a regular file", path, pathErr(err))
	}
	return &fileSource{f: f, n: st.Size()}, nil
}

type fileSource struct {
	f *os.File
	n int64
}

func (s *fileSource) size() int64  { return s.n }
func (s *fileSource) Close() error { return s.f.Close() }
func (s *fileSource) section(off, n int64) (io.ReadCloser, error) {
	return io.NopCloser(io.NewSectionReader(s.f, off, n)), nil
}

type objectSource struct {
	url string
	n   int64
}

func (s *objectSource) size() int64  { return s.n }
func (s *objectSource) Close() error { return nil }
func (s *objectSource) section(off, n int64) (io.ReadCloser, error) {
	n = min(n, s.n-off)
	if n <= 0 { // nothing to fetch: a range past the end is an error to S3
		return io.NopCloser(strings.NewReader("")), nil
	}
	return objstore.OpenRange(context.Background(), s.url, off, n)
}

// probe is how many bytes a search for a line's end reads at a time: one
// request of an object, one buffer of a file.
const probe = 1 << 16

// lineStart returns the offset of the first line starting at or after
// off: off itself when the byte before it ends a line, else the byte after
// the next newline (the file's size when there is none).
func lineStart(src source, off int64) (int64, error) {
	if off == 0 {
		return 0, nil
	}
	return lineEnd(src, off-1)
}

// lineEnd returns the offset after the first newline at or after off, or
// the size of src when there is none.
func lineEnd(src source, off int64) (int64, error) {
	buf := make([]byte, probe)
	for off < src.size() {
		r, err := src.section(off, probe)
		if err != nil {
			return 0, err
		}
		n, err := io.ReadFull(r, buf[:min(probe, src.size()-off)])
		r.Close()
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			return off + int64(i) + 1, nil
		}
		if err != nil {
			return 0, err
		}
		off += int64(n)
	}
	return src.size(), nil
}

// firstLine returns the file's first line with its newline, without a
// byte-order mark.
func firstLine(src source) (string, error) {
	end, err := lineEnd(src, 0)
	if err != nil {
		return "", err
	}
	r, err := src.section(0, end)
	if err != nil {
		return "", err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		return "", err
	}
	return strings.TrimPrefix(string(b), "\ufeff"), nil
}

// FileLine returns the line of the file that is line n of the section's
// reader. Lines before the section are counted the first time it is asked
// (an error's line), never on the way.
func (s *Section) FileLine(n int) int {
	if s.Start == 0 {
		return n
	}
	if s.header {
		if n == 1 {
			return 1
		}
		n--
	}
	if s.before < 0 {
		s.before = s.countBefore()
	}
	return s.before + n
}

// countBefore counts the lines of the file before Start.
func (s *Section) countBefore() int {
	src, err := openSource(s.Path)
	if err != nil {
		return 0
	}
	defer src.Close()
	r, err := src.section(0, s.Start)
	if err != nil {
		return 0
	}
	defer r.Close()
	br := bufio.NewReaderSize(r, 1<<16)
	n := 0
	for {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 && chunk[len(chunk)-1] == '\n' {
			n++
		}
		if err != nil && err != bufio.ErrBufferFull {
			return n
		}
	}
}

// FixLine makes the line of a *LineError from the section's reader a line
// of the file; other errors are returned as they are. A CSV record cut at
// the section's end (a quoted field holding a line break) is said to be
// one that shards cannot split.
func (s *Section) FixLine(err error) error {
	var le *LineError
	if s == nil || !errors.As(err, &le) || le.Path != s.Path {
		return err
	}
	fixed := *le
	if fixed.Line > 0 {
		fixed.Line = s.FileLine(fixed.Line)
	}
	if !s.Shard.Whole() && strings.Contains(fixed.Msg, `"`) && strings.Contains(fixed.Msg, "quote") {
		fixed.Msg += fmt.Sprintf(" (in shard %s, bytes %d-%d: a quoted field holding a line break cannot be split into shards; write such data as JSONL)", s.Shard, s.Start, s.End)
	}
	return &fixed
}
