package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dlc-dev/dlc/internal/testenv"
)

// TestInterruptSaysItOnce: Ctrl-C in train on a terminal gives one line,
// on stderr, naming the model written: stdout's "model written to", on the
// same screen, would say it twice (issue 21). A script reading stdout
// from a pipe still finds the model there.
func TestInterruptSaysItOnce(t *testing.T) {
	root := testenv.Root(t)
	for _, terminal := range []bool{true, false} {
		ctx, cancel := context.WithCancelCause(context.Background())
		var out, errb bytes.Buffer
		model := filepath.Join(t.TempDir(), "m.dlc")
		timer := time.AfterFunc(time.Second, func() { cancel(signalled{os.Interrupt}) })
		code := run(ctx, []string{"train", "--config", filepath.Join(root, "testdata", "tiny", "tiny.yaml"), "--quiet",
			"--set", "training.epochs=100000000", "--set", "training.method=sgd", "--out", model},
			&IO{In: strings.NewReader(""), Out: &out, Err: &errb, outTerminal: &terminal})
		timer.Stop()
		if code != exitInterrupted {
			t.Fatalf("exit %d, want 130; stderr %q", code, errb.String())
		}
		if lines := strings.Count(errb.String(), "\n"); lines != 1 || !strings.Contains(errb.String(), "wrote the weights as they were after the last update to "+model) {
			t.Errorf("terminal %v: stderr %q, want one line naming the model", terminal, errb.String())
		}
		if said := strings.Contains(out.String(), "model written to"); said == terminal {
			t.Errorf("terminal %v: stdout %q", terminal, out.String())
		}
	}
}
