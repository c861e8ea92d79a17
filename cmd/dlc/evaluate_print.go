package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/metrics"
	"github.com/dlc-dev/dlc/internal/pipeline"
)

// confusionWidth is the widest confusion matrix the text report prints
// whole (in characters): it must fit a terminal. Wider ones are shown as
// their most frequent confusions; the JSON report always has all of it.
const confusionWidth = 120

// topConfusions is how many confusions the summary of a wide matrix lists.
const topConfusions = 20

func printEvaluation(stdio *IO, ev *evaluation, o *evaluateOptions) error {
	w := stdio.Out
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "model\t%s\ndata\t%s\nexamples\t%d\naccuracy\t%.4f\nloss\t%.4f\nmacro_f1\t%.4f\nweighted_f1\t%.4f\n",
		ev.Model, ev.Data, ev.N, ev.Accuracy, ev.Loss, ev.MacroF1, ev.WeightedF1)
	fmt.Fprintf(tw, "log_loss\t%.4f\nbrier\t%.4f\nece\t%.4f\t(15 bins)\nprobabilities\t%s\n", ev.LogLoss, ev.Brier, ev.ECE, ev.Probabilities)
	if ev.Networks > 1 {
		fmt.Fprintf(tw, "networks\t%d\t(an ensemble: each example scored by all %d, %d× the time of one)\n", ev.Networks, ev.Networks, ev.Networks)
	}
	if ev.ROCAUC != nil {
		fmt.Fprintf(tw, "roc_auc\t%.4f\t(of p(%s))\n", *ev.ROCAUC, data.EscapeField(ev.PositiveLabel))
	}
	if ev.Threshold != nil {
		fmt.Fprintf(tw, "threshold\t%s\n", ev.thresholdRule)
	}
	fmt.Fprintln(tw)
	if ev.ModelLabels > 0 {
		fmt.Fprintf(tw, "of the model's %d labels, the %d in the data or the predictions:\n", ev.ModelLabels, len(ev.Labels))
	}
	fmt.Fprintln(tw, "label\tprecision\trecall\tf1\tsupport")
	for _, l := range sortedLabels(ev, o.Sort) {
		c := ev.PerClass[l]
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%.4f\t%d\n", data.EscapeField(l), c.Precision, c.Recall, c.F1, c.Support)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	labels := make([]string, len(ev.Labels))
	for i, l := range ev.Labels {
		labels[i] = data.EscapeField(l)
	}
	if err := printConfusion(w, labels, ev.ConfusionMatrix, o.Confusion); err != nil {
		return err
	}
	if b := ev.Baseline; b != nil {
		fmt.Fprintln(w)
		if err := printBaseline(stdio, ev, b); err != nil {
			return err
		}
	}
	if len(ev.Gates) > 0 {
		fmt.Fprintln(w)
		return printGates(stdio, ev.Gates)
	}
	return nil
}

