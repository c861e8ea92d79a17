package mlp

import "github.com/dlc-dev/dlc/internal/option"

// A multi-label network (Spec.MultiLabel) has one output unit per label,
// each deciding on its own whether the text carries that label: a sigmoid
// per label with binary cross-entropy (Keras' sigmoid + binary_crossentropy,
// fastText's -loss ova), or a margin per label with the hinge (one linear
// SVM per label, as scikit-learn's OneVsRestClassifier(LinearSVC)), all
// trained together through the hidden layers they share. The loss of an
// example is the mean over the labels of each label's binary loss, as
// Keras and PyTorch average it, so that with one label per example and
// mse it is exactly the single-label loss over one-hot targets.

// checkMultiLabel refuses the outputs and losses that make the labels of
// a text compete, which several labels of one text cannot.
func checkMultiLabel(s Spec) error {
	switch {
	case s.Regression:
		return option.Errorf("loss", "a network predicts a number (regression) or labels (multilabel), not both")
	case s.Output == Softmax:
		return option.Errorf("output", "softmax makes the labels share one unit of probability, so a text could not have several: use output sigmoid (with binary_crossentropy) or linear (with hinge)")
	case s.Loss == CategoricalCrossEntropy:
		return option.Errorf("loss", "categorical_crossentropy picks one label per text: for several, use binary_crossentropy with output sigmoid (a probability per label) or hinge with output linear (a margin per label)")
	}
	return nil
}

// multiRowLoss returns the loss of one example of a multi-label network
// and writes dL/dz into dz: the mean over the labels of each label's
// binary loss, with target 1 for the labels the example has (labels, in
// increasing order) and 0 (−1 for the margins of the hinges) for the
// others.
func (n *Network) multiRowLoss(z, a, dz []float64, labels []int32) float64 {
	units := float64(len(z))
	var loss float64
	next := 0 // index into labels of the next label at or after unit j
	for j := range z {
		t := 0.0
		if next < len(labels) && int(labels[next]) == j {
			t = 1
			next++
		}
		switch n.loss {
		case BinaryCrossEntropy: // sigmoid: fused
			loss += softplus(z[j]) - t*z[j]
			dz[j] = (a[j] - t) / units
		case MSE:
			d := a[j] - t
			loss += d * d
			dz[j] = 2 * d / units // as rowLoss: the same bits as one-hot mse
		case Hinge, SquaredHinge:
			s := 2*t - 1 // ±1
			m := 1 - s*a[j]
			dz[j] = 0
			if m > 0 {
				scale := 1.0
				if n.loss == SquaredHinge {
					scale, m = 2*m, m*m
				}
				loss += m
				dz[j] = -s * scale / units
			}
		}
	}
	if n.loss != BinaryCrossEntropy {
		n.output.backprop(dz, z, a, len(z))
	}
	return loss / units
}

// multiHit reports whether a multi-label network's output row decides
// exactly the labels of the example: every unit at its own cut (0.5, or 0
// for the margins of a hinge), as the training and validation accuracy
// (subset accuracy) count it.
func (n *Network) multiHit(a []float64, labels []int32) bool {
	cut := n.threshold()
	next := 0
	for j, v := range a {
		want := next < len(labels) && int(labels[next]) == j
		if want {
			next++
		}
		if (v >= cut) != want {
			return false
		}
	}
	return true
}

// labels returns the label indices of row of a multi-label truth.
func (y Targets) labels(row int) []int32 {
	idx, _ := y.Multi.Row(row)
	return idx
}

// lossOf returns the loss of one example against its truth in y and writes
// dL/dz into dz, for any kind of network.
func (n *Network) lossOf(y Targets, row int, z, a, dz []float64) float64 {
	if n.spec.MultiLabel {
		return n.multiRowLoss(z, a, dz, y.labels(row))
	}
	class, value := y.at(row, n.regression)
	return n.rowLoss(z, a, dz, class, value)
}

// hitOf reports whether the output row a decides the truth of row in y.
func (n *Network) hitOf(y Targets, row int, a []float64) bool {
	switch {
	case n.regression:
		return false
	case n.spec.MultiLabel:
		return n.multiHit(a, y.labels(row))
	}
	return n.decide(a) == int(y.Class[row])
}
