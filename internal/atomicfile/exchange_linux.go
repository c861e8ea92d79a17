//go:build linux

package atomicfile

import "golang.org/x/sys/unix"

// exchange swaps the folders tmp and dir in one step (renameat2 with
// RENAME_EXCHANGE): readers see the old set or the new one, never neither.
// File systems without it get two renames.
func exchange(tmp, dir string) error {
	err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dir, unix.RENAME_EXCHANGE)
	if err == unix.EINVAL || err == unix.ENOSYS {
		return swapByRenames(tmp, dir)
	}
	return err
}
