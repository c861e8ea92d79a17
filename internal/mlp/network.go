package mlp

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/dlc-dev/dlc/internal/sparse"
)

// LayerSpec describes one hidden layer.
type LayerSpec struct {
	Units      int        `json:"units"`
	Activation Activation `json:"activation"`
}

// Spec describes a network: what goes in, the hidden layers in order, and
// what comes out. It is stored in the model file as JSON, so a new field
// persists by adding it here (with a zero value that keeps the old meaning).
type Spec struct {
	Inputs  int         `json:"inputs"`  // features per input row
	Hidden  []LayerSpec `json:"hidden"`  // empty for the one-layer models
	Outputs int         `json:"outputs"` // output units: 1 for a binary sigmoid, linear or regression; else one per class
	Output  Activation  `json:"output"`
	Loss    Loss        `json:"loss"`
	// Regression is true when the target is a number rather than a class.
	Regression bool `json:"regression"`
}

// OutputsFor returns the output units a task needs: one for regression and
// for two classes scored by a single sigmoid or linear unit, one per class
// otherwise (always with softmax).
func OutputsFor(classes int, out Activation, regression bool) int {
	if regression || (classes == 2 && out != Softmax) {
		return 1
	}
	return classes
}

// Validate reports the first thing in s that cannot be built or trained.
func (s Spec) Validate() error {
	if s.Inputs < 1 {
		return fmt.Errorf("the network needs at least one input feature, not %d", s.Inputs)
	}
	for i, l := range s.Hidden {
		if l.Units < 1 {
			return fmt.Errorf("hidden layer %d needs at least one unit, not %d", i+1, l.Units)
		}
		if err := checkActivation(l.Activation, HiddenActivations, fmt.Sprintf("hidden layer %d", i+1)); err != nil {
			return err
		}
	}
	if err := checkActivation(s.Output, OutputActivations, "output"); err != nil {
		return err
	}
	if s.Outputs < 1 {
		return fmt.Errorf("the network needs at least one output unit, not %d", s.Outputs)
	}
	if s.Output == Softmax && s.Outputs < 2 {
		return errors.New("output softmax needs at least two classes: use sigmoid for one output")
	}
	return checkPair(s.Loss, s.Output, s.Outputs, s.Regression)
}

// Layer is one dense layer: out = act(in · W + b). Its weights are views
// into the network's flat parameter slice.
type Layer struct {
	In, Out    int
	Activation Activation
	// W is In×Out, row-major: the row of input feature f is W[f*Out:(f+1)*Out],
	// which is what a sparse input row touches.
	W, B []float64
	off  int // offset of W in the parameter slice; B follows W
}

// Network is a multilayer perceptron.
type Network struct {
	spec       Spec
	params     []float64
	Layers     []Layer
	loss       Loss
	output     Activation
	regression bool
}

// New builds a network with Glorot-uniform weights (Keras' default: uniform in
// ±sqrt(6/(in+out))) and zero biases, drawn from rng.
func New(s Spec, rng *rand.Rand) (*Network, error) {
	n, err := build(s)
	if err != nil {
		return nil, err
	}
	for _, l := range n.Layers {
		limit := math.Sqrt(6 / float64(l.In+l.Out))
		for i := range l.W {
			l.W[i] = (2*rng.Float64() - 1) * limit
		}
	}
	return n, nil
}

// FromParams builds a network of spec s holding a copy of params (read from a
// model file).
func FromParams(s Spec, params []float64) (*Network, error) {
	n, err := build(s)
	if err != nil {
		return nil, err
	}
	if len(params) != len(n.params) {
		return nil, fmt.Errorf("the network has %d parameters but %d were given", len(n.params), len(params))
	}
	copy(n.params, params)
	return n, nil
}

func build(s Spec) (*Network, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	n := &Network{spec: s, loss: s.Loss, output: s.Output, regression: s.Regression}
	in := s.Inputs
	off := 0
	add := func(out int, act Activation) {
		n.Layers = append(n.Layers, Layer{In: in, Out: out, Activation: act, off: off})
		off += in*out + out
		in = out
	}
	for _, h := range s.Hidden {
		add(h.Units, h.Activation)
	}
	add(s.Outputs, s.Output)
	n.params = make([]float64, off)
	for i := range n.Layers {
		l := &n.Layers[i]
		l.W = n.params[l.off : l.off+l.In*l.Out]
		l.B = n.params[l.off+l.In*l.Out : l.off+l.In*l.Out+l.Out]
	}
	return n, nil
}

// Spec returns the description the network was built from.
func (n *Network) Spec() Spec { return n.spec }

// Params returns all weights and biases, layer by layer (W then B); an
// optimiser updates them in place.
func (n *Network) Params() []float64 { return n.params }

// Targets are the truths of a data set, one per row: Class for
// classification, Value for regression.
type Targets struct {
	Class []int32
	Value []float64
}

// Workspace holds the per-batch buffers of one goroutine's passes through a
// network, sized for the largest batch seen and reused, so that a training
// step allocates nothing. The zero value is ready to use.
type Workspace struct {
	net  *Network
	rows int
	z, a [][]float64 // per layer, rows×units
	d    [][]float64 // dL/dz per layer
}

