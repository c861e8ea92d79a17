// Command dlc trains text classifiers — the feed-forward networks of the
// "Deep Learning for Text Classification" lecture — from YAML configs:
// fetch a dataset, train, evaluate, predict.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	// The collector's headroom follows the live heap (gcpace.go): GOGC=100
	// for small jobs, 50 for large ones. GOGC, when set, still decides.
	paceGC()
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go shutdown.watch(sigs, cancel, os.Stderr)
	code := run(ctx, os.Args[1:], &IO{
		In:            os.Stdin,
		Out:           os.Stdout,
		Err:           os.Stderr,
		ErrIsTerminal: term.IsTerminal(int(os.Stderr.Fd())),
	})
	signal.Stop(sigs)
	os.Exit(code)
}
