package metrics

import "math"

// RegressionReport scores predicted numbers against the true ones.
type RegressionReport struct {
	N    int     `json:"n"`
	RMSE float64 `json:"rmse"` // root mean squared error
	MAE  float64 `json:"mae"`  // mean absolute error
	// R2 is the coefficient of determination 1 − SS_res/SS_tot: 1 for a
	// perfect fit, 0 for always predicting the mean. For a constant truth
	// it is 1 when every prediction is exact and 0 otherwise, as
	// scikit-learn's r2_score defines it.
	R2 float64 `json:"r2"`
}

// Regression scores predicted against truth (same length).
func Regression(truth, predicted []float64) RegressionReport {
	r := RegressionReport{N: len(truth)}
	if r.N == 0 {
		return r
	}
	var mean float64
	for _, t := range truth {
		mean += t
	}
	mean /= float64(r.N)
	var ssRes, ssTot, abs float64
	for i, t := range truth {
		e := predicted[i] - t
		ssRes += e * e
		abs += math.Abs(e)
		ssTot += (t - mean) * (t - mean)
	}
	r.RMSE = math.Sqrt(ssRes / float64(r.N))
	r.MAE = abs / float64(r.N)
	switch {
	case ssTot > 0:
		r.R2 = 1 - ssRes/ssTot
	case ssRes == 0:
		r.R2 = 1
	}
	return r
}
