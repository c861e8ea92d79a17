package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Every size dlc reads is bounded by what the input can justify, so that a
// small hostile or broken file cannot make it allocate without bound.

// maxLine caps one record of a data file: a JSONL, TSV or predict line, a
// CSV record (which may span lines), a file of a folder dataset. A file
// without newlines, or with a quote that is never closed, is refused once
// this much of it has been read, not collected whole.
const maxLine = 64 << 20

// MaxGzipRatio caps how many times its own size a gzipped input (a .gz
// data file, an IDX file) may decompress to. Real text compresses 3 to 10
// times (IMDB's reviews 2.6×, MNIST's pixels as CSV 8.7×), MNIST's IDX
// files 4.7×, and gzip cannot do better than about 1030×: 100 leaves ten
// times the room any real dataset needs, and stops a gzip bomb after it
// has produced 100 times its size, not when the memory is full. In a data
// file each line counts LineCost bytes more than its length (see there).
// Every input may decompress to GzipFloor whatever its ratio (a small file
// of repeated lines compresses far better than 100×). A caller that
// trusts its inputs (or a config key) may raise it.
var MaxGzipRatio int64 = 100

// GzipFloor is what any gzipped input may decompress to, whatever
// MaxGzipRatio says of its size.
const GzipFloor = 8 << 20

// LineCost is what each line of a gzipped data file counts against
// MaxGzipRatio beyond its length: the memory the example it becomes takes
// beyond its text (dlc train holds 10 million examples of 4 bytes in 1.1
// GB, 110 bytes each). Without it, a gzip bomb of tiny lines within the
// ratio (5.8 MB of "a,b" lines, 583 MB of them within 100×) makes 146
// million examples and runs out of memory; real lines are longer than
// their examples' overhead, so it changes their ratio little (IMDB's
// 2.6× becomes 2.7×).
const LineCost = 100

// IDXByteCost is what each byte of a gzipped IDX file counts against
// MaxGzipRatio: a pixel becomes a float64 (8 bytes) for the network. MNIST
// (4.7×) counts 38 times its size, within 100; 2 images of 16384 × 16384
// need a file of 43 MB, not 5.
const IDXByteCost = 8

// gzipCost says what a gzipped input's content counts against
// MaxGzipRatio: each byte perByte, each line perLine more.
type gzipCost struct {
	perByte, perLine int64
}

var (
	textCost = gzipCost{perByte: 1, perLine: LineCost}
	idxCost  = gzipCost{perByte: IDXByteCost}
)

// of returns the cost of n bytes in lines lines.
func (c gzipCost) of(n, lines int64) int64 { return c.perByte*n + c.perLine*lines }

// rule says how the cost is counted, for messages.
func (c gzipCost) rule() string {
	switch {
	case c.perLine > 0:
		return fmt.Sprintf(", each line counting %d bytes more for the example it makes", c.perLine)
	case c.perByte > 1:
		return fmt.Sprintf(", each byte counting %d for the number it becomes", c.perByte)
	}
	return ""
}

// gzipLimit returns the cost a gzip stream of compressed bytes may
// decompress to.
func gzipLimit(compressed int64) int64 {
	if compressed > (1<<62)/max(1, MaxGzipRatio) {
		return 1 << 62
	}
	return max(GzipFloor, MaxGzipRatio*compressed)
}

// readerSize returns the size of r when it is a regular file, else -1 (a
// pipe, stdin, a reader in memory).
func readerSize(r io.Reader) int64 {
	switch f := r.(type) {
	case *os.File:
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			return st.Size()
		}
	case interface{ Size() int64 }: // an object's reader
		return f.Size()
	}
	return -1
}

// gunzip decompresses the gzip stream r of size bytes (-1 when unknown:
// then the compressed bytes read so far count), refusing, as an error
// naming path, to produce content that costs more than gzipLimit.
func gunzip(r io.Reader, size int64, path string, cost gzipCost) (io.Reader, error) {
	in := &countingReader{r: r}
	z, err := gzip.NewReader(in)
	if err != nil {
		return nil, &LineError{Path: path, Msg: "is not a valid gzip file: " + err.Error()}
	}
	return &inflater{z: z, in: in, size: size, cost: cost, path: path}, nil
}

// inflater reads a gzip stream, counting what it produces against the
// limit its compressed size allows.
type inflater struct {
	z     *gzip.Reader
	in    *countingReader
	size  int64 // of the compressed file, or -1
	cost  gzipCost
	out   int64 // bytes produced so far
	lines int64 // line ends among them
	path  string
}

