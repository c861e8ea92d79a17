//go:build linux || darwin || openbsd

package atomicfile

import (
	"io"
	"os"
	"slices"

	"golang.org/x/sys/unix"
)

// writev writes bufs to f with writev(2) calls, going on after a short
// one.
func writev(f *os.File, bufs [][]byte) (int64, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return writeEach(f, bufs)
	}
	var total int64
	own := false // bufs is a copy of the caller's (a buffer was cut)
	for {
		for len(bufs) > 0 && len(bufs[0]) == 0 {
			bufs = bufs[1:]
		}
		if len(bufs) == 0 {
			return total, nil
		}
		batch := bufs[:min(len(bufs), maxBuffers)]
		var n int
		var werr error
		if err := rc.Write(func(fd uintptr) bool {
			n, werr = unix.Writev(int(fd), batch)
			return true
		}); err != nil {
			return total, err
		}
		if werr == unix.EINTR {
			continue
		}
		if werr != nil {
			return total, &os.PathError{Op: "write", Path: f.Name(), Err: werr}
		}
		if n <= 0 {
			return total, io.ErrShortWrite
		}
		total += int64(n)
		for n > 0 {
			if n >= len(bufs[0]) {
				n -= len(bufs[0])
				bufs = bufs[1:]
				continue
			}
			if !own {
				bufs, own = slices.Clone(bufs), true
			}
			bufs[0], n = bufs[0][n:], 0
		}
	}
}
