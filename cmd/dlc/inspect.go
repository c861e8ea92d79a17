package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/dlc-dev/dlc/internal/calibrate"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/pipeline"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

type inspectOptions struct {
	Model  string
	Format string
	Vocab  int
	Top    int
}

func newInspectCmd(g *globals, stdio *IO) *cobra.Command {
	o := &inspectOptions{}
	cmd := &cobra.Command{
		Use:   "inspect MODEL | CHECKPOINT-DIR",
		Short: "Show a model's architecture, vocabulary, labels and training record, or where a checkpoint stands",
		Long: `inspect prints what is inside a model file without running it: a
Keras-style summary of the layers (output shapes and parameter counts),
the vectorizer and its vocabulary size, the labels, how it was trained
(optimizer, epochs, seed, the sha256 fingerprint of the training data, the
loss and accuracy of every epoch, the final test score), the dlc version
that wrote it, and the whole training config as YAML — enough to train
the same model again.

The training record says how many epochs ran of training.epochs, why
training stopped (the cap, convergence, early stopping, an interruption),
which epoch's weights the model holds (early stopping restores the best),
the model it continued from (train --init), and any warning about the data.

--vocab N lists the first N features of the vocabulary (the most frequent
tokens), with the number of training texts that held each.

--top N (default 5, 0 for none) lists, for each label of a bag-of-words
classifier, the N features that push towards it most: for a model without
a hidden layer, its weights (centred over the labels); with hidden layers,
where no single weight tells, the change in the label's probability from
an empty text to a text of that feature alone (exact for the network, but
in a real text features act together). inspect says which it used.

Given a checkpoint folder (dlc train --checkpoint DIR) or a .dlcc file,
inspect shows the newest whole checkpoint: where training stands (stage,
epoch, position in the epoch, updates, the best epoch so far), the epochs
done, the config and --set values and the data it was started from (each
file's fingerprint), and whether each checkpoint file in the folder is
whole.`,
		Example: `  dlc inspect imdb.dlc
  dlc inspect imdb.dlc --vocab 20
  dlc inspect imdb.dlc --format json | jq .params
  dlc inspect reuters.dlc --top 10
  dlc inspect ckpt/`,
		Args: exactArgs(1, "one MODEL file or checkpoint folder"),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return []string{"dlc"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: func(c *cobra.Command, args []string) error {
			o.Model = args[0]
			return runInspect(stdio, o)
		},
	}
	cmd.Flags().VarP(newEnum(&o.Format, "text", "text", "json"), "format", "f", "output format")
	cmd.Flags().IntVar(&o.Vocab, "vocab", 0, "list the first N features of the vocabulary")
	cmd.Flags().IntVar(&o.Top, "top", 5, "list the N features that push towards each label most (0: none)")
	return cmd
}

type layerSummary struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	Inputs     int    `json:"inputs"`
	Units      int    `json:"units"`
	Activation string `json:"activation"`
	Params     int    `json:"params"`
}

type vocabEntry struct {
	Index   int    `json:"index"`
	Token   string `json:"token"`
	DocFreq int32  `json:"doc_freq"`
}

type inspection struct {
	Model       string         `json:"model"`
	DLCVersion  string         `json:"dlc_version"`
	ModelFormat int            `json:"model_format"`
	Layers      []layerSummary `json:"layers"`
	Params      int            `json:"params"`
	// Members is the number of networks of an ensemble, each of Layers and
	// Params (absent for one network); predict and evaluate run them all.
	Members     int    `json:"members,omitempty"`
	MemberSeeds []int  `json:"member_seeds,omitempty"`
	Loss        string `json:"loss"`
	Task        string `json:"task"`
	// Precision is the first layer's arithmetic (model.precision).
	Precision  string `json:"precision"`
	Vectorizer struct {
		Mode      string `json:"mode"`
		VocabSize int    `json:"vocab_size"`
		NGrams    int    `json:"ngrams"`
		Lowercase bool   `json:"lowercase"`
		StripHTML bool   `json:"strip_html"`
		TrainDocs int    `json:"train_docs"`
		// CharNGrams is [min, max] of the character n-grams (absent: none).
		CharNGrams   []int   `json:"char_ngrams,omitempty"`
		CharAnalyzer string  `json:"char_analyzer,omitempty"`
		Weighting    string  `json:"weighting,omitempty"`
		NBAlpha      float64 `json:"nb_alpha,omitempty"`
	} `json:"vectorizer"`
	Vocab  []vocabEntry `json:"vocab,omitempty"`
	Labels []string     `json:"labels"`
	// Calibration maps the network's scores to the probabilities the
	// model answers with (absent: its outputs as they are).
	Calibration *calibrate.Calibrator `json:"calibration,omitempty"`
	// Thresholds decide a multi-label model's labels.
	Thresholds *calibrate.Thresholds `json:"thresholds,omitempty"`
	Training   model.Record          `json:"training"`
	// EpochsRun and Stop say how training ended, in numbers and words.
	EpochsRun   int                   `json:"epochs_run"`
	Stop        string                `json:"stop"`
	TopFeatures *pipeline.TopFeatures `json:"top_features,omitempty"`
	Config      any                   `json:"config"`
}

