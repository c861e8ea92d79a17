package data

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
)

// LineReader reads the lines predict and vectorize answer: without their
// end of line, the first without a UTF-8 byte-order mark (Windows tools
// write one), none longer than 64 MiB. It never reads ahead of what it
// must, so a pipe's first line is answered while the next is awaited.
type LineReader struct {
	r    *bufio.Reader
	name string // for errors: "stdin" or the file's name
	n    int    // the number of the line last returned
	buf  []byte
}

// NewLineReader reads the lines of r, named name in errors.
func NewLineReader(r io.Reader, name string) *LineReader {
	return &LineReader{r: bufio.NewReaderSize(r, 1<<16), name: name}
}

// Next returns the next line, valid until the following call, or io.EOF
// after the last one; a failed read is an error naming the input and line.
func (l *LineReader) Next() ([]byte, error) {
	l.n++
	line, err := readLine(l.r, l.buf[:0])
	if line != nil {
		l.buf = line[:0]
	}
	if err == io.EOF {
		return nil, io.EOF
	}
	if le := passOn(err); le != nil {
		return nil, le // a limit of the reader under l: too much gzip
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read %s at line %d: %w", l.name, l.n, err)
	}
	if l.n == 1 {
		line = bytes.TrimPrefix(line, []byte("\ufeff"))
	}
	return line, nil
}

// Line returns the number of the line Next returned last, from 1.
func (l *LineReader) Line() int { return l.n }

// Name returns what the reader reads, as errors name it.
func (l *LineReader) Name() string { return l.name }

// Waiting reports whether more input has already arrived: answers are
// flushed when none has.
func (l *LineReader) Waiting() bool { return l.r.Buffered() > 0 }

// readLine appends the next line of r (without "\n" or "\r\n") to buf.
func readLine(r *bufio.Reader, buf []byte) ([]byte, error) {
	for {
		chunk, err := r.ReadSlice('\n')
		buf = append(buf, chunk...)
		if err == bufio.ErrBufferFull {
			if len(buf) > maxLine {
				return nil, fmt.Errorf("a line is longer than %d MiB", maxLine>>20)
			}
			continue
		}
		if err == io.EOF && len(buf) > 0 {
			err = nil
		}
		return bytes.TrimSuffix(bytes.TrimSuffix(buf, []byte("\n")), []byte("\r")), err
	}
}

// IsRecords reports whether path names a file whose texts are fields
// (JSONL, CSV, TSV, optionally gzipped) rather than lines.
func IsRecords(path string) bool {
	kind := strings.TrimSuffix(strings.ToLower(path), ".gz")
	for _, ext := range []string{".jsonl", ".ndjson", ".json", ".csv", ".tsv"} {
		if strings.HasSuffix(kind, ext) {
			return true
		}
	}
	return false
}
