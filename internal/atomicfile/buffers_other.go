//go:build !(linux || darwin || openbsd)

package atomicfile

import "os"

// writev writes bufs to f with a Write each: the system has no writev(2)
// that golang.org/x/sys offers.
func writev(f *os.File, bufs [][]byte) (int64, error) { return writeEach(f, bufs) }