func runInspect(stdio *IO, o *inspectOptions) error {
	if o.Vocab < 0 {
		return usageErrorf("--vocab must be a number of tokens, not %d", o.Vocab)
	}
	if o.Top < 0 {
		return usageErrorf("--top must be a number of features, not %d", o.Top)
	}
	if isCheckpoint(o.Model) {
		return runInspectCheckpoint(stdio, o)
	}
	m, err := model.Load(o.Model)
	if err != nil {
		return err
	}
	spec := m.Net.Spec()
	in := inspection{
		Model: o.Model, DLCVersion: m.Record.DLCVersion, ModelFormat: model.Version(m),
		Loss: string(spec.Loss), Task: "classification", Labels: m.Labels, Calibration: m.Calibration, Training: m.Record, Config: m.Config,
	}
	switch {
	case spec.Regression:
		in.Task = "regression"
	case spec.MultiLabel:
		in.Task, in.Thresholds = "multilabel", m.Thresholds
	}
	in.Precision = mlp.Float64
	if spec.Precision == mlp.Float32 {
		in.Precision = mlp.Float32
	}
	for i, l := range m.Net.Layers {
		n := l.In*l.Out + l.Out
		in.Layers = append(in.Layers, layerSummary{fmt.Sprintf("dense_%d", i), "Dense", l.In, l.Out, string(l.Activation), n})
		in.Params += n
	}
	if len(m.Members) > 1 {
		in.Members, in.MemberSeeds = len(m.Members), m.Record.MemberSeeds
	}
	v := m.Vectorizer
	iv := &in.Vectorizer
	iv.Mode, iv.VocabSize, iv.NGrams, iv.TrainDocs = string(v.Mode), v.Features(), v.NGrams, v.Docs
	if v.CharNGrams.On() {
		iv.CharNGrams, iv.CharAnalyzer = v.CharNGrams[:], string(v.CharAnalyzer)
	}
	if v.Weighting == vectorize.NB {
		iv.Weighting, iv.NBAlpha = string(v.Weighting), v.NBAlpha
	}
	iv.Lowercase, iv.StripHTML = v.Tokenizer.Lowercase, v.Tokenizer.StripHTML
	for i := range min(o.Vocab, len(v.Vocab)) {
		in.Vocab = append(in.Vocab, vocabEntry{i, v.Vocab[i], v.DocFreq[i]})
	}
	in.EpochsRun, in.Stop = len(m.Record.Epochs), stopSummary(m.Record, m.Config)
	if o.Top > 0 && !spec.Regression {
		if t, err := pipeline.Top(m, o.Top); err == nil {
			in.TopFeatures = t
		}
	}
	if o.Format == "json" {
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(in)
	}
	return printInspection(stdio.Out, &in, m)
}

