package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/option"
)

// Exit codes, documented in every command's --help (exitStatusHelp); mapped
// from errors in one place (exitCode).
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitGate        = 3
	exitInterrupted = 130 // SIGINT (Ctrl-C)
	exitTerminated  = 143 // SIGTERM
)

const exitStatusHelp = `EXIT STATUS
  0    success
  1    error (bad data, bad config, I/O)
  2    usage error (unknown command or flag, bad flag value)
  3    a quality gate failed (evaluate --min-accuracy, --min-macro-f1,
       --min-micro-f1, --fail-if-worse, --max-rmse, --max-mae, --min-r2); the
       report is still printed
  130  interrupted (SIGINT, Ctrl-C)
  143  terminated (SIGTERM)`

// usageError is a command-line mistake: exit 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// gateError is one or more quality gates that were not met: exit 3. The
// report has already been printed; each failed gate is one line on stderr.
type gateError struct{ failed []string }

func (e *gateError) Error() string { return strings.Join(e.failed, "; ") }

// interruptError is a command stopped by its context, with what it says
// about what it left behind.
type interruptError struct{ msg string }

func (e *interruptError) Error() string { return e.msg }
func (e *interruptError) Unwrap() error { return context.Canceled }

// exitCode maps an error to the exit status; a cancellation's status says
// which signal caused it (the cause of ctx).
func exitCode(ctx context.Context, err error) int {
	var ue *usageError
	var ge *gateError
	var ce *config.Error
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		return exitUsage
	case errors.As(err, &ce) && strings.HasPrefix(ce.Where, "--set"):
		return exitUsage // a bad flag value
	case errors.As(err, &ge):
		return exitGate
	case errors.Is(err, context.Canceled):
		var s signalled
		if errors.As(context.Cause(ctx), &s) {
			return signalCode(s.sig)
		}
		return exitInterrupted
	}
	return exitError
}

// flagError is a usage error about a flag from a component's
// *option.Error, which names the option as the flag is named without its
// dashes ("threshold" for --threshold).
func flagError(err error) error {
	if e, ok := errors.AsType[*option.Error](err); ok {
		return usageErrorf("--%s %s", e.Name, e.Msg)
	}
	return &usageError{err}
}
