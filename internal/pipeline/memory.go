package pipeline

import (
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/sysmem"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// totalMemory is the machine's physical memory (0: unknown); tests replace it.
var totalMemory = sysmem.Total

// checkMemory refuses, before anything is allocated, a network whose
// training state cannot fit in this machine's physical memory: it would
// only end in the runtime's out-of-memory crash (or the kernel's kill).
// What it counts is what training holds per parameter, 8 bytes each: the
// weights, their gradient, the optimizer's state (one slot for momentum,
// nesterov, rmsprop and adagrad, two for adam, none for sgd), and the best
// epoch's weights when early stopping restores them. The data, the batch's
// activations and everything else come on top, so this is a floor.
//
// A network whose parameters cannot even be counted in an int is refused
// on any machine.
//
// The check is here rather than in mlp.New because it is about training
// with this plan's optimizer and early stopping, which the network does
// not know of, and because its message names the config keys to change.
func (p *Plan) checkMemory(spec mlp.Spec) error {
	shrink := "use fewer units in model.layers"
	if len(spec.Hidden) == 0 {
		shrink = "use a model with fewer outputs"
	}
	if p.Vectorizer.Mode != vectorize.Dense {
		shrink += ", or fewer inputs (vectorizer.max_tokens, vectorizer.hashing)"
	}
	params, ok := spec.Params()
	if !ok {
		if spec.Inputs < 1 || spec.Outputs < 1 || slices.ContainsFunc(spec.Hidden, func(l mlp.LayerSpec) bool { return l.Units < 1 }) {
			return nil // a size below 1, which Validate reports
		}
		return p.Config.Errorf("model.layers", "the network has more than %d parameters (%s), more than any machine can hold; %s", math.MaxInt, describe(spec), shrink)
	}
	have := totalMemory()
	if have == 0 {
		return nil
	}
	slots, what := 2, "weights, gradient"
	switch name := p.Optimizer.Name; name {
	case gd.NameSGD:
	case gd.NameAdam, gd.NameLazyAdam:
		slots, what = slots+2, what+" and "+name+"'s two slots of state"
	default:
		slots, what = slots+1, what+" and "+name+"'s state"
	}
	if es := p.Training.EarlyStopping; es.Monitor != "" && es.RestoreBest {
		slots, what = slots+1, what+", the best epoch's weights"
	}
	hi, need := bits.Mul64(uint64(params), uint64(8*slots))
	if hi == 0 && need <= have {
		return nil
	}
	return p.Config.Errorf("model.layers", "the network has %d parameters (%s); training it needs %s (%s: %d bytes a parameter), more than this machine's %s of memory; %s",
		params, describe(spec), bytesOf(float64(params)*float64(8*slots)), what, 8*slots, bytesOf(float64(have)), shrink)
}

// describe says what a network's parameters come from: its inputs, its
// hidden layers' units, its outputs.
func describe(s mlp.Spec) string {
	units := make([]int, len(s.Hidden))
	for i, h := range s.Hidden {
		units[i] = h.Units
	}
	outputs := fmt.Sprintf("%d outputs", s.Outputs)
	if s.Outputs == 1 {
		outputs = "1 output"
	}
	if len(units) == 0 {
		return fmt.Sprintf("%d inputs, %s", s.Inputs, outputs)
	}
	return fmt.Sprintf("%d inputs, hidden layers of %v units, %s", s.Inputs, units, outputs)
}

// bytesOf writes a number of bytes in GiB, TiB or more.
func bytesOf(b float64) string {
	units := []string{"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"}
	i := 0
	for b >= 1024 && i < len(units)-1 {
		b /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f bytes", b)
	}
	return fmt.Sprintf("%.1f %s", b, units[i])
}
