package tune

import (
	"math"
	"strings"
	"testing"
)

// TestExpect: the range a winner should score in is its mean ± two
// standard deviations of one accuracy, the folds' when they vary more than
// a fold's size allows, else the binomial one; and never outside [0, 1].
func TestExpect(t *testing.T) {
	r := &Result{Folds: 3, HeldOut: 1828}
	binom := math.Sqrt(0.9739 * 0.0261 / 1828) // 0.00373
	for _, c := range []struct {
		name       string
		e          Evaluation
		sd, lo, hi float64
		words      string
	}{
		{"folds agree closely", Evaluation{Mean: 0.9739, Std: 0.0008}, binom, 0.9739 - 2*binom, 0.9739 + 2*binom,
			"0.9664 to 0.9814 (the mean ± 2 × 0.0037, the binomial standard deviation of an accuracy on 1828 held-out examples, larger than the folds')"},
		{"folds vary", Evaluation{Mean: 0.9739, Std: 0.01}, 0.01, 0.9539, 0.9939,
			"0.9539 to 0.9939 (the mean ± 2 × 0.0100, the folds' standard deviation)"},
		{"perfect", Evaluation{Mean: 1, Std: 0.002}, 0.002, 0.996, 1,
			"0.9960 to 1.0000 (the mean ± 2 × 0.0020, the folds' standard deviation)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if sd := r.Spread(&c.e); math.Abs(sd-c.sd) > 1e-12 {
				t.Errorf("Spread = %v, want %v", sd, c.sd)
			}
			lo, hi := r.Expect(&c.e)
			if math.Abs(lo-c.lo) > 1e-12 || math.Abs(hi-c.hi) > 1e-12 {
				t.Errorf("Expect = %v, %v, want %v, %v", lo, hi, c.lo, c.hi)
			}
			if w := r.ExpectWords(&c.e); w != c.words {
				t.Errorf("ExpectWords =\n%s\nwant\n%s", w, c.words)
			}
		})
	}
	// Without a held-out count (a Result not from Search) the folds'
	// deviation is all there is.
	if sd := (&Result{}).Spread(&Evaluation{Mean: 0.97, Std: 0.0008}); sd != 0.0008 {
		t.Errorf("Spread without HeldOut = %v, want 0.0008", sd)
	}
	if !strings.Contains(r.ExpectWords(&Evaluation{Mean: 0.5, Std: 0}), "0.4766 to 0.5234") {
		t.Errorf("ExpectWords(0.5 ± 0) = %s", r.ExpectWords(&Evaluation{Mean: 0.5}))
	}
}
