package mlp

import (
	"fmt"
	"math"
	"slices"
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
	// on several.
	Hinge Loss = "hinge"
)

// Losses lists the losses, for error messages.
var Losses = []Loss{MSE, BinaryCrossEntropy, CategoricalCrossEntropy, Hinge}

// CheckLoss rejects a loss paired with an output it cannot work with,
// saying which output to use instead. It needs no data, so configs are
// checked before any is read; Spec.Validate adds the checks that depend on
// the number of classes.
func CheckLoss(l Loss, out Activation, regression bool) error {
	if !slices.Contains(Losses, l) {
		return fmt.Errorf("loss %q is not one of %v", l, Losses)
	}
	switch {
	case regression && l != MSE:
		return fmt.Errorf("loss %q cannot fit a numeric target: use loss mse with output linear", l)
	case l == BinaryCrossEntropy && out != Sigmoid:
		return fmt.Errorf("loss binary_crossentropy needs output sigmoid, not %s", out)
	case l == CategoricalCrossEntropy && out != Softmax:
		return fmt.Errorf("loss categorical_crossentropy needs output softmax, not %s (for two classes with a sigmoid, use binary_crossentropy)", out)
	case l == Hinge && out == Softmax:
		return fmt.Errorf("loss hinge needs output linear (or sigmoid), not softmax")
	}
	return nil
}

// checkPair is CheckLoss plus the checks that depend on the output units.
func checkPair(l Loss, out Activation, units int, regression bool) error {
	if err := CheckLoss(l, out, regression); err != nil {
		return err
	}
	if l == BinaryCrossEntropy && units != 1 {
		return fmt.Errorf("loss binary_crossentropy needs two classes, not %d: use categorical_crossentropy with output softmax", units)
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
	case Hinge:
		clear(dz)
		if units == 1 {
			t := 2*float64(class) - 1
			if m := 1 - t*a[0]; m > 0 {
				loss = m
				dz[0] = -t
			}
		} else {
			rival := -1
			for j := range a {
				if j != int(class) && (rival < 0 || a[j] > a[rival]) {
					rival = j
				}
			}
			if m := 1 + a[rival] - a[class]; m > 0 {
				loss = m
				dz[rival] = 1
				dz[class] = -1
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

// threshold is the output value above which a one-output network says
// "class 1": 0 for the hinge's ±1 targets, 0.5 for 0/1 targets.
func (n *Network) threshold() float64 {
	if n.loss == Hinge {
		return 0
	}
	return 0.5
}
