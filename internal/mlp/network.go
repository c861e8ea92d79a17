package mlp

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"

	"github.com/dlc-dev/dlc/internal/option"
	"github.com/dlc-dev/dlc/internal/parallel"
	"github.com/dlc-dev/dlc/internal/sparse"
)

// LayerSpec describes one hidden layer.
type LayerSpec struct {
	Units      int        `json:"units"`
	Activation Activation `json:"activation"`
	// Dropout is the fraction of this layer's outputs zeroed at random in
	// every training step (inverted dropout: the kept ones are scaled by
	// 1/(1−Dropout), so nothing changes at prediction time, where no unit
	// is dropped). 0 = none.
	Dropout float64 `json:"dropout,omitempty"`
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
	// MultiLabel is true when a text may carry any number of labels: one
	// output unit per label, each trained with its own binary loss (see
	// multilabel.go). Outputs is then the number of labels.
	MultiLabel bool `json:"multilabel,omitempty"`
	// L2 adds L2·Σw² over every kernel weight (not the biases) to the
	// training loss, as Keras' kernel_regularizer=l2(L2) does: weight decay.
	L2 float64 `json:"l2,omitempty"`
	// Precision is the arithmetic of the first layer's kernel, where nearly
	// all the multiply-adds are: Float64 ("" too) or Float32. In float32
	// the layer reads a float32 copy of its weights and sums in float32,
	// which halves the bytes it streams; the weights themselves, the
	// optimizer and every other layer stay float64.
	Precision string `json:"precision,omitempty"`
}

// The precisions of Spec.Precision.
const (
	Float64 = "float64"
	Float32 = "float32"
)

// OutputsFor returns the output units a task needs: one for regression and
// for two classes scored by a single sigmoid or linear unit, one per class
// otherwise (always with softmax).
func OutputsFor(classes int, out Activation, regression bool) int {
	if regression || (classes == 2 && out != Softmax) {
		return 1
	}
	return classes
}

// Params returns the number of weights and biases of a network of spec s,
// and false when that number does not fit in an int (or a size is
// negative): a layer of in inputs and out units has (in+1)·out.
func (s Spec) Params() (int, bool) {
	var n uint64
	in := s.Inputs
	for i := 0; i <= len(s.Hidden); i++ {
		out := s.Outputs
		if i < len(s.Hidden) {
			out = s.Hidden[i].Units
		}
		if in < 0 || out < 0 {
			return 0, false
		}
		hi, layer := bits.Mul64(uint64(in)+1, uint64(out))
		var carry uint64
		n, carry = bits.Add64(n, layer, 0)
		if hi != 0 || carry != 0 || n > math.MaxInt {
			return 0, false
		}
		in = out
	}
	return int(n), true
}

// Validate reports the first thing in s that cannot be built or trained.
// An option out of range or a loss that does not fit the output is an
// *option.Error named as the config's model section names it
// ("layers[0].dropout", "output", "l2"; "loss" is a key of its own); the
// shape (Inputs, Outputs) is checked last, as it comes from the data.
func (s Spec) Validate() error {
	if s.Inputs < 1 {
		return fmt.Errorf("the network needs at least one input feature, not %d", s.Inputs)
	}
	for i, l := range s.Hidden {
		layer := fmt.Sprintf("layers[%d]", i)
		if l.Units < 1 {
			return option.Errorf(layer+".units", "must be at least 1, not %d", l.Units)
		}
		if err := option.OneOf(layer+".activation", l.Activation, HiddenActivations); err != nil {
			return err
		}
		if !(l.Dropout >= 0 && l.Dropout < 1) {
			return option.Errorf(layer+".dropout", "must be a fraction of at least 0 and below 1, not %v", l.Dropout)
		}
	}
	if err := option.OneOf("output", s.Output, OutputActivations); err != nil {
		return err
	}
	if s.MultiLabel {
		if err := checkMultiLabel(s); err != nil {
			return err
		}
	}
	if err := CheckLoss(s.Loss, s.Output, s.Regression); err != nil {
		return err
	}
	if !(s.L2 >= 0) || math.IsInf(s.L2, 0) {
		return option.Errorf("l2", "must be at least 0, not %v", s.L2)
	}
	if s.Precision != "" {
		if err := option.OneOf("precision", s.Precision, []string{Float64, Float32}); err != nil {
			return err
		}
	}
	if s.Outputs < 1 {
		return fmt.Errorf("the network needs at least one output unit, not %d", s.Outputs)
	}
	if s.Output == Softmax && s.Outputs < 2 {
		return option.Errorf("output", "softmax needs at least two classes: use sigmoid for one output")
	}
	if s.Loss == BinaryCrossEntropy && s.Outputs != 1 && !s.MultiLabel {
		return option.Errorf("loss", "binary_crossentropy needs two classes, not %d: use categorical_crossentropy with output softmax", s.Outputs)
	}
	return nil
}

