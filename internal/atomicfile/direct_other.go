//go:build !linux

package atomicfile

// directFlag is 0 where dlc does not use O_DIRECT: there every file is
// written through the page cache. (Other systems spell it differently, or
// not at all: F_NOCACHE on macOS is a hint with no alignment rules, and
// not worth a path of its own here.)
const directFlag = 0
