package pipeline

import (
	"github.com/dlc-dev/dlc/internal/calibrate"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/sparse"
)

// forward runs a model's networks — one, or an ensemble's members — over
// rows and combines what they say: the members' outputs averaged (what
// decides an uncalibrated model, and its raw scores), and the members'
// calibrated probabilities averaged (what a calibrated model answers).
// With one network it is that network's outputs, unchanged. It holds a
// workspace per network and is not safe for concurrent use.
type forward struct {
	nets []*mlp.Network
	cal  *calibrate.Calibrator
	ws   []mlp.Workspace
	outs [][]float64
	out  []float64 // the averaged outputs of the last run (outs[0] for one network)
	k    int       // outputs per row
	buf  []float64
}

// newForward returns the forward pass of networks nets (all of one spec)
// with calibration cal (nil for none).
func newForward(nets []*mlp.Network, cal *calibrate.Calibrator) *forward {
	return &forward{nets: nets, cal: cal, ws: make([]mlp.Workspace, len(nets)), outs: make([][]float64, len(nets)), k: nets[0].Spec().Outputs}
}

// modelForward is the forward pass of a model.
func modelForward(m *model.Model) *forward { return newForward(m.Networks(), m.Calibration) }

// net is the first network, whose spec and decision rule every member
// shares.
func (f *forward) net() *mlp.Network { return f.nets[0] }

// predict runs the networks over rows of x and returns the averaged
// outputs (len(rows) × outputs), valid until the next run.
func (f *forward) predict(x *sparse.Matrix, rows []int) []float64 {
	for i, n := range f.nets {
		f.outs[i] = n.Predict(x, rows, f.outs[i], &f.ws[i])
	}
	return f.average()
}

// evaluate is predict that also returns the loss summed over the rows:
// the mean over the networks of each one's summed loss.
func (f *forward) evaluate(x *sparse.Matrix, y mlp.Targets, rows []int) ([]float64, float64) {
	var loss float64
	for i, n := range f.nets {
		var l float64
		f.outs[i], l = n.Evaluate(x, y, rows, f.outs[i], &f.ws[i])
		loss += l
	}
	return f.average(), loss / float64(len(f.nets))
}

func (f *forward) average() []float64 {
	if len(f.nets) == 1 {
		f.out = f.outs[0]
		return f.out
	}
	f.out = append(f.out[:0], f.outs[0]...)
	for _, o := range f.outs[1:] {
		for j, v := range o {
			f.out[j] += v
		}
	}
	inv := 1 / float64(len(f.nets))
	for j := range f.out {
		f.out[j] *= inv
	}
	return f.out
}

// row is the averaged output row i of the last run.
func (f *forward) row(i int) []float64 { return f.out[i*f.k : (i+1)*f.k] }

// logits is network n's output-layer sums of row i of the last run.
func (f *forward) logits(n, i int) []float64 {
	z := f.ws[n].Logits(len(f.outs[n]))
	return z[i*f.k : (i+1)*f.k]
}

// answer appends the scores the model answers row i of the last run
// with: the average of the networks' calibrated probabilities when
// calibrated, else the class scores of the averaged outputs. A
// multi-label model answers with each label's own probability, averaged
// over the networks in the same way (multi).
func (f *forward) answer(i int, dst []float64) []float64 {
	if f.net().Spec().MultiLabel {
		return f.multi(i, dst, multiAnswer)
	}
	if f.cal == nil {
		return classScores(f.net(), f.row(i), dst)
	}
	var one [1]float64
	return f.mean(i, dst, func(net *mlp.Network, _, z []float64, dst []float64) []float64 {
		return f.cal.Apply(calibrationScore(net, z, &one), dst)
	})
}

// uncalibrated appends the probabilities the networks give row i without
// calibration (see uncalibrated), averaged over the networks.
func (f *forward) uncalibrated(i int, dst []float64) []float64 {
	return f.mean(i, dst, func(net *mlp.Network, out, z []float64, dst []float64) []float64 {
		return uncalibrated(net, out, z, dst)
	})
}

// multi appends the mean over the networks of what each's multiAnswer or
// multiProbs (each) makes of row i of the last run. For a calibrated
// ensemble that is the average of the members' calibrated probabilities
// of each label, which its thresholds cut; uncalibrated, multiAnswer's
// mean is the averaged outputs'.
func (f *forward) multi(i int, dst []float64, each func(net *mlp.Network, cal *calibrate.Calibrator, out, z []float64, dst []float64) []float64) []float64 {
	return f.mean(i, dst, func(net *mlp.Network, out, z []float64, dst []float64) []float64 {
		return each(net, f.cal, out, z, dst)
	})
}

// mean appends the mean over the networks of what each appends for row i
// of the last run, given a network, its outputs out and output-layer sums
// z of the row; with one network, what each appends.
func (f *forward) mean(i int, dst []float64, each func(net *mlp.Network, out, z []float64, dst []float64) []float64) []float64 {
	if len(f.nets) == 1 {
		return each(f.net(), f.outs[0][i*f.k:(i+1)*f.k], f.logits(0, i), dst)
	}
	start := len(dst)
	for n, net := range f.nets {
		f.buf = each(net, f.outs[n][i*f.k:(i+1)*f.k], f.logits(n, i), f.buf[:0])
		if n == 0 {
			dst = append(dst, f.buf...)
			continue
		}
		for j, p := range f.buf {
			dst[start+j] += p
		}
	}
	inv := 1 / float64(len(f.nets))
	for j := start; j < len(dst); j++ {
		dst[j] *= inv
	}
	return dst
}
