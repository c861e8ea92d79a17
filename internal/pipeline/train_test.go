package pipeline

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/testenv"
	"gonum.org/v1/gonum/mat"
)

// writeLinear writes n rows of x1,x2,label with y = 3 + 2·x1 − x2 + noise
// and returns them.
func writeLinear(t *testing.T, path string, n int, rng *rand.Rand) (x [][2]float64, y []float64) {
	t.Helper()
	var b strings.Builder
	b.WriteString("x1,x2,label\n")
	// The file's rounding is the data: keep what is written.
	round := func(v float64) float64 {
		r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 6, 64), 64)
		return r
	}
	for range n {
		x1, x2 := round(rng.Float64()*10-5), round(rng.Float64()*10-5)
		v := round(3 + 2*x1 - x2 + 0.5*rng.NormFloat64())
		fmt.Fprintf(&b, "%.6f,%.6f,%.6f\n", x1, x2, v)
		x = append(x, [2]float64{x1, x2})
		y = append(y, v)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return x, y
}

// TestLinearRegressionMatchesLeastSquares: configs/linear-regression.yaml
// (batch gradient descent until convergence) reaches a test RMSE within 1 %
// of the closed-form least-squares fit's, on fresh data.
func TestLinearRegressionMatchesLeastSquares(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(11, 12))
	trainPath, testPath := filepath.Join(dir, "train.csv"), filepath.Join(dir, "test.csv")
	xs, ys := writeLinear(t, trainPath, 300, rng)
	xt, yt := writeLinear(t, testPath, 300, rng)

	a := mat.NewDense(len(xs), 3, nil)
	for i, r := range xs {
		a.SetRow(i, []float64{1, r[0], r[1]})
	}
	var w mat.VecDense
	if err := w.SolveVec(a, mat.NewVecDense(len(ys), ys)); err != nil { // least squares (QR)
		t.Fatal(err)
	}
	var ss float64
	for i, r := range xt {
		e := w.AtVec(0) + w.AtVec(1)*r[0] + w.AtVec(2)*r[1] - yt[i]
		ss += e * e
	}
	closed := math.Sqrt(ss / float64(len(yt)))

	cfg, err := config.Load(filepath.Join(testenv.Root(t), "configs", "linear-regression.yaml"), []string{"data.train=" + trainPath, "data.test=" + testPath})
	if err != nil {
		t.Fatal(err)
	}
	d, err := Read(context.Background(), cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	_, res, err := Train(context.Background(), cfg, d, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stopped != gd.StopConverged {
		t.Errorf("training stopped for %q after %d epochs, want convergence", res.Stopped, len(res.History))
	}
	got := res.Test.Regression.RMSE
	if rel := math.Abs(got-closed) / closed; rel > 0.01 {
		t.Errorf("test RMSE %.6g, closed-form least squares %.6g: %.2f %% apart (limit 1 %%)", got, closed, 100*rel)
	}
	t.Logf("test RMSE: gradient descent %.6g, least squares %.6g (w = %v)", got, closed, mat.Formatted(w.T()))
}
