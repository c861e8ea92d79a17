package pipeline

import (
	"slices"

	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/sparse"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// PredictOptions tune a Predictor's answers.
type PredictOptions struct {
	// Threshold, when set, decides a two-label model's answer instead of
	// the model's own cut; a multi-label model's, instead of each label's
	// threshold.
	Threshold Threshold
	// Explain is how many tokens explain each answer (0: none); see
	// TokenEffect.
	Explain int
}

// Answer is a model's answer to one input. Its slices belong to the
// Predictor and hold until its next answer.
type Answer struct {
	// Scores holds a score per label: the calibrated probabilities of a
	// calibrated model, else the network's own outputs (probabilities for
	// sigmoid and softmax outputs, margins for linear ones).
	Scores []float64
	// Raw holds the network's own score per label, for a calibrated model
	// (nil otherwise): what Scores were before calibration.
	Raw []float64
	// Order lists the labels from the decision down: Order[0] is the
	// predicted label, then the others by score. A multi-label model's
	// lists them all by score alone.
	Order []int
	// Labels are the labels a multi-label model gives the input, most
	// probable first (possibly none); nil for other models.
	Labels []int
	// Effects are the tokens that pushed the decision most, with
	// PredictOptions.Explain.
	Effects []TokenEffect
	// Value is a regression model's prediction (it has no labels).
	Value float64
	// Keep holds the fields Input.Keep names of the input record.
	Keep []data.Value
}

// A Predictor answers inputs with a model, one at a time or in blocks,
// with reused buffers: after the first few inputs, answering one text
// allocates nothing but what its caller keeps. A Predictor is not safe
// for concurrent use; make one per goroutine.
//
// An ensemble's answer runs every member: it costs as many forward passes
// as the model has networks.
type Predictor struct {
	m      *model.Model
	net    *mlp.Network
	o      PredictOptions
	enc    *vectorize.Encoder
	x      *sparse.Matrix
	fw     *forward
	rows   []int
	answer Answer
	occ    occluder
	// Buffers of the block path.
	block     *sparse.Matrix
	batchRows []int
	batchFw   *forward
}

// NewPredictor returns a predictor for m.
func NewPredictor(m *model.Model, o PredictOptions) *Predictor {
	return &Predictor{
		m: m, net: m.Net, o: o, enc: m.Vectorizer.NewEncoder(),
		x: sparse.New(m.Vectorizer.Features(), false), rows: []int{0},
		fw: modelForward(m), batchFw: modelForward(m),
		answer: Answer{Order: make([]int, len(m.Labels))},
	}
}

// Model returns the predictor's model.
func (p *Predictor) Model() *model.Model { return p.m }

// Predict answers one text; for a model of numeric columns (vectorizer
// mode dense), a line of comma-separated numbers, which it reports when
// it does not parse.
func (p *Predictor) Predict(text string) (*Answer, error) {
	idx, vals := p.enc.Encode(text) // vals is nil (all ones) for multi-hot
	if err := p.enc.Err(); err != nil {
		return nil, err
	}
	p.x.Rows, p.x.Indptr, p.x.Indices, p.x.Values = 1, append(p.x.Indptr[:0], 0, len(idx)), idx, vals
	p.fw.predict(p.x, p.rows)
	p.decide(p.fw, 0, idx, vals)
	return &p.answer, nil
}

// decide fills the answer from row i of fw's last run, for the input row
// (idx, vals).
func (p *Predictor) decide(fw *forward, i int, idx []int32, vals []float64) {
	a := &p.answer
	out := fw.row(i)
	if p.net.Spec().Regression {
		a.Value = out[0]
		return
	}
	a.Scores = fw.answer(i, a.Scores[:0])
	if p.m.MultiLabel() {
		p.decideMulti(out, idx, vals)
		return
	}
	if p.m.Calibration != nil {
		a.Raw = classScores(p.net, out, a.Raw[:0])
	}
	// The decision comes first (the model's own, or the threshold's), then
	// the rest by score: sorting alone could disagree with the decision on
	// a tie at 0.5.
	first := p.o.Threshold.decide(p.m, out, a.Scores)
	for i := range a.Order {
		a.Order[i] = i
	}
	scores := a.Scores
	slices.SortStableFunc(a.Order, func(i, j int) int {
		switch {
		case i == first:
			return -1
		case j == first:
			return 1
		case scores[i] > scores[j]:
			return -1
		case scores[i] < scores[j]:
			return 1
		}
		return 0
	})
	a.Effects = a.Effects[:0]
	if p.o.Explain > 0 {
		a.Effects = p.occ.explain(p, idx, vals, first, p.o.Explain, a.Effects)
	}
}

// decideMulti fills a multi-label model's answer once its scores are in:
// the labels at or above their thresholds (or the --threshold), every
// label by score, and the tokens that pushed the first label given (or
// the most probable, when none is).
func (p *Predictor) decideMulti(out []float64, idx []int32, vals []float64) {
	a := &p.answer
	if p.m.Calibration != nil {
		a.Raw = append(a.Raw[:0], out...)
	}
	if t := p.o.Threshold; t.Set {
		a.Labels = p.m.Thresholds.DecideAt(a.Scores, t.Value, a.Labels[:0])
	} else {
		a.Labels = p.m.Thresholds.Decide(a.Scores, a.Labels[:0])
	}
	if a.Labels == nil {
		a.Labels = []int{} // an answer of no label is not a model without labels
	}
	for i := range a.Order {
		a.Order[i] = i
	}
	scores := a.Scores
	slices.SortStableFunc(a.Order, func(i, j int) int {
		switch {
		case scores[i] > scores[j]:
			return -1
		case scores[i] < scores[j]:
			return 1
		}
		return 0
	})
	a.Effects = a.Effects[:0]
	if p.o.Explain > 0 {
		first := a.Order[0]
		if len(a.Labels) > 0 {
			first = a.Labels[0]
		}
		a.Effects = p.occ.explain(p, idx, vals, first, p.o.Explain, a.Effects)
	}
}

// Block is how many inputs PredictTexts and Run vectorize (on every core)
// and score (in batches) at a time: a file is answered several times
// faster than line by line, in memory that does not grow with its length.
const Block = 8192

// PredictTexts answers texts as one block, calling fn with each answer in
// order; the answers are those Predict gives one by one.
func (p *Predictor) PredictTexts(texts []string, fn func(*Answer) error) error {
	if len(texts) > smallBlock {
		return p.PredictRows(p.m.Vectorizer.Transform(texts), fn)
	}
	// A few texts (a server's requests gathered in a moment) are encoded
	// here: starting goroutines and encoders for them would cost more than
	// the encoding.
	return p.PredictTextsHere(texts, fn)
}

// PredictTextsHere is PredictTexts encoding every text on the calling
// goroutine, with the predictor's own encoder into a reused matrix, however
// many there are: for a caller that keeps the other cores busy itself (dlc
// serve's workers, each with a block of its own), to which encoding on
// every core would only add goroutines, fresh encoders and copies.
func (p *Predictor) PredictTextsHere(texts []string, fn func(*Answer) error) error {
	if p.block == nil {
		p.block = sparse.New(p.m.Vectorizer.Features(), p.m.Vectorizer.Binary())
	}
	p.block.Reset()
	for _, text := range texts {
		p.block.AppendRow(p.enc.Encode(text))
	}
	err := p.PredictRows(p.block, fn)
	if cap(p.block.Indices) > keptBlock {
		p.block = nil // a large block's memory goes back to the heap
	}
	return err
}

// keptBlock is the most features a Predictor's block keeps room for
// between calls (4 MiB of indices: about 4,000 IMDB reviews).
const keptBlock = 1 << 20

// smallBlock is the most texts PredictTexts encodes on the calling
// goroutine; larger blocks are encoded on every core.
const smallBlock = 64

// PredictRows answers every row of x, inputs the model's vectorizer has
// encoded, in batches, calling fn with each answer in order.
func (p *Predictor) PredictRows(x *sparse.Matrix, fn func(*Answer) error) error {
	for lo := 0; lo < x.Rows; lo += evalBatch {
		p.batchRows = p.batchRows[:0]
		for r := lo; r < min(x.Rows, lo+evalBatch); r++ {
			p.batchRows = append(p.batchRows, r)
		}
		p.batchFw.predict(x, p.batchRows)
		for i, r := range p.batchRows {
			idx, vals := x.Row(r)
			p.decide(p.batchFw, i, idx, vals)
			if err := fn(&p.answer); err != nil {
				return err
			}
		}
	}
	return nil
}
