package checkpoint

import (
	"os"

	"golang.org/x/sys/unix"
)

// mappable says files can be mapped in memory here (see Mapper).
const mappable = true

// fileID is a file's device and inode: a spare is a file a Mapper may
// have mapped before, under another name.
type fileID struct{ dev, ino uint64 }

func idOf(f *os.File) (fileID, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return fileID{}, err
	}
	return fileID{uint64(st.Dev), st.Ino}, nil
}

// linked reports whether f still has a name (was not removed).
func linked(f *os.File) bool {
	var st unix.Stat_t
	return unix.Fstat(int(f.Fd()), &st) == nil && st.Nlink > 0
}

// mapFile maps n bytes of f, shared: what is copied there is the file's.
func mapFile(f *os.File, n int) ([]byte, error) {
	return unix.Mmap(int(f.Fd()), 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
}

func unmap(b []byte) error { return unix.Munmap(b) }

// populate maps b's pages writable; an error (a kernel before 5.14) only
// leaves the faults to the writes.
func populate(b []byte) { unix.Madvise(b, unix.MADV_POPULATE_WRITE) }