// Layer is one dense layer: out = act(in · W + b). Its weights are views
// into the network's flat parameter slice.
type Layer struct {
	In, Out    int
	Activation Activation
	Dropout    float64 // training only; see LayerSpec
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
	dropout    bool // some hidden layer has dropout
	// w32 is the float32 copy of the first layer's kernel when
	// spec.Precision is Float32, else nil; ParamsChanged keeps it current,
	// on every core (mirror).
	w32    []float32
	mirror mirrorTasks
}

// mirrorTasks copies the first layer's kernel into its float32 copy, in
// blocks of mirrorBlock weights, or the spans an update wrote,
// mirrorSpans of them a task (each element is one conversion, so any
// split gives the same copy).
type mirrorTasks struct {
	group parallel.Group
	w     []float64
	w32   []float32
	spans [][2]int // nil: all of w
}

const (
	mirrorBlock = 1 << 15
	mirrorSpans = 64
)

func (m *mirrorTasks) Do(t int) {
	if m.spans == nil {
		lo, hi := t*mirrorBlock, min(len(m.w), (t+1)*mirrorBlock)
		narrow(m.w32[lo:hi], m.w[lo:hi])
		return
	}
	for _, sp := range m.spans[t*mirrorSpans : min(len(m.spans), (t+1)*mirrorSpans)] {
		lo, hi := sp[0], min(sp[1], len(m.w))
		if lo < hi {
			narrow(m.w32[lo:hi], m.w[lo:hi])
		}
	}
}

// narrow sets dst[i] = float32(src[i]) (len(dst) ≥ len(src)), four at a
// time where the processor has AVX: the float32 copy of the first layer's
// rows an update touched.
func narrow(dst []float32, src []float64) {
	i := 0
	if haveShortAVX && len(src) >= 4 {
		i = len(src) &^ 3
		_ = dst[i-1]
		narrow4(&dst[0], &src[0], i)
	}
	for ; i < len(src); i++ {
		dst[i] = float32(src[i])
	}
}

// widen sets dst[i] = float64(src[i]) (len(dst) ≥ len(src)), four at a
// time where the processor has AVX: a row of the float32 first layer's
// weight gradient stored as float64. The conversion is exact.
func widen(dst []float64, src []float32) {
	i := 0
	if haveShortAVX && len(src) >= 4 {
		i = len(src) &^ 3
		_ = dst[i-1]
		widen4(&dst[0], &src[0], i)
	}
	for ; i < len(src); i++ {
		dst[i] = float64(src[i])
	}
}

// widenAdd sets dst[i] = b[i] + float64(src[i]) (len(dst), len(b) ≥
// len(src)), four at a time where the processor has AVX: the float32
// first layer's sums plus the float64 bias, one rounded addition each.
func widenAdd(dst, b []float64, src []float32) {
	i := 0
	if haveShortAVX && len(src) >= 4 {
		i = len(src) &^ 3
		_, _ = dst[i-1], b[i-1]
		widenAdd4(&dst[0], &b[0], &src[0], i)
	}
	for ; i < len(src); i++ {
		dst[i] = b[i] + float64(src[i])
	}
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
	n.ParamsChanged(nil)
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
	n.ParamsChanged(nil)
	return n, nil
}

func build(s Spec) (*Network, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	// Checked here rather than in Validate, which a config runs with a
	// stand-in of one input: the caller that knows the real shape says
	// more (pipeline's memory check names the inputs and the keys).
	if _, ok := s.Params(); !ok {
		return nil, fmt.Errorf("the network has more parameters than a count of %d can hold; use fewer units or inputs", math.MaxInt)
	}
	n := &Network{spec: s, loss: s.Loss, output: s.Output, regression: s.Regression}
	in := s.Inputs
	off := 0
	add := func(out int, act Activation, dropout float64) {
		n.Layers = append(n.Layers, Layer{In: in, Out: out, Activation: act, Dropout: dropout, off: off})
		off += in*out + out
		in = out
		n.dropout = n.dropout || dropout > 0
	}
	for _, h := range s.Hidden {
		add(h.Units, h.Activation, h.Dropout)
	}
	add(s.Outputs, s.Output, 0)
	n.params = make([]float64, off)
	for i := range n.Layers {
		l := &n.Layers[i]
		l.W = n.params[l.off : l.off+l.In*l.Out]
		l.B = n.params[l.off+l.In*l.Out : l.off+l.In*l.Out+l.Out]
	}
	if s.Precision == Float32 {
		n.w32 = make([]float32, len(n.Layers[0].W))
	}
	return n, nil
}

