package metrics

import (
	"math"
	"testing"
)

func TestRegression(t *testing.T) {
	// scikit-learn: mean_squared_error(..)**0.5, mean_absolute_error, r2_score
	// on y = [3, -0.5, 2, 7], ŷ = [2.5, 0.0, 2, 8] give 0.6123724, 0.5, 0.9486081.
	r := Regression([]float64{3, -0.5, 2, 7}, []float64{2.5, 0.0, 2, 8})
	if r.N != 4 || math.Abs(r.RMSE-0.6123724356957945) > 1e-12 || r.MAE != 0.5 || math.Abs(r.R2-0.9486081370449679) > 1e-12 {
		t.Errorf("got %+v", r)
	}
	if r := Regression([]float64{1, 1}, []float64{1, 1}); r.R2 != 1 || r.RMSE != 0 {
		t.Errorf("perfect fit of a constant: %+v", r)
	}
	if r := Regression([]float64{1, 1}, []float64{1, 2}); r.R2 != 0 {
		t.Errorf("imperfect fit of a constant: %+v", r)
	}
	if r := Regression(nil, nil); r.N != 0 {
		t.Errorf("empty: %+v", r)
	}
}
