package mlp

import "github.com/dlc-dev/dlc/internal/sparse"

// Objective binds a network to its training rows and truths, giving the
// Params/Len/Gradient view that gradient descent optimises.
type Objective struct {
	Net *Network
	X   *sparse.Matrix
	Y   Targets
	ws  Workspace
}

// Params returns the network's parameters.
func (o *Objective) Params() []float64 { return o.Net.Params() }

// Len returns the number of training rows.
func (o *Objective) Len() int { return o.X.Rows }

// Gradient computes the gradient of the mean loss over rows into grad.
func (o *Objective) Gradient(rows []int, grad []float64) (float64, int) {
	return o.Net.Gradient(o.X, o.Y, rows, grad, &o.ws)
}
