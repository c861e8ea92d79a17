package pipeline

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dlc-dev/dlc/internal/model"
)

// Prediction is a classifier's answer to one input as `dlc predict
// --format json` writes it and `dlc serve` answers it: the same fields and
// the same numbers, so that a script can move from one to the other.
type Prediction struct {
	Label       string             `json:"label"`
	Probability float64            `json:"probability"`
	Scores      map[string]float64 `json:"scores"`
	// RawScores are the network's own scores, for a calibrated model.
	RawScores map[string]float64 `json:"raw_scores,omitempty"`
	TopK      []LabelScore       `json:"top_k,omitempty"`
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
	if a.Raw != nil {
		p.RawScores = make(map[string]float64, len(labels))
		for i, l := range labels {
			p.RawScores[l] = a.Raw[i]
		}
	}
	if topK > 1 {
		p.TopK = make([]LabelScore, 0, topK)
		for _, c := range a.Order[:topK] {
			p.TopK = append(p.TopK, LabelScore{labels[c], a.Scores[c]})
		}
	}
	return p
}

// MultiPrediction is a multi-label model's answer: the labels it gives a
// text (every one at or above its threshold, most probable first; none is
// an empty list), every label's probability, the network's own scores of a
// calibrated model, the topK most probable labels whatever the thresholds
// when topK > 1, and the explaining tokens when asked for.
type MultiPrediction struct {
	Labels    []string           `json:"labels"`
	Scores    map[string]float64 `json:"scores"`
	RawScores map[string]float64 `json:"raw_scores,omitempty"`
	TopK      []LabelScore       `json:"top_k,omitempty"`
	Explain   *[]TokenEffect     `json:"explain,omitempty"`
}

// MultiPrediction returns a multi-label model's answer with its labels, as
// Prediction does a single-label model's.
func (a *Answer) MultiPrediction(labels []string, topK int, explain bool) MultiPrediction {
	p := MultiPrediction{Labels: make([]string, len(a.Labels)), Scores: make(map[string]float64, len(labels))}
	for i, c := range a.Labels {
		p.Labels[i] = labels[c]
	}
	for i, l := range labels {
		p.Scores[l] = a.Scores[i]
	}
	if a.Raw != nil {
		p.RawScores = make(map[string]float64, len(labels))
		for i, l := range labels {
			p.RawScores[l] = a.Raw[i]
		}
	}
	if topK > 1 {
		p.TopK = make([]LabelScore, 0, topK)
		for _, c := range a.Order[:topK] {
			p.TopK = append(p.TopK, LabelScore{labels[c], a.Scores[c]})
		}
	}
	if explain {
		effects := append([]TokenEffect{}, a.Effects...)
		p.Explain = &effects
	}
	return p
}

// AppendJSON appends the answer of m to dst as one JSON object, without a
// line break: a classifier's Prediction, a multi-label model's
// MultiPrediction, or a regression's {"value": x}.
// It fails only on a score that JSON cannot hold (an infinite margin).
func (a *Answer) AppendJSON(dst []byte, m *model.Model, topK int, explain bool) ([]byte, error) {
	if m.Net.Spec().Regression {
		// JSON has no infinity or NaN: a network that overflowed answers
		// null, which every reader parses, rather than +Inf, which none does.
		if !finite(a.Value) {
			return append(dst, `{"value":null}`...), nil
		}
		return append(strconv.AppendFloat(append(dst, `{"value":`...), a.Value, 'g', -1, 64), '}'), nil
	}
	if m.MultiLabel() {
		b, err := json.Marshal(a.MultiPrediction(m.Labels, topK, explain))
		if err != nil {
			return dst, err
		}
		return append(dst, b...), nil
	}
	if b, ok := a.appendPrediction(dst, m.Labels, topK, explain); ok {
		return b, nil
	}
	b, err := json.Marshal(a.Prediction(m.Labels, topK, explain))
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// appendPrediction appends the bytes json.Marshal makes of a.Prediction,
// without its reflection, maps and allocations — a large part of answering
// a short text — or reports that it cannot: labels not in the order
// json.Marshal sorts a map's keys into, a string it would escape, a number
// it refuses. TestAppendJSONIsMarshal and FuzzAppendJSON hold the two to
// the same bytes.
func (a *Answer) appendPrediction(dst []byte, labels []string, topK int, explain bool) ([]byte, bool) {
	for i, l := range labels {
		if !plainJSON(l) || (i > 0 && labels[i-1] >= l) || !finite(a.Scores[i]) || (a.Raw != nil && !finite(a.Raw[i])) {
			return dst, false
		}
	}
	if explain {
		for _, e := range a.Effects {
			if !plainJSON(e.Token) || !finite(e.Effect) {
				return dst, false
			}
		}
	}
	best := a.Order[0]
	dst = append(dst, `{"label":`...)
	dst = appendString(dst, labels[best])
	dst = append(dst, `,"probability":`...)
	dst = appendJSONFloat(dst, a.Scores[best])
	dst = append(dst, `,"scores":{`...)
	for i, l := range labels {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(appendString(dst, l), ':')
		dst = appendJSONFloat(dst, a.Scores[i])
	}
	dst = append(dst, '}')
	if a.Raw != nil {
		dst = append(dst, `,"raw_scores":{`...)
		for i, l := range labels {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(appendString(dst, l), ':')
			dst = appendJSONFloat(dst, a.Raw[i])
		}
		dst = append(dst, '}')
	}
	if topK > 1 {
		dst = append(dst, `,"top_k":[`...)
		for k, c := range a.Order[:topK] {
			if k > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"label":`...)
			dst = appendString(dst, labels[c])
			dst = append(dst, `,"probability":`...)
			dst = append(appendJSONFloat(dst, a.Scores[c]), '}')
		}
		dst = append(dst, ']')
	}
	if explain {
		dst = append(dst, `,"explain":[`...)
		for k, e := range a.Effects {
			if k > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"token":`...)
			dst = appendString(dst, e.Token)
			dst = append(dst, `,"effect":`...)
			dst = append(appendJSONFloat(dst, e.Effect), '}')
		}
		dst = append(dst, ']')
	}
	return append(dst, '}'), true
}

// plainJSON reports whether json.Marshal writes s as it is between quotes:
// valid UTF-8 holding no control character, quote, backslash, no <, > or
// & (which it escapes for HTML) and no U+2028 or U+2029 (for JavaScript).
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case b < 0x20, b == '"', b == '\\', b == '<', b == '>', b == '&':
			return false
		case b == 0xe2 && strings.HasPrefix(s[i:], "\u2028"), b == 0xe2 && strings.HasPrefix(s[i:], "\u2029"):
			return false
		}
	}
	return utf8.ValidString(s)
}

func appendString(dst []byte, s string) []byte {
	return append(append(append(dst, '"'), s...), '"')
}

func finite(x float64) bool { return !math.IsInf(x, 0) && !math.IsNaN(x) }

// appendJSONFloat formats x as encoding/json does: the shortest digits
// that give x back, in exponent form below 1e-6 and from 1e21 (as
// JavaScript does), the exponent without a leading zero.
func appendJSONFloat(dst []byte, x float64) []byte {
	format := byte('f')
	if abs := math.Abs(x); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, x, format, -1, 64)
	if n := len(dst); format == 'e' && n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
		dst[n-2] = dst[n-1] // e-07 → e-7
		dst = dst[:n-1]
	}
	return dst
}
