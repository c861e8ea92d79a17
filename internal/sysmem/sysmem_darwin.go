package sysmem

import (
	"encoding/binary"
	"syscall"
)

func total() uint64 {
	// hw.memsize is a little-endian 64-bit integer, which syscall.Sysctl
	// returns as its raw bytes less a last zero byte, taken for the end of
	// a string.
	s, err := syscall.Sysctl("hw.memsize")
	if err != nil || len(s) == 0 || len(s) > 8 {
		return 0
	}
	var b [8]byte
	copy(b[:], s)
	return binary.LittleEndian.Uint64(b[:])
}
