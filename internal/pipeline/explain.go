package pipeline

import (
	"math"
	"slices"

	"github.com/dlc-dev/dlc/internal/sparse"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// TokenEffect is how much one token (or n-gram) of a text pushed the
// decision, found by occlusion: the predicted label's probability with the
// token minus without it, exact for the model and the text. Positive pushed
// towards the predicted label.
type TokenEffect struct {
	Token  string  `json:"token"`
	Effect float64 `json:"effect"`
}

// occlusionBatch is how many occluded copies of a text go through the
// network in one pass; it bounds the memory of explaining a long text.
const occlusionBatch = 256

// occluder explains a prediction by occlusion: every feature of the text is
// removed in turn and the row scored again. With a sparse first layer this
// is exact and cheap — one forward pass per feature, batched — and needs
// no gradient, so it is right for any activation and loss.
type occluder struct {
	x      *sparse.Matrix
	rows   []int
	fw     *forward
	scores []float64
	cand   []TokenEffect
}

// explain appends to dst the n features of the row (idx, vals) whose
// removal changes the score of class the most, largest change first (ties
// in vocabulary order).
func (o *occluder) explain(p *Predictor, idx []int32, vals []float64, class, n int, dst []TokenEffect) []TokenEffect {
	vocab := p.m.Vectorizer.Vocab
	if o.fw == nil {
		o.fw = modelForward(p.m)
	}
	base := p.answer.Scores[class]
	// A tf-idf row is L2-normalised: without a token the others grow, as
	// they would if the token had not been in the text.
	tfidf := p.m.Vectorizer.Mode == vectorize.TFIDF
	var ss float64
	for _, v := range vals {
		ss += v * v
	}
	o.cand = o.cand[:0]
	for lo := 0; lo < len(idx); lo += occlusionBatch {
		hi := min(len(idx), lo+occlusionBatch)
		if o.x == nil || o.x.Binary() != (vals == nil) {
			o.x = sparse.New(p.x.Cols, vals == nil)
		}
		o.x.Rows, o.x.Indptr, o.x.Indices = 0, o.x.Indptr[:1], o.x.Indices[:0]
		if o.x.Values != nil {
			o.x.Values = o.x.Values[:0]
		}
		o.rows = o.rows[:0]
		for j := lo; j < hi; j++ {
			o.x.Indices = append(append(o.x.Indices, idx[:j]...), idx[j+1:]...)
			if vals != nil {
				start := len(o.x.Values)
				o.x.Values = append(append(o.x.Values, vals[:j]...), vals[j+1:]...)
				if rest := ss - vals[j]*vals[j]; tfidf && rest > 0 {
					scale := math.Sqrt(ss / rest)
					for i := start; i < len(o.x.Values); i++ {
						o.x.Values[i] *= scale
					}
				}
			}
			o.x.Indptr = append(o.x.Indptr, len(o.x.Indices))
			o.x.Rows++
			o.rows = append(o.rows, j-lo)
		}
		o.fw.predict(o.x, o.rows)
		for r := range o.rows {
			o.scores = o.fw.answer(r, o.scores[:0])
			o.cand = append(o.cand, TokenEffect{Token: vocab[idx[lo+r]], Effect: base - o.scores[class]})
		}
	}
	slices.SortStableFunc(o.cand, func(a, b TokenEffect) int {
		switch x, y := math.Abs(a.Effect), math.Abs(b.Effect); {
		case x > y:
			return -1
		case x < y:
			return 1
		}
		return 0
	})
	for i := range min(n, len(o.cand)) {
		e := o.cand[i]
		// Six decimals: the effects are differences of probabilities, and
		// their last digits are noise of the subtraction.
		e.Effect = math.Round(e.Effect*1e6) / 1e6
		dst = append(dst, e)
	}
	return dst
}
