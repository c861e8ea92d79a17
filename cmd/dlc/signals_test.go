package main

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// watchOnce runs a stopper's watch with a recorded exit.
func watchOnce(s *stopper) (chan<- os.Signal, <-chan int, context.Context, *strings.Builder) {
	sigs := make(chan os.Signal, 2)
	codes := make(chan int, 1)
	s.exit = func(code int) { codes <- code }
	ctx, cancel := context.WithCancelCause(context.Background())
	var stderr strings.Builder
	go s.watch(sigs, cancel, &stderr)
	return sigs, codes, ctx, &stderr
}

// A signal cancels the context with itself as the cause; a command that
// has not stopped when the grace runs out is stopped with 128 + signal.
func TestStopperStopsAfterGrace(t *testing.T) {
	var s stopper
	sigs, codes, ctx, stderr := watchOnce(&s)
	sigs <- syscall.SIGTERM
	select {
	case code := <-codes:
		if code != exitTerminated {
			t.Errorf("exit %d, want 143", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no stop after SIGTERM")
	}
	var sig signalled
	if !errors.As(context.Cause(ctx), &sig) || sig.sig != syscall.SIGTERM {
		t.Errorf("cause %v", context.Cause(ctx))
	}
	if exitCode(ctx, context.Canceled) != exitTerminated {
		t.Error("a command cancelled by SIGTERM does not exit 143")
	}
	if stderr.String() != "dlc: terminated\n" {
		t.Errorf("stderr %q", stderr.String())
	}
}

// A held stop (train finishing its batch and writing the model) is waited
// for past the grace; a second signal stops at once anyway.
func TestStopperWaitsForHoldButNotTwice(t *testing.T) {
	var s stopper
	release := s.hold()
	sigs, codes, _, _ := watchOnce(&s)
	sigs <- os.Interrupt
	select {
	case code := <-codes:
		t.Fatalf("stopped (%d) while held", code)
	case <-time.After(2 * graceAfterSignal):
	}
	release()
	if code := <-codes; code != exitInterrupted {
		t.Errorf("exit %d after release, want 130", code)
	}

	var s2 stopper
	defer s2.hold()()
	sigs, codes, _, stderr := watchOnce(&s2)
	sigs <- os.Interrupt
	sigs <- os.Interrupt
	if code := <-codes; code != exitInterrupted || !strings.HasPrefix(stderr.String(), "dlc: stopped by a second signal") {
		t.Errorf("second signal: exit %d, %q", code, stderr.String())
	}
}
