package data

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
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
// be split: only its whole (Shard Count 1) is read. The caller closes c.
func OpenSection(path string, s Shard, header bool) (r io.Reader, sec *Section, c io.Closer, err error) {
	if strings.HasSuffix(strings.ToLower(path), ".gz") && !s.Whole() {
		return nil, nil, nil, fmt.Errorf("%s is gzipped, and a gzip stream cannot be cut into byte ranges for shard %s; give each shard its own file, or decompress it (gzip -dk %s)", path, s, path)
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, nil, NotExist(path)
		}
		return nil, nil, nil, fmt.Errorf("cannot read %s: %v", path, pathErr(err))
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = errors.New("not a regular file")
		}
		return nil, nil, nil, fmt.Errorf("cannot split %s into shards: %v; shards are byte ranges of a regular file", path, pathErr(err))
	}
	sec = &Section{Path: path, Shard: s, before: -1}
	lo, hi := s.Range(st.Size())
	if sec.Start, err = lineStart(f, lo); err == nil {
		sec.End, err = lineStart(f, hi)
	}
	if err != nil {
		f.Close()
		return nil, nil, nil, fmt.Errorf("cannot read %s: %v", path, pathErr(err))
	}
	sec.End = max(sec.End, sec.Start)
	r = io.NewSectionReader(f, sec.Start, sec.End-sec.Start)
	if sec.Start == 0 {
		// The file's start: without its byte-order mark, as TextReader.
		if r, err = TextReader(r, path); err != nil {
			f.Close()
			return nil, nil, nil, err
		}
		return r, sec, f, nil
	}
	if header {
		first, err := firstLine(f)
		if err != nil {
			f.Close()
			return nil, nil, nil, fmt.Errorf("cannot read %s: %v", path, pathErr(err))
		}
		sec.header = true
		r = io.MultiReader(strings.NewReader(first), r)
	}
	return r, sec, f, nil
}

// lineStart returns the offset of the first line starting at or after
// off: off itself when the byte before it ends a line, else the byte after
// the next newline (the file's size when there is none).
func lineStart(f *os.File, off int64) (int64, error) {
	if off == 0 {
		return 0, nil
	}
	br := bufio.NewReaderSize(io.NewSectionReader(f, off-1, 1<<62), 1<<16)
	pos := off - 1
	for {
		chunk, err := br.ReadSlice('\n')
		pos += int64(len(chunk))
		if err == nil || err == io.EOF {
			return pos, nil
		}
		if err != bufio.ErrBufferFull {
			return 0, err
		}
	}
}

// firstLine returns the file's first line with its newline, without a
// byte-order mark.
func firstLine(f *os.File) (string, error) {
	br := bufio.NewReader(io.NewSectionReader(f, 0, 1<<62))
	line, err := br.ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	return strings.TrimPrefix(line, "\ufeff"), nil
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
	f, err := os.Open(s.Path)
	if err != nil {
		return 0
	}
	defer f.Close()
	br := bufio.NewReaderSize(io.NewSectionReader(f, 0, s.Start), 1<<16)
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
