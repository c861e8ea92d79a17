package calibrate

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Each label of each example drawn from σ(z/2) of its own score: the
// shared temperature is found to be 2, the probabilities need not sum to
// 1, and the held-out log loss falls.
func TestMultiLabelTemperatureRecoversTheModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const k = 6
	s := &MultiScores{Labels: k}
	var uncal []float64
	for range 4000 {
		var set []int32
		for j := range k {
			z := rng.NormFloat64()*4 - 2
			s.Z = append(s.Z, z)
			uncal = append(uncal, sigmoid(z))
			if rng.Float64() < sigmoid(z/2) {
				set = append(set, int32(j))
			}
		}
		s.Truth = append(s.Truth, set)
	}
	c, err := FitMultiLabel(Auto, s, uncal, "test")
	if err != nil {
		t.Fatal(err)
	}
	if !c.MultiLabel || c.Method != Temperature || math.Abs(c.Temperature-2) > 0.1 {
		t.Errorf("fitted %+v; want a multi-label temperature of 2", c)
	}
	if !(c.After.LogLoss < c.Before.LogLoss) || c.After.ECE > 0.02 {
		t.Errorf("before %+v, after %+v", c.Before, c.After)
	}
	if p := c.Apply([]float64{0, 4, -4}, nil); p[0] != 0.5 || math.Abs(p[1]-sigmoid(4/c.Temperature)) > 1e-15 || math.Abs(p[1]+p[2]-1) > 1e-12 {
		t.Errorf("Apply gave %v", p)
	}
	if err := c.Check(k, k); err != nil {
		t.Error(err)
	}
	if err := c.Check(k, 1); err == nil {
		t.Error("a multi-label calibration checked out for one output")
	}
	if _, err := FitMultiLabel(Isotonic, s, uncal, "test"); err == nil {
		t.Error("isotonic was fitted to a multi-label model")
	}
	s.Truth = make([][]int32, len(s.Truth)) // no label anywhere
	if _, err := FitMultiLabel(Auto, s, uncal, "test"); err != ErrTooFew {
		t.Errorf("no held-out label: %v", err)
	}
}

// The decision rule: the labels at or above their threshold, most probable
// first, topped up to the fewest or cut to the most labels a training
// text had; exactly that many, the most probable, when those are equal.
func TestThresholdsDecide(t *testing.T) {
	th := &Thresholds{Values: []float64{0.5, 0.2, 0.9, 0.5}, MinLabels: 1, MaxLabels: 2}
	for _, c := range []struct {
		p    []float64
		want []int
	}{
		{[]float64{0.6, 0.3, 0.1, 0.1}, []int{0, 1}},
		{[]float64{0.6, 0.3, 0.95, 0.8}, []int{2, 3}}, // four above: the two most probable
		{[]float64{0.1, 0.1, 0.8, 0.3}, []int{2}},     // none above: the most probable
		{[]float64{0.4, 0.25, 0.85, 0.1}, []int{1}},   // 0.85 is below its 0.9
	} {
		if got := th.Decide(c.p, nil); !slices.Equal(got, c.want) {
			t.Errorf("Decide(%v) = %v, want %v", c.p, got, c.want)
		}
	}
	if got := th.DecideAt([]float64{0.6, 0.3, 0.1, 0.4}, 0.35, nil); !slices.Equal(got, []int{0, 3}) {
		t.Errorf("DecideAt 0.35 = %v", got)
	}
	one := &Thresholds{Values: []float64{0.1, 0.1, 0.9}, MinLabels: 1, MaxLabels: 1}
	if got := one.Decide([]float64{0.2, 0.3, 0.5}, nil); !slices.Equal(got, []int{2}) {
		t.Errorf("one label per text: %v, want the most probable, 2", got)
	}
	none := &Thresholds{Cut: 0.5, MinLabels: 0, MaxLabels: 3}
	if got := none.Decide([]float64{0.2, 0.3, 0.4}, []int{7}); !slices.Equal(got, []int{7}) {
		t.Errorf("no label above the cut appended %v", got[1:])
	}
	for _, bad := range []*Thresholds{
		{Values: []float64{0.5}, MaxLabels: 2}, {Cut: math.NaN(), MaxLabels: 1}, {MinLabels: 2, MaxLabels: 1}, {MaxLabels: 3},
		{Values: []float64{0.5, math.Inf(1)}, MaxLabels: 1},
	} {
		if bad.Check(2) == nil {
			t.Errorf("%+v checked out for 2 labels", bad)
		}
	}
}

// Tuning: a label with enough held-out examples gets the cut that
// maximises its F1 (halfway between the scores it separates); a label
// with too few takes the global one; the held-out F1 never falls.
func TestTuneThresholds(t *testing.T) {
	// Label 0 is yes from a probability of 0.3 on; label 1 from 0.7 on;
	// label 2 is yes once only.
	var probs []float64
	var truth [][]int32
	for i := range 40 {
		p0, p1 := float64(i)/40, float64(39-i)/40
		var set []int32
		if p0 >= 0.3 {
			set = append(set, 0)
		}
		if p1 >= 0.7 {
			set = append(set, 1)
		}
		p2 := 0.0
		if i == 5 {
			p2 = 0.6
			set = append(set, 2)
		}
		probs = append(probs, p0, p1, p2)
		truth = append(truth, set)
	}
	th := &Thresholds{Cut: 0.5, MinLabels: 0, MaxLabels: 3}
	TuneThresholds(th, probs, 3, truth, "test")
	if th.Tuned != 2 || math.Abs(th.Values[0]-0.2875) > 1e-12 || math.Abs(th.Values[1]-0.6875) > 1e-12 || th.Values[2] != th.Global {
		t.Errorf("tuned %+v", th)
	}
	if th.After.MicroF1 != 1 || th.Before.MicroF1 >= 1 {
		t.Errorf("held-out F1 before %+v, after %+v", th.Before, th.After)
	}
}
