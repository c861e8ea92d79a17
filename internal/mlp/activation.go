package mlp

import "math"

// Activation is the function a layer applies to its weighted sums.
type Activation string

// The activations. Softmax is only valid on the output layer.
const (
	Linear  Activation = "linear"
	ReLU    Activation = "relu"
	Sigmoid Activation = "sigmoid"
	Tanh    Activation = "tanh"
	Softmax Activation = "softmax"
)

// HiddenActivations may be used between layers; OutputActivations on the last.
var (
	HiddenActivations = []Activation{ReLU, Sigmoid, Tanh, Linear}
	OutputActivations = []Activation{Sigmoid, Softmax, Linear}
)

// apply computes a = act(z) for a batch laid out row-major with width units.
func (act Activation) apply(z, a []float64, width int) {
	switch act {
	case Linear:
		copy(a, z)
	case ReLU:
		for i, v := range z {
			a[i] = max(v, 0)
		}
	case Sigmoid:
		for i, v := range z {
			a[i] = sigmoid(v)
		}
	case Tanh:
		for i, v := range z {
			a[i] = math.Tanh(v)
		}
	case Softmax:
		for r := 0; r < len(z); r += width {
			softmax(z[r:r+width], a[r:r+width])
		}
	}
}

// backprop turns dL/da into dL/dz in place (d holds dL/da on entry), given
// the layer's z and a. Softmax uses its Jacobian: dz = a ⊙ (da − ⟨da, a⟩).
func (act Activation) backprop(d, z, a []float64, width int) {
	switch act {
	case ReLU:
		i := 0
		if haveShortAVX && len(z) >= 4 {
			// Four at a time without a branch: about half of a layer's
			// units are off, at random, which a branch mispredicts.
			i = len(z) &^ 3
			_ = d[i-1]
			reluBackprop4(&d[0], &z[0], i)
		}
		for ; i < len(z); i++ {
			if z[i] <= 0 {
				d[i] = 0
			}
		}
	case Sigmoid:
		for i, v := range a {
			d[i] *= v * (1 - v)
		}
	case Tanh:
		for i, v := range a {
			d[i] *= 1 - v*v
		}
	case Softmax:
		for r := 0; r < len(z); r += width {
			dr, ar := d[r:r+width], a[r:r+width]
			var dot float64
			for j := range dr {
				dot += dr[j] * ar[j]
			}
			for j := range dr {
				dr[j] = ar[j] * (dr[j] - dot)
			}
		}
	}
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// softmax writes the softmax of z into a, shifted by the maximum so that no
// exponential overflows; it returns log Σ exp(z), the log-sum-exp.
func softmax(z, a []float64) float64 {
	m := math.Inf(-1)
	for _, v := range z {
		m = max(m, v)
	}
	var s float64
	for j, v := range z {
		e := math.Exp(v - m)
		a[j] = e
		s += e
	}
	inv := 1 / s
	for j := range a {
		a[j] *= inv
	}
	return m + math.Log(s)
}

// softplus returns log(1 + exp(x)) without overflow.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}
