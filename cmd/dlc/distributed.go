package main

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/dist"
	"github.com/dlc-dev/dlc/internal/pipeline"
)

// joinWorld makes train one process of the run mpirun or srun started
// (dist.World: one process without a launcher, or in a build without
// MPI), tagging each line of its stderr with its rank when there are
// several.
func joinWorld(g *globals, stdio *IO) (dist.Comm, error) {
	w, err := dist.World()
	if err != nil {
		return nil, err
	}
	g.world = w
	if w.Size() > 1 {
		stdio.Err = &rankWriter{w: stdio.Err, tag: []byte(fmt.Sprintf("[rank %d/%d] ", w.Rank(), w.Size()))}
		stdio.ErrIsTerminal = false // N progress bars would overwrite each other
	}
	return w, nil
}

// endWorld ends this process's part in a run of several: with an error,
// every process at once (MPI_Abort), since the others would wait for this
// one at the next average; after success or an interruption they all
// stopped at, together (MPI_Finalize waits for every process, rank 0
// writing the model included).
func endWorld(w dist.Comm, code int) {
	if w == nil || w.Size() <= 1 {
		return
	}
	if code != exitOK && code != exitInterrupted && code != exitTerminated {
		w.Abort(code)
	}
	if err := w.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "dlc: %v\n", err)
	}
}

// shareLine says what this process of several trains on, and how often
// it averages.
func shareLine(s *pipeline.Setup, cfg *config.Config) string {
	t := cfg.Training.Distributed
	when := "at the end of every epoch"
	if t.SyncEvery > 0 {
		when = fmt.Sprintf("every %d updates and at the end of every epoch", t.SyncEvery)
	}
	what := "the weights"
	if t.AverageOptimizer {
		what = "the weights and the optimizer's state"
	}
	return fmt.Sprintf("%d processes: this one trains on %d of the %d examples, averaging %s with the others %s", s.Processes, s.Share, s.Examples, what, when)
}

// rankWriter starts every line written through it with a tag.
type rankWriter struct {
	w       io.Writer
	tag     []byte
	midLine bool
	buf     []byte
}

func (r *rankWriter) Write(p []byte) (int, error) {
	n := len(p)
	r.buf = r.buf[:0]
	for len(p) > 0 {
		if !r.midLine {
			r.buf = append(r.buf, r.tag...)
		}
		line := p
		if i := bytes.IndexByte(p, '\n'); i >= 0 {
			line = p[:i+1]
		}
		r.buf = append(r.buf, line...)
		r.midLine = line[len(line)-1] != '\n'
		p = p[len(line):]
	}
	if _, err := r.w.Write(r.buf); err != nil {
		return 0, err
	}
	return n, nil
}
