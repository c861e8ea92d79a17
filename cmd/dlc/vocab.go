package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/pipeline"
)

type vocabMergeOptions struct {
	Config string
	dataOptions
	Out string
}

// newVocabCmd is dlc vocab, the vocabulary's own steps: merge for now.
func newVocabCmd(g *globals, stdio *IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vocab",
		Short: "Build a vocabulary from the counts of shards",
		Example: `  dlc vectorize --config imdb.yaml --counts counts-0.tsv --shard 0/2
  dlc vectorize --config imdb.yaml --counts counts-1.tsv --shard 1/2
  dlc vocab merge --config imdb.yaml --out features counts-0.tsv counts-1.tsv`,
		Args: exactArgs(0, "a subcommand: merge"),
		RunE: func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	cmd.AddCommand(newVocabMergeCmd(g, stdio))
	return cmd
}

func newVocabMergeCmd(g *globals, stdio *IO) *cobra.Command {
	o := &vocabMergeOptions{}
	cmd := &cobra.Command{
		Use:   "merge --config FILE --out DIR COUNTS...",
		Short: "Add up the shards' n-gram counts and choose the vocabulary one run would",
		Long: `vocab merge reads the counts files that dlc vectorize --counts --shard i/n
wrote for every shard 0..n-1 of the config's training file, adds them up
gram by gram and chooses the vocabulary exactly as one dlc vectorize (or
dlc train) chooses it on the whole file: the document-frequency bounds,
then the max_tokens most frequent, ties in byte order. It writes into DIR,
as one set:

  vocabulary.tsv   byte for byte one dlc vectorize --out's
  labels.tsv       byte for byte one dlc vectorize --out's
  vectorizer.json  the fitted vectorizer, which dlc vectorize --vocabulary
                   DIR reads to encode shards

The files are read side by side in one pass, in memory that holds the
vocabulary being chosen, not every n-gram. Counts of another file, of
another vectorizer, a shard missing or given twice, and a truncated or
foreign counts file are refused.`,
		Example: `  dlc vocab merge --config imdb.yaml --out features counts-*.tsv
  dlc vectorize --config imdb.yaml --vocabulary features --shard 0/4 > train-0.svm`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("dlc vocab merge takes the counts files to merge, one per shard; see dlc vocab merge --help")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error { return runVocabMerge(g, stdio, o, args) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.Config, "config", "c", "", "the config whose vectorizer the shards were counted with (required)")
	o.dataOptions.AddFlags(f, "override a config key: --set vectorizer.max_tokens=20000 (repeatable)")
	f.StringVarP(&o.Out, "out", "o", "", "write vocabulary.tsv, labels.tsv and vectorizer.json into this folder (required)")
	cmd.MarkFlagFilename("config", "yaml", "yml")
	return cmd
}

func runVocabMerge(g *globals, stdio *IO, o *vocabMergeOptions, counts []string) error {
	switch {
	case o.Config == "":
		return usageErrorf("dlc vocab merge needs --config FILE, the config the shards were counted with")
	case o.Out == "":
		return usageErrorf("dlc vocab merge needs --out DIR, the folder to write the vocabulary into")
	}
	cfg, err := config.LoadWith(o.Config, o.Sets, o.dataOptions.overrides())
	if err != nil {
		return err
	}
	var inputs []namedPath
	for _, c := range counts {
		inputs = append(inputs, namedPath{c, "a counts file"})
	}
	if err := checkOutputs([]namedPath{{o.Out, "--out"}}, inputs); err != nil {
		return err
	}
	f, err := pipeline.MergeCounts(cfg, counts)
	if err != nil {
		return err
	}
	w, err := f.WriteVectorizer(o.Out)
	if err != nil {
		return err
	}
	v := f.Vectorizer
	what := fmt.Sprintf("%d features: the most frequent of %d distinct n-grams", v.Features(), v.Distinct)
	if v.Hashing > 0 {
		what = fmt.Sprintf("%d hashing buckets, %d of them used", v.Features(), v.Distinct)
	}
	fmt.Fprintf(stdio.Out, "merged %d counts files of %d texts: %s\n", len(counts), v.Docs, what)
	fmt.Fprintf(stdio.Out, "wrote %s", w.Vocabulary)
	if w.Labels != "" {
		fmt.Fprintf(stdio.Out, ", %s", w.Labels)
	}
	_, err = fmt.Fprintf(stdio.Out, ", %s\n", pipeline.JoinPath(o.Out, pipeline.VectorizerFile))
	return err
}