func printBaseline(stdio *IO, ev *evaluation, b *baselineReport) error {
	tw := tabwriter.NewWriter(stdio.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "baseline\t%s, on the same %d examples\n", b.Model, ev.N)
	fmt.Fprintln(tw, "\tmodel\tbaseline\tdifference")
	for _, r := range []struct {
		name        string
		model, base float64
	}{
		{"accuracy", ev.Accuracy, b.Accuracy},
		{"macro_f1", ev.MacroF1, b.MacroF1},
		{"weighted_f1", ev.WeightedF1, b.WeightedF1},
		{"loss", ev.Loss, b.Loss},
	} {
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%+.4f\n", r.name, r.model, r.base, r.model-r.base)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	t := b.McNemar
	fmt.Fprintf(stdio.Out, "McNemar's test (%s): %d examples only the model gets right, %d only the baseline; ",
		t.Method, t.ModelOnlyCorrect, t.BaselineOnlyCorrect)
	if t.Method == metrics.McNemarChiSquare {
		fmt.Fprintf(stdio.Out, "chi-square %.3f, ", t.Statistic)
	}
	fmt.Fprintf(stdio.Out, "p = %.3g\n", t.PValue)
	switch b.Verdict {
	case pipeline.Better:
		fmt.Fprintf(stdio.Out, "verdict: %s than the baseline (p < %g)\n", stdio.paint(styleGood, "significantly better"), b.Alpha)
	case pipeline.Worse:
		fmt.Fprintf(stdio.Out, "verdict: %s than the baseline (p < %g)\n", stdio.paint(styleBad, "significantly worse"), b.Alpha)
	default:
		fmt.Fprintf(stdio.Out, "verdict: no significant difference from the baseline (p ≥ %g)\n", b.Alpha)
	}
	return nil
}

// printConfusion prints the confusion matrix whole when it fits in
// confusionWidth characters (with class numbers as column heads if only the
// names are too wide), else its most frequent confusions; mode "full" or
// "top" forces one or the other.
func printConfusion(w io.Writer, labels []string, m [][]int, mode string) error {
	switch {
	case m == nil:
		_, err := fmt.Fprintf(w, "confusion matrix: none, as %d labels are in the data or the predictions, more than the %d a matrix is made for\n", len(labels), metrics.MaxMatrixClasses)
		return err
	case mode == "top":
		return printTopConfusions(w, labels, m)
	case mode == "full":
		return printMatrix(w, labels, m, matrixWidth(labels, m, false) > confusionWidth)
	case matrixWidth(labels, m, false) <= confusionWidth:
		return printMatrix(w, labels, m, false)
	case matrixWidth(labels, m, true) <= confusionWidth:
		return printMatrix(w, labels, m, true)
	}
	return printTopConfusions(w, labels, m)
}

// matrixWidth is the width of the printed matrix: a column of row labels,
// then one column per class as wide as its head and its largest count,
// two spaces apart.
func matrixWidth(labels []string, m [][]int, numbered bool) int {
	width := 0
	for i, l := range labels {
		width = max(width, utf8.RuneCountInString(rowHead(i, l, numbered)))
	}
	for j, l := range labels {
		col := utf8.RuneCountInString(colHead(j, l, numbered))
		for i := range m {
			col = max(col, len(strconv.Itoa(m[i][j])))
		}
		width += 2 + col
	}
	return width
}

func rowHead(i int, label string, numbered bool) string {
	if numbered {
		return fmt.Sprintf("%d %s", i+1, label)
	}
	return label
}

func colHead(j int, label string, numbered bool) string {
	if numbered {
		return strconv.Itoa(j + 1)
	}
	return label
}

func printMatrix(w io.Writer, labels []string, m [][]int, numbered bool) error {
	if numbered {
		fmt.Fprintln(w, "confusion matrix (rows: true label, columns: predicted label, numbered as the rows)")
	} else {
		fmt.Fprintln(w, "confusion matrix (rows: true label, columns: predicted label)")
	}
	// Row heads left-aligned, counts right-aligned under their heads, two
	// spaces apart; widths in runes, as label names may be any UTF-8.
	headW := 0
	for i, l := range labels {
		headW = max(headW, utf8.RuneCountInString(rowHead(i, l, numbered)))
	}
	colW := make([]int, len(labels))
	for j, l := range labels {
		colW[j] = utf8.RuneCountInString(colHead(j, l, numbered))
		for i := range m {
			colW[j] = max(colW[j], len(strconv.Itoa(m[i][j])))
		}
	}
	var b strings.Builder
	pad := func(s string, width int, left bool) {
		fill := strings.Repeat(" ", max(0, width-utf8.RuneCountInString(s)))
		if left {
			b.WriteString(s + fill)
		} else {
			b.WriteString(fill + s)
		}
	}
	pad("", headW, true)
	for j, l := range labels {
		b.WriteString("  ")
		pad(colHead(j, l, numbered), colW[j], false)
	}
	b.WriteByte('\n')
	for i, row := range m {
		pad(rowHead(i, labels[i], numbered), headW, true)
		for j, v := range row {
			b.WriteString("  ")
			pad(strconv.Itoa(v), colW[j], false)
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func printTopConfusions(w io.Writer, labels []string, m [][]int) error {
	top := metrics.TopConfusions(m, topConfusions)
	k := len(labels)
	if len(top) == 0 {
		fmt.Fprintf(w, "confusion matrix (%d × %d): no confusions, every example is on the diagonal\n", k, k)
		return nil
	}
	fmt.Fprintf(w, "confusion matrix, %d × %d: the %d most frequent confusions (all of it: --format json or --confusion full)\n",
		k, k, len(top))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "true label\tpredicted\tcount\tof the true label")
	for _, c := range top {
		support := 0
		for _, v := range m[c.True] {
			support += v
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f%%\n", labels[c.True], labels[c.Predicted], c.Count, 100*float64(c.Count)/float64(support))
	}
	return tw.Flush()
}