// ParamsChanged tells the network that the parameters in the index ranges
// spans (nil: any of them) were written since it last looked, so that what
// it derives from them (the float32 copy of the first layer's kernel) is
// brought up to date. Whoever writes Params must call it; gradient descent
// does (gd.ParamsWatcher), after every update and after restoring the best
// weights.
func (n *Network) ParamsChanged(spans [][2]int) {
	if n.w32 == nil {
		return
	}
	m := &n.mirror
	m.w, m.w32, m.spans = n.Layers[0].W, n.w32, spans
	if spans == nil {
		m.group.Run((len(m.w)+mirrorBlock-1)/mirrorBlock, len(m.w), m)
	} else {
		// The rows a sparse update wrote (a batch's features), on every
		// core: MNIST's 600-odd rows of 512 weights a step.
		work := 0
		for _, sp := range spans {
			work += max(0, min(sp[1], len(m.w))-sp[0])
		}
		m.group.Run((len(spans)+mirrorSpans-1)/mirrorSpans, work, m)
	}
	m.w, m.w32, m.spans = nil, nil, nil
}

// spanChanged is ParamsChanged of the one span [lo, hi), on the calling
// goroutine: it writes only that span's part of the float32 copy.
func (n *Network) spanChanged(lo, hi int) {
	if n.w32 == nil {
		return
	}
	w := n.Layers[0].W
	if hi = min(hi, len(w)); lo < hi {
		narrow(n.w32[lo:hi], w[lo:hi])
	}
}

// Spec returns the description the network was built from.
func (n *Network) Spec() Spec { return n.spec }

// Params returns all weights and biases, layer by layer (W then B); an
// optimiser updates them in place.
func (n *Network) Params() []float64 { return n.params }

// at returns the truth of one row: its class, or its value in regression.
func (y Targets) at(row int, regression bool) (class int32, value float64) {
	if regression {
		return 0, y.Value[row]
	}
	return y.Class[row], 0
}

// Targets are the truths of a data set, one per row: Class for
// classification, Value for regression, Multi for a multi-label network.
type Targets struct {
	Class []int32
	Value []float64
	// Multi holds each row's labels as the column indices of a row of a
	// binary sparse matrix (increasing, possibly none), for a multi-label
	// network.
	Multi *sparse.Matrix
	// Weight, when not nil, scales each row's loss and gradient in training
	// (class weights): the batch loss is Σ wᵢ Lᵢ / batch size, as in Keras.
	// Evaluation ignores it.
	Weight []float64
}

// Workspace holds the per-batch buffers of one caller's passes through a
// network, sized for the largest batch seen and reused, so that a training
// step allocates nothing. The zero value is ready to use. The passes use
// every core (see package parallel), with results that do not depend on
// how many there are; a Workspace serves one caller at a time.
type Workspace struct {
	net  *Network
	rows int
	z, a [][]float64 // per layer, rows×units
	h    [][]float64 // the input of the next layer: a, or a with units dropped
	mask [][]float64 // dropout factors per hidden layer: 0 or 1/(1−p)
	d    [][]float64 // dL/dz per layer
	// wT holds, for each layer after the first that is at least 8 inputs
	// wide, its kernel transposed (Out×In), made at the start of every
	// training pass for the backward pass's gemmNT; nil for the others.
	wT   [][]float64
	loss []float64 // per batch row: its (weighted) loss
	hit  []bool    // per batch row: classified correctly

	// Dropout draws the training-time dropout masks; it must be set before
	// Gradient is called on a network with dropout.
	Dropout *rand.Rand

	group parallel.Group
	pass  passTasks
	grads gradTasks
	cols  batchColumns // the batch by feature, for the first layer's gradient
	// regroup and prevFeats are regroup's: what it is to do, and the
	// features of the batch before.
	regroup   regrouping
	prevFeats []int32

	// Float32 first layer (Spec.Precision): its sums per row, its deltas,
	// and one row of weight gradient per gradient task; the factors of
	// the batch's terms in float32, batch row r's from alphaAt[r] to
	// alphaAt[r+1].
	z32, d32, acc32 []float32
	alpha32         []float32
	alphaAt         []int

	// quiet says, per batch row, that its first layer's deltas are all
	// ±0 (a hinge-loss row past its margin, or every unit off): its
	// terms of the first layer's weight gradient are left out (float64
	// first layer only; empty otherwise). gradTasks.quiet hands it on
	// only when some row is quiet.
	quiet []bool

	// Sparse-gradient bookkeeping (see Objective.Support): the first-layer
	// rows the last sparse gradient wrote are the features of its batch,
	// cols.feats, unless dirty says the whole gradient may be non-zero (a
	// new network, an L2 penalty, a gradient that was not sparse).
	dirty bool
	// keep (Objective.KeepRows) has a sparse gradient clear the rows of
	// its own batch, not those of the batch before, which stay for the
	// update rule to read when they come back.
	keep bool
}

