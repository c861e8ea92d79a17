package checkpoint

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
	"strconv"
)

// The file: an 8-byte magic, the header's length (uint64, little-endian),
// the header (JSON: the metadata and the list of arrays with their types
// and lengths), the arrays back to back (little-endian), and the CRC-32C of
// everything before it. A file cut short, or with any byte changed, fails
// the checksum; the sizes the header declares are checked against the
// file's size before anything is allocated.
const (
	magic = "DLCCKPT\n"
	// FormatVersion is the layout's version; a newer one is refused.
	// Version 2 (issue 16): a calibrating checkpoint may name the file
	// holding the model's network (Checkpoint.MainFile) instead of holding
	// it; version 1 files, which always hold it, are still read.
	// Version 3 (issue 13): the same layout as 2, but an adam state in it
	// is the lazy path that follows the dense rule, with its row counters
	// (optimizer.done, optimizer.behind), which a dlc of version 2 would
	// ignore and go on as lazyadam; this dlc refuses a lazy adam state of
	// an earlier version (gd's Adam.loadState) and reads everything else.
	FormatVersion = 3
	// The header's format of a checkpoint file and of a network file
	// (see WriteNetwork).
	checkpointFormat = "dlc-checkpoint"
	networkFormat    = "dlc-checkpoint-network"
	// maxHeader caps the JSON header (the per-epoch history is in it).
	maxHeader = 64 << 20
)

// Float is a float64 that JSON holds even when it is NaN or infinite
// (as the strings "NaN", "+Inf", "-Inf"), and exactly: Go writes the
// shortest decimal that reads back to the same bits.
type Float float64

// MarshalJSON implements json.Marshaler.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte(`"` + strconv.FormatFloat(v, 'g', -1, 64) + `"`), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *Float) UnmarshalJSON(b []byte) error {
	var s string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		switch s {
		case "NaN", "+Inf", "-Inf":
		default:
			return fmt.Errorf("%q is not a number", s)
		}
	} else {
		s = string(b)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("%q is not a number", s)
	}
	*f = Float(v)
	return nil
}

// array is one array of the file: its name, type and length.
type array struct {
	Name  string `json:"name"`
	DType string `json:"dtype"` // f64, i64 or u8
	Len   int    `json:"len"`
}

var dtypeSize = map[string]int{"f64": 8, "i64": 8, "u8": 1}

type header struct {
	Format        string          `json:"format"`
	FormatVersion int             `json:"format_version"`
	Meta          json.RawMessage `json:"meta"`
	Arrays        []array         `json:"arrays"`
}

// arrays is what an encoder writes and a decoder reads: named arrays of
// float64, int64 or bytes.
type arrays struct {
	list []array
	f64  map[string][]float64
	i64  map[string][]int64
	u8   map[string][]byte
}

func newArrays() *arrays {
	return &arrays{f64: map[string][]float64{}, i64: map[string][]int64{}, u8: map[string][]byte{}}
}

// chunk is the bytes converted at a time on a big-endian machine.
const chunk = 1 << 16

// castagnoli is CRC-32C's table; sumSize the trailer's bytes.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

const sumSize = 4

// writeWords writes n words, word(i) each, little-endian, through buf.
func writeWords(w io.Writer, buf []byte, n int, word func(int) uint64) []byte {
	if buf == nil {
		buf = make([]byte, chunk)
	}
	for lo := 0; lo < n; lo += chunk / 8 {
		k := min(n-lo, chunk/8)
		putWords(buf, k, func(i int) uint64 { return word(lo + i) })
		w.Write(buf[:8*k])
	}
	return buf
}

// readWords reads n little-endian words through buf, handing each to set.
func readWords(r io.Reader, buf []byte, n int, set func(i int, w uint64)) ([]byte, error) {
	if buf == nil {
		buf = make([]byte, chunk)
	}
	for lo := 0; lo < n; lo += chunk / 8 {
		k := min(n-lo, chunk/8)
		if _, err := io.ReadFull(r, buf[:8*k]); err != nil {
			return buf, err
		}
		for i := range k {
			set(lo+i, binary.LittleEndian.Uint64(buf[8*i:]))
		}
	}
	return buf, nil
}

func (a *arrays) has(name string) bool {
	_, f := a.f64[name]
	_, i := a.i64[name]
	_, u := a.u8[name]
	return f || i || u
}

func (a *arrays) putF64(name string, v []float64) {
	a.list = append(a.list, array{name, "f64", len(v)})
	a.f64[name] = v
}

func (a *arrays) putI64(name string, v []int64) {
	a.list = append(a.list, array{name, "i64", len(v)})
	a.i64[name] = v
}

func (a *arrays) putInts(name string, v []int) {
	w := make([]int64, len(v))
	for i, x := range v {
		w[i] = int64(x)
	}
	a.putI64(name, w)
}

func (a *arrays) putU8(name string, v []byte) {
	a.list = append(a.list, array{name, "u8", len(v)})
	a.u8[name] = v
}

// encode writes the file: meta as the header's metadata, then a's arrays;
// format is the header's (checkpointFormat or networkFormat).
func encode(w io.Writer, format string, meta any, a *arrays) error {
	return encodeVersion(w, format, FormatVersion, meta, a)
}

