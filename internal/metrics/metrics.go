// Package metrics scores predictions against the truth: accuracy, the
// confusion matrix, per-class precision, recall and F1, and their macro and
// weighted averages, defined as scikit-learn defines them so the numbers can
// be compared with its reports.
package metrics

// ClassScore is one class's row of a classification report.
type ClassScore struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
}

// Report is a classification report.
type Report struct {
	N          int          `json:"n"`
	Accuracy   float64      `json:"accuracy"`
	MacroF1    float64      `json:"macro_f1"`
	WeightedF1 float64      `json:"weighted_f1"`
	Classes    []ClassScore `json:"-"` // index = class
	// Confusion[t][p] counts examples of true class t predicted as p.
	Confusion [][]int `json:"confusion_matrix"`
}

// Classification scores predicted against true class indices in [0, k).
//
// Macro-F1 averages the F1 of the classes present in the truth or the
// predictions (scikit-learn's f1_score(average="macro") over the labels it
// sees); a class with no predictions has precision 0.
func Classification(truth, predicted []int, k int) Report {
	r := Report{N: len(truth), Confusion: make([][]int, k), Classes: make([]ClassScore, k)}
	for i := range r.Confusion {
		r.Confusion[i] = make([]int, k)
	}
	correct := 0
	for i, t := range truth {
		p := predicted[i]
		r.Confusion[t][p]++
		if t == p {
			correct++
		}
	}
	if r.N > 0 {
		r.Accuracy = float64(correct) / float64(r.N)
	}
	present := 0
	for c := range k {
		tp := r.Confusion[c][c]
		var predN, trueN int
		for o := range k {
			predN += r.Confusion[o][c]
			trueN += r.Confusion[c][o]
		}
		s := ClassScore{Support: trueN}
		if predN > 0 {
			s.Precision = float64(tp) / float64(predN)
		}
		if trueN > 0 {
			s.Recall = float64(tp) / float64(trueN)
		}
		if s.Precision+s.Recall > 0 {
			s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
		}
		r.Classes[c] = s
		if predN > 0 || trueN > 0 {
			present++
			r.MacroF1 += s.F1
		}
		r.WeightedF1 += s.F1 * float64(trueN)
	}
	if present > 0 {
		r.MacroF1 /= float64(present)
	}
	if r.N > 0 {
		r.WeightedF1 /= float64(r.N)
	}
	return r
}