// Logits returns the output layer's weighted sums of the last Predict or
// Evaluate made with ws — the logits of a sigmoid or softmax, the margins
// of a linear output: the raw scores probabilities are calibrated from —
// as the first n values (rows × outputs, as the outputs were returned).
// The slice belongs to ws and holds until its next use.
func (ws *Workspace) Logits(n int) []float64 {
	return ws.z[len(ws.z)-1][:n]
}

func (ws *Workspace) ensure(n *Network, rows int) *Workspace {
	if ws.net == n && ws.rows >= rows {
		return ws
	}
	if ws.net != n {
		// A gradient slice last written for another network (or never)
		// may be non-zero anywhere: the next sparse gradient clears all
		// of it.
		ws.dirty = true
	}
	ws.net, ws.rows = n, rows
	ws.z, ws.a, ws.h, ws.mask, ws.d, ws.wT = nil, nil, nil, nil, nil, nil
	for li, l := range n.Layers {
		var wT []float64
		if li > 0 && l.In >= 8 && haveShortAVX {
			wT = make([]float64, l.In*l.Out)
		}
		ws.wT = append(ws.wT, wT)
		ws.z = append(ws.z, make([]float64, rows*l.Out))
		a := make([]float64, rows*l.Out)
		ws.a = append(ws.a, a)
		if l.Dropout > 0 {
			ws.h = append(ws.h, make([]float64, rows*l.Out))
			ws.mask = append(ws.mask, make([]float64, rows*l.Out))
		} else {
			ws.h = append(ws.h, a)
			ws.mask = append(ws.mask, nil)
		}
		ws.d = append(ws.d, make([]float64, rows*l.Out))
	}
	ws.loss = make([]float64, rows)
	ws.hit = make([]bool, rows)
	ws.z32, ws.d32 = nil, nil
	if n.w32 != nil {
		ws.z32 = make([]float32, rows*n.Layers[0].Out)
		ws.d32 = make([]float32, rows*n.Layers[0].Out)
	}
	return ws
}

// rowBlock is how many rows of a batch one task takes through the network:
// a fixed number, so that the tasks do not depend on the number of cores.
const rowBlock = 16

// passTasks takes blocks of a batch's rows forward through the network
// and, for a gradient, back: everything that is computed row by row.
type passTasks struct {
	n     *Network
	ws    *Workspace
	x     *sparse.Matrix
	y     Targets
	rows  []int
	train bool // dropout on, and the backward pass
	// regroup, when not nil, makes task 0 regroup the batch by feature
	// for the first layer's weight gradient (see Network.regroup) while
	// the other tasks pass the rows, which it does not depend on.
	regroup *regrouping
}

// regrouping is what Network.regroup needs: the first layer's weight
// gradient, and whether to clear the rows the previous batch wrote.
type regrouping struct {
	gW0       []float64
	clearPrev bool
	keep      bool // Workspace.keep: clear the new batch's rows instead
}

// clearRows clears the rows (of width entries) of g that feats name.
func clearRows(g []float64, width int, feats []int32) {
	for _, f := range feats {
		clear(g[int(f)*width : int(f+1)*width])
	}
}

func (p *passTasks) Do(t int) {
	if p.regroup != nil {
		if t == 0 {
			p.n.regroup(p.x, p.rows, p.ws, p.regroup)
			return
		}
		t--
	}
	lo, hi := t*rowBlock, min(len(p.rows), (t+1)*rowBlock)
	p.n.forwardRows(p.x, p.rows, lo, hi, p.ws, p.train)
	if p.train {
		p.n.backwardRows(p.y, p.rows, lo, hi, p.ws)
	}
}

