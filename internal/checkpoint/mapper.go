package checkpoint

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"unsafe"
)

// A Mapper writes the checkpoints of a folder as version 4 files, copying
// their arrays into the pages of the file mapped in memory: the writer of
// the IMDB recipe's checkpoints copied its 224 MB into buffers and then
// wrote them, which copied them a second time (the kernel, into its page
// cache); the caller of a Mapper can copy the weights straight into the
// file (Draft.F64), once. Like Write it writes over a spare Prune left
// (whose pages the kernel has cached) under the spare's temporary name
// and renames it into place when it is whole, so that a reader or a run
// killed meanwhile sees the whole checkpoint or none of it. It keeps the
// files it mapped mapped, as long as they are linked in the folder: the
// same few files come back as spares, and a page mapped anew costs a
// fault each time it is written (57,000 of them per checkpoint of the
// IMDB recipe), one kept mapped none until the kernel writes it back.
// A new file costs more mapped than written (on this VM 0.57 s of CPU
// for 224 MB by faults, against 0.42 s by write), but once mapped it
// costs no fault when it comes back as a spare, where a file written by
// write costs one per page the first time it is mapped.
// Where memory cannot be mapped (see mappable) or the machine is
// big-endian, NewMapper returns nil and the caller writes with Write.
//
// A Mapper is for one goroutine at a time (the saver's Save, then its
// writer, one after the other).
type Mapper struct {
	dir  string
	kept []*mapping
}

// mapping is a file of the folder mapped in memory: data, at least size
// bytes (the file's size) long.
type mapping struct {
	f    *os.File
	data []byte
	size int64
	id   fileID
}

// maxKept caps the files a Mapper keeps mapped: a run's folder holds
// checkpoint.keep of them, the one pinned and two spares.
const maxKept = 8

// mapSlack rounds a mapping's length up, so that a file growing by a few
// pages (the per-update history's arrays, at its end) is not mapped anew.
const mapSlack = 1 << 20

// NewMapper returns a Mapper writing into dir, or nil where files cannot
// be mapped or the machine is big-endian.
func NewMapper(dir string) *Mapper {
	if !mappable || !littleEndian {
		return nil
	}
	return &Mapper{dir: dir}
}

// A Draft is a checkpoint a Mapper is writing: its file laid out, mapped,
// under a temporary name until Commit.
type Draft struct {
	m    *Mapper
	mp   *mapping
	c    *Checkpoint
	head []byte // magic, the header's length and the header
	list []array
	offs []uint64
	size uint64
	tmp  string // the file's name while it is written
	path string
	// sums are the arrays' sums the caller took as it copied them (see
	// Summed), by name.
	sums map[string]uint32
}

// Begin lays c out as a version 4 file and maps one for it in the folder
// (a spare when there is one), for the caller to copy arrays into
// (Draft.F64) and then Commit. c must not change until Commit, but for
// the arrays handed out by F64, whose lengths alone Begin reads.
func (m *Mapper) Begin(c *Checkpoint) (*Draft, error) {
	meta, a := pack(c)
	mb, err := json.Marshal(meta)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: encoding its metadata: %w", err)
	}
	hb, err := json.Marshal(header{Format: checkpointFormat, FormatVersion: alignedVersion, Meta: mb, Arrays: a.list})
	if err != nil {
		return nil, err
	}
	head := make([]byte, 16, 16+len(hb))
	copy(head, magic)
	binary.LittleEndian.PutUint64(head[8:], uint64(len(hb)))
	head = append(head, hb...)
	offs, size, _ := aligned(uint64(len(head)), a.list, ^uint64(0))
	d := &Draft{m: m, c: c, head: head, list: a.list, offs: offs, size: size, path: filepath.Join(m.dir, Name(c.Seq))}
	if err := os.MkdirAll(m.dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create the checkpoint folder: %w", err)
	}
	if st, err := os.Lstat(d.path); err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("cannot write checkpoint %s: it is not a regular file", d.path)
	}
	m.forget()
	if d.mp, d.tmp, err = m.open(int64(size), c.Seq); err != nil {
		return nil, fmt.Errorf("cannot write checkpoint %s: %w", d.path, err)
	}
	return d, nil
}

