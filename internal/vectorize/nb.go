package vectorize

import (
	"errors"
	"fmt"
	"math"

	"github.com/dlc-dev/dlc/internal/option"
	"github.com/dlc-dev/dlc/internal/sparse"
)

// Weighting is a reweighting of the features learnt from the training
// labels, on top of the mode's values.
type Weighting string

// The weightings.
const (
	NoWeighting Weighting = "none"
	// NB multiplies feature f by its naive-Bayes log-count ratio r_f, the
	// feature weighting of NBSVM (Wang and Manning, "Baselines and
	// Bigrams: Simple, Good Sentiment and Topic Classification", ACL
	// 2012): with p and q the number of training texts of the two labels
	// that hold f, each plus the smoothing α,
	//
	//	r_f = log( (p_f / ‖p‖₁) / (q_f / ‖q‖₁) ),
	//
	// so a feature found as often under both labels weighs nothing, one
	// found mostly under one label weighs much. Counts are of texts
	// holding the feature (binarized, as the paper's best variant).
	//
	// With more than two labels each label c has its own ratio r_c, of c
	// against the others (one-vs-rest). A network's first layer is shared
	// by every label, and one copy of the features per label would
	// multiply its work by the number of labels (52 for R52), so each
	// feature is weighed by its largest |r_c|: how much it tells about the
	// one label it tells most about. (With two labels, r_0 = −r_1, and r
	// itself is used, as NBSVM does; the sign makes no difference to a
	// network, whose first layer can flip it.)
	//
	// tf-idf rows are L2-normalised again once weighed.
	NB Weighting = "nb"
)

// Weightings lists the weightings, for messages.
var Weightings = []Weighting{NoWeighting, NB}

// DefaultNBAlpha is NBSVM's smoothing α, added to every count.
const DefaultNBAlpha = 1.0

func (o Options) checkWeighting() error {
	if o.Weighting == "" {
		return nil
	}
	if err := option.OneOf("weighting", o.Weighting, Weightings); err != nil {
		return err
	}
	if o.Weighting != NB {
		return nil
	}
	if o.Mode == Dense {
		return option.Errorf("weighting", "nb weighs text features, and mode dense reads numeric columns; remove one of them")
	}
	if !(o.NBAlpha > 0) || math.IsInf(o.NBAlpha, 0) {
		return option.Errorf("nb_alpha", "must be a number above 0, not %v", o.NBAlpha)
	}
	return nil
}

// WeighsByLabels reports whether the vectorizer needs FitNB (the training
// labels) before it can transform.
func (o Options) WeighsByLabels() bool { return o.Weighting == NB }

// binary reports whether the vectorizer's rows carry no values (all 1).
func (v *Vectorizer) binary() bool { return v.Mode == MultiHot && v.NBRatio == nil }

// FitNB fits the naive-Bayes weighting on the training rows x (as
// FitTransform returned them, unweighted) and their classes (0 to
// classes−1), sets it, and returns x weighted, as Transform now encodes
// the same texts.
func (v *Vectorizer) FitNB(x *sparse.Matrix, class []int32, classes int) (*sparse.Matrix, error) {
	ratio, err := v.nbRatios(x, class, classes, nil)
	if err != nil {
		return nil, err
	}
	v.NBRatio = ratio
	return weighAll(v, ratio, x), nil
}

// NBWeighed returns the rows x (unweighted, as FitTransform returned
// them) weighted by naive-Bayes ratios fitted on the rows fit of x alone
// (sorted; their classes are class[r]), and leaves v's own weighting as it
// is. The ratios are learnt from labels, so a network whose probabilities
// are calibrated on some rows must see features weighted without those
// rows' labels: with them, a word or pair found in a held-out text and in
// one training text carries the held-out text's label into its features.
func (v *Vectorizer) NBWeighed(x *sparse.Matrix, class []int32, classes int, fit []int) (*sparse.Matrix, error) {
	ratio, err := v.nbRatios(x, class, classes, fit)
	if err != nil {
		return nil, err
	}
	return weighAll(v, ratio, x), nil
}