// run passes rows of x through the network (and back, in training) on
// every core; with regroup (training only), it regroups the batch by
// feature meanwhile.
func (n *Network) run(x *sparse.Matrix, y Targets, rows []int, ws *Workspace, train bool, regroup *regrouping) {
	if train && n.dropout {
		n.drawMasks(len(rows), ws)
	}
	if train {
		n.transposeKernels(ws)
	}
	ws.pass = passTasks{n: n, ws: ws, x: x, y: y, rows: rows, train: train, regroup: regroup}
	work := 0
	if n.w32 != nil {
		ws.alphaAt = append(ws.alphaAt[:0], 0)
	}
	for _, row := range rows {
		work += x.Indptr[row+1] - x.Indptr[row]
		if n.w32 != nil {
			ws.alphaAt = append(ws.alphaAt, work)
		}
	}
	if n.w32 != nil {
		ws.alpha32 = slices.Grow(ws.alpha32[:0], work)[:work]
	}
	work *= n.Layers[0].Out
	for _, l := range n.Layers[1:] {
		work += len(rows) * l.In * l.Out
	}
	if train {
		work *= 2
	}
	tasks := (len(rows) + rowBlock - 1) / rowBlock
	if regroup != nil {
		tasks++
	}
	ws.group.Run(tasks, work, &ws.pass)
	ws.pass = passTasks{}
}

// transposeKernels brings ws.wT up to date with the kernels.
func (n *Network) transposeKernels(ws *Workspace) {
	for li, t := range ws.wT {
		if t == nil {
			continue
		}
		l := n.Layers[li]
		// Row by row of the transpose: its writes go in order and the
		// reads stride, where the other way round every write would
		// land in another cache line (R52's 256×52 output layer, at
		// every step).
		for o := range l.Out {
			to := t[o*l.In : (o+1)*l.In]
			for j := range to {
				to[j] = l.W[j*l.Out+o]
			}
		}
	}
}

// drawMasks draws the dropout masks of a training batch of b rows, layer
// by layer, one number per unit, in one fixed order.
func (n *Network) drawMasks(b int, ws *Workspace) {
	if ws.Dropout == nil {
		panic("mlp: Gradient on a network with dropout needs Workspace.Dropout")
	}
	for li, l := range n.Layers {
		if l.Dropout == 0 {
			continue
		}
		keep := 1 / (1 - l.Dropout)
		mask := ws.mask[li][:b*l.Out]
		for i := range mask {
			m := keep
			if ws.Dropout.Float64() < l.Dropout {
				m = 0
			}
			mask[i] = m
		}
	}
}

// forwardRows computes every layer's z and a for the batch rows lo..hi;
// in training, hidden units are dropped as the masks say.
func (n *Network) forwardRows(x *sparse.Matrix, rows []int, lo, hi int, ws *Workspace, train bool) {
	first := n.Layers[0]
	if n.w32 != nil {
		// Σ x·W in float32, then the bias added in float64.
		z32 := ws.z32[lo*first.Out : hi*first.Out]
		clear(z32)
		sparseAccumulateRows32(z32, n.w32, first.Out, x, rows[lo:hi], ws.alpha32[ws.alphaAt[lo]:ws.alphaAt[hi]])
		z := ws.z[0][lo*first.Out : hi*first.Out]
		for r := range hi - lo {
			widenAdd(z[r*first.Out:(r+1)*first.Out], first.B, z32[r*first.Out:(r+1)*first.Out])
		}
	} else {
		for r := lo; r < hi; r++ {
			zr := ws.z[0][r*first.Out : (r+1)*first.Out]
			idx, vals := x.Row(rows[r])
			copy(zr, first.B)
			sparseAccumulate(zr, first.W, first.Out, idx, vals)
		}
	}
	for li, l := range n.Layers {
		z := ws.z[li][lo*l.Out : hi*l.Out]
		if li > 0 {
			for r := range hi - lo {
				copy(z[r*l.Out:(r+1)*l.Out], l.B)
			}
			gemmNN(hi-lo, l.Out, l.In, n.input(ws, li-1, train)[lo*l.In:hi*l.In], l.W, z)
		}
		a := ws.a[li][lo*l.Out : hi*l.Out]
		l.Activation.apply(z, a, l.Out)
		if train && l.Dropout > 0 {
			h := ws.h[li][lo*l.Out : hi*l.Out]
			for i, m := range ws.mask[li][lo*l.Out : hi*l.Out] {
				h[i] = a[i] * m
			}
		}
	}
}

