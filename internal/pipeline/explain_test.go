package pipeline

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/testenv"
)

// trainTopics trains the four-topic fixture (testdata/topics) with extra
// config overrides; it takes milliseconds.
func trainTopics(t *testing.T, extra ...string) *model.Model {
	t.Helper()
	dir := filepath.Join(testenv.Root(t), "testdata", "topics")
	sets := append([]string{"data.train=" + filepath.Join(dir, "train.jsonl"), "data.test="}, extra...)
	m, _, _ := trainFile(t, filepath.Join(dir, "topics.yaml"), sets...)
	return m
}

// An explanation's effects are exact occlusion: the effect of a word is the
// predicted label's probability minus its probability on the text with
// every occurrence of the word removed — for count and tf-idf rows too,
// where removing a word changes the other values (tf-idf rows are
// normalised again) — sorted by size.
func TestExplainIsOcclusion(t *testing.T) {
	text := "oil barrel opec the merger price oil the oil"
	for _, mode := range []string{"multi_hot", "count", "tf_idf"} {
		t.Run(mode, func(t *testing.T) {
			m := trainTopics(t, "vectorizer.mode="+mode)
			explained, err := NewPredictor(m, PredictOptions{Explain: 6}).Predict(text)
			if err != nil {
				t.Fatal(err)
			}
			label, p := explained.Order[0], explained.Scores[explained.Order[0]]
			effects := slices.Clone(explained.Effects)
			if len(effects) != 6 {
				t.Fatalf("explain = %v, want all 6 distinct words of %q", effects, text)
			}
			plain := NewPredictor(m, PredictOptions{})
			prev := math.Inf(1)
			for _, e := range effects {
				var rest []string
				for _, w := range strings.Fields(text) {
					if w != e.Token {
						rest = append(rest, w)
					}
				}
				a, err := plain.Predict(strings.Join(rest, " "))
				if err != nil {
					t.Fatal(err)
				}
				if want := p - a.Scores[label]; math.Abs(e.Effect-want) > 1e-6 {
					t.Errorf("effect of %q = %v, want p(%s) − p(%s | without it) = %v", e.Token, e.Effect, m.Labels[label], m.Labels[label], want)
				}
				if math.Abs(e.Effect) > prev {
					t.Errorf("effects are not sorted by size: %v", effects)
				}
				prev = math.Abs(e.Effect)
			}
		})
	}
}
