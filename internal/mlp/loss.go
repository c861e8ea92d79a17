package mlp

import (
	"math"
	"slices"

	"github.com/dlc-dev/dlc/internal/option"
)

// Loss scores a network's output against the truth; training minimises its
// mean over a batch.
type Loss string

// The losses.
const (
	// MSE is the mean over the outputs of (a − t)², t being the number to
	// predict (regression), 0/1 (one output) or the one-hot class vector.
	MSE Loss = "mse"
	// BinaryCrossEntropy is −t log a − (1−t) log(1−a) on one sigmoid output,
	// computed from the logit z as softplus(z) − t z so it never takes log 0.
	BinaryCrossEntropy Loss = "binary_crossentropy"
	// CategoricalCrossEntropy is −log a_y on a softmax output, computed as
	// logsumexp(z) − z_y.
	CategoricalCrossEntropy Loss = "categorical_crossentropy"
	// Hinge is max(0, 1 − t a) with t = ±1 on one output (the linear SVM),
	// and the Crammer–Singer multi-class hinge max(0, 1 + max_{j≠y} a_j − a_y)
	// on several: the true class must beat its strongest rival by a margin
	// of 1.
	Hinge Loss = "hinge"
	// SquaredHinge is the square of Hinge: max(0, 1 − t a)² on one output,
	// max(0, 1 + max_{j≠y} a_j − a_y)² on several. Unlike the hinge it is
	// differentiable at the margin and punishes large violations more.
	SquaredHinge Loss = "squared_hinge"
)

// Losses lists the losses, for error messages.
var Losses = []Loss{MSE, BinaryCrossEntropy, CategoricalCrossEntropy, Hinge, SquaredHinge}

// isMargin reports whether l scores ±1 margins (the SVM's losses).
func (l Loss) isMargin() bool { return l == Hinge || l == SquaredHinge }

// CheckLoss rejects an unknown loss, or a loss paired with an output it
// cannot work with, saying which output to use instead, as an
// *option.Error about "loss" (or "output"). It needs no data;
// Spec.Validate calls it and adds the checks that depend on the number of
// classes.
func CheckLoss(l Loss, out Activation, regression bool) error {
	if err := option.OneOf("loss", l, Losses); err != nil {
		return err
	}
	switch {
	case regression && l != MSE:
		return option.Errorf("loss", "%s cannot fit a numeric target: use loss mse with output linear", l)
	case regression && out == Softmax:
		return option.Errorf("output", "softmax cannot predict a number: use output linear with loss mse")
	case l == BinaryCrossEntropy && out != Sigmoid:
		return option.Errorf("loss", "binary_crossentropy needs output sigmoid, not %s", out)
	case l == CategoricalCrossEntropy && out != Softmax:
		return option.Errorf("loss", "categorical_crossentropy needs output softmax, not %s (for two classes with a sigmoid, use binary_crossentropy)", out)
	case l.isMargin() && out == Softmax:
		return option.Errorf("loss", "%s needs output linear (or sigmoid), not softmax: the margin is taken on raw scores", l)
	}
	return nil
}

// rowLoss returns the loss of one example and writes dL/dz into dz, given
// the output layer's weighted sums z and activations a. class is the true
// class (classification) and value the number (regression).
func (n *Network) rowLoss(z, a, dz []float64, class int32, value float64) float64 {
	units := len(z)
	switch {
	case n.loss == BinaryCrossEntropy: // sigmoid, one unit: fused
		t := float64(class)
		dz[0] = a[0] - t
		return softplus(z[0]) - t*z[0]
	case n.loss == CategoricalCrossEntropy: // softmax: fused
		m := slices.Max(z)
		var s float64
		for _, v := range z {
			s += math.Exp(v - m)
		}
		lse := m + math.Log(s)
		copy(dz, a)
		dz[class]--
		return lse - z[class]
	}
	// Unfused losses: dL/da here, then through the output activation.
	var loss float64
	switch n.loss {
	case MSE:
		for j := range a {
			t := value
			if !n.regression {
				t = 0
				if (units == 1 && class == 1) || (units > 1 && int(class) == j) {
					t = 1
				}
			}
			d := a[j] - t
			loss += d * d
			dz[j] = 2 * d / float64(units)
		}
		loss /= float64(units)
	case Hinge, SquaredHinge:
		clear(dz)
		// m is the margin violation; the hinge is m, the squared hinge m².
		var m float64
		var pos, neg int // dm/da is +1 at neg and −1 at pos (units > 1)
		var t float64    // ±1 target (one unit)
		if units == 1 {
			t = 2*float64(class) - 1
			m = 1 - t*a[0]
		} else {
			neg = -1
			for j := range a {
				if j != int(class) && (neg < 0 || a[j] > a[neg]) {
					neg = j
				}
			}
			pos = int(class)
			m = 1 + a[neg] - a[pos]
		}
		if m > 0 {
			scale := 1.0 // dL/dm
			loss = m
			if n.loss == SquaredHinge {
				scale, loss = 2*m, m*m
			}
			if units == 1 {
				dz[0] = -t * scale
			} else {
				dz[neg] = scale
				dz[pos] = -scale
			}
		}
	}
	n.output.backprop(dz, z, a, units)
	return loss
}

// decide returns the predicted class of one output row.
func (n *Network) decide(a []float64) int {
	if len(a) == 1 {
		if a[0] >= n.threshold() {
			return 1
		}
		return 0
	}
	best := 0
	for j, v := range a {
		if v > a[best] {
			best = j
		}
	}
	return best
}

// threshold is the output value at or above which a one-output network says
// "class 1": 0 for a linear output trained on the hinge's ±1 targets, 0.5
// for 0/1 targets and for any sigmoid output (a sigmoid trained with a
// hinge is pushed towards 0 and 1, so 0.5 is its midpoint too).
func (n *Network) threshold() float64 {
	if n.loss.isMargin() && n.output == Linear {
		return 0
	}
	return 0.5
}