// backwardRows computes the loss of the batch rows lo..hi and dL/dz of
// every layer for them: the loss of the mean over the whole batch,
// weighted by y.Weight.
func (n *Network) backwardRows(y Targets, rows []int, lo, hi int, ws *Workspace) {
	last := len(n.Layers) - 1
	out := n.Layers[last].Out
	zL, aL, dL := ws.z[last], ws.a[last], ws.d[last]
	inv := 1 / float64(len(rows))
	for r := lo; r < hi; r++ {
		row := rows[r]
		s := r * out
		l := n.lossOf(y, row, zL[s:s+out], aL[s:s+out], dL[s:s+out])
		scale := inv
		if y.Weight != nil {
			l *= y.Weight[row]
			scale *= y.Weight[row]
		}
		ws.loss[r] = l
		for j := s; j < s+out; j++ {
			dL[j] *= scale
		}
		ws.hit[r] = n.hitOf(y, row, aL[s:s+out])
	}
	for li := last; li > 0; li-- {
		l := n.Layers[li]
		below := n.Layers[li-1]
		dPrev := ws.d[li-1][lo*l.In : hi*l.In]
		gemmNT(hi-lo, l.In, l.Out, ws.d[li][lo*l.Out:hi*l.Out], l.W, ws.wT[li], dPrev)
		if below.Dropout > 0 {
			for i, m := range ws.mask[li-1][lo*l.In : hi*l.In] {
				dPrev[i] *= m
			}
		}
		below.Activation.backprop(dPrev, ws.z[li-1][lo*l.In:hi*l.In], ws.a[li-1][lo*l.In:hi*l.In], l.In)
	}
}

// input returns what layer li's units pass on to the next layer.
func (n *Network) input(ws *Workspace, li int, train bool) []float64 {
	if train && n.Layers[li].Dropout > 0 {
		return ws.h[li]
	}
	return ws.a[li]
}

// Penalty returns the L2 term of the training loss, L2·Σw² over the kernels.
func (n *Network) Penalty() float64 {
	if n.spec.L2 == 0 {
		return 0
	}
	var s float64
	for _, l := range n.Layers {
		for _, w := range l.W {
			s += w * w
		}
	}
	return n.spec.L2 * s
}

// Gradient computes the gradient of the mean training loss over the given
// rows of x into grad (same layout as Params), with dropout applied and the
// L2 penalty added, and returns the summed loss (the penalty counted once
// per row, so that sum / rows is the mean training loss) and the number of
// rows classified correctly.
func (n *Network) Gradient(x *sparse.Matrix, y Targets, rows []int, grad []float64, ws *Workspace) (lossSum float64, correct int) {
	return n.gradient(x, y, rows, grad, ws, false)
}

// gradient is Gradient; when sparse, it clears only the entries the
// previous sparse call wrote (recorded in ws) instead of all of grad, and
// records the ones it writes.
func (n *Network) gradient(x *sparse.Matrix, y Targets, rows []int, grad []float64, ws *Workspace, sparse bool) (lossSum float64, correct int) {
	w := ws.ensure(n, len(rows))
	b := len(rows)
	first := n.Layers[0]
	gW0 := grad[:first.In*first.Out]
	clearPrev := sparse && !w.dirty
	keep := clearPrev && w.keep
	if !clearPrev {
		clear(gW0)
	}
	var regroup *regrouping
	if n.byFeature() {
		w.regroup = regrouping{gW0: gW0, clearPrev: clearPrev, keep: keep}
		regroup = &w.regroup
	} else if keep {
		// scatterRows adds to the rows of this batch's features, which
		// the rule has read already (they are its Touches).
		w.cols.collect(x, rows, first.In)
		clearRows(gW0, first.Out, w.cols.feats)
	} else if clearPrev {
		for _, f := range w.cols.feats { // the previous batch's
			clear(gW0[int(f)*first.Out : int(f+1)*first.Out])
		}
	}
	n.run(x, y, rows, w, true, regroup)
	w.regroup = regrouping{}
	for r := range b {
		lossSum += w.loss[r]
		if w.hit[r] {
			correct++
		}
	}

	w.grads.start(n, w, x, rows, grad)
	w.group.Run(len(w.grads.list), w.grads.work, &w.grads)
	w.grads.n, w.grads.ws, w.grads.x, w.grads.rows, w.grads.grad = nil, nil, nil, nil, nil

	if n.spec.L2 > 0 {
		lossSum += n.Penalty() * float64(b)
		two := 2 * n.spec.L2
		for _, l := range n.Layers {
			gW := grad[l.off : l.off+l.In*l.Out]
			for i, v := range l.W {
				gW[i] += two * v
			}
		}
	}
	// What the next sparse call clears and Support reports: this batch's
	// features (already in cols when the gradient went by feature), or
	// everything.
	w.dirty = !sparse || n.spec.L2 > 0
	if !w.dirty && !n.byFeature() && !keep {
		w.cols.collect(x, rows, first.In)
	}
	return lossSum, correct
}

