//go:build linux

package atomicfile

import "golang.org/x/sys/unix"

// directFlag is open's flag that bypasses the page cache (O_DIRECT).
const directFlag = unix.O_DIRECT