// encodeVersion is encode writing the layout version given (a test writes
// an older one).
func encodeVersion(w io.Writer, format string, version int, meta any, a *arrays) error {
	m, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("checkpoint: encoding its metadata: %w", err)
	}
	h, err := json.Marshal(header{Format: format, FormatVersion: version, Meta: m, Arrays: a.list})
	if err != nil {
		return err
	}
	sum := crc32.New(castagnoli)
	bw := bufio.NewWriterSize(&summed{w: w, sum: sum}, 1<<16)
	bw.WriteString(magic)
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(h)))
	bw.Write(n[:])
	bw.Write(h)
	var buf []byte
	for _, ar := range a.list {
		switch ar.DType {
		case "f64":
			v := a.f64[ar.Name]
			if littleEndian {
				bw.Write(f64Bytes(v))
				continue
			}
			buf = writeWords(bw, buf, len(v), f64Word(v))
		case "i64":
			v := a.i64[ar.Name]
			if littleEndian {
				bw.Write(i64Bytes(v))
				continue
			}
			buf = writeWords(bw, buf, len(v), i64Word(v))
		case "u8":
			bw.Write(a.u8[ar.Name])
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	var trailer [4]byte
	binary.LittleEndian.PutUint32(trailer[:], sum.Sum32())
	_, err = w.Write(trailer[:])
	return err
}

// piece is the bytes summed writes and checksums at a time.
const piece = 256 << 10

// summed writes to w and checksums what it wrote, a piece at a time: the
// checksum reads each piece right after the write copied it, while it is
// still in the processor's cache, instead of reading a 112 MB array from
// memory a second time once the whole of it was written (what an
// io.MultiWriter does).
type summed struct {
	w   io.Writer
	sum hash.Hash32
}

func (s *summed) Write(p []byte) (int, error) {
	done := 0
	for len(p) > 0 {
		k := min(len(p), piece)
		n, err := s.w.Write(p[:k])
		s.sum.Write(p[:n])
		done += n
		if err != nil {
			return done, err
		}
		p = p[k:]
	}
	return done, nil
}

// errCorrupt is the error of a file that fails its checksum or its own
// sizes: a checkpoint cut short (a crash while it was copied, a disk
// full) or changed.
var errCorrupt = errors.New("is torn or corrupt")

// decode reads a file of size bytes from r into meta and returns its
// arrays and its layout version; the file's header must say format. Every
// size is checked against size before it is allocated, and the checksum is
// checked before decode returns anything.
func decode(r io.Reader, size int64, format string, meta any) (*arrays, int, error) {
	if size < int64(len(magic))+8+sumSize {
		return nil, 0, fmt.Errorf("%w: %d bytes is shorter than any checkpoint", errCorrupt, size)
	}
	sum := crc32.New(castagnoli)
	br := bufio.NewReaderSize(io.TeeReader(io.LimitReader(r, size-sumSize), sum), 1<<16)
	var head [16]byte
	if _, err := io.ReadFull(br, head[:]); err != nil {
		return nil, 0, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	if string(head[:8]) != magic {
		return nil, 0, errors.New("is not a dlc checkpoint")
	}
	hl := binary.LittleEndian.Uint64(head[8:])
	body := uint64(size) - 16 - sumSize
	if hl > maxHeader || hl > body {
		return nil, 0, fmt.Errorf("%w: its header claims %d bytes of %d", errCorrupt, hl, body)
	}
	hb := make([]byte, hl)
	if _, err := io.ReadFull(br, hb); err != nil {
		return nil, 0, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	var h header
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, 0, fmt.Errorf("%w: its header: %v", errCorrupt, err)
	}
	if h.Format != format {
		return nil, 0, errors.New("is not a dlc checkpoint")
	}
	if h.FormatVersion < 1 || h.FormatVersion > FormatVersion {
		return nil, 0, fmt.Errorf("has format version %d, which this dlc (format %d) cannot read; use a newer dlc", h.FormatVersion, FormatVersion)
	}
	left := body - hl
	for _, ar := range h.Arrays {
		sz, ok := dtypeSize[ar.DType]
		if !ok || ar.Len < 0 || uint64(ar.Len) > left/uint64(sz) {
			return nil, 0, fmt.Errorf("%w: array %q (%s × %d) does not fit in the file", errCorrupt, ar.Name, ar.DType, ar.Len)
		}
		left -= uint64(ar.Len) * uint64(sz)
	}
	if left != 0 {
		return nil, 0, fmt.Errorf("%w: %d bytes beyond its arrays", errCorrupt, left)
	}
	a := newArrays()
	var buf []byte
	for _, ar := range h.Arrays {
		if a.has(ar.Name) {
			return nil, 0, fmt.Errorf("%w: array %q twice", errCorrupt, ar.Name)
		}
		var err error
		switch ar.DType {
		case "f64":
			v := make([]float64, ar.Len)
			if littleEndian {
				_, err = io.ReadFull(br, f64Bytes(v))
			} else {
				buf, err = readWords(br, buf, len(v), func(i int, w uint64) { v[i] = math.Float64frombits(w) })
			}
			a.putF64(ar.Name, v)
		case "i64":
			v := make([]int64, ar.Len)
			if littleEndian {
				_, err = io.ReadFull(br, i64Bytes(v))
			} else {
				buf, err = readWords(br, buf, len(v), func(i int, w uint64) { v[i] = int64(w) })
			}
			a.putI64(ar.Name, v)
		case "u8":
			v := make([]byte, ar.Len)
			_, err = io.ReadFull(br, v)
			a.putU8(ar.Name, v)
		}
		if err != nil {
			return nil, 0, fmt.Errorf("%w: %v", errCorrupt, err)
		}
	}
	var want [sumSize]byte
	if _, err := io.ReadFull(r, want[:]); err != nil {
		return nil, 0, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	if sum.Sum32() != binary.LittleEndian.Uint32(want[:]) {
		return nil, 0, fmt.Errorf("%w: its checksum does not match its contents", errCorrupt)
	}
	if err := json.Unmarshal(h.Meta, meta); err != nil {
		return nil, 0, fmt.Errorf("%w: its metadata: %v", errCorrupt, err)
	}
	return a, h.FormatVersion, nil
}
