package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"

	"github.com/dlc-dev/dlc/internal/atomicfile"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/sparse"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// The rows cache of streaming training: the vectorized training rows in
// a binary file beside the data, read at disk speed by every epoch.
//
//	magic "DLCROWS\x00", version (uint32), key (32 bytes: cacheKey)
//	meta length (uint32), meta (JSON: rowCacheMeta), its CRC-32C (uint32)
//	blocks, each: rows (uint32), payload bytes (uint32), CRC-32C of the
//	  payload (uint32), payload: per row its label (float64: a class
//	  index or a regression's number), its non-zeros (uint32), their
//	  indices (uint32 each) and, unless the rows are multi-hot, values
//	  (float64 each)
//	trailer: magic "DLCROWSE", blocks (uint64), rows (uint64), the offset
//	  of the trailer (uint64)
//
// Integers are little-endian. Opening a cache checks all of it (the
// magic, the version, the key, the length the trailer gives, every
// block's checksum) before anything trusts it: a truncated, damaged,
// foreign or stale cache is rebuilt.
const (
	rowCacheVersion = 1
	cacheBlockRows  = 4096
	rowCacheMagic   = "DLCROWS\x00"
	rowCacheEnd     = "DLCROWSE"
	trailerSize     = 32
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// rowCacheMeta is what pass 1 learnt, kept in the cache so that a run
// that reuses it reads the data no more.
type rowCacheMeta struct {
	Options     vectorize.Options `json:"options"`
	Vocab       []string          `json:"vocabulary"`
	DocFreq     []int32           `json:"document_frequency"`
	Docs        int               `json:"docs"`
	Distinct    int               `json:"distinct_ngrams"`
	Classes     []string          `json:"classes"`
	LabelCounts []int             `json:"label_counts"`
	Examples    int               `json:"examples"`
	Fingerprint string            `json:"fingerprint"`
}

// rowCache is an open, checked cache file.
type rowCache struct {
	path   string
	f      *os.File
	counts *streamCounts
	binary bool
	blocks []cacheBlock
	// The buffers of the epochs' windows, reused from epoch to epoch
	// (one epoch is read at a time).
	arena   []byte
	pending []int
	byOff   []int
}

// cacheBlock is where a block's payload is and which examples it holds.
type cacheBlock struct {
	off   int64 // of the payload
	size  int
	rows  int
	first int // the stream position of its first row
	crc   uint32
}

func (c *rowCache) Close() error { return c.f.Close() }

// openRowCache opens the cache at path if it holds the rows of key and is
// whole. Otherwise it returns nil and why not ("" when there is no file),
// for the message that says it is rebuilt.
func openRowCache(path string, key [32]byte) (*rowCache, string) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, ""
		}
		return nil, fmt.Sprintf("cannot be read (%v)", pathErr(err))
	}
	c, why := checkRowCache(f, path, key)
	if c == nil {
		f.Close()
	}
	return c, why
}

