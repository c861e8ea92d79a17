// Package svmlight reads and writes sparse rows in the svmlight / libsvm
// text format, one example per line:
//
//	label index:value index:value ...
//
// Indices are written 1-based and increasing, as liblinear and libsvm
// require; scikit-learn's load_svmlight_file reads them with its default
// zero_based="auto" (no index is 0, so it shifts them down by one, back to
// the columns of the matrix written). Values are written in the shortest
// form that reads back as the same float64, and a binary (multi-hot) row
// writes 1 for every entry.
package svmlight

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/dlc-dev/dlc/internal/atomicfile"
	"github.com/dlc-dev/dlc/internal/sparse"
)

// A goroutine formats a chunk of rows at a time: chunkRows rows, or fewer
// holding chunkEntries entries or more. Bounding the entries bounds the
// chunk's buffer (about 20 bytes an entry: a few megabytes) whatever the
// rows' width: 512 rows of character n-grams (800 entries each) took 10
// MB a chunk, and growing each of the first buffers to that size, zeroed
// and faulted in anew at every doubling, cost a third of dlc vectorize's
// CPU on R52.
const (
	chunkRows    = 512
	chunkEntries = 1 << 16
)

// chunkStarts returns the first row of each chunk of x, and x.Rows last.
func chunkStarts(x *sparse.Matrix) []int {
	starts := []int{0}
	for lo := 0; lo < x.Rows; {
		hi := lo + 1
		for hi < x.Rows && hi-lo < chunkRows && x.Indptr[hi]-x.Indptr[lo] < chunkEntries {
			hi++
		}
		starts = append(starts, hi)
		lo = hi
	}
	return starts
}

// Write writes x with one label per row (class indices, or the numbers of a
// regression) to w. Rows are
// formatted on every core, in bounded chunks, and written in order.
func Write(w io.Writer, x *sparse.Matrix, labels []float64) error {
	if len(labels) != x.Rows {
		return fmt.Errorf("svmlight: %d labels for %d rows", len(labels), x.Rows)
	}
	return write(w, x, func(num []byte, i int) []byte {
		return strconv.AppendFloat(num, labels[i], 'g', -1, 64)
	})
}

// WriteMulti writes x with a set of labels per row — the class indices of
// row i of sets, comma-separated, none for an empty set — as scikit-learn's
// dump_svmlight_file writes multi-label data and its load_svmlight_file
// reads it with multilabel=True.
func WriteMulti(w io.Writer, x *sparse.Matrix, sets *sparse.Matrix) error {
	if sets.Rows != x.Rows {
		return fmt.Errorf("svmlight: %d label sets for %d rows", sets.Rows, x.Rows)
	}
	return write(w, x, func(num []byte, i int) []byte {
		idx, _ := sets.Row(i)
		for k, c := range idx {
			if k > 0 {
				num = append(num, ',')
			}
			num = strconv.AppendInt(num, int64(c), 10)
		}
		return num
	})
}

// write writes x to w, each row's labels appended to a line by label.
func write(w io.Writer, x *sparse.Matrix, label func(num []byte, row int) []byte) error {
	starts := chunkStarts(x)
	chunks := len(starts) - 1
	workers := min(runtime.GOMAXPROCS(0), max(1, chunks))
	// Each chunk's buffer comes back through its own channel; at most
	// inFlight chunks are formatted ahead of the one being written.
	inFlight := 2 * workers
	results := make([]chan *bytes.Buffer, chunks)
	for i := range results {
		results[i] = make(chan *bytes.Buffer, 1)
	}
	tickets := make(chan int, inFlight)
	free := make(chan *bytes.Buffer, inFlight)
	done := make(chan struct{})
	var wg sync.WaitGroup
	var next atomic.Int64
	for range inFlight {
		tickets <- 0
	}
	for range workers {
		wg.Go(func() {
			var num []byte
			for {
				select {
				case <-tickets:
				case <-done:
					return
				}
				c := int(next.Add(1) - 1)
				if c >= chunks {
					return
				}
				var buf *bytes.Buffer
				select {
				case buf = <-free:
					buf.Reset()
				default:
					buf = new(bytes.Buffer)
				}
				num = formatRows(buf, num, x, label, starts[c], starts[c+1])
				results[c] <- buf
			}
		})
	}
	var err error
	for c := range chunks {
		buf := <-results[c]
		if _, err = w.Write(buf.Bytes()); err != nil {
			break
		}
		free <- buf
		tickets <- 0
	}
	close(done)
	wg.Wait()
	return err
}

