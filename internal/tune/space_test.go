package tune

import "testing"

// TestRound2: a drawn learning rate is written as its two-digit decimal
// (it goes into the winner's YAML and the leaderboard as it prints).
func TestRound2(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want string
	}{{0.000491234, "0.00049"}, {0.0306, "0.031"}, {2.96, "3"}, {1.23e-5, "1.2e-05"}} {
		if got := num(round2(c.in)); got != c.want {
			t.Errorf("num(round2(%v)) = %s, want %s", c.in, got, c.want)
		}
	}
}
