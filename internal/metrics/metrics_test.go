package metrics

import (
	"math"
	"testing"
)

// Worked by hand: class 0 has P = R = 2/3; class 1 P = 1/3, R = 1/2, F1 = 0.4;
// class 2 P = 3/4, R = 3/5, F1 = 2/3. Macro-F1 = (2/3 + 0.4 + 2/3) / 3 over the
// three classes seen; weighted-F1 = (3·2/3 + 2·0.4 + 5·2/3) / 10.
func TestClassificationMatchesScikitLearn(t *testing.T) {
	truth := []int{0, 0, 0, 1, 1, 2, 2, 2, 2, 2}
	pred := []int{0, 1, 0, 1, 2, 2, 2, 0, 2, 1}
	r := Classification(truth, pred, 4) // class 3 never occurs: it must not dilute macro-F1
	if r.Accuracy != 0.6 {
		t.Errorf("accuracy = %v, want 0.6", r.Accuracy)
	}
	if math.Abs(r.MacroF1-(2.0/3+0.4+2.0/3)/3) > 1e-12 {
		t.Errorf("macro F1 = %v, want %v", r.MacroF1, (2.0/3+0.4+2.0/3)/3)
	}
	if math.Abs(r.WeightedF1-(3*2.0/3+2*0.4+5*2.0/3)/10) > 1e-12 {
		t.Errorf("weighted F1 = %v, want %v", r.WeightedF1, (3*2.0/3+2*0.4+5*2.0/3)/10)
	}
	if r.Confusion[2][0] != 1 || r.Confusion[0][1] != 1 || r.Classes[2].Support != 5 {
		t.Errorf("confusion matrix %v, class 2 support %d", r.Confusion, r.Classes[2].Support)
	}
}