// formatRows appends rows lo..hi-1 to buf.
func formatRows(buf *bytes.Buffer, num []byte, x *sparse.Matrix, label func([]byte, int) []byte, lo, hi int) []byte {
	for i := lo; i < hi; i++ {
		num = label(num[:0], i)
		idx, vals := x.Row(i)
		for k, f := range idx {
			num = append(num, ' ')
			num = strconv.AppendInt(num, int64(f)+1, 10)
			if vals == nil {
				num = append(num, ":1"...)
			} else {
				num = append(num, ':')
				num = strconv.AppendFloat(num, vals[k], 'g', -1, 64)
			}
		}
		num = append(num, '\n')
		buf.Write(num)
	}
	return num
}

// WriteFile writes x and its labels to path atomically: a failed write
// leaves no file, or the old one, behind.
func WriteFile(path string, x *sparse.Matrix, labels []float64) error {
	return writeFile(path, func(w io.Writer) error { return Write(w, x, labels) })
}

// WriteFileMulti is WriteFile of multi-label rows (see WriteMulti).
func WriteFileMulti(path string, x *sparse.Matrix, sets *sparse.Matrix) error {
	return writeFile(path, func(w io.Writer) error { return WriteMulti(w, x, sets) })
}

func writeFile(path string, write func(io.Writer) error) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		if err := write(bw); err != nil {
			return fmt.Errorf("cannot write %s: %w", path, err)
		}
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("cannot write %s: %w", path, err)
		}
		return nil
	})
}

// maxLine caps one line, so a file without newlines cannot make Read
// allocate without bound.
const maxLine = 64 << 20

// maxIndex caps a feature index, which becomes the matrix width.
const maxIndex = math.MaxInt32

// Read parses svmlight text from r (named name in messages) into a matrix
// whose width is the largest index seen, or cols if that is larger, and
// the labels. Indices are taken as 1-based, as Write writes them; "#"
// starts a comment. A line with a missing label, a "qid:", an index that
// is not a positive whole number or not above the one before, or a value
// that is not a finite number is an error naming the line.
func Read(r io.Reader, name string, cols int) (*sparse.Matrix, []float64, error) {
	x := sparse.New(cols, false)
	var labels []float64
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), maxLine)
	var idx []int32
	var vals []float64
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		if i := bytes.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := bytes.Fields(line)
		if len(fields) == 0 {
			continue
		}
		fail := func(format string, args ...any) error {
			return fmt.Errorf("%s:%d: %s", name, n, fmt.Sprintf(format, args...))
		}
		label, err := strconv.ParseFloat(string(fields[0]), 64)
		if err != nil || math.IsNaN(label) || math.IsInf(label, 0) {
			return nil, nil, fail("the label %q is not a number", fields[0])
		}
		idx, vals = idx[:0], vals[:0]
		for _, f := range fields[1:] {
			k, v, ok := bytes.Cut(f, []byte(":"))
			if !ok {
				return nil, nil, fail("%q is not index:value", f)
			}
			if string(k) == "qid" {
				return nil, nil, fail("qid (ranking data) is not supported")
			}
			i, err := strconv.ParseInt(string(k), 10, 64)
			if err != nil || i < 1 || i > maxIndex {
				return nil, nil, fail("index %q is not a whole number from 1 to %d", k, maxIndex)
			}
			if len(idx) > 0 && int32(i-1) <= idx[len(idx)-1] {
				return nil, nil, fail("index %d does not follow %d; indices must increase along a line", i, idx[len(idx)-1]+1)
			}
			val, err := strconv.ParseFloat(string(v), 64)
			if err != nil || math.IsNaN(val) || math.IsInf(val, 0) {
				return nil, nil, fail("the value %q of index %d is not a finite number", v, i)
			}
			idx = append(idx, int32(i-1))
			vals = append(vals, val)
		}
		if len(idx) > 0 {
			x.Cols = max(x.Cols, int(idx[len(idx)-1])+1)
		}
		x.AppendRow(idx, vals)
		labels = append(labels, label)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, nil, fmt.Errorf("%s: a line is longer than %d MiB", name, maxLine>>20)
		}
		return nil, nil, fmt.Errorf("cannot read %s: %w", name, err)
	}
	return x, labels, nil
}

// ReadFile reads an svmlight file; see Read.
func ReadFile(path string, cols int) (*sparse.Matrix, []float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	defer f.Close()
	return Read(f, path, cols)
}
