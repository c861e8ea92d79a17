package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/dlc-dev/dlc/internal/data"
)

type fetchOptions struct {
	Name   string
	From   string
	SHA256 string
	Force  bool
	List   bool
}

func newFetchCmd(g *globals, stdio *IO) *cobra.Command {
	o := &fetchOptions{}
	cmd := &cobra.Command{
		Use:   "fetch NAME",
		Short: "Download, verify and convert a public dataset",
		Long: `fetch downloads a public dataset, checks its sha256, and converts it into
DATA_DIR/NAME/train.jsonl and test.jsonl ({"text": ..., "label": ...} per
line). A dataset already fetched is left alone unless --force.

--from takes a mirror URL or an archive already on disk; it is checked
against the registry's sha256, or against --sha256 when given.`,
		Example: `  dlc fetch --list
  dlc fetch imdb
  dlc fetch imdb --from ./aclImdb_v1.tar.gz
  dlc fetch imdb --from ./aclImdb_v1.tar.gz --sha256 83a9c6b4...`,
		Args: func(c *cobra.Command, args []string) error {
			if o.List {
				return nil
			}
			return exactArgs(1, "one dataset NAME (see dlc fetch --list)")(c, args)
		},
		RunE: func(c *cobra.Command, args []string) error {
			if !o.List {
				o.Name = args[0]
			}
			return runFetch(c.Context(), g, stdio, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.From, "from", "", "a mirror URL or a local archive instead of the dataset's home URL")
	f.StringVar(&o.SHA256, "sha256", "", "accept an archive with this sha256 instead of the registry's")
	f.BoolVar(&o.Force, "force", false, "fetch and convert again even if cached")
	f.BoolVar(&o.List, "list", false, "list the datasets dlc can fetch")
	return cmd
}

func runFetch(ctx context.Context, g *globals, stdio *IO, o *fetchOptions) error {
	if o.List {
		w := tabwriter.NewWriter(stdio.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tCLASSES\tTRAIN\tTEST\tDOWNLOAD\tCACHED\tDESCRIPTION")
		for _, s := range data.Sources {
			cached := "no"
			if s.Fetched(g.DataDir) {
				cached = "yes"
			}
			fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%.1f MiB\t%s\t%s\n", s.Name, s.Classes, s.Train, s.Test, float64(s.Size)/(1<<20), cached, s.Description)
		}
		return w.Flush()
	}
	src, err := data.Lookup(o.Name)
	if err != nil {
		return err
	}
	opts := data.FetchOptions{DataDir: g.DataDir, From: o.From, SHA256: o.SHA256, Force: o.Force}
	if stdio.ErrIsTerminal && !stdio.Quiet {
		var bar *progressbar.ProgressBar
		opts.Progress = func(done, total int64) {
			if bar == nil {
				bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(stdio.Err),
					progressbar.OptionSetDescription("downloading "+src.Name), progressbar.OptionShowBytes(true),
					progressbar.OptionClearOnFinish())
			}
			bar.Set64(done)
		}
	}
	res, err := data.Fetch(ctx, src, opts)
	if err != nil {
		return err
	}
	if res.Cached {
		fmt.Fprintf(stdio.Out, "%s is already fetched in %s (use --force to fetch again)\n", src.Name, res.Dir)
		return nil
	}
	fmt.Fprintf(stdio.Out, "fetched %s into %s\n", src.Name, res.Dir)
	return nil
}
