package calibrate

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Labels drawn from σ(2s − 1): Platt scaling finds a = 2, b = −1.
func TestPlattRecoversTheModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := &Scores{K: 1, Labels: 2}
	var uncal []float64
	for range 20000 {
		x := rng.NormFloat64() * 2
		y := 0
		if rng.Float64() < sigmoid(2*x-1) {
			y = 1
		}
		s.Z = append(s.Z, x)
		s.Truth = append(s.Truth, y)
		p := sigmoid(x)
		uncal = append(uncal, 1-p, p)
	}
	c, err := Fit(Platt, s, uncal, "test")
	if err != nil {
		t.Fatal(err)
	}
	if c.Method != Platt || math.Abs(c.A-2) > 0.1 || math.Abs(c.B+1) > 0.1 {
		t.Errorf("fitted %s a = %.3f, b = %.3f; want platt 2, −1", c.Method, c.A, c.B)
	}
	if !(c.After.LogLoss < c.Before.LogLoss) || c.After.ECE > 0.02 {
		t.Errorf("before %+v, after %+v", c.Before, c.After)
	}
}

// Labels drawn from softmax(z/2): temperature scaling finds T = 2, and
// the probabilities of every example sum to 1 with the argmax unchanged.
func TestTemperatureRecoversTheModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const k = 5
	s := &Scores{K: k, Labels: k}
	var uncal []float64
	for range 20000 {
		z := make([]float64, k)
		for j := range z {
			z[j] = rng.NormFloat64() * 4
		}
		p := softmaxT(z, 2)
		u, y := rng.Float64(), 0
		for y < k-1 && u > p[y] {
			u -= p[y]
			y++
		}
		s.Z = append(s.Z, z...)
		s.Truth = append(s.Truth, y)
		uncal = append(uncal, softmaxT(z, 1)...)
	}
	c, err := Fit(Temperature, s, uncal, "test")
	if err != nil {
		t.Fatal(err)
	}
	if c.Method != Temperature || math.Abs(c.Temperature-2) > 0.1 {
		t.Errorf("fitted %s T = %.3f, want temperature 2", c.Method, c.Temperature)
	}
	for i := range 100 {
		z := s.Z[i*k : (i+1)*k]
		p := c.Apply(z, nil)
		var sum float64
		for _, v := range p {
			sum += v
		}
		if math.Abs(sum-1) > 1e-12 || argmax(p) != argmax(z) {
			t.Fatalf("example %d: p = %v (sum %v) for z = %v", i, p, sum, z)
		}
	}
}

func softmaxT(z []float64, temp float64) []float64 {
	c := &Calibrator{Method: Temperature, Temperature: temp, Labels: len(z)}
	return c.Apply(z, nil)
}

// Pool-adjacent-violators: the least-squares nondecreasing fit of a known
// sequence (each violating pair pooled to its mean).
func TestPAV(t *testing.T) {
	c := pav([]float64{1, 2, 3, 4, 5, 6}, []float64{0, 1, 0, 1, 1, 0})
	want := []float64{0, 0.5, 0.5, 2.0 / 3, 2.0 / 3, 2.0 / 3}
	for i, x := range []float64{1, 2, 3, 4, 5, 6} {
		if got := c.at(x); math.Abs(got-want[i]) > 1e-12 {
			t.Errorf("at %v: %v, want %v (curve %+v)", x, got, want[i], c)
		}
	}
	if c.at(-10) != 0 || c.at(10) != 2.0/3 {
		t.Errorf("outside the range: %v, %v", c.at(-10), c.at(10))
	}
}

// Isotonic on many labels: probabilities in [0, 1] that sum to 1.
func TestIsotonicNormalises(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	s := &Scores{K: 3, Labels: 3}
	for range 3000 {
		y := rng.IntN(3)
		z := []float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
		z[y] += 1.5
		s.Z = append(s.Z, z...)
		s.Truth = append(s.Truth, y)
	}
	c, err := Fit(Isotonic, s, make([]float64, 3*3000), "test")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		p := c.Apply(s.Z[i*3:(i+1)*3], nil)
		if sum := p[0] + p[1] + p[2]; math.Abs(sum-1) > 1e-12 || p[0] < 0 || p[1] < 0 || p[2] < 0 {
			t.Fatalf("p = %v", p)
		}
	}
}

// The expected calibration error and the scores by hand: three examples,
// confidences 0.9 (right), 0.9 (wrong) and 0.6 (right).
func TestMeasure(t *testing.T) {
	probs := []float64{0.1, 0.9, 0.9, 0.1, 0.4, 0.6}
	q := Measure(probs, 2, []int{1, 1, 1})
	if q.Accuracy != 2.0/3 {
		t.Errorf("accuracy %v", q.Accuracy)
	}
	// Bin (0.8667, 0.9333]: 2 examples, confidence 0.9, accuracy 0.5; bin
	// (0.5333, 0.6]: 1 example, confidence 0.6, accuracy 1.
	if want := (2*0.4 + 1*0.4) / 3; math.Abs(q.ECE-want) > 1e-12 {
		t.Errorf("ECE %v, want %v", q.ECE, want)
	}
	if want := -(math.Log(0.9) + math.Log(0.1) + math.Log(0.6)) / 3; math.Abs(q.LogLoss-want) > 1e-12 {
		t.Errorf("log loss %v, want %v", q.LogLoss, want)
	}
	if want := (0.02 + 1.62 + 0.32) / 3; math.Abs(q.Brier-want) > 1e-12 {
		t.Errorf("Brier %v, want %v", q.Brier, want)
	}
}

func TestFitNeedsTwoLabels(t *testing.T) {
	s := &Scores{K: 1, Labels: 2, Z: []float64{1, 2}, Truth: []int{1, 1}}
	if _, err := Fit(Auto, s, []float64{0, 1, 0, 1}, "x"); err != ErrTooFew {
		t.Errorf("err %v", err)
	}
}
