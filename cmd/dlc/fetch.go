package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/pipeline"
)

type fetchOptions struct {
	Names  []string
	From   string
	SHA256 []string
	Force  bool
	List   bool
	Format string
}

func newFetchCmd(g *globals, stdio *IO) *cobra.Command {
	o := &fetchOptions{}
	cmd := &cobra.Command{
		Use:   "fetch NAME...",
		Short: "Download, verify and convert a public dataset",
		Long: `fetch downloads a public dataset, checks its sha256 before using it, and
converts it into DATA_DIR/NAME: train.jsonl and test.jsonl
({"text": ..., "label": ...} per line) for text datasets, the IDX files as
served for mnist. A dataset already fetched is left alone (fetch says where
it is) unless --force. dlc train fetches the config's data.dataset by itself
when it is missing, unless --offline.

Downloads try the dataset's home site, then its mirrors; each is retried
with growing pauses, a broken transfer resumes where it stopped (HTTP
Range), and a server silent for 60 s counts as broken. A progress bar shows
on a terminal. Downloads are kept, verified, in DATA_DIR/.archives, so that
reuters and reuters8 share one download (delete the folder to reclaim the
space; an interrupted download waits there as NAME.part to be resumed).

Archives are read without being unpacked to disk, and are refused as a
whole when an entry would land outside the dataset's folder (.., an absolute
path, a link leading out) or when they unpack to more than the dataset can
be (a decompression bomb). The dataset appears in DATA_DIR only once it is
complete: an interrupted fetch never leaves half a dataset.

--from takes a mirror URL (of the file; for mnist, of the folder holding its
files), an archive already on disk, or a folder holding the dataset's files
under their usual names. Whatever the source, the files are checked against
the registry's sha256; on a mismatch nothing is kept, and the message gives
the --sha256 that accepts the file.`,
		Example: `  dlc fetch --list
  dlc fetch imdb
  dlc fetch reuters reuters8
  dlc fetch mnist --from ./mnist/                  # the four .gz files
  dlc fetch imdb --from ./aclImdb_v1.tar.gz --sha256 83a9c6b4...
  dlc fetch mnist --from https://mirror.example/mnist/`,
		Args: func(c *cobra.Command, args []string) error {
			if o.List {
				if len(args) > 0 {
					return usageErrorf("dlc fetch --list takes no dataset names; see dlc fetch --help")
				}
				return nil
			}
			if len(args) == 0 {
				return usageErrorf("dlc fetch takes one or more dataset NAMEs (see dlc fetch --list); see dlc fetch --help")
			}
			if len(args) > 1 && (o.From != "" || len(o.SHA256) > 0) {
				return usageErrorf("--from and --sha256 apply to one dataset; fetch %s one at a time", strings.Join(args, ", "))
			}
			return nil
		},
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return data.Names(), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			o.Names = args
			return runFetch(c.Context(), g, stdio, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.From, "from", "", "a mirror URL, a local archive, or a folder holding the dataset's files")
	f.StringArrayVar(&o.SHA256, "sha256", nil, "accept a file with this sha256 instead of the registry's: HEX, or NAME=HEX for a dataset of several files")
	f.BoolVar(&o.Force, "force", false, "download and convert again even if fetched")
	f.BoolVar(&o.List, "list", false, "list the datasets dlc can fetch and whether they are fetched")
	f.VarP(newEnum(&o.Format, "text", "text", "json"), "format", "f", "output format of --list")
	return cmd
}

func runFetch(ctx context.Context, g *globals, stdio *IO, o *fetchOptions) error {
	if o.List {
		return listDatasets(g, stdio, o.Format)
	}
	srcs := make([]*data.Source, len(o.Names))
	for i, name := range o.Names {
		src, err := data.Lookup(name)
		if err != nil {
			return err
		}
		srcs[i] = src
	}
	for _, src := range srcs {
		res, err := data.Fetch(ctx, src, fetchOpts(g, stdio, o.From, o.SHA256, o.Force))
		if err != nil {
			return err
		}
		if res.Cached {
			fmt.Fprintf(stdio.Out, "%s is already fetched in %s (use --force to fetch again)\n", src.Name, res.Dir)
			continue
		}
		m := res.Manifest
		fmt.Fprintf(stdio.Out, "fetched %s into %s: %d train and %d test %s, %d classes\n",
			src.Name, res.Dir, m.Train, m.Test, examplesWord(src), len(m.Labels))
	}
	return nil
}

func examplesWord(src *data.Source) string {
	if src.Kind == data.Images {
		return "images"
	}
	return "examples"
}

// fetchOpts wires a fetch to the terminal: news lines on stderr (unless
// --quiet), and a progress bar per file when stderr is a terminal.
func fetchOpts(g *globals, stdio *IO, from string, sha []string, force bool) data.FetchOptions {
	opts := data.FetchOptions{DataDir: g.DataDir, From: from, SHA256: sha, Force: force}
	opts.Net.UserAgent = "dlc/" + version
	var bar *progressbar.ProgressBar
	var barFile string
	opts.Status = func(msg string) {
		if bar != nil {
			bar.Clear()
		}
		stdio.Progressf("%s\n", msg)
	}
	if stdio.ErrIsTerminal && !stdio.Quiet {
		opts.Progress = func(file string, done, total int64) {
			if bar == nil || file != barFile {
				if bar != nil {
					bar.Finish()
				}
				barFile = file
				bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(stdio.Err),
					progressbar.OptionSetDescription(file), progressbar.OptionShowBytes(true),
					progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
			}
			bar.Set64(done)
			if done == total {
				bar.Finish()
			}
		}
	}
	return opts
}

// fetchForConfig fetches the config's data.dataset when it is not in the
// data directory yet, as keras.datasets does on first use; with offline it
// says how to fetch it instead. Configs without data.dataset, or naming an
// unknown one (resolveData reports that), pass through.
func fetchForConfig(ctx context.Context, g *globals, stdio *IO, cfg *config.Config, offline bool) error {
	if err := pipeline.CheckDataset(cfg); err != nil {
		return err
	}
	src, err := data.Lookup(cfg.Data.Dataset)
	if cfg.Data.Dataset == "" || err != nil || src.Fetched(g.DataDir) {
		return nil
	}
	if offline {
		return fmt.Errorf("dataset %s is not in %s and --offline forbids downloading it; run dlc fetch %s (--from FILE for a copy on disk), or train without --offline", src.Name, g.DataDir, src.Name)
	}
	stdio.Progressf("dataset %s is not in %s yet; fetching it (%.1f MiB)\n", src.Name, g.DataDir, float64(src.Size())/(1<<20))
	res, err := data.Fetch(ctx, src, fetchOpts(g, stdio, "", nil, false))
	if err != nil {
		return err
	}
	stdio.Progressf("fetched %s into %s\n", src.Name, res.Dir)
	return nil
}

// datasetInfo is one row of dlc fetch --list --format json.
type datasetInfo struct {
	Name          string      `json:"name"`
	Description   string      `json:"description"`
	License       string      `json:"license"`
	Kind          data.Kind   `json:"kind"`
	Classes       int         `json:"classes"`
	Train         int         `json:"train"`
	Test          int         `json:"test"`
	DownloadBytes int64       `json:"download_bytes"`
	Files         []data.File `json:"files"`
	URLs          []string    `json:"urls"`
	Cached        bool        `json:"cached"`
	Path          string      `json:"path"`
}

func listDatasets(g *globals, stdio *IO, format string) error {
	if format == "json" {
		rows := make([]datasetInfo, 0, len(data.Sources))
		for _, s := range data.Sources {
			rows = append(rows, datasetInfo{
				Name: s.Name, Description: s.Description, License: s.License, Kind: s.Kind,
				Classes: s.Classes, Train: s.Train, Test: s.Test, DownloadBytes: s.Size(),
				Files: s.Files, URLs: s.URLs, Cached: s.Fetched(g.DataDir), Path: s.Dir(g.DataDir),
			})
		}
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	w := tabwriter.NewWriter(stdio.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tCLASSES\tTRAIN\tTEST\tDOWNLOAD\tCACHED\tLICENCE")
	for _, s := range data.Sources {
		cached := "no"
		if s.Fetched(g.DataDir) {
			cached = "yes"
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%.1f MiB\t%s\t%s\n", s.Name, s.Classes, s.Train, s.Test, float64(s.Size())/(1<<20), cached, s.License)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(stdio.Out)
	for _, s := range data.Sources {
		fmt.Fprintf(w, "%s\t%s\n", s.Name, s.Description)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "\ndata directory: %s\n", g.DataDir)
	return nil
}
