package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"golang.org/x/term"
)

// IO is where a command reads and writes; commands never touch os.Stdout
// directly, so tests can run them in-process.
type IO struct {
	In  io.Reader
	Out io.Writer // results
	Err io.Writer // errors and progress
	// ErrIsTerminal enables progress bars; otherwise progress is one plain
	// line per epoch, which keeps CI logs readable.
	ErrIsTerminal bool
	// Quiet silences progress (set by --quiet).
	Quiet bool
	// outTerminal, when set, says whether stdout is a terminal instead of
	// asking the OS (for tests).
	outTerminal *bool
}

// Progressf prints a progress line on stderr unless --quiet.
func (s *IO) Progressf(format string, args ...any) {
	if !s.Quiet {
		fmt.Fprintf(s.Err, format, args...)
	}
}

// useColor reports whether results on stdout may be coloured: only on a
// terminal, and never when NO_COLOR is set to anything (no-color.org) or
// TERM is "dumb". Pipes, files and CI logs get plain text.
func (s *IO) useColor() bool {
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	return s.outIsTerminal()
}

// outIsTerminal reports whether stdout is a terminal, where a person reads
// it beside stderr.
func (s *IO) outIsTerminal() bool {
	if s.outTerminal != nil {
		return *s.outTerminal
	}
	f, ok := s.Out.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// ANSI styles for the few words dlc colours: a gate's verdict.
const (
	styleGood = "\x1b[32m" // green
	styleBad  = "\x1b[1;31m"
	styleOff  = "\x1b[0m"
)

// paint wraps s in style when colour is on.
func (s *IO) paint(style, text string) string {
	if !s.useColor() {
		return text
	}
	return style + text + styleOff
}

// pathError drops the operation and path from an *fs.PathError, for
// messages that name the file themselves.
func pathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
