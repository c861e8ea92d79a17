package main

import (
	"fmt"
	"io"
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
}

// Progressf prints a progress line on stderr unless --quiet.
func (s *IO) Progressf(format string, args ...any) {
	if !s.Quiet {
		fmt.Fprintf(s.Err, format, args...)
	}
}
