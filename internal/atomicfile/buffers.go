package atomicfile

import (
	"io"
	"os"
)

// WriteBuffers writes bufs to w back to back, leaving bufs as it is: in
// writev(2) calls of up to maxBuffers buffers each when w is a file (one
// that WriteUnsynced or WriteOver hands to its write function, or an
// *os.File) on a system that has the call, in a Write each otherwise. A
// checkpoint writes its arrays from training's own memory in pieces that
// training may have changed in places already, the place's old values
// copied aside: one call for a piece and the copies in it instead of one
// per run between them.
func WriteBuffers(w io.Writer, bufs [][]byte) error {
	c, _ := w.(*counter)
	if c != nil {
		w = c.w
	}
	var n int64
	var err error
	if f, ok := w.(*os.File); ok {
		n, err = writev(f, bufs)
	} else {
		n, err = writeEach(w, bufs)
	}
	if c != nil {
		c.n += n
	}
	return err
}

// maxBuffers is the buffers one writev(2) call takes at most (IOV_MAX).
const maxBuffers = 1024

// writeEach writes bufs with a Write each.
func writeEach(w io.Writer, bufs [][]byte) (int64, error) {
	var n int64
	for _, b := range bufs {
		k, err := w.Write(b)
		n += int64(k)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
