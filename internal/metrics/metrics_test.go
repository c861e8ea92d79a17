package metrics

import (
	"math"
	"reflect"
	"runtime"
	"slices"
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

// TestClassificationManyClasses: past MaxMatrixClasses classes, the
// confusion matrix covers the classes present in the truth or the
// predictions (those macro-F1 averages over), and is left out when even
// those are too many: its cost follows the examples, not the model (a
// model of 100,000 labels made evaluate allocate 80 GB).
func TestClassificationManyClasses(t *testing.T) {
	const k = 5000
	truth := []int{7, 7, 4000, 12, 4999, 7}
	pred := []int{7, 12, 4000, 12, 3, 4999}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r := Classification(truth, pred, k)
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("a report on %d examples of %d classes allocated %d KiB", len(truth), k, grew>>10)
	}
	present := []int{3, 7, 12, 4000, 4999}
	if !slices.Equal(r.Labels, present) {
		t.Fatalf("the matrix covers %v, want %v", r.Labels, present)
	}
	// The same report as on the present classes alone, renumbered.
	index := map[int]int{}
	for i, c := range present {
		index[c] = i
	}
	var t2, p2 []int
	for i := range truth {
		t2, p2 = append(t2, index[truth[i]]), append(p2, index[pred[i]])
	}
	small := Classification(t2, p2, len(present))
	if !reflect.DeepEqual(r.Confusion, small.Confusion) || r.Accuracy != small.Accuracy || r.MacroF1 != small.MacroF1 || r.WeightedF1 != small.WeightedF1 {
		t.Errorf("got %v %v %v %v\nwant %v %v %v %v", r.Confusion, r.Accuracy, r.MacroF1, r.WeightedF1, small.Confusion, small.Accuracy, small.MacroF1, small.WeightedF1)
	}
	for i, c := range present {
		if r.Classes[c] != small.Classes[i] {
			t.Errorf("class %d: %+v, want %+v", c, r.Classes[c], small.Classes[i])
		}
	}
	if small.Labels != nil || len(small.Confusion) != len(present) {
		t.Errorf("a report of %d classes has labels %v and %d rows", len(present), small.Labels, len(small.Confusion))
	}

	// More classes present than a matrix is made for: none.
	truth, pred = nil, nil
	for i := range MaxMatrixClasses + 1 {
		truth, pred = append(truth, i), append(pred, i)
	}
	r = Classification(truth, pred, k)
	if r.Confusion != nil || len(r.Labels) != MaxMatrixClasses+1 || r.Accuracy != 1 || r.MacroF1 != 1 {
		t.Errorf("%d classes present: %d matrix rows, %d labels, accuracy %v, macro-F1 %v", MaxMatrixClasses+1, len(r.Confusion), len(r.Labels), r.Accuracy, r.MacroF1)
	}
}
