package main

import (
	"fmt"

	"github.com/dlc-dev/dlc/internal/pipeline"
)

// A multi-label model's answers (predict --help shows them):
//
//	text  label<TAB>p<TAB>label<TAB>p ...: the labels given, most probable
//	      first (an empty line: none); with --top-k K, the K most probable,
//	      whatever the thresholds
//	json  pipeline.MultiPrediction: {"labels": [...], "scores": {label:
//	      p, ...}} (+ "raw_scores", "top_k", "explain"), as dlc serve answers
//	tsv   labels (joined by data.label_separator, else ","), then with
//	      --top-k K label_1, probability_1 ... label_K, probability_K,
//	      then score_LABEL per label

// shown returns the labels an answer prints in text and tsv: the K most
// probable with --top-k K, else those given.
func (a *answerer) shown(p *pipeline.Answer) []int {
	if a.o.topKSet {
		return p.Order[:a.o.TopK]
	}
	return p.Labels
}

// separator is what joins the labels of one answer in a tsv field: the
// model's data.label_separator, which its training data used.
func (a *answerer) separator() string {
	if s := a.m.Config.Data.LabelSeparator; s != "" {
		return s
	}
	return ","
}

// writeMulti writes one answer of a multi-label model, without its line
// end.
func (a *answerer) writeMulti(p *pipeline.Answer) error {
	o := a.o
	switch o.Format {
	case "tsv":
		for i, c := range p.Labels {
			if i > 0 {
				a.w.WriteString(a.separator())
			}
			a.w.WriteString(a.label(c))
		}
		if o.topKSet {
			for _, c := range p.Order[:o.TopK] {
				a.w.WriteByte('\t')
				a.w.WriteString(a.label(c))
				a.w.WriteByte('\t')
				a.float(p.Scores[c], 6)
			}
		}
		a.tsvScores(p)
	default:
		a.labelScores(p, a.shown(p), 4)
		if o.Explain > 0 {
			a.w.WriteByte('\t')
			a.effects(p.Effects)
		}
	}
	return nil
}

// headerMulti writes the tsv header row of a multi-label model.
func (a *answerer) headerMulti() {
	cols := []string{"labels"}
	if a.o.topKSet {
		for k := 1; k <= a.o.TopK; k++ {
			cols = append(cols, fmt.Sprintf("label_%d", k), fmt.Sprintf("probability_%d", k))
		}
	}
	a.headerEnd(cols)
}