// forget unmaps the kept files that are no longer in the folder (Prune
// removed them): their pages would stay for nothing.
func (m *Mapper) forget() {
	kept := m.kept[:0]
	for _, mp := range m.kept {
		if linked(mp.f) {
			kept = append(kept, mp)
		} else {
			mp.close()
		}
	}
	clear(m.kept[len(kept):])
	m.kept = kept
}

// open returns the file to write a checkpoint of size bytes into, mapped,
// and its temporary name: a spare when there is one, else a new file.
func (m *Mapper) open(size int64, seq int) (*mapping, string, error) {
	var f *os.File
	var err error
	for _, name := range spareNames {
		p := filepath.Join(m.dir, name)
		if st, serr := os.Lstat(p); serr == nil && st.Mode().IsRegular() {
			f, err = os.OpenFile(p, os.O_RDWR, 0)
			break
		}
	}
	if f == nil && err == nil {
		f, err = os.CreateTemp(m.dir, "."+Name(seq)+".tmp-*")
	}
	if err != nil {
		return nil, "", err
	}
	tmp := f.Name()
	id, err := idOf(f)
	if err != nil {
		f.Close()
		return nil, "", err
	}
	var mp *mapping
	for i, k := range m.kept {
		if k.id == id {
			mp = k
			// The most recently used last.
			m.kept = append(append(m.kept[:i:i], m.kept[i+1:]...), k)
			f.Close()
			break
		}
	}
	if mp == nil {
		if len(m.kept) == maxKept {
			m.kept[0].close()
			m.kept = append(m.kept[:0], m.kept[1:]...)
		}
		mp = &mapping{f: f, size: -1, id: id}
		m.kept = append(m.kept, mp)
	}
	if err := mp.resize(size); err != nil {
		m.drop(mp)
		os.Remove(tmp)
		return nil, "", err
	}
	return mp, tmp, nil
}

// resize makes the file size bytes long and its mapping at least as long.
func (mp *mapping) resize(size int64) error {
	if mp.size != size {
		if err := mp.f.Truncate(size); err != nil {
			return err
		}
		mp.size = size
	}
	if int64(len(mp.data)) >= size {
		return nil
	}
	if mp.data != nil {
		if err := unmap(mp.data); err != nil {
			return err
		}
		mp.data = nil
	}
	data, err := mapFile(mp.f, int((size+mapSlack-1)/mapSlack*mapSlack))
	if err != nil {
		return err
	}
	mp.data = data
	return nil
}

func (mp *mapping) close() {
	if mp.data != nil {
		unmap(mp.data)
		mp.data = nil
	}
	mp.f.Close()
}

// drop closes mp and forgets it.
func (m *Mapper) drop(mp *mapping) {
	for i, k := range m.kept {
		if k == mp {
			m.kept = append(m.kept[:i], m.kept[i+1:]...)
			break
		}
	}
	mp.close()
}

// Close unmaps and closes every file m kept; the slices F64 handed out
// must no longer be used.
func (m *Mapper) Close() {
	if m == nil {
		return
	}
	for _, mp := range m.kept {
		mp.close()
	}
	m.kept = nil
}

// F64 returns the place of c's float64 array name in the mapped file, for
// the caller to copy the array into (in full) before Commit; nil when c
// has no such array (or d is nil).
func (d *Draft) F64(name string) []float64 {
	if d == nil {
		return nil
	}
	for i, ar := range d.list {
		if ar.Name == name && ar.DType == "f64" {
			if ar.Len == 0 {
				return nil
			}
			return unsafe.Slice((*float64)(unsafe.Pointer(&d.mp.data[d.offs[i]])), ar.Len)
		}
	}
	return nil
}