func checkRowCache(f *os.File, path string, key [32]byte) (*rowCache, string) {
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Sprintf("cannot be read (%v)", pathErr(err))
	}
	br := bufio.NewReaderSize(f, 1<<20)
	var head [8 + 4 + 32 + 4]byte
	if _, err := io.ReadFull(br, head[:]); err != nil || string(head[:8]) != rowCacheMagic {
		return nil, "is not a dlc rows cache"
	}
	if v := binary.LittleEndian.Uint32(head[8:]); v != rowCacheVersion {
		return nil, fmt.Sprintf("is of version %d, not this dlc's %d", v, rowCacheVersion)
	}
	if !bytes.Equal(head[12:44], key[:]) {
		return nil, "is stale: the training files or the vectorizer settings changed since it was written"
	}
	metaLen := int64(binary.LittleEndian.Uint32(head[44:]))
	if metaLen > st.Size() {
		return nil, "is truncated"
	}
	meta := make([]byte, metaLen+4)
	if _, err := io.ReadFull(br, meta); err != nil {
		return nil, "is truncated"
	}
	if crc32.Checksum(meta[:metaLen], castagnoli) != binary.LittleEndian.Uint32(meta[metaLen:]) {
		return nil, "is damaged: its header fails its checksum"
	}
	var m rowCacheMeta
	if err := json.Unmarshal(meta[:metaLen], &m); err != nil {
		return nil, "is damaged: its header does not parse"
	}
	if st.Size() < int64(len(head))+metaLen+4+trailerSize {
		return nil, "is truncated"
	}
	var tr [trailerSize]byte
	if _, err := f.ReadAt(tr[:], st.Size()-trailerSize); err != nil || string(tr[:8]) != rowCacheEnd {
		return nil, "is truncated: it has no end"
	}
	nBlocks, nRows, end := binary.LittleEndian.Uint64(tr[8:]), binary.LittleEndian.Uint64(tr[16:]), binary.LittleEndian.Uint64(tr[24:])
	if end != uint64(st.Size()-trailerSize) || nRows != uint64(m.Examples) {
		return nil, "is truncated or damaged: its end does not match its length"
	}
	vec, err := vectorize.Restore(m.Options, m.Vocab, m.DocFreq, m.Docs)
	if err != nil {
		return nil, "is damaged: " + err.Error()
	}
	vec.Distinct = m.Distinct
	c := &rowCache{path: path, f: f, binary: m.Options.Mode == vectorize.MultiHot, counts: &streamCounts{
		vec: vec, classes: m.Classes, labelCounts: m.LabelCounts, examples: m.Examples, fingerprint: m.Fingerprint}}
	// Every block's checksum, in one sequential read.
	off := int64(len(head)) + metaLen + 4
	rows := 0
	var bh [12]byte
	var payload []byte
	for off < int64(end) {
		if _, err := io.ReadFull(br, bh[:]); err != nil {
			return nil, "is truncated"
		}
		b := cacheBlock{off: off + 12, rows: int(binary.LittleEndian.Uint32(bh[:])), size: int(binary.LittleEndian.Uint32(bh[4:])), first: rows, crc: binary.LittleEndian.Uint32(bh[8:])}
		if b.off+int64(b.size) > int64(end) || b.rows > cacheBlockRows {
			return nil, fmt.Sprintf("is damaged: block %d runs past the end", len(c.blocks)+1)
		}
		payload = growBytes(payload, b.size)
		if _, err := io.ReadFull(br, payload); err != nil {
			return nil, "is truncated"
		}
		if crc32.Checksum(payload, castagnoli) != b.crc {
			return nil, fmt.Sprintf("is damaged: block %d fails its checksum", len(c.blocks)+1)
		}
		c.blocks = append(c.blocks, b)
		rows += b.rows
		off = b.off + int64(b.size)
	}
	if uint64(len(c.blocks)) != nBlocks || rows != m.Examples {
		return nil, "is damaged: its blocks do not hold its rows"
	}
	return c, ""
}

