//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package data

import "context"

// lockDir does nothing where flock is not available: two dlc fetching
// into the same folder at once may then both download.
func lockDir(ctx context.Context, dir string, waiting func()) (unlock func(), err error) {
	return func() {}, nil
}