// regroup regroups the batch rows of x by feature into ws.cols for the
// first layer's weight gradient, and with g.clearPrev clears the rows of
// g.gW0 the previous batch's gradient wrote (its features, still in
// ws.cols until then). scatterFeatures and scatterFeatures32 write every
// row of the new batch's features whole, so only the previous batch's
// features the new batch lacks need clearing.
func (n *Network) regroup(x *sparse.Matrix, rows []int, ws *Workspace, g *regrouping) {
	c := &ws.cols
	if g.clearPrev {
		ws.prevFeats = append(ws.prevFeats[:0], c.feats...)
	}
	c.f32 = n.w32 != nil
	c.build(x, rows, n.Layers[0].In)
	if g.keep {
		return
	}
	if !g.clearPrev {
		return
	}
	width := n.Layers[0].Out
	for _, f := range ws.prevFeats {
		if c.slot[f].gen == c.gen {
			continue // in the new batch too: written whole
		}
		clear(g.gW0[int(f)*width : int(f+1)*width])
	}
}

// byFeature reports whether the first layer's weight gradient is computed
// feature by feature (see byFeatureWidth), which regroups each batch in
// ws.cols.
func (n *Network) byFeature() bool {
	return n.Layers[0].Out >= byFeatureWidth || n.w32 != nil
}

// gradTask is one piece of the weight gradient: rows lo..hi of layer
// layer's kernel gradient (for the first layer, the batch's features
// lo..hi of ws.cols, or with lo = -1 all of it row by row), or with bias
// set, that layer's bias gradient.
type gradTask struct {
	layer, lo, hi int
	bias          bool
	acc           int // first layer in float32: which row of ws.acc32 it sums in
}

// gradTasks computes the weight gradients from the deltas of a batch, in
// pieces that each write their own part of grad.
type gradTasks struct {
	n    *Network
	ws   *Workspace
	x    *sparse.Matrix
	rows []int
	grad []float64
	list []gradTask
	work int
	// quiet is ws.quiet when some batch row is quiet, nil when none is:
	// the kernels then sum every row as they are, without gathering the
	// rows that are not quiet feature by feature (setLive) for nothing.
	quiet []bool
}

// gradBlock is about how many multiply-adds one gradient task of a hidden
// or output layer does; a piece covers whole kernel rows.
const gradBlock = 1 << 15

// byFeatureWidth is the narrowest first layer whose weight gradient is
// computed feature by feature, split over the cores (scatterFeatures);
// narrower ones go row by row on one core (scatterRows). Measured on whole
// trainings: MNIST's 512 units and R52's 256 gain (one MNIST epoch 3.6 s →
// 2.8 s), the IMDB recipe's 32 units over 437k features lose 20 %. A
// float32 first layer always goes by feature (scatterFeatures32 is its
// only kernel).
const byFeatureWidth = 128

