package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/dlc-dev/dlc/internal/dist"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/data"
)

// globals are the flags every command shares.
type globals struct {
	DataDir string
	Quiet   bool
	Profile profiles
	// world is the run of several processes train joined (nil: none),
	// which run ends once the command's error, if any, is printed.
	world dist.Comm
}

func newRootCmd(ctx context.Context, stdio *IO) *cobra.Command {
	return newRoot(ctx, stdio, &globals{})
}

// newRoot is newRootCmd with the globals its flags set, which run reads
// back once the command is done (the profiles).
func newRoot(ctx context.Context, stdio *IO, g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "dlc",
		Short: "Train text classifiers from YAML configs",
		Long: `dlc trains the feed-forward networks of the "Deep Learning for Text
Classification" lecture — linear and logistic regression, the SVM, the
multilayer perceptron — by gradient descent, from one YAML config.

Results go to stdout, errors and progress to stderr. Colour is used only
on a terminal, and never when NO_COLOR is set.`,
		Example: `  dlc fetch imdb
  dlc train --config configs/imdb.yaml --out imdb.dlc
  dlc evaluate --model imdb.dlc
  echo "A wonderful film." | dlc predict --model imdb.dlc`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			stdio.Quiet = g.Quiet
			for _, w := range config.UnknownEnv(os.Environ()) {
				fmt.Fprintf(stdio.Err, "dlc: warning: %s\n", w)
			}
			return g.Profile.start()
		},
	}
	root.SetContext(ctx)
	root.SetIn(stdio.In)
	root.SetOut(stdio.Out)
	root.SetErr(stdio.Err)
	pf := root.PersistentFlags()
	pf.StringVar(&g.DataDir, "data-dir", data.DefaultDir(), "where datasets are cached (env DLC_DATA)")
	pf.BoolVarP(&g.Quiet, "quiet", "q", false, "print no progress, only results and errors")
	pf.StringVar(&g.Profile.CPU, "cpuprofile", "", "write a CPU profile of the command to `FILE` (go tool pprof reads it)")
	pf.StringVar(&g.Profile.Mem, "memprofile", "", "write the command's allocation profile to `FILE` at its end (go tool pprof reads it)")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &usageError{fmt.Errorf("%w; see dlc %s --help", err, c.Name())}
	})
	root.AddCommand(
		newFetchCmd(g, stdio),
		newTrainCmd(g, stdio),
		newVectorizeCmd(g, stdio),
		newEvaluateCmd(g, stdio),
		newPredictCmd(g, stdio),
		newServeCmd(g, stdio),
		newInspectCmd(g, stdio),
		newVersionCmd(stdio),
		newCompletionCmd(stdio),
		newManCmd(stdio),
		newPlotCmd(g, stdio),
		newVocabCmd(g, stdio),
		newTuneCmd(g, stdio),
	)
	// cobra's own completion command is replaced by newCompletionCmd, which
	// has an example and exit codes like every other command.
	root.CompletionOptions.DisableDefaultCmd = true
	root.InitDefaultHelpCmd()
	finishCommands(root)
	return root
}

// finishCommands gives every command what a user relies on whichever
// command it is: the exit codes at the end of --help (the man pages add
// them as a section of their own, see manExitStatus), and shell completion
// of every --format-style flag's values.
func finishCommands(c *cobra.Command) {
	if c.Parent() == nil {
		c.SetUsageTemplate(strings.TrimRight(c.UsageTemplate(), "\n") + "\n\n" + exitStatusHelp + "\n")
	}
	c.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
		if e, ok := f.Value.(*enumValue); ok {
			c.RegisterFlagCompletionFunc(f.Name, cobra.FixedCompletions(e.allowed, cobra.ShellCompDirectiveNoFileComp))
		}
	})
	for _, sub := range c.Commands() {
		finishCommands(sub)
	}
}

// run executes the command line args and returns the exit code.
func run(ctx context.Context, args []string, stdio *IO) int {
	g := &globals{}
	root := newRoot(ctx, stdio, g)
	root.SetArgs(args)
	err := root.Execute()
	if perr := g.Profile.stop(); err == nil {
		err = perr
	}
	if err == nil {
		endWorld(g.world, exitOK)
		return exitOK
	}
	code := exitCode(ctx, err)
	var ge *gateError
	switch {
	case errors.As(err, &ge):
		for _, msg := range ge.failed {
			fmt.Fprintf(stdio.Err, "dlc: %s\n", msg)
		}
	case code == exitInterrupted || code == exitTerminated:
		// One line: what the command left behind, or just that it stopped.
		var ie *interruptError
		var s signalled
		switch {
		case errors.As(err, &ie):
			fmt.Fprintf(stdio.Err, "dlc: %s\n", ie.msg)
		case errors.As(context.Cause(ctx), &s):
			fmt.Fprintf(stdio.Err, "dlc: %s\n", stopWord(s.sig))
		default:
			fmt.Fprintln(stdio.Err, "dlc: interrupted")
		}
	case strings.HasPrefix(err.Error(), "unknown command"), strings.HasPrefix(err.Error(), "unknown flag"),
		strings.HasPrefix(err.Error(), "unknown shorthand flag"):
		fmt.Fprintf(stdio.Err, "dlc: %v\n", err)
		code = exitUsage
	default:
		fmt.Fprintf(stdio.Err, "dlc: %v\n", err)
	}
	endWorld(g.world, code)
	return code
}

// exactArgs is cobra.ExactArgs reporting a usage error (exit 2).
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErrorf("dlc %s takes %s; see dlc %s --help", c.Name(), what, c.Name())
		}
		return nil
	}
}

// enumValue is a flag that accepts one of a fixed set of values and says
// which when given another.
type enumValue struct {
	value   *string
	allowed []string
}

func newEnum(p *string, def string, allowed ...string) *enumValue {
	*p = def
	return &enumValue{value: p, allowed: allowed}
}

func (e *enumValue) String() string { return *e.value }
func (e *enumValue) Type() string   { return strings.Join(e.allowed, "|") }
func (e *enumValue) Set(s string) error {
	if !slices.Contains(e.allowed, s) {
		return fmt.Errorf("must be one of %s", strings.Join(e.allowed, ", "))
	}
	*e.value = s
	return nil
}