func (f *inflater) Read(p []byte) (int, error) {
	compressed := f.size
	if compressed < 0 {
		compressed = f.in.n
	}
	limit := gzipLimit(compressed)
	if room := (limit - f.cost.of(f.out, f.lines)) / f.cost.perByte; int64(len(p)) > room {
		// One byte past the limit tells a stream that ends right at it
		// from one that goes on.
		p = p[:max(0, room)+1]
	}
	n, err := f.z.Read(p)
	f.out += int64(n)
	if f.cost.perLine > 0 {
		f.lines += int64(bytes.Count(p[:n], []byte{'\n'}))
	}
	cost := f.cost.of(f.out, f.lines)
	if cost > limit && f.size < 0 && f.in.n > compressed {
		// Reading from a pipe counts the compressed bytes as they come:
		// the ones this read took may allow more.
		compressed = f.in.n
		limit = gzipLimit(compressed)
	}
	if cost > limit {
		lines := ""
		if f.cost.perLine > 0 {
			lines = fmt.Sprintf(" in %d lines", f.lines)
		}
		return n, &LineError{Path: f.path, Msg: fmt.Sprintf("decompresses to more than dlc reads of %s gzipped: %s%s so far, where it allows %s%s; if the file is genuine, gunzip it and give dlc the uncompressed file",
			byteSize(compressed), byteSize(f.out), lines, gzipRule(), f.cost.rule())}
	}
	return n, err
}

// gzipRule says what MaxGzipRatio and GzipFloor allow, for messages.
func gzipRule() string {
	return fmt.Sprintf("%d times the gzipped size, at least %s", MaxGzipRatio, byteSize(GzipFloor))
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// errRecordTooLong is what a CSVReader reports, as a *csv.ParseError at
// the line where the record starts, once a record has gone on for more
// than maxLine bytes.
var errRecordTooLong = fmt.Errorf("a record is longer than %d MiB (is a quote never closed?)", maxLine>>20)

// csvBuffer is the size of the buffer a CSVReader reads through.
const csvBuffer = 1 << 16

// CSVReader reads CSV records as encoding/csv does, but refuses a record
// longer than 64 MiB: encoding/csv has no cap on a record's size, and a
// quote that is never closed makes it collect the rest of the file into
// one field. The record is refused once that much of it was read, before
// more is.
type CSVReader struct {
	*csv.Reader
	lim  *recordLimit
	br   *bufio.Reader // what csv.Reader reads, as it is
	next int           // the line the next record starts on
}

// NewCSVReader returns a CSVReader reading r.
func NewCSVReader(r io.Reader) *CSVReader {
	lim := &recordLimit{r: r}
	br := bufio.NewReaderSize(lim, csvBuffer)
	return &CSVReader{Reader: csv.NewReader(br), lim: lim, br: br, next: 1}
}

// Read returns the next record (see csv.Reader.Read); a record longer than
// the cap is a *csv.ParseError at the line after the previous record.
func (c *CSVReader) Read() ([]string, error) {
	rec, err := c.Reader.Read()
	if err != nil && c.lim.err != nil {
		// What failed below the csv reader (this cap, too much gzip)
		// comes first: encoding/csv parses what it got of the line before
		// reporting it, and may find a fault in the part.
		err = c.lim.err
	}
	if errors.Is(err, errRecordTooLong) {
		return nil, &csv.ParseError{StartLine: c.next, Line: c.next, Column: 1, Err: errRecordTooLong}
	}
	if err != nil {
		return rec, err
	}
	c.lim.start = c.Reader.InputOffset()
	// The record ends on the line its last field starts on, plus the
	// line breaks inside that field (only a quoted one has any).
	last, _ := c.Reader.FieldPos(len(rec) - 1)
	c.next = last + strings.Count(rec[len(rec)-1], "\n") + 1
	// encoding/csv skips blank lines before a record; those it has read
	// ahead are counted (without waiting for more input).
	ahead, _ := c.br.Peek(c.br.Buffered())
	for len(ahead) > 0 {
		if ahead[0] == '\r' && len(ahead) > 1 && ahead[1] == '\n' {
			ahead = ahead[1:]
		}
		if ahead[0] != '\n' {
			break
		}
		ahead = ahead[1:]
		c.next++
	}
	return rec, nil
}

// recordLimit is the reader under a CSVReader's buffer: it fails with
// errRecordTooLong once more than maxLine bytes (plus what the buffer may
// hold ahead) were read since the current record started.
type recordLimit struct {
	r     io.Reader
	read  int64 // bytes handed out so far
	start int64 // offset of the end of the last record
	err   error // the first error other than io.EOF
}

func (l *recordLimit) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	room := l.start + maxLine + csvBuffer - l.read
	if room <= 0 {
		l.err = errRecordTooLong
		return 0, l.err
	}
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := l.r.Read(p)
	l.read += int64(n)
	if err != nil && err != io.EOF {
		l.err = err
	}
	return n, err
}

// stickyReader remembers the first error of its reader other than io.EOF:
// a parser handed the part of a line read before the error may fail on
// that part, and the reader's error is the one to report.
type stickyReader struct {
	r   io.Reader
	err error
}

func (s *stickyReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF && s.err == nil {
		s.err = err
	}
	return n, err
}

// passOn returns the *LineError within err (a limit that the reader under
// a parser enforced: too much decompressed data), or nil.
func passOn(err error) *LineError {
	var le *LineError
	if errors.As(err, &le) {
		return le
	}
	return nil
}
