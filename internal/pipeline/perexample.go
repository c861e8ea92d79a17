package pipeline

import "github.com/dlc-dev/dlc/internal/model"

// ExampleScore is example i's score for the label it was given (s.Predicted),
// as predict prints it: the probability of that label for sigmoid and
// softmax outputs, its margin for linear ones; for a regression, the
// predicted number.
func ExampleScore(m *model.Model, s *Scores, i int) float64 {
	k := m.Net.Spec().Outputs
	out := s.Outputs[i*k : (i+1)*k]
	if s.Regression != nil {
		return out[0]
	}
	return classScores(m.Net, out, nil)[s.Predicted[i]]
}
