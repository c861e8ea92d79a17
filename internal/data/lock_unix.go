//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package data

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"time"
)

// lockDir takes an exclusive lock on the folder dir, so that two dlc
// processes fetching into the same data directory (two trainings started
// at once) do not write the same .part file or folder. waiting is called
// once when another process holds the lock; the wait ends with ctx. The
// lock goes with the process, so a crash never leaves a stale one.
func lockDir(ctx context.Context, dir string, waiting func()) (unlock func(), err error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot lock %s: %w", dir, pathErr(err))
	}
	for said := false; ; said = true {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if err != syscall.EWOULDBLOCK {
			f.Close()
			return nil, fmt.Errorf("cannot lock %s: %w", dir, err)
		}
		if !said {
			waiting()
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
