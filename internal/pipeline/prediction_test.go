package pipeline

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/model"
)

// PredictTexts answers a block exactly as Predict answers its texts one by
// one, whether the block is encoded on the calling goroutine (a few texts)
// or on every core (more than smallBlock), with every weighting; so does
// PredictTextsHere, which encodes any block on the calling goroutine.
func TestPredictTextsEqualsPredict(t *testing.T) {
	words := strings.Fields("oil barrel opec the merger price stake offer profit wheat grain crop earn quarter dividend")
	for _, mode := range []string{"multi_hot", "count", "tf_idf"} {
		m := trainTopics(t, "vectorizer.mode="+mode)
		// One predictor answers every block, as a server's worker does:
		// no block may see the rows of the one before.
		block := NewPredictor(m, PredictOptions{Explain: 2})
		for k, n := range []int{1, smallBlock - 1, smallBlock, smallBlock + 1, 300, 1, 300, 65, 2} {
			// The second half of the sizes again through PredictTextsHere,
			// interleaved with the first on the same predictor.
			predict := block.PredictTexts
			if k >= 5 || k%2 == 1 {
				predict = block.PredictTextsHere
			}
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
			err := predict(texts, func(a *Answer) error {
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
		{1, false, `^\{"label":"[a-z]+","probability":[0-9.e-]+,"scores":\{"acq":[0-9.e-]+,"crude":[0-9.e-]+,"earn":[0-9.e-]+,"grain":[0-9.e-]+\},"raw_scores":\{"acq":[0-9.e-]+,"crude":[0-9.e-]+,"earn":[0-9.e-]+,"grain":[0-9.e-]+\}\}$`},
		{2, false, `^\{"label":"[a-z]+","probability":[0-9.e-]+,"scores":\{[^}]+\},"raw_scores":\{[^}]+\},"top_k":\[\{"label":"[a-z]+","probability":[0-9.e-]+\},\{"label":"[a-z]+","probability":[0-9.e-]+\}\]\}$`},
		{1, true, `^\{"label":"[a-z]+","probability":[0-9.e-]+,"scores":\{[^}]+\},"raw_scores":\{[^}]+\},"explain":\[\]\}$`},
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
	// JSON has no infinity: an overflowed value is null, still valid JSON.
	for _, v := range []float64{math.Inf(1), math.Inf(-1), math.NaN()} {
		b, err := (&Answer{Value: v}).AppendJSON(nil, m, 1, false)
		if err != nil || string(b) != `{"value":null}` || !json.Valid(b) {
			t.Errorf("value %v: %s, %v; want {\"value\":null}", v, b, err)
		}
	}
}

// marshal is what AppendJSON writes for a classifier by definition:
// encoding/json's bytes of the Prediction.
func marshal(a *Answer, labels []string, topK int, explain bool) (string, error) {
	b, err := json.Marshal(a.Prediction(labels, topK, explain))
	return string(b), err
}

// classifier is a model of labels, enough for AppendJSON: a network that
// is a classifier, and its labels.
func classifier(t testing.TB, labels []string) *model.Model {
	net, err := mlp.New(mlp.Spec{Inputs: 2, Outputs: len(labels), Output: mlp.Softmax, Loss: mlp.CategoricalCrossEntropy}, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	return &model.Model{Net: net, Labels: labels}
}

// answerOf makes an answer of scores, ordered as a Predictor orders them.
func answerOf(scores []float64, effects []TokenEffect) *Answer {
	a := &Answer{Scores: scores, Effects: effects}
	for i := range scores {
		a.Order = append(a.Order, i)
	}
	slices.SortStableFunc(a.Order, func(i, j int) int {
		switch {
		case scores[i] > scores[j]:
			return -1
		case scores[i] < scores[j]:
			return 1
		}
		return 0
	})
	return a
}

// The fast path writes encoding/json's bytes for numbers in every format
// (exponents both ways, the cut-offs, negative zero, subnormals) and every
// kind of string, and leaves to encoding/json what it would escape.
func TestAppendJSONIsMarshal(t *testing.T) {
	floats := []float64{0, math.Copysign(0, -1), 1, 0.5, 1e-6, 9.99999e-7, 1e-7, 1.5e-300, 5e-324, 1e20, 1e21, 123456789012345678901234.0, -2.5e-8, 0.30000000000000004, math.MaxFloat64}
	labelSets := [][]string{
		{"neg", "pos"}, {"a b", "c\td"}, {"<b>", "x"}, {"a&b", "z"}, {"café", "naïve"}, {"\u2028", "y"}, {"\xff", "z"},
		{"pos", "neg"}, {"a", "a"}, {`q"uote`, "r"}, {`back\slash`, "s"}, {"\x7f", "~"},
	}
	tokens := []string{"good", "don't", "ünïcode", "<br", "a\u2029b", "tab\t"}
	for _, labels := range labelSets {
		m := classifier(t, labels)
		for i := range floats {
			scores := []float64{floats[i], floats[(i+5)%len(floats)]}
			for _, tok := range tokens {
				a := answerOf(scores, []TokenEffect{{tok, floats[(i+3)%len(floats)]}, {"x", -floats[i]}})
				for _, raw := range [][]float64{nil, {-scores[1], floats[(i+7)%len(floats)]}} {
					// A calibrated model's answer carries the network's own
					// scores as well.
					a.Raw = raw
					for _, topK := range []int{1, 2} {
						for _, explain := range []bool{false, true} {
							want, werr := marshal(a, labels, topK, explain)
							got, gerr := a.AppendJSON(nil, m, topK, explain)
							if string(got) != want || (werr == nil) != (gerr == nil) {
								t.Fatalf("labels %q, scores %v, raw %v, token %q: AppendJSON %s (%v), json.Marshal %s (%v)", labels, scores, raw, tok, got, gerr, want, werr)
							}
						}
					}
				}
			}
		}
	}
	// Plain labels and tokens take the fast path (what this test holds to
	// json.Marshal's bytes); the rest are json.Marshal's.
	for _, c := range []struct {
		labels []string
		token  string
		fast   bool
	}{{[]string{"neg", "pos"}, "don't", true}, {[]string{"café", "naïve"}, "ünï", true}, {[]string{"pos", "neg"}, "a", false}, {[]string{"a&b", "z"}, "a", false}, {[]string{"a", "b"}, "<br", false}} {
		a := answerOf([]float64{0.25, 0.75}, []TokenEffect{{c.token, 0.5}})
		if _, ok := a.appendPrediction(nil, c.labels, 2, true); ok != c.fast {
			t.Errorf("labels %q, token %q: fast path %v, want %v", c.labels, c.token, ok, c.fast)
		}
	}
	// Infinite and NaN scores: the same error as json.Marshal gives.
	a := answerOf([]float64{math.Inf(1), 0}, nil)
	if _, err := a.AppendJSON(nil, classifier(t, []string{"a", "b"}), 1, false); err == nil || !strings.Contains(err.Error(), "unsupported value: +Inf") {
		t.Errorf("an infinite score: %v", err)
	}
}

// FuzzAppendJSON holds the fast path to encoding/json's bytes for any
// labels, scores and explaining tokens.
func FuzzAppendJSON(f *testing.F) {
	f.Add("neg", "pos", "good", 0.25, 0.75, -0.125, uint8(2), true)
	f.Add("a<", "é", "\u2028", 1e-7, 1e21, 5e-324, uint8(1), false)
	f.Fuzz(func(t *testing.T, l1, l2, tok string, s1, s2, e float64, topK uint8, explain bool) {
		labels := []string{l1, l2}
		m := classifier(t, labels)
		a := answerOf([]float64{s1, s2}, []TokenEffect{{tok, e}})
		if topK%3 == 0 {
			a.Raw = []float64{e, -s1}
		}
		k := 1 + int(topK)%2
		want, werr := marshal(a, labels, k, explain)
		got, gerr := a.AppendJSON(nil, m, k, explain)
		if (werr == nil) != (gerr == nil) || (werr == nil && string(got) != want) {
			t.Fatalf("AppendJSON %s (%v), json.Marshal %s (%v)", got, gerr, want, werr)
		}
	})
}

// BenchmarkAppendJSON measures one answer of a two-label model written as
// predict --format json and serve write it.
func BenchmarkAppendJSON(b *testing.B) {
	m := classifier(b, []string{"neg", "pos"})
	a := answerOf([]float64{0.3476535260197853, 0.6523464739802147}, nil)
	b.ReportAllocs()
	var dst []byte
	for b.Loop() {
		dst, _ = a.AppendJSON(dst[:0], m, 1, false)
	}
}