// seedList writes seeds as "42, 7, 9".
func seedList(seeds []int) string {
	s := make([]string, len(seeds))
	for i, x := range seeds {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

// thousands formats n with thousands separators, as Keras' summary does.
func thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func printInspection(w io.Writer, in *inspection, m *model.Model) error {
	fmt.Fprintf(w, "Model: %s (dlc %s, model format %d)\n\n", in.Model, orNone(in.DLCVersion), in.ModelFormat)
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "Layer (type)\tOutput Shape\tActivation\tParam #")
	fmt.Fprintf(tw, "input (%s)\t(None, %s)\t\t0\n", in.Vectorizer.Mode, thousands(in.Vectorizer.VocabSize))
	for _, l := range in.Layers {
		fmt.Fprintf(tw, "%s (%s)\t(None, %d)\t%s\t%s\n", l.Name, l.Type, l.Units, l.Activation, thousands(l.Params))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// The weights are stored as float64.
	if in.Members > 1 {
		fmt.Fprintf(w, "Ensemble: %d networks of this shape, seeds %s; predict and evaluate run all %d (%d× the time of one)\n", in.Members, seedList(in.MemberSeeds), in.Members, in.Members)
		fmt.Fprintf(w, "Total params: %s (%s), %s per network\n\n", thousands(in.Members*in.Params), mib(in.Members*in.Params*8), thousands(in.Params))
	} else {
		fmt.Fprintf(w, "Total params: %s (%s)\n\n", thousands(in.Params), mib(in.Params*8))
	}

	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	v := in.Vectorizer
	fmt.Fprintf(tw, "task\t%s, loss %s\n", in.Task, in.Loss)
	if in.Precision == mlp.Float32 {
		fmt.Fprintf(tw, "precision\tfirst layer float32 (weights stored float64)\n")
	}
	if d := m.Vectorizer.Dense; d != nil {
		// Numeric columns or pixels: no tokens, n-grams or vocabulary.
		scale := string(d.Scale)
		if d.Divisor != 0 {
			scale += fmt.Sprintf(" (÷ %g)", d.Divisor)
		}
		fmt.Fprintf(tw, "vectorizer\tdense, %s columns, scale %s, fitted on %s rows\n", thousands(v.VocabSize), scale, thousands(v.TrainDocs))
	} else {
		var opts []string
		if v.Lowercase {
			opts = append(opts, "lowercase")
		}
		if v.StripHTML {
			opts = append(opts, "HTML stripped")
		}
		grams := fmt.Sprintf("%d-grams", v.NGrams)
		if v.NGrams == 0 {
			grams = "no words"
		}
		if len(v.CharNGrams) == 2 {
			grams += fmt.Sprintf(", character %d- to %d-grams (%s)", v.CharNGrams[0], v.CharNGrams[1], v.CharAnalyzer)
		}
		if v.Weighting != "" {
			grams += fmt.Sprintf(", weighted by naive-Bayes log-count ratios (α %g)", v.NBAlpha)
		}
		fmt.Fprintf(tw, "vectorizer\t%s, %s, %s\n", v.Mode, grams, strings.Join(append(opts, "fitted on "+thousands(v.TrainDocs)+" texts"), ", "))
		fmt.Fprintf(tw, "vocabulary\t%s features\n", thousands(v.VocabSize))
	}
	if len(in.Labels) > 0 {
		fmt.Fprintf(tw, "labels\t%d: %s\n", len(in.Labels), data.QuoteList(in.Labels, 20))
	}
	r := in.Training
	c := m.Config
	fmt.Fprintf(tw, "optimizer\t%s, learning rate %g, %s, batch size %d\n",
		c.Optimizer.Name, c.Optimizer.LearningRate, c.Training.Method, c.Training.BatchSize)
	fmt.Fprintf(tw, "epochs\t%s\n", in.Stop)
	if r.Init != nil {
		fmt.Fprintf(tw, "continued from\t%s\n", initSummary(r.Init))
	}
	fmt.Fprintf(tw, "seed\t%d\n", r.Seed)
	if !m.Net.Spec().Regression {
		fmt.Fprintf(tw, "probabilities\t%s\n", pipeline.ProbabilitiesAre(m))
		if cal := m.Calibration; cal != nil {
			fmt.Fprintf(tw, "\tfitted on %s\n", cal.Fitted)
			fmt.Fprintf(tw, "\tthere: ECE %.4f → %.4f, log loss %.4f → %.4f, Brier %.4f → %.4f\n",
				cal.Before.ECE, cal.After.ECE, cal.Before.LogLoss, cal.After.LogLoss, cal.Before.Brier, cal.After.Brier)
		}
	}
	if th := in.Thresholds; th != nil {
		fmt.Fprintf(tw, "answers\t%s\n", labelRange(th))
		fmt.Fprintf(tw, "thresholds\t%s\n", describeThresholds(th))
		if th.Values != nil {
			fmt.Fprintf(tw, "\ttuned on %s\n", th.Fitted)
			fmt.Fprintf(tw, "\tthere: micro-F1 %.4f → %.4f, macro-F1 %.4f → %.4f\n", th.Before.MicroF1, th.After.MicroF1, th.Before.MacroF1, th.After.MacroF1)
		}
	}
	fmt.Fprintf(tw, "training data\t%s examples, sha256 %s\n", thousands(r.TrainExamples), orNone(r.DataSHA256))
	if d := r.Distributed; d != nil {
		fmt.Fprintf(tw, "processes\t%s\n", distributedSummary(d))
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(tw, "warning\t%s\n", w)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Epochs) > 0 {
		fmt.Fprintln(w)
		if err := writeEpochTable(w, r.Epochs); err != nil {
			return err
		}
	}
	if t := r.Test; t != nil {
		if t.RMSE != nil && t.MAE != nil && t.R2 != nil {
			fmt.Fprintf(w, "\ntest: rmse %.6g, mae %.6g, r2 %.4f, loss %.6g on %s examples\n", *t.RMSE, *t.MAE, *t.R2, t.Loss, thousands(t.N))
		} else if t.MicroF1 != nil && t.MacroF1 != nil && t.Accuracy != nil && t.HammingLoss != nil {
			fmt.Fprintf(w, "\ntest: micro-F1 %.4f, macro-F1 %.4f, subset accuracy %.4f, Hamming loss %.4f, loss %.4f on %s examples\n",
				*t.MicroF1, *t.MacroF1, *t.Accuracy, *t.HammingLoss, t.Loss, thousands(t.N))
		} else if t.Accuracy != nil {
			fmt.Fprintf(w, "\ntest: accuracy %.4f, loss %.4f", *t.Accuracy, t.Loss)
			if t.ECE != nil && t.LogLoss != nil {
				fmt.Fprintf(w, ", log loss %.4f, ECE %.4f", *t.LogLoss, *t.ECE)
			}
			fmt.Fprintf(w, " on %s examples\n", thousands(t.N))
		}
	}
	if len(in.Vocab) > 0 {
		fmt.Fprintf(w, "\nvocabulary (first %d of %s)\n", len(in.Vocab), thousands(v.VocabSize))
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "index\ttoken\ttexts")
		for _, e := range in.Vocab {
			fmt.Fprintf(tw, "%d\t%s\t%d\n", e.Index, e.Token, e.DocFreq)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if in.TopFeatures != nil {
		printTopFeatures(w, in.TopFeatures, len(in.Labels))
	}
	cfg, err := configYAML(m)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nconfig\n%s", cfg)
	return nil
}

func mib(bytes int) string {
	if bytes < 1<<20 {
		return fmt.Sprintf("%.1f KiB", float64(bytes)/(1<<10))
	}
	return fmt.Sprintf("%.2f MiB", float64(bytes)/(1<<20))
}

// configYAML renders the model's training config as YAML (config.YAML),
// indented for the report.
func configYAML(m *model.Model) (string, error) {
	out, err := m.Config.YAML()
	if err != nil {
		return "", err
	}
	var s strings.Builder
	for _, line := range strings.SplitAfter(strings.TrimRight(out, "\n"), "\n") {
		s.WriteString("  " + line)
	}
	s.WriteByte('\n')
	return s.String(), nil
}

// epochTableRows is how many epochs the text table shows before it elides
// the middle: batch gradient descent can run for thousands of epochs, and
// the first and last are the ones a reader compares (JSON keeps them all).
const epochTableRows = 20

// writeEpochTable writes the loss (and accuracy, for a classifier) of each
// epoch, with the validation columns when there was a validation set.
func writeEpochTable(w io.Writer, epochs []model.EpochRecord) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	hasAcc := epochs[0].Accuracy != nil
	hasVal := epochs[0].ValLoss != nil
	head := "epoch\tloss\t"
	if hasAcc {
		head += "accuracy\t"
	}
	if hasVal {
		head += "val_loss\t"
		if hasAcc {
			head += "val_accuracy\t"
		}
	}
	fmt.Fprintln(tw, head)
	row := func(e model.EpochRecord) {
		fmt.Fprintf(tw, "%d\t%.4f\t", e.Epoch, e.Loss)
		if hasAcc && e.Accuracy != nil {
			fmt.Fprintf(tw, "%.4f\t", *e.Accuracy)
		}
		if hasVal && e.ValLoss != nil {
			fmt.Fprintf(tw, "%.4f\t", *e.ValLoss)
			if hasAcc && e.ValAccuracy != nil {
				fmt.Fprintf(tw, "%.4f\t", *e.ValAccuracy)
			}
		}
		fmt.Fprintln(tw)
	}
	if len(epochs) <= epochTableRows {
		for _, e := range epochs {
			row(e)
		}
	} else {
		half := epochTableRows / 2
		for _, e := range epochs[:half] {
			row(e)
		}
		fmt.Fprintf(tw, "...\t\t\n")
		for _, e := range epochs[len(epochs)-half:] {
			row(e)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(epochs) > epochTableRows {
		fmt.Fprintf(w, "(%s epochs; the table shows the first and last %d, --format json lists them all)\n", thousands(len(epochs)), epochTableRows/2)
	}
	return nil
}