func (g *gradTasks) start(n *Network, ws *Workspace, x *sparse.Matrix, rows []int, grad []float64) {
	g.n, g.ws, g.x, g.rows, g.grad = n, ws, x, rows, grad
	g.list, g.work = g.list[:0], 0
	b := len(rows)
	nnz := 0
	for _, row := range rows {
		nnz += x.Indptr[row+1] - x.Indptr[row]
	}
	ws.quiet, g.quiet = ws.quiet[:0], nil
	if n.w32 == nil {
		out := n.Layers[0].Out
		some := false
		for r := range b {
			q := true
			for _, v := range ws.d[0][r*out : (r+1)*out] {
				if v != 0 {
					q = false
					break
				}
			}
			ws.quiet = append(ws.quiet, q)
			some = some || q
		}
		if some {
			g.quiet = ws.quiet
		}
	}
	for li, l := range n.Layers {
		g.list = append(g.list, gradTask{layer: li, bias: true})
		if li == 0 && !n.byFeature() {
			g.list = append(g.list, gradTask{layer: 0, lo: -1})
			g.work += nnz * l.Out
			continue
		}
		if li == 0 {
			// The batch regrouped by feature, cut into as many blocks of
			// about equal entries as cores are likely to take (one when
			// working alone). The blocks change nothing in the result.
			c := &ws.cols // regrouped by the pass (regroup)
			work := nnz * l.Out
			blocks := ws.group.Workers(work)
			k := 0
			for blk := range blocks {
				lo := k
				want := int32((blk + 1) * nnz / blocks)
				for k < len(c.feats) && c.start[k+1] <= want {
					k++
				}
				if blk == blocks-1 {
					k = len(c.feats)
				}
				if k > lo {
					g.list = append(g.list, gradTask{layer: 0, lo: lo, hi: k, acc: blk})
				}
			}
			if n.w32 != nil {
				narrow(ws.d32, ws.d[0][:b*l.Out])
				ws.acc32 = slices.Grow(ws.acc32[:0], blocks*l.Out)[:blocks*l.Out]
			}
			g.work += work
			continue
		}
		// How the rows are split changes nothing in the result: every
		// row is computed whole by one task, in the same order.
		perRow := b * l.Out
		step := max(1, gradBlock/perRow)
		for lo := 0; lo < l.In; lo += step {
			g.list = append(g.list, gradTask{layer: li, lo: lo, hi: min(l.In, lo+step)})
		}
		g.work += l.In * perRow
	}
}

func (g *gradTasks) Do(t int) {
	task := g.list[t]
	l := g.n.Layers[task.layer]
	b := len(g.rows)
	d := g.ws.d[task.layer][:b*l.Out]
	if task.bias {
		columnSums(b, l.Out, d, g.grad[l.off+l.In*l.Out:l.off+l.In*l.Out+l.Out])
		return
	}
	gW := g.grad[l.off : l.off+l.In*l.Out]
	if task.layer == 0 {
		if task.lo < 0 {
			scatterRows(gW, l.Out, g.x, g.rows, d, g.quiet)
			return
		}
		if g.n.w32 != nil {
			acc := g.ws.acc32[task.acc*l.Out : (task.acc+1)*l.Out]
			scatterFeatures32(gW, l.Out, &g.ws.cols, task.lo, task.hi, g.ws.d32[:b*l.Out], acc)
			return
		}
		scatterFeatures(gW, l.Out, &g.ws.cols, task.lo, task.hi, d, g.quiet)
		return
	}
	prev := g.n.input(g.ws, task.layer-1, true)[:b*l.In]
	gemmTNRows(task.lo, task.hi, b, l.Out, l.In, prev, d, gW)
}

// Predict writes the output activations of the given rows of x into out
// (len(rows)×Outputs, row-major) and returns it, grown if needed. No unit
// is dropped.
func (n *Network) Predict(x *sparse.Matrix, rows []int, out []float64, ws *Workspace) []float64 {
	w := ws.ensure(n, len(rows))
	n.run(x, Targets{}, rows, w, false, nil)
	last := len(n.Layers) - 1
	k := len(rows) * n.Layers[last].Out
	out = append(out[:0], w.a[last][:k]...)
	return out
}

// Decide returns the predicted class of one output row from Predict.
func (n *Network) Decide(a []float64) int { return n.decide(a) }

// Threshold is the output value at or above which a one-output classifier
// predicts class 1: 0 for a linear output trained with a hinge loss (its
// targets are ±1), else 0.5.
func (n *Network) Threshold() float64 { return n.threshold() }

// Evaluate is Predict that also returns the summed loss of the rows against
// the truth y, computed from the weighted sums as in training. It is the
// data loss only: no dropout, no class weights and no L2 penalty, so that
// validation and test losses compare across those settings.
func (n *Network) Evaluate(x *sparse.Matrix, y Targets, rows []int, out []float64, ws *Workspace) ([]float64, float64) {
	out = n.Predict(x, rows, out, ws)
	w := ws
	last := len(n.Layers) - 1
	k := n.Layers[last].Out
	var lossSum float64
	for r, row := range rows {
		s := r * k
		lossSum += n.lossOf(y, row, w.z[last][s:s+k], w.a[last][s:s+k], w.d[last][s:s+k])
	}
	return out, lossSum
}
