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
	// Confusion[i][j] counts examples of true class Labels[i] predicted as
	// Labels[j] (of class i as j when Labels is nil).
	Confusion [][]int `json:"confusion_matrix"`
	// Labels are the classes the rows and columns of Confusion stand for,
	// in class order; nil when they are all k classes (see
	// MaxMatrixClasses). Confusion is nil when there are too many of
	// them even so.
	Labels []int `json:"-"`
}

// MaxMatrixClasses is the most classes a confusion matrix has rows for. A
// report on more classes than that (extreme classification: a model of
// 100,000 labels would need an 80 GB matrix) has a matrix of the classes
// present in the truth or the predictions, which are the classes macro-F1
// averages over, and none at all when even those are more: its cost
// follows the examples, not the model.
const MaxMatrixClasses = 1000

// Classification scores predicted against true class indices in [0, k).
//
// Macro-F1 averages the F1 of the classes present in the truth or the
// predictions (scikit-learn's f1_score(average="macro") over the labels it
// sees); a class with no predictions has precision 0.
func Classification(truth, predicted []int, k int) Report {
	r := Report{N: len(truth), Classes: make([]ClassScore, k)}
	tp, predN, trueN := make([]int, k), make([]int, k), make([]int, k)
	correct := 0
	for i, t := range truth {
		p := predicted[i]
		trueN[t]++
		predN[p]++
		if t == p {
			tp[t]++
			correct++
		}
	}
	if r.N > 0 {
		r.Accuracy = float64(correct) / float64(r.N)
	}
	present := 0
	for c := range k {
		s := classScore(tp[c], predN[c], trueN[c])
		r.Classes[c] = s
		if predN[c] > 0 || trueN[c] > 0 {
			present++
			r.MacroF1 += s.F1
		}
		r.WeightedF1 += s.F1 * float64(trueN[c])
	}
	if present > 0 {
		r.MacroF1 /= float64(present)
	}
	if r.N > 0 {
		r.WeightedF1 /= float64(r.N)
	}

	// The confusion matrix: of every class, or of those present.
	row := make([]int, k) // class -> its row and column
	for c := range row {
		row[c] = c
	}
	if k > MaxMatrixClasses {
		r.Labels = make([]int, 0, present)
		for c := range k {
			row[c] = -1
			if predN[c] > 0 || trueN[c] > 0 {
				row[c] = len(r.Labels)
				r.Labels = append(r.Labels, c)
			}
		}
		if present > MaxMatrixClasses {
			return r
		}
	}
	m := k
	if r.Labels != nil {
		m = len(r.Labels)
	}
	r.Confusion = make([][]int, m)
	for i := range r.Confusion {
		r.Confusion[i] = make([]int, m)
	}
	for i, t := range truth {
		r.Confusion[row[t]][row[predicted[i]]]++
	}
	return r
}

// classScore is one class's precision, recall and F1 from its true
// positives, its predicted and its actual counts (0 where undefined, as
// scikit-learn's zero_division=0), for single- and multi-label reports.
func classScore(tp, predicted, actual int) ClassScore {
	s := ClassScore{Support: actual}
	if predicted > 0 {
		s.Precision = float64(tp) / float64(predicted)
	}
	if actual > 0 {
		s.Recall = float64(tp) / float64(actual)
	}
	if s.Precision+s.Recall > 0 {
		s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
	}
	return s
}
