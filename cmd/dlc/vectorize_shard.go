package main

import (
	"bufio"
	"fmt"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/pipeline"
)

// runVectorizeShard runs the sharded steps of vectorize: --counts FILE
// counts the training data's shard, --vocabulary DIR encodes a split's
// shard with a merged vectorizer.
func runVectorizeShard(g *globals, stdio *IO, o *vectorizeOptions) error {
	switch {
	case o.Config == "":
		return usageErrorf("--counts, --vocabulary and --shard go with --config FILE; see dlc vectorize --help")
	case o.Counts != "" && o.Vocabulary != "":
		return usageErrorf("give --counts FILE (count a shard) or --vocabulary DIR (encode a shard), not both")
	case o.Counts == "" && o.Vocabulary == "":
		return usageErrorf("--shard splits the work of --counts FILE and --vocabulary DIR; one dlc vectorize --config fits and encodes the whole data")
	case o.Out != "":
		return usageErrorf("--out writes one run's whole set; with --counts the file is --counts', with --vocabulary the rows go to stdout")
	}
	sh, from, err := o.shardOptions.resolve()
	if err != nil {
		return err
	}
	cfg, err := config.LoadWith(o.Config, o.Sets, o.dataOptions.overrides())
	if err != nil {
		return err
	}
	paths, err := pipeline.Resolve(cfg, g.DataDir)
	if err != nil {
		return err
	}
	if from != "" {
		stdio.Progressf("dlc: shard %s (%s)\n", sh, from)
	}
	if o.Counts != "" {
		if err := checkOutput(o.Counts, "--counts"); err != nil {
			return err
		}
		if err := checkOutputs([]namedPath{{o.Counts, "--counts"}}, inputsOf(o.Config, paths)); err != nil {
			return err
		}
		sum, err := pipeline.WriteCounts(cfg, g.DataDir, sh, o.Counts)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdio.Out, "shard %s of %s: %d texts, %d distinct n-grams, written to %s\n", sh, sum.Source, sum.Texts, sum.Grams, sum.File)
		return err
	}
	out := bufio.NewWriterSize(stdio.Out, 1<<16)
	if _, err := pipeline.EncodeShard(cfg, g.DataDir, o.Vocabulary, o.Split, sh, out); err != nil {
		return err
	}
	return out.Flush()
}
