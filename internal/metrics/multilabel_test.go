package metrics

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/testenv"
)

// A small case worked by hand.
func TestMultiLabelByHand(t *testing.T) {
	truth := [][]int{{0, 1}, {2}, {}, {0}}
	pred := [][]int{{0}, {2, 1}, {}, {1}}
	r := MultiLabel(truth, pred, 3)
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"micro precision", r.MicroPrecision, 0.5}, {"micro recall", r.MicroRecall, 0.5}, {"micro F1", r.MicroF1, 0.5},
		{"macro precision", r.MacroPrecision, 2.0 / 3}, {"macro recall", r.MacroRecall, 0.5}, {"macro F1", r.MacroF1, (2.0/3 + 0 + 1) / 3},
		{"samples F1", r.SamplesF1, (2.0/3 + 2.0/3 + 1 + 0) / 4},
		{"subset accuracy", r.SubsetAccuracy, 0.25}, {"Hamming loss", r.HammingLoss, 4.0 / 12},
		{"true cardinality", r.TrueCardinality, 1}, {"predicted cardinality", r.PredictedCardinality, 1},
		{"F1 of label 0", r.Classes[0].F1, 2.0 / 3}, {"support of label 0", float64(r.Classes[0].Support), 2},
	} {
		if math.Abs(c.got-c.want) > 1e-12 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if r.Counts[3] != (F1Counts{TP: 0, FP: 1, FN: 1}) || MicroF1(r.Counts) != r.MicroF1 {
		t.Errorf("counts %+v", r.Counts)
	}
}

// The report agrees with scikit-learn's metrics on random label sets.
func TestMultiLabelMatchesSklearn(t *testing.T) {
	py := testenv.SklearnPython()
	if py == "" {
		t.Skip("skipping: no python3 with scikit-learn")
	}
	rng := rand.New(rand.NewPCG(1, 1))
	const n, k = 300, 7
	truth, pred := make([][]int, n), make([][]int, n)
	for i := range n {
		truth[i], pred[i] = []int{}, []int{} // JSON lists, not null
		for l := range k {
			if rng.Float64() < 0.3 {
				truth[i] = append(truth[i], l)
			}
			if rng.Float64() < 0.3 {
				pred[i] = append(pred[i], l)
			}
		}
	}
	in, _ := json.Marshal(map[string]any{"truth": truth, "pred": pred, "k": k})
	script := `
import json, sys
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.metrics import precision_recall_fscore_support as prfs, accuracy_score, hamming_loss, f1_score
d = json.load(sys.stdin)
m = MultiLabelBinarizer(classes=range(d["k"]))
y, p = m.fit_transform(d["truth"]), m.transform(d["pred"])
out = {}
for avg in ("micro", "macro"):
    pr, rc, f, _ = prfs(y, p, average=avg, zero_division=0)
    out[avg] = [pr, rc, f]
out["samples_f1"] = f1_score(y, p, average="samples", zero_division=1)
out["subset"] = accuracy_score(y, p)
out["hamming"] = hamming_loss(y, p)
print(json.dumps(out))`
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = strings.NewReader(string(in))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	var want struct {
		Micro, Macro    []float64
		SamplesF1       float64 `json:"samples_f1"`
		Subset, Hamming float64
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	r := MultiLabel(truth, pred, k)
	got := []float64{r.MicroPrecision, r.MicroRecall, r.MicroF1, r.MacroPrecision, r.MacroRecall, r.MacroF1, r.SamplesF1, r.SubsetAccuracy, r.HammingLoss}
	exp := append(append(want.Micro, want.Macro...), want.SamplesF1, want.Subset, want.Hamming)
	for i := range got {
		if math.Abs(got[i]-exp[i]) > 1e-12 {
			t.Errorf("metric %d: %v, scikit-learn says %v", i, got[i], exp[i])
		}
	}
}

// The paired randomization test: a model against itself differs in
// nothing (p = 1); against one that loses a tenth of its right labels it
// differs clearly; the same inputs and seed give the same p-value.
func TestMicroF1Randomization(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	a := make([]F1Counts, 1000)
	b := make([]F1Counts, 1000)
	for i := range a {
		a[i] = F1Counts{TP: 1 + rng.IntN(2), FP: rng.IntN(2), FN: rng.IntN(2)}
		b[i] = a[i]
		if i%10 == 0 && a[i].TP > 0 { // b misses a right label
			b[i].TP--
			b[i].FN++
		}
	}
	if r := MicroF1Randomization(a, a, 999, 1); r.P != 1 || r.Difference != 0 {
		t.Errorf("a model against itself: %+v", r)
	}
	r := MicroF1Randomization(a, b, 999, 1)
	if !(r.Difference > 0) || r.P > 0.01 {
		t.Errorf("a clearly better model: %+v", r)
	}
	if again := MicroF1Randomization(a, b, 999, 1); again != r {
		t.Errorf("the same inputs gave %+v, then %+v", r, again)
	}
	// A difference of a few examples out of a thousand is noise.
	c := append([]F1Counts(nil), a...)
	c[0].TP, c[0].FN = c[0].TP-1, c[0].FN+1
	if r := MicroF1Randomization(a, c, 999, 1); r.P < 0.5 {
		t.Errorf("one label of a thousand examples: %+v", r)
	}
}
