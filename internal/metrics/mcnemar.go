package metrics

import "math"

// McNemarExactBelow is the number of discordant pairs below which McNemar's
// test uses the exact binomial distribution: under 25 the chi-square
// approximation is poor (the usual textbook rule).
const McNemarExactBelow = 25

// The methods McNemar's test may use.
const (
	McNemarExact     = "exact binomial"
	McNemarChiSquare = "chi-square with continuity correction"
)

// McNemarResult is McNemar's test of two classifiers scored on the same
// examples: do they make different numbers of errors, beyond chance?
type McNemarResult struct {
	// OnlyA and OnlyB count the examples that only classifier A, or only B,
	// got right (the discordant pairs); the examples both got right or both
	// got wrong say nothing about which is better.
	OnlyA int `json:"only_a_correct"`
	OnlyB int `json:"only_b_correct"`
	// Method is McNemarExact or McNemarChiSquare.
	Method string `json:"method"`
	// Statistic is the chi-square value (1 degree of freedom) for the
	// chi-square method, and min(OnlyA, OnlyB) for the exact one.
	Statistic float64 `json:"statistic"`
	// P is the two-sided p-value: the probability, if both classifiers had
	// the same error rate, of a split of the discordant pairs at least as
	// lopsided as the one seen.
	P float64 `json:"p_value"`
}

// McNemar tests whether two classifiers differ, given how many examples
// only A got right (onlyA) and only B got right (onlyB). Under the null
// hypothesis each discordant example is equally likely to favour either, so
// onlyA ~ Binomial(onlyA+onlyB, 1/2). Below McNemarExactBelow discordant
// pairs the two-sided binomial p-value is exact; from there on it is the
// chi-square statistic (|b − c| − 1)² / (b + c) with Edwards' continuity
// correction (floored at 0, so equal counts give p = 1).
func McNemar(onlyA, onlyB int) McNemarResult {
	r := McNemarResult{OnlyA: onlyA, OnlyB: onlyB}
	n := onlyA + onlyB
	switch {
	case n == 0:
		r.Method, r.P = McNemarExact, 1
	case n < McNemarExactBelow:
		k := min(onlyA, onlyB)
		r.Method, r.Statistic = McNemarExact, float64(k)
		r.P = min(1, 2*binomialCDFHalf(k, n))
	default:
		d := math.Max(0, math.Abs(float64(onlyA-onlyB))-1)
		r.Method = McNemarChiSquare
		r.Statistic = d * d / float64(n)
		// The upper tail of chi-square with one degree of freedom.
		r.P = math.Erfc(math.Sqrt(r.Statistic / 2))
	}
	return r
}

// binomialCDFHalf returns P(X ≤ k) for X ~ Binomial(n, 1/2), summing the
// terms in log space so that large n neither overflows nor underflows.
func binomialCDFHalf(k, n int) float64 {
	lgN, _ := math.Lgamma(float64(n + 1))
	var sum float64
	for i := 0; i <= k; i++ {
		a, _ := math.Lgamma(float64(i + 1))
		b, _ := math.Lgamma(float64(n - i + 1))
		sum += math.Exp(lgN - a - b - float64(n)*math.Ln2)
	}
	return sum
}