// Populate makes the kernel map every page of d's file writable at once
// (MADV_POPULATE_WRITE), before the caller copies into them: a page the
// kernel wrote back since (it does so with any page dirty for 30 s, and
// at every fsync) is mapped read-only again, and a write to it costs a
// fault, which this VM makes dear; populating takes them in one call. For
// the writer's goroutine, not training's.
func (d *Draft) Populate() {
	populate(d.mp.data[:d.size])
}

// Summed tells d the CRC-32C (see SumF64) of the array name, which the
// caller copied whole into its place (F64) and summed as it went: Commit
// then neither copies nor sums it.
func (d *Draft) Summed(name string, sum uint32) {
	if d.sums == nil {
		d.sums = map[string]uint32{}
	}
	d.sums[name] = sum
}

// SumF64 is the CRC-32C of v's bytes as a file holds them (little-endian)
// going on from sum, the sum of the bytes before; on a little-endian
// machine (where Mappers write).
func SumF64(sum uint32, v []float64) uint32 {
	return crc32.Update(sum, castagnoli, f64Bytes(v))
}

// Commit copies into the file what is not there yet (every array of c
// but those copied into the places F64 gave), zeroes the bytes between
// them, sums each array, writes the header and the sums, and renames the
// file into place. It returns the checkpoint's path and a function that
// waits for it to reach the disk, as Write does.
func (d *Draft) Commit() (path string, sync func() error, err error) {
	defer func() {
		if err != nil {
			d.m.drop(d.mp)
			os.Remove(d.tmp)
			err = fmt.Errorf("cannot write checkpoint %s: %w", d.path, err)
		}
	}()
	_, a := pack(d.c)
	if len(a.list) != len(d.list) {
		return "", nil, errors.New("its arrays changed while it was written")
	}
	b := d.mp.data[:d.size]
	at := uint64(len(d.head)) + uint64(sumSize*(len(d.list)+1))
	sums := make([]byte, sumSize*(len(d.list)+1))
	for i, ar := range d.list {
		if a.list[i] != ar {
			return "", nil, errors.New("its arrays changed while it was written")
		}
		clear(b[at:d.offs[i]])
		var src []byte
		switch ar.DType {
		case "f64":
			src = f64Bytes(a.f64[ar.Name])
		case "i64":
			src = i64Bytes(a.i64[ar.Name])
		case "u8":
			src = a.u8[ar.Name]
		}
		dst := b[d.offs[i] : d.offs[i]+uint64(len(src))]
		s, summed := d.sums[ar.Name]
		for lo := 0; lo < len(src) && !summed; lo += piece {
			hi := min(len(src), lo+piece)
			// An array F64 handed out is there already (src is dst).
			if &src[lo] != &dst[lo] {
				copy(dst[lo:hi], src[lo:hi])
			}
			s = crc32.Update(s, castagnoli, dst[lo:hi])
		}
		binary.LittleEndian.PutUint32(sums[sumSize*i:], s)
		at = d.offs[i] + uint64(len(src))
	}
	n := sumSize * len(d.list)
	hs := crc32.Update(crc32.Checksum(d.head, castagnoli), castagnoli, sums[:n])
	binary.LittleEndian.PutUint32(sums[n:], hs)
	copy(b, d.head)
	copy(b[len(d.head):], sums)
	if err := d.mp.f.Chmod(0o644); err != nil {
		return "", nil, err
	}
	if err := os.Rename(d.tmp, d.path); err != nil {
		return "", nil, err
	}
	return d.path, syncPath(d.path), nil
}

// Abort gives the draft up: its file is removed.
func (d *Draft) Abort() {
	d.m.drop(d.mp)
	os.Remove(d.tmp)
}

// syncPath waits for path and its folder to reach the disk.
func syncPath(path string) func() error {
	return func() error {
		for _, p := range []string{path, filepath.Dir(path)} {
			f, err := os.Open(p)
			if err != nil {
				return fmt.Errorf("cannot sync %s: %w", path, err)
			}
			err = f.Sync()
			f.Close()
			if err != nil {
				return fmt.Errorf("cannot sync %s: %w", path, err)
			}
		}
		return nil
	}
}
