package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dlc-dev/dlc/internal/atomicfile"
)

// A signal cancels the command's context: every command then stops as
// soon as it can, train after the current batch with the model written.
// Whatever has not stopped 0.8 s later (a read blocked on a pipe, a
// vocabulary being counted) is stopped at once, its temporary files
// removed; so is everything at a second signal. Train's last batch and
// save are exempt from the second rule (a held stop), not from the first.

// graceAfterSignal is how long a command has to stop by itself.
const graceAfterSignal = 800 * time.Millisecond

// signalled is the cause of a context cancelled by a signal.
type signalled struct{ sig os.Signal }

func (s signalled) Error() string { return "interrupted by " + s.sig.String() }

// signalCode is the exit status for a stop by sig: 128 + its number, as
// shells report it (130 for SIGINT, 143 for SIGTERM).
func signalCode(sig os.Signal) int {
	if sig == syscall.SIGTERM {
		return exitTerminated
	}
	return exitInterrupted
}

// stopper makes the process end promptly after a signal.
type stopper struct {
	mu   sync.Mutex
	held int
	exit func(code int) // os.Exit; tests replace it
}

// shutdown is the process's stopper; train holds it while it finishes.
var shutdown stopper

// hold keeps a first signal's grace from running out until release is
// called: the command is finishing its work (its last batch, its save).
func (s *stopper) hold() (release func()) {
	s.mu.Lock()
	s.held++
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			s.held--
			s.mu.Unlock()
		})
	}
}

func (s *stopper) isHeld() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held > 0
}

// watch waits for a signal on sigs, cancels the command with it, and ends
// the process when the command has not stopped in time.
func (s *stopper) watch(sigs <-chan os.Signal, cancel context.CancelCauseFunc, stderr io.Writer) {
	sig := <-sigs
	cancel(signalled{sig})
	grace := time.NewTimer(graceAfterSignal)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	expired := false
	for {
		select {
		case again := <-sigs:
			s.stop(stderr, again, "stopped by a second signal")
			return
		case <-grace.C:
			expired = true
		case <-tick.C:
		}
		if expired && !s.isHeld() {
			s.stop(stderr, sig, stopWord(sig))
			return
		}
	}
}

// stopWord says how a signal stopped the command.
func stopWord(sig os.Signal) string {
	if sig == syscall.SIGTERM {
		return "terminated"
	}
	return "interrupted"
}

// stop removes the temporary files of unfinished writes, says so, and
// exits.
func (s *stopper) stop(stderr io.Writer, sig os.Signal, what string) {
	if targets := atomicfile.RemovePending(); len(targets) > 0 {
		what += "; " + strings.Join(targets, ", ") + " left as it was"
	}
	fmt.Fprintf(stderr, "dlc: %s\n", what)
	exit := s.exit
	if exit == nil {
		exit = os.Exit
	}
	exit(signalCode(sig))
}