func (ws *Workspace) ensure(n *Network, rows int) *Workspace {
	if ws.net == n && ws.rows >= rows {
		return ws
	}
	*ws = Workspace{net: n, rows: rows}
	for _, l := range n.Layers {
		ws.z = append(ws.z, make([]float64, rows*l.Out))
		ws.a = append(ws.a, make([]float64, rows*l.Out))
		ws.d = append(ws.d, make([]float64, rows*l.Out))
	}
	return ws
}

// forward computes every layer's z and a for the given rows of x.
func (n *Network) forward(x *sparse.Matrix, rows []int, ws *Workspace) {
	b := len(rows)
	first := n.Layers[0]
	z0 := ws.z[0][:b*first.Out]
	for r, row := range rows {
		zr := z0[r*first.Out : (r+1)*first.Out]
		copy(zr, first.B)
		idx, vals := x.Row(row)
		sparseAccumulate(zr, first.W, first.Out, idx, vals)
	}
	first.Activation.apply(z0, ws.a[0][:b*first.Out], first.Out)
	for li := 1; li < len(n.Layers); li++ {
		l := n.Layers[li]
		z := ws.z[li][:b*l.Out]
		for r := range b {
			copy(z[r*l.Out:(r+1)*l.Out], l.B)
		}
		gemm(false, false, b, l.Out, l.In, ws.a[li-1][:b*l.In], l.W, 1, z)
		l.Activation.apply(z, ws.a[li][:b*l.Out], l.Out)
	}
}

// Gradient computes the gradient of the mean loss over the given rows of x
// into grad (same layout as Params) and returns the summed loss and the
// number of rows classified correctly.
func (n *Network) Gradient(x *sparse.Matrix, y Targets, rows []int, grad []float64, ws *Workspace) (lossSum float64, correct int) {
	w := ws.ensure(n, len(rows))
	b := len(rows)
	n.forward(x, rows, w)
	last := len(n.Layers) - 1
	out := n.Layers[last].Out
	zL, aL, dL := w.z[last], w.a[last], w.d[last]
	inv := 1 / float64(b)
	for r, row := range rows {
		var class int32
		var value float64
		if n.regression {
			value = y.Value[row]
		} else {
			class = y.Class[row]
		}
		s := r * out
		lossSum += n.rowLoss(zL[s:s+out], aL[s:s+out], dL[s:s+out], class, value)
		for j := s; j < s+out; j++ {
			dL[j] *= inv
		}
		if !n.regression && n.decide(aL[s:s+out]) == int(class) {
			correct++
		}
	}
	clear(grad)
	for li := last; li >= 0; li-- {
		l := n.Layers[li]
		d := w.d[li][:b*l.Out]
		gW := grad[l.off : l.off+l.In*l.Out]
		gB := grad[l.off+l.In*l.Out : l.off+l.In*l.Out+l.Out]
		for r := range b {
			for j, v := range d[r*l.Out : (r+1)*l.Out] {
				gB[j] += v
			}
		}
		if li == 0 {
			for r, row := range rows {
				idx, vals := x.Row(row)
				sparseScatter(gW, l.Out, idx, vals, d[r*l.Out:(r+1)*l.Out])
			}
			break
		}
		prev := w.a[li-1][:b*l.In]
		gemm(true, false, l.In, l.Out, b, prev, d, 1, gW)
		dPrev := w.d[li-1][:b*l.In]
		gemm(false, true, b, l.In, l.Out, d, l.W, 0, dPrev)
		n.Layers[li-1].Activation.backprop(dPrev, w.z[li-1][:b*l.In], prev, l.In)
	}
	return lossSum, correct
}

// Predict writes the output activations of the given rows of x into out
// (len(rows)×Outputs, row-major) and returns it, grown if needed.
func (n *Network) Predict(x *sparse.Matrix, rows []int, out []float64, ws *Workspace) []float64 {
	w := ws.ensure(n, len(rows))
	n.forward(x, rows, w)
	last := len(n.Layers) - 1
	k := len(rows) * n.Layers[last].Out
	out = append(out[:0], w.a[last][:k]...)
	return out
}

// Decide returns the predicted class of one output row from Predict.
func (n *Network) Decide(a []float64) int { return n.decide(a) }

// Threshold is the output value at or above which a one-output classifier
// predicts class 1.
func (n *Network) Threshold() float64 { return n.threshold() }

// Evaluate is Predict that also returns the summed loss of the rows against
// the truth y, computed from the weighted sums as in training.
func (n *Network) Evaluate(x *sparse.Matrix, y Targets, rows []int, out []float64, ws *Workspace) ([]float64, float64) {
	out = n.Predict(x, rows, out, ws)
	w := ws
	last := len(n.Layers) - 1
	k := n.Layers[last].Out
	var lossSum float64
	for r, row := range rows {
		var class int32
		var value float64
		if n.regression {
			value = y.Value[row]
		} else {
			class = y.Class[row]
		}
		s := r * k
		lossSum += n.rowLoss(w.z[last][s:s+k], w.a[last][s:s+k], w.d[last][s:s+k], class, value)
	}
	return out, lossSum
}
