//go:build !linux

package atomicfile

// exchange swaps the folders tmp and dir by two renames.
func exchange(tmp, dir string) error { return swapByRenames(tmp, dir) }
