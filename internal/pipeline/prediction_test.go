package pipeline

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/mlp"
)

// PredictTexts answers a block exactly as Predict answers its texts one by
// one, whether the block is encoded on the calling goroutine (a few texts)
// or on every core (more than smallBlock), with every weighting.
func TestPredictTextsEqualsPredict(t *testing.T) {
	words := strings.Fields("oil barrel opec the merger price stake offer profit wheat grain crop earn quarter dividend")
	for _, mode := range []string{"multi_hot", "count", "tf_idf"} {
		m := trainTopics(t, "vectorizer.mode="+mode)
		// One predictor answers every block, as a server's worker does:
		// no block may see the rows of the one before.
		block := NewPredictor(m, PredictOptions{Explain: 2})
		for _, n := range []int{1, smallBlock - 1, smallBlock, smallBlock + 1, 300} {
			texts := make([]string, n)
			for i := range texts {
				var b strings.Builder
				for j := range i % 11 {
					b.WriteString(words[(i*7+j*3)%len(words)] + " ")
				}
				texts[i] = b.String()
			}
			one := NewPredictor(m, PredictOptions{Explain: 2})
			var want []string
			for _, text := range texts {
				a, err := one.Predict(text)
				if err != nil {
					t.Fatal(err)
				}
				b, err := a.AppendJSON(nil, m, 2, true)
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, string(b))
			}
			i := 0
			err := block.PredictTexts(texts, func(a *Answer) error {
				b, err := a.AppendJSON(nil, m, 2, true)
				if err != nil {
					return err
				}
				if string(b) != want[i] {
					t.Errorf("%s, block of %d: text %d answered %s, one by one %s", mode, n, i, b, want[i])
				}
				i++
				return nil
			})
			if err != nil || i != n {
				t.Fatalf("%s, block of %d: %d answers, error %v", mode, n, i, err)
			}
		}
	}
}

// AppendJSON writes what dlc predict --format json has always written: the
// fields in this order, every label's score at full precision, top_k only
// above 1, explain only when asked (empty, not absent, when no token
// counts).
func TestAnswerAppendJSON(t *testing.T) {
	m := trainTopics(t)
	a, err := NewPredictor(m, PredictOptions{Explain: 1}).Predict("")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		topK    int
		explain bool
		want    string
	}{
		{1, false, `^\{"label":"[a-z]+","probability":[0-9.e-]+,"scores":\{"acq":[0-9.e-]+,"crude":[0-9.e-]+,"earn":[0-9.e-]+,"grain":[0-9.e-]+\}\}$`},
		{2, false, `^\{"label":"[a-z]+","probability":[0-9.e-]+,"scores":\{[^}]+\},"top_k":\[\{"label":"[a-z]+","probability":[0-9.e-]+\},\{"label":"[a-z]+","probability":[0-9.e-]+\}\]\}$`},
		{1, true, `^\{"label":"[a-z]+","probability":[0-9.e-]+,"scores":\{[^}]+\},"explain":\[\]\}$`},
	} {
		b, err := a.AppendJSON([]byte("prefix "), m, c.topK, c.explain)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := strings.CutPrefix(string(b), "prefix ")
		if !ok {
			t.Errorf("AppendJSON dropped what dst held: %s", b)
		}
		if !regexp.MustCompile(c.want).MatchString(got) {
			t.Errorf("top-k %d, explain %v: %s, want %s", c.topK, c.explain, got, c.want)
		}
		var p Prediction
		if err := json.Unmarshal([]byte(got), &p); err != nil {
			t.Fatal(err)
		}
		if best := a.Order[0]; p.Label != m.Labels[best] || p.Probability != a.Scores[best] || p.Scores[m.Labels[best]] != a.Scores[best] {
			t.Errorf("%s does not hold the answer's decision %s %v", got, m.Labels[best], a.Scores[best])
		}
	}
}

// A regression answers {"value": x} with the shortest digits that give x
// back, as predict has always written it.
func TestRegressionAppendJSON(t *testing.T) {
	m := trainTopics(t)
	net, err := mlp.New(mlp.Spec{Inputs: 3, Outputs: 1, Output: mlp.Linear, Loss: mlp.MSE, Regression: true}, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	m.Net = net
	for _, v := range []float64{0, 1.5, -2.25e-7, 3e21} {
		a := &Answer{Value: v}
		b, err := a.AppendJSON(nil, m, 1, false)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf(`{"value":%v}`, v); string(b) != want {
			t.Errorf("value %v: %s, want %s", v, b, want)
		}
	}
}
