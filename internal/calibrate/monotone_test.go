package calibrate

import (
	"math"
	"math/rand/v2"
	"testing"
)

// hinged is a miscalibration one temperature cannot undo: the labels are
// drawn from softmax(h(z)) with h flat below 0 and steep above, as a
// hinge-trained network's pushed-down scores are.
func hinged(z float64) float64 {
	if z < 0 {
		return 0.3 * z
	}
	return 2.5 * z
}

// drawHinged draws n examples of k scores and their labels from
// softmax(hinged(z)), with the network's uncalibrated softmax(z).
func drawHinged(seed uint64, n, k int) (*Scores, []float64) {
	rng := rand.New(rand.NewPCG(seed, 9))
	s := &Scores{K: k, Labels: max(2, k)}
	var uncal []float64
	for range n {
		z := make([]float64, k)
		for j := range z {
			z[j] = rng.NormFloat64() * 2
		}
		logits := z
		if k == 1 {
			logits = []float64{0, z[0]}
		}
		h := make([]float64, len(logits))
		for j, v := range logits {
			h[j] = hinged(v)
		}
		p := softmaxT(h, 1)
		u, y := rng.Float64(), 0
		for y < len(p)-1 && u > p[y] {
			u -= p[y]
			y++
		}
		s.Z = append(s.Z, z...)
		s.Truth = append(s.Truth, y)
		uncal = append(uncal, softmaxT(logits, 1)...)
	}
	return s, uncal
}

// On scores miscalibrated by an increasing map the monotone calibrator
// brings the expected calibration error of new examples from the same
// source down — below temperature scaling's, which can only rescale —
// and never moves a decision: every example's most probable label is its
// highest score, for many labels and for one output (p ≥ ½ exactly when
// s ≥ 0).
func TestMonotoneCalibrates(t *testing.T) {
	for _, k := range []int{1, 6} {
		fit, uncal := drawHinged(1, 5000, k)
		test, testUncal := drawHinged(2, 20000, k)
		mono, err := Fit(Monotone, fit, uncal, "test")
		if err != nil {
			t.Fatal(err)
		}
		temp, err := Fit(Temperature, fit, uncal, "test")
		if err != nil {
			t.Fatal(err)
		}
		labels := max(2, k)
		apply := func(c *Calibrator) []float64 {
			var probs []float64
			for i := range test.N() {
				z := test.row(i)
				start := len(probs)
				probs = c.Apply(z, probs)
				p := probs[start:]
				var sum float64
				for _, v := range p {
					sum += v
				}
				want := argmax(z)
				if k == 1 {
					want = 0
					if z[0] > 0 {
						want = 1
					}
				}
				if math.Abs(sum-1) > 1e-12 || (argmax(p) != want && math.Abs(p[argmax(p)]-p[want]) > 1e-12) {
					t.Fatalf("%d outputs, %s: p = %v (sum %v) for z = %v", k, c, p, sum, z)
				}
			}
			return probs
		}
		before := Measure(testUncal, labels, test.Truth)
		m := Measure(apply(mono), labels, test.Truth)
		tq := Measure(apply(temp), labels, test.Truth)
		t.Logf("%d outputs: ECE %.4f uncalibrated, %.4f temperature, %.4f %s", k, before.ECE, tq.ECE, m.ECE, mono)
		if !(m.ECE < 0.015 && m.ECE < tq.ECE && m.ECE < before.ECE && m.LogLoss < tq.LogLoss) {
			t.Errorf("%d outputs: ECE %.4f (log loss %.4f) monotone, %.4f (%.4f) temperature, %.4f uncalibrated",
				k, m.ECE, m.LogLoss, tq.ECE, tq.LogLoss, before.ECE)
		}
		if err := mono.Check(labels, k); err != nil {
			t.Errorf("the fitted map fails its own check: %v", err)
		}
	}
}

// The map is continuous, increasing, and without knots the temperature
// scaling of slope 1/T.
func TestMonotoneMap(t *testing.T) {
	c := &Calibrator{Method: Monotone, Knots: []float64{-1, 0, 2}, Slopes: []float64{0.5, 1, 3, 0.25}}
	prev := math.Inf(-1)
	for z := -4.0; z <= 5; z += 0.01 {
		g := c.monotone(z)
		if g <= prev {
			t.Fatalf("g(%v) = %v, not above g just before (%v)", z, g, prev)
		}
		prev = g
	}
	// By hand: g(-1) = 0, then slope 1 to 0, slope 3 to 2, slope 0.25 on.
	for z, want := range map[float64]float64{-3: -1, -1: 0, 0: 1, 2: 7, 6: 8} {
		if got := c.monotone(z); math.Abs(got-want) > 1e-12 {
			t.Errorf("g(%v) = %v, want %v", z, got, want)
		}
	}
	flat := &Calibrator{Method: Monotone, Slopes: []float64{0.5}, Labels: 3}
	temp := &Calibrator{Method: Temperature, Temperature: 2, Labels: 3}
	z := []float64{1, -2, 0.5}
	a, b := flat.Apply(z, nil), temp.Apply(z, nil)
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-12 {
			t.Fatalf("one slope 0.5: %v, temperature 2: %v", a, b)
		}
	}
}

// auto is temperature scaling for two labels and the monotone map for
// more.
func TestAutoMethod(t *testing.T) {
	two, u2 := drawHinged(3, 500, 1)
	many, um := drawHinged(3, 500, 4)
	if c, err := Fit(Auto, two, u2, "x"); err != nil || c.Method != Temperature {
		t.Errorf("two labels: %v, %v", c, err)
	}
	if c, err := Fit(Auto, many, um, "x"); err != nil || c.Method != Monotone {
		t.Errorf("four labels: %v, %v", c, err)
	}
}

// A map read from a file that is not increasing, or not finite, is
// refused with what is wrong.
func TestMonotoneCheck(t *testing.T) {
	for _, c := range []Calibrator{
		{Method: Monotone, Labels: 3, Knots: []float64{1, 0}, Slopes: []float64{1, 1, 1}},
		{Method: Monotone, Labels: 3, Knots: []float64{0}, Slopes: []float64{1, 0}},
		{Method: Monotone, Labels: 3, Knots: []float64{0}, Slopes: []float64{1}},
		{Method: Monotone, Labels: 3, Knots: []float64{math.NaN()}, Slopes: []float64{1, 1}},
		{Method: Monotone, Labels: 3, Slopes: []float64{math.Inf(1)}},
	} {
		if err := c.Check(3, 3); err == nil {
			t.Errorf("%+v passed the check", c)
		}
	}
	ok := Calibrator{Method: Monotone, Labels: 3, Knots: []float64{-1, 2}, Slopes: []float64{1, 2, 3}}
	if err := ok.Check(3, 3); err != nil {
		t.Error(err)
	}
}