// nbRatios fits the naive-Bayes ratios on the rows fit of x (nil: all).
func (v *Vectorizer) nbRatios(x *sparse.Matrix, class []int32, classes int, fit []int) ([]float64, error) {
	if v.Weighting != NB {
		return nil, errors.New("vectorizer: FitNB without weighting nb")
	}
	if len(class) != x.Rows || classes < 2 || x.Cols != v.Features() {
		return nil, fmt.Errorf("vectorizer: FitNB of %d rows of %d features with %d labels for %d classes", x.Rows, x.Cols, len(class), classes)
	}
	f := x.Cols
	alpha := v.NBAlpha
	// Documents holding each feature, in all and per class: rows are
	// visited class by class, so one count of f features serves every
	// class in turn.
	total := make([]float64, f)
	byClass := make([][]int, classes)
	count := func(r int) error {
		c := class[r]
		if c < 0 || int(c) >= classes {
			return fmt.Errorf("vectorizer: FitNB row %d has class %d of %d", r, c, classes)
		}
		byClass[c] = append(byClass[c], r)
		idx, _ := x.Row(r)
		for _, j := range idx {
			total[j]++
		}
		return nil
	}
	if fit == nil {
		for r := range x.Rows {
			if err := count(r); err != nil {
				return nil, err
			}
		}
	} else {
		for _, r := range fit {
			if err := count(r); err != nil {
				return nil, err
			}
		}
	}
	var sumTotal float64
	for _, t := range total {
		sumTotal += t
	}
	ratio := make([]float64, f)
	df := make([]float64, f)
	for c := range classes {
		if classes == 2 && c == 0 {
			continue // r_0 = −r_1
		}
		clear(df)
		var sum float64
		for _, r := range byClass[c] {
			idx, _ := x.Row(r)
			for _, j := range idx {
				df[j]++
			}
			sum += float64(len(idx))
		}
		normP := alpha*float64(f) + sum
		normQ := alpha*float64(f) + sumTotal - sum
		for j := range f {
			p := (alpha + df[j]) / normP
			q := (alpha + total[j] - df[j]) / normQ
			rc := math.Log(p / q)
			if classes == 2 {
				ratio[j] = rc
			} else if a := math.Abs(rc); a > ratio[j] {
				ratio[j] = a
			}
		}
	}
	return ratio, nil
}

// weighAll returns every row of x weighted by ratio as v weighs (the
// indices shared with x).
func weighAll(v *Vectorizer, ratio []float64, x *sparse.Matrix) *sparse.Matrix {
	out := sparse.New(x.Cols, false)
	out.Indices = x.Indices
	out.Indptr = x.Indptr
	out.Rows = x.Rows
	out.Values = make([]float64, 0, x.NNZ())
	for r := range x.Rows {
		idx, vals := x.Row(r)
		out.Values = v.weighBy(ratio, idx, vals, out.Values)
	}
	return out
}

// SetNBRatio restores a fitted naive-Bayes weighting (from a model file).
func (v *Vectorizer) SetNBRatio(r []float64) error {
	if v.Weighting != NB {
		return errors.New("vectorizer has naive-Bayes ratios without weighting nb")
	}
	if len(r) != v.Features() {
		return fmt.Errorf("vectorizer has %d naive-Bayes ratios for %d features", len(r), v.Features())
	}
	for i, x := range r {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("vectorizer naive-Bayes ratio %d is %v", i, x)
		}
	}
	v.NBRatio = r
	return nil
}

// weigh appends to dst the values of the row (idx, vals) weighted by the
// naive-Bayes ratios (vals nil: all 1), L2-normalised again for tf-idf.
// Training rows and Encode both go through it, so they are the same bits.
func (v *Vectorizer) weigh(idx []int32, vals []float64, dst []float64) []float64 {
	return v.weighBy(v.NBRatio, idx, vals, dst)
}

// weighBy is weigh with the ratios ratio.
func (v *Vectorizer) weighBy(ratio []float64, idx []int32, vals []float64, dst []float64) []float64 {
	start := len(dst)
	for i, f := range idx {
		x := ratio[f]
		if vals != nil {
			x *= vals[i]
		}
		dst = append(dst, x)
	}
	if v.Mode == TFIDF {
		row := dst[start:]
		var ss float64
		for _, x := range row {
			ss += x * x
		}
		if ss > 0 {
			inv := 1 / math.Sqrt(ss)
			for i := range row {
				row[i] *= inv
			}
		}
	}
	return dst
}

// Alone is the value feature f takes in a text that holds it once and
// nothing else: 1 in every mode (a tf-idf row of one entry is normalised
// to 1), weighed by its naive-Bayes ratio with weighting nb (for tf-idf,
// normalised again: the ratio's sign).
func (v *Vectorizer) Alone(f int32) float64 {
	if v.NBRatio == nil {
		return 1
	}
	var one [1]float64
	return v.weigh([]int32{f}, []float64{1}, one[:0])[0]
}