func growBytes(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

// writeRowCache is pass 2: it encodes the files' examples with the
// fitted vectorizer and writes the cache at path, atomically.
func writeRowCache(ctx context.Context, path string, key [32]byte, plan *Plan, files []string, s *streamCounts) error {
	meta, err := json.Marshal(rowCacheMeta{Options: s.vec.Options, Vocab: s.vec.Vocab, DocFreq: s.vec.DocFreq, Docs: s.vec.Docs, Distinct: s.vec.Distinct,
		Classes: s.classes, LabelCounts: s.labelCounts, Examples: s.examples, Fingerprint: s.fingerprint})
	if err != nil {
		return err
	}
	return atomicfile.Write(path, 0o644, func(out io.Writer) error {
		w := bufio.NewWriterSize(out, 1<<20)
		var head [8 + 4 + 32 + 4]byte
		copy(head[:], rowCacheMagic)
		binary.LittleEndian.PutUint32(head[8:], rowCacheVersion)
		copy(head[12:], key[:])
		binary.LittleEndian.PutUint32(head[44:], uint32(len(meta)))
		w.Write(head[:])
		w.Write(meta)
		w.Write(binary.LittleEndian.AppendUint32(nil, crc32.Checksum(meta, castagnoli)))
		off := int64(len(head) + len(meta) + 4)
		var payload []byte
		blockRows, blocks, rows := 0, 0, 0
		flushBlock := func() error {
			if blockRows == 0 {
				return nil
			}
			var bh [12]byte
			binary.LittleEndian.PutUint32(bh[:], uint32(blockRows))
			binary.LittleEndian.PutUint32(bh[4:], uint32(len(payload)))
			binary.LittleEndian.PutUint32(bh[8:], crc32.Checksum(payload, castagnoli))
			w.Write(bh[:])
			if _, err := w.Write(payload); err != nil {
				return err
			}
			off += int64(12 + len(payload))
			payload, blockRows = payload[:0], 0
			blocks++
			return nil
		}
		addRows := func(x *sparse.Matrix, y []float64) error {
			for i := range x.Rows {
				idx, vals := x.Row(i)
				payload = binary.LittleEndian.AppendUint64(payload, math.Float64bits(y[i]))
				payload = binary.LittleEndian.AppendUint32(payload, uint32(len(idx)))
				for _, f := range idx {
					payload = binary.LittleEndian.AppendUint32(payload, uint32(f))
				}
				if x.Values != nil {
					for _, v := range vals {
						payload = binary.LittleEndian.AppendUint64(payload, math.Float64bits(v))
					}
				}
				blockRows++
				rows++
				if blockRows == cacheBlockRows {
					if err := flushBlock(); err != nil {
						return err
					}
				}
			}
			return nil
		}
		for _, file := range files {
			e := &data.Examples{Path: file}
			encodeBlock := func() error {
				if len(e.Texts) == 0 {
					return nil
				}
				if ctx.Err() != nil {
					return &InterruptedError{When: "while writing the rows cache"}
				}
				t, err := targets(e, s.classes, plan.Regression)
				if err != nil {
					return err
				}
				y := t.Value
				if !plan.Regression {
					y = make([]float64, len(t.Class))
					for i, c := range t.Class {
						y[i] = float64(c)
					}
				}
				if err := addRows(s.vec.Transform(e.Texts), y); err != nil {
					return err
				}
				e.Texts, e.Labels = e.Texts[:0], e.Labels[:0]
				return nil
			}
			err := data.Each(file, fields(plan.Config), func(text, label string) error {
				e.Texts = append(e.Texts, text)
				e.Labels = append(e.Labels, label)
				if len(e.Texts) == 2*cacheBlockRows {
					return encodeBlock()
				}
				return nil
			})
			if err == nil {
				err = encodeBlock()
			}
			if err != nil {
				return err
			}
		}
		if err := flushBlock(); err != nil {
			return err
		}
		if rows != s.examples {
			return fmt.Errorf("the training files changed while they were read: %d examples the first time, %d the second", s.examples, rows)
		}
		var tr [trailerSize]byte
		copy(tr[:], rowCacheEnd)
		binary.LittleEndian.PutUint64(tr[8:], uint64(blocks))
		binary.LittleEndian.PutUint64(tr[16:], uint64(rows))
		binary.LittleEndian.PutUint64(tr[24:], uint64(off))
		w.Write(tr[:])
		return w.Flush()
	})
}

// cachedRow is one row read from the cache; its slices are reused.
type cachedRow struct {
	label float64
	idx   []int32
	val   []float64
}

// epochReader reads the rows of one epoch. Shuffled, it reads the blocks
// in a shuffled order and keeps a window of the shuffle buffer's rows,
// from which each row given out is drawn at random and replaced by the
// next row of the stream (tf.data's shuffle(buffer_size)). The window's
// rows are kept packed (packRow), back to back in an arena that is
// compacted when it is full and grown to twice their bytes when they
// fill more than two thirds of it: its memory is at most about three
// times the packed rows' bytes, however many rows and epochs go through.
//
// The window is the one part of a streaming run's memory that grows with
// the data until it holds training.shuffle_buffer rows: packed, IMDB's
// multi-hot rows take about a quarter of their bytes on disk (an index
// of a vocabulary of 10,000 as a varint difference from the previous is
// one or two bytes, not four), so the window's 32,768 rows weigh about
// 5 MB, not 18.
type epochReader struct {
	c     *rowCache
	rng   *rand.Rand // nil: in order
	size  int        // rows in the window
	order []int      // blocks, in the order they are read
	next_ int        // of order
	skip  func(int) bool

	// The block being read.
	payload []byte
	pos     int
	left    int // its rows not read
	at      int // the stream position of its next row

	arena   []byte
	pending []int // where the window's rows start in arena
	live    int   // the window's bytes
	row     cachedRow
	vals    []float64 // row.val's storage
	// pack's buffers: the packed body, and it behind its length.
	packed, packedOut []byte
	width             int // bytes per non-zero
	err               error
}

// epoch starts an epoch: with shuffle, the blocks in rng's order and rows
// drawn at random from a window of size rows; else in the file's order.
// skip, when set, leaves out the rows at the stream positions it is true
// for.
func (c *rowCache) epoch(rng *rand.Rand, shuffle bool, size int, skip func(int) bool) *epochReader {
	e := &epochReader{c: c, skip: skip, size: 1, width: 4, arena: c.arena[:0]}
	if c.pending != nil {
		e.pending = c.pending[:0]
	}
	if !c.binary {
		e.width = 12
	}
	e.order = make([]int, len(c.blocks))
	for i := range e.order {
		e.order[i] = i
	}
	if shuffle && rng != nil {
		rng.Shuffle(len(e.order), func(i, j int) { e.order[i], e.order[j] = e.order[j], e.order[i] })
		e.rng, e.size = rng, max(1, size)
	}
	return e
}

// stream returns the next row of the stream as its bytes in the block,
// checked; nil at the end.
func (e *epochReader) stream() ([]byte, error) {
	for {
		for e.left == 0 {
			if e.next_ == len(e.order) {
				return nil, nil
			}
			blk := e.c.blocks[e.order[e.next_]]
			e.next_++
			e.payload = growBytes(e.payload, blk.size)
			if _, err := e.c.f.ReadAt(e.payload, blk.off); err != nil || crc32.Checksum(e.payload, castagnoli) != blk.crc {
				os.Remove(e.c.path)
				return nil, fmt.Errorf("the rows cache %s changed while it was read (block at byte %d); it is removed, train again to rebuild it", e.c.path, blk.off)
			}
			e.pos, e.left, e.at = 0, blk.rows, blk.first
		}
		p := e.payload[e.pos:]
		if len(p) < 12 {
			return nil, e.damaged()
		}
		nnz := int(binary.LittleEndian.Uint32(p[8:]))
		if nnz > (len(p)-12)/e.width {
			return nil, e.damaged()
		}
		n := 12 + e.width*nnz
		e.pos += n
		e.left--
		at := e.at
		e.at++
		if e.skip == nil || !e.skip(at) {
			return p[:n], nil
		}
	}
}

// next returns the epoch's next row, valid until the following call, or
// nil at its end.
func (e *epochReader) next() (*cachedRow, error) {
	if e.err != nil {
		return nil, e.err
	}
	for len(e.pending) < e.size {
		r, err := e.stream()
		if err != nil {
			e.err = err
			return nil, err
		}
		if r == nil {
			break
		}
		r = e.pack(r)
		if len(e.arena)+len(r) > cap(e.arena) {
			e.compact()
			if need := e.live + len(r); need > cap(e.arena)/3*2 {
				// Twice the window's bytes: a compaction then copies at
				// most two bytes per byte appended since the last, and
				// the window's bytes must grow by a third before the
				// arena grows again (not whenever they wobble).
				e.arena = append(make([]byte, 0, 2*need+1<<16), e.arena...)
				e.c.arena = e.arena
			}
		}
		e.pending = append(e.pending, len(e.arena))
		e.arena = append(e.arena, r...)
		e.live += len(r)
	}
	if len(e.pending) == 0 {
		return nil, nil
	}
	j := 0
	if e.rng != nil {
		j = e.rng.IntN(len(e.pending))
	}
	off := e.pending[j]
	n, err := e.decode(e.arena[off:])
	if err != nil {
		return nil, err
	}
	e.live -= n
	last := len(e.pending) - 1
	if e.rng != nil {
		e.pending[j] = e.pending[last]
	} else {
		copy(e.pending, e.pending[1:]) // a window of one row in order
	}
	e.pending = e.pending[:last]
	e.c.pending = e.pending
	return &e.row, nil
}

// compact moves the window's rows to the start of the arena, in place
// and in the order of their offsets (so a row never moves over one not
// yet moved); pending keeps its order, and so the draws theirs.
func (e *epochReader) compact() {
	byOff := e.c.byOff[:0]
	for i := range e.pending {
		byOff = append(byOff, i)
	}
	slices.SortFunc(byOff, func(a, b int) int { return e.pending[a] - e.pending[b] })
	w := 0
	for _, i := range byOff {
		off := e.pending[i]
		body, k := binary.Uvarint(e.arena[off:])
		n := k + int(body)
		copy(e.arena[w:], e.arena[off:off+n])
		e.pending[i] = w
		w += n
	}
	e.arena = e.arena[:w]
	e.c.byOff = byOff
}

// pack returns the row r, as stream gives it (its bytes on disk), in the
// window's form: the length of the rest (uvarint), the label (8 bytes),
// the non-zeros (uvarint), each index as the zig-zag varint of its
// difference from the previous one (the first's from 0), and the values
// as on disk. The result is e.packed's, valid until the next call.
func (e *epochReader) pack(r []byte) []byte {
	nnz := int(binary.LittleEndian.Uint32(r[8:]))
	body := append(e.packed[:0], r[:8]...)
	body = binary.AppendUvarint(body, uint64(nnz))
	prev := int64(0)
	for k := range nnz {
		f := int64(binary.LittleEndian.Uint32(r[12+4*k:]))
		body = binary.AppendVarint(body, f-prev)
		prev = f
	}
	body = append(body, r[12+4*nnz:]...)
	// The length goes first: copy the body behind it in a second buffer.
	out := binary.AppendUvarint(e.packedOut[:0], uint64(len(body)))
	out = append(out, body...)
	e.packed, e.packedOut = body, out
	return out
}

// decode reads the packed row at the start of p (pack's) and returns its
// length in bytes.
func (e *epochReader) decode(p []byte) (int, error) {
	r := &e.row
	body, k := binary.Uvarint(p)
	n := k + int(body)
	p = p[k:n]
	r.label = math.Float64frombits(binary.LittleEndian.Uint64(p))
	p = p[8:]
	nnz, k := binary.Uvarint(p)
	p = p[k:]
	features := int64(e.c.counts.vec.Features())
	r.idx = r.idx[:0]
	f := int64(0)
	for range nnz {
		d, k := binary.Varint(p)
		if k <= 0 {
			return 0, e.damaged()
		}
		p = p[k:]
		f += d
		if f < 0 || f >= features {
			return 0, e.damaged()
		}
		r.idx = append(r.idx, int32(f))
	}
	r.val = nil
	if !e.c.binary {
		e.vals = e.vals[:0]
		for k := range int(nnz) {
			e.vals = append(e.vals, math.Float64frombits(binary.LittleEndian.Uint64(p[8*k:])))
		}
		r.val = e.vals
	}
	return n, nil
}

// damaged is the error for a block whose checksum held but whose rows do
// not parse: a cache written by something else than dlc.
func (e *epochReader) damaged() error {
	os.Remove(e.c.path)
	return fmt.Errorf("the rows cache %s holds a row that does not parse; it is removed, train again to rebuild it", e.c.path)
}
