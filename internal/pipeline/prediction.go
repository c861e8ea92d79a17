package pipeline

import (
	"encoding/json"
	"strconv"

	"github.com/dlc-dev/dlc/internal/model"
)

// Prediction is a classifier's answer to one input as `dlc predict
// --format json` writes it and `dlc serve` answers it: the same fields and
// the same numbers, so that a script can move from one to the other.
type Prediction struct {
	Label       string             `json:"label"`
	Probability float64            `json:"probability"`
	Scores      map[string]float64 `json:"scores"`
	TopK        []LabelScore       `json:"top_k,omitempty"`
	// Explain is there (possibly empty) when explanations were asked for.
	Explain *[]TokenEffect `json:"explain,omitempty"`
}

// LabelScore is one of a Prediction's top-k labels.
type LabelScore struct {
	Label       string  `json:"label"`
	Probability float64 `json:"probability"`
}

// Prediction returns a classifier's answer with its labels: the decision,
// every label's score, the topK best labels when topK > 1, and the
// explaining tokens when explain is set. It copies what it keeps, so it
// outlives the Predictor's next answer.
func (a *Answer) Prediction(labels []string, topK int, explain bool) Prediction {
	// Full precision: rounded, 52 probabilities no longer sum to 1.
	best := a.Order[0]
	p := Prediction{Label: labels[best], Probability: a.Scores[best], Scores: make(map[string]float64, len(labels))}
	if explain {
		effects := append([]TokenEffect{}, a.Effects...)
		p.Explain = &effects
	}
	for i, l := range labels {
		p.Scores[l] = a.Scores[i]
	}
	if topK > 1 {
		p.TopK = make([]LabelScore, 0, topK)
		for _, c := range a.Order[:topK] {
			p.TopK = append(p.TopK, LabelScore{labels[c], a.Scores[c]})
		}
	}
	return p
}

// AppendJSON appends the answer of m to dst as one JSON object, without a
// line break: a classifier's Prediction, or a regression's {"value": x}.
// It fails only on a score that JSON cannot hold (an infinite margin).
func (a *Answer) AppendJSON(dst []byte, m *model.Model, topK int, explain bool) ([]byte, error) {
	if m.Net.Spec().Regression {
		return append(strconv.AppendFloat(append(dst, `{"value":`...), a.Value, 'g', -1, 64), '}'), nil
	}
	b, err := json.Marshal(a.Prediction(m.Labels, topK, explain))
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}
