package metrics

import (
	"math"
	"testing"
)

func TestMcNemar(t *testing.T) {
	for _, tc := range []struct {
		onlyA, onlyB int
		method       string
		stat, p      float64
	}{
		// scipy.stats.binomtest(2, 12).pvalue = 2·(1+12+66)/4096.
		{2, 10, McNemarExact, 2, 158.0 / 4096},
		{10, 2, McNemarExact, 2, 158.0 / 4096},
		// 24 discordant pairs is the largest exact case: 2·Σ_{i≤6} C(24,i)/2²⁴.
		{6, 18, McNemarExact, 6, 0.022655844688415527},
		{0, 0, McNemarExact, 0, 1},
		{5, 5, McNemarExact, 5, 1},
		// (|10−30| − 1)² / 40 = 9.025; scipy.stats.chi2.sf(9.025, 1).
		{10, 30, McNemarChiSquare, 9.025, 0.002663119259138554},
		{20, 20, McNemarChiSquare, 0, 1},
		{13, 12, McNemarChiSquare, 0, 1},
	} {
		r := McNemar(tc.onlyA, tc.onlyB)
		if r.Method != tc.method || math.Abs(r.Statistic-tc.stat) > 1e-12 || math.Abs(r.P-tc.p) > 1e-12 {
			t.Errorf("McNemar(%d, %d) = %s, statistic %v, p %v; want %s, %v, %v",
				tc.onlyA, tc.onlyB, r.Method, r.Statistic, r.P, tc.method, tc.stat, tc.p)
		}
	}
}

// Large counts must not overflow or underflow into NaN.
func TestMcNemarLargeCounts(t *testing.T) {
	r := McNemar(100000, 90000) // (9999)² / 190000 ≈ 526.2: p ≈ 1e-116
	if math.Abs(r.Statistic-9999.0*9999/190000) > 1e-9 || !(r.P > 0 && r.P < 1e-100) {
		t.Errorf("McNemar(100000, 90000): statistic %v, p %v", r.Statistic, r.P)
	}
	if p := binomialCDFHalf(3, 2000); math.IsNaN(p) || p < 0 || p > 1e-300 {
		t.Errorf("binomialCDFHalf(3, 2000) = %v, want a number below 1e-300", p)
	}
	if p := binomialCDFHalf(1000, 2000); math.Abs(p-0.5-0.5*0.017839) > 1e-4 {
		t.Errorf("binomialCDFHalf(1000, 2000) = %v, want ½ + ½·P(X = 1000) ≈ 0.50892", p)
	}
}

func TestTopConfusions(t *testing.T) {
	m := [][]int{
		{5, 2, 0},
		{3, 4, 1},
		{2, 0, 9},
	}
	got := TopConfusions(m, 3)
	want := []Confusion{{1, 0, 3}, {0, 1, 2}, {2, 0, 2}}
	if len(got) != len(want) {
		t.Fatalf("TopConfusions = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("TopConfusions = %v, want %v", got, want)
		}
	}
	if n := len(TopConfusions(m, 10)); n != 4 {
		t.Errorf("TopConfusions(m, 10) has %d cells, want the 4 non-zero ones", n)
	}
}
