package checkpoint

import (
	"encoding/binary"
	"math"
	"unsafe"
)

// littleEndian says the machine stores numbers as the file does, so an
// array's memory is its bytes in the file: written and read as it is,
// without a copy (a checkpoint of the IMDB recipe is 224 MB of them).
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// f64Bytes is the memory of v as bytes (little-endian machines only).
func f64Bytes(v []float64) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 8*len(v))
}

// i64Bytes is the memory of v as bytes (little-endian machines only).
func i64Bytes(v []int64) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 8*len(v))
}

// putWords writes n 8-byte words into buf, little-endian, word(i) each:
// the portable path of a big-endian machine.
func putWords(buf []byte, n int, word func(i int) uint64) {
	for i := range n {
		binary.LittleEndian.PutUint64(buf[8*i:], word(i))
	}
}

func f64Word(v []float64) func(int) uint64 {
	return func(i int) uint64 { return math.Float64bits(v[i]) }
}
func i64Word(v []int64) func(int) uint64 { return func(i int) uint64 { return uint64(v[i]) } }
