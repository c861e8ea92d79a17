package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/testenv"
)

// trainTopicsTest trains testdata/topics, test split included, with the
// given --set overrides.
func trainTopicsTest(t *testing.T, sets ...string) (*model.Model, *Result) {
	t.Helper()
	dir := filepath.Join(testenv.Root(t), "testdata", "topics")
	sets = append([]string{"data.train=" + filepath.Join(dir, "train.jsonl"), "data.test=" + filepath.Join(dir, "test.jsonl")}, sets...)
	m, res, _ := trainFile(t, filepath.Join(dir, "topics.yaml"), sets...)
	return m, res
}

func encodeModel(t *testing.T, m *model.Model) []byte {
	t.Helper()
	b, err := model.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEnsembleSameBytes: an ensemble's members come from seeds derived
// from training.seed, so the same config gives the same model file, on
// one core as on two (members then train one at a time), and another
// seed gives other members.
func TestEnsembleSameBytes(t *testing.T) {
	m, _ := trainTopicsTest(t, "model.ensemble=3")
	if len(m.Members) != 3 || m.Members[0] != m.Net || len(m.Record.MemberSeeds) != 3 {
		t.Fatalf("ensemble of 3: %d members, seeds %v", len(m.Members), m.Record.MemberSeeds)
	}
	s := m.Record.MemberSeeds
	if s[0] != 1 || s[1] == s[2] || s[1] == 1 {
		t.Fatalf("member seeds %v: want 1 (training.seed) and two others", s)
	}
	if slices.Equal(m.Members[1].Params()[:10], m.Members[2].Params()[:10]) {
		t.Fatal("two members have the same weights")
	}
	first := encodeModel(t, m)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	again, _ := trainTopicsTest(t, "model.ensemble=3")
	if !bytes.Equal(first, encodeModel(t, again)) {
		t.Fatal("the same config on one core gave another model file")
	}
	other, _ := trainTopicsTest(t, "model.ensemble=3", "training.seed=2")
	if other.Record.MemberSeeds[1] == s[1] || other.Record.MemberSeeds[1] == s[2] {
		t.Fatalf("seeds 1 and 2 share a member seed: %v and %v", s, other.Record.MemberSeeds)
	}
	back, err := model.Decode(first)
	if err != nil {
		t.Fatal(err)
	}
	// Version 5: its four topics are calibrated by a monotone map.
	if model.Version(back) != 5 || len(back.Members) != 3 || !bytes.Equal(first, encodeModel(t, back)) {
		t.Fatalf("decoded ensemble: version %d, %d members, or other bytes", model.Version(back), len(back.Members))
	}
}

// TestEnsembleAnswersTheMean: an ensemble answers with the mean of its
// members' calibrated probabilities, and scores (evaluate) what it answers.
func TestEnsembleAnswersTheMean(t *testing.T) {
	m, res := trainTopicsTest(t, "model.ensemble=3")
	if m.Calibration == nil {
		t.Fatal("the ensemble is not calibrated")
	}
	if !strings.Contains(m.Calibration.Fitted, "each scored by one of the 3 networks") {
		t.Fatalf("calibration fitted on %q", m.Calibration.Fitted)
	}
	texts := []string{"Dividend shr profit company.", "Wheat corn harvest farm.", "Barrel opec refinery."}
	p := NewPredictor(m, PredictOptions{})
	var singles []*Predictor
	for _, net := range m.Members {
		one := *m
		one.Net, one.Members = net, nil
		singles = append(singles, NewPredictor(&one, PredictOptions{}))
	}
	for _, text := range texts {
		a, err := p.Predict(text)
		if err != nil {
			t.Fatal(err)
		}
		got := append([]float64(nil), a.Scores...)
		mean := make([]float64, len(got))
		for _, s := range singles {
			b, _ := s.Predict(text)
			for j, v := range b.Scores {
				mean[j] += v / float64(len(singles))
			}
		}
		for j := range got {
			if math.Abs(got[j]-mean[j]) > 1e-12 {
				t.Fatalf("%q: the ensemble answers %v, the mean of its members %v", text, got, mean)
			}
		}
	}
	d, err := Read(context.Background(), m.Config, "")
	if err != nil {
		t.Fatal(err)
	}
	// Of the test texts, Read takes the labels; their texts are left for
	// the fitted vectorizer.
	if _, ok := d.Test.Streamed.Value.(*laterText); !ok {
		t.Fatal("Read read the test texts of a counted training split before the fit")
	}
	if err := d.ReadRest(m.Vectorizer); err != nil {
		t.Fatal(err)
	}
	s, err := Score(m, d.Test)
	if err != nil {
		t.Fatal(err)
	}
	if s.Report.Accuracy != res.Test.Report.Accuracy {
		t.Fatalf("Score %v, training's test score %v", s.Report.Accuracy, res.Test.Report.Accuracy)
	}
	// Their texts, kept, for predict.
	test, err := readSplit(m.Config, d.Paths.Test, "")
	if err != nil || test.Len() != d.Test.Len() || len(test.Texts) != test.Len() {
		t.Fatalf("the test texts read again: %v", err)
	}
	i := 0
	err = p.PredictTexts(test.Texts, func(a *Answer) error {
		if a.Order[0] != s.Predicted[i] {
			return fmt.Errorf("text %d: predict says %d, evaluate %d", i, a.Order[0], s.Predicted[i])
		}
		i++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestEnsembleWithoutCalibration: uncalibrated members train on every
// example and the ensemble averages their outputs.
func TestEnsembleWithoutCalibration(t *testing.T) {
	var parts []*MemberPart
	dir := filepath.Join(testenv.Root(t), "testdata", "topics")
	cfg, err := config.Load(filepath.Join(dir, "topics.yaml"), []string{"data.train=" + filepath.Join(dir, "train.jsonl"), "data.test=", "model.ensemble=2", "calibration.method=none"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := Read(context.Background(), cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := Train(context.Background(), cfg, d, Hooks{Member: func(p *MemberPart) {
		c := *p
		c.Trained = append([]int(nil), p.Trained...)
		parts = append(parts, &c)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Calibration != nil || len(parts) != 2 {
		t.Fatalf("calibration %v, %d members told", m.Calibration, len(parts))
	}
	for _, p := range parts {
		if len(p.Trained) != d.Train.Len() || len(p.Held) != 0 {
			t.Fatalf("member %d trained on %d of %d examples, held %d", p.Member, len(p.Trained), d.Train.Len(), len(p.Held))
		}
	}
	if got := ProbabilitiesAre(m); got != "not calibrated: the mean of the 2 networks' softmax outputs" {
		t.Fatalf("ProbabilitiesAre = %q", got)
	}
}

// TestEnsembleInterrupted: a run cancelled during training keeps the
// members that made an update, uncalibrated.
func TestEnsembleInterrupted(t *testing.T) {
	dir := filepath.Join(testenv.Root(t), "testdata", "topics")
	cfg, err := config.Load(filepath.Join(dir, "topics.yaml"), []string{"data.train=" + filepath.Join(dir, "train.jsonl"), "data.test=", "model.ensemble=2", "training.epochs=50"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := Read(context.Background(), cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m, res, err := Train(ctx, cfg, d, Hooks{Epoch: func(st *gd.EpochStats) error {
		if st.Epoch == 2 {
			cancel()
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || m.Calibration != nil || len(m.Networks()) == 0 {
		t.Fatalf("interrupted %v, calibration %v, %d networks", res.Interrupted, m.Calibration, len(m.Networks()))
	}
	if _, err := model.Encode(m); err != nil {
		t.Fatal(err)
	}
}

// writeNoSpaces writes n sentences in a script written without spaces:
// each of two labels has its own few marker characters, set among random
// filler characters, so that no two sentences are the same string.
func writeNoSpaces(t *testing.T, path string, n int, rng *rand.Rand) {
	t.Helper()
	filler := []rune("的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年")
	markers := [][]rune{[]rune("猫狗鱼鸟"), []rune("山河海湖")}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for i := range n {
		label := i % 2
		var s []rune
		for range 12 + rng.IntN(10) {
			s = append(s, filler[rng.IntN(len(filler))])
		}
		for range 2 {
			m := markers[label][rng.IntN(len(markers[label]))]
			at := rng.IntN(len(s) + 1)
			s = append(s[:at], append([]rune{m}, s[at:]...)...)
		}
		enc.Encode(map[string]string{"text": string(s) + "。", "label": fmt.Sprint("label", label)})
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCharNGramsLearnWithoutSpaces: on Chinese text, which has no spaces,
// each sentence is one word token, never seen again at test time, so a
// word model is left at chance; character n-grams learn the task.
func TestCharNGramsLearnWithoutSpaces(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(22, 1))
	train, test := filepath.Join(dir, "train.jsonl"), filepath.Join(dir, "test.jsonl")
	writeNoSpaces(t, train, 400, rng)
	writeNoSpaces(t, test, 200, rng)
	run := func(sets ...string) float64 {
		sets = append([]string{"data.train=" + train, "data.test=" + test, "model.layers=[]", "training.epochs=20", "training.batch_size=16", "optimizer.learning_rate=0.01"}, sets...)
		_, res, _ := trainConfig(t, sets...)
		return res.Test.Report.Accuracy
	}
	words := run()
	chars := run("vectorizer.char_ngrams=[1, 2]")
	t.Logf("words %.3f, characters %.3f", words, chars)
	if words > 0.6 || chars < 0.95 {
		t.Fatalf("test accuracy with word tokens %.3f (want chance), with character n-grams %.3f (want ≥ 0.95)", words, chars)
	}
}

// TestTopFeaturesOfWeighedAndEnsembleModels: a one-layer model's weights
// are its features' pushes only for one network fed the value 1; with the
// naive-Bayes weighting or an ensemble, Top measures each feature alone,
// and what it reports is what predicting that feature alone gives.
func TestTopFeaturesOfWeighedAndEnsembleModels(t *testing.T) {
	for _, sets := range [][]string{
		{"model.layers=[]", "vectorizer.weighting=nb"},
		{"model.layers=[]", "vectorizer.weighting=nb", "vectorizer.mode=tf_idf"},
		{"model.layers=[]", "model.ensemble=2"},
	} {
		m, _ := trainTopicsTest(t, append(sets, "training.epochs=3")...)
		top, err := Top(m, 2)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(top.Method, "the change in the label's probability") {
			t.Fatalf("%v: method %q", sets, top.Method)
		}
		p := NewPredictor(m, PredictOptions{})
		a, _ := p.Predict("")
		empty := slices.Clone(a.Scores)
		for k, lf := range top.Labels {
			for _, f := range lf.Features {
				a, _ := p.Predict(f.Feature)
				if want := a.Scores[k] - empty[k]; math.Abs(f.Weight-want) > 1e-12 {
					t.Errorf("%v: %s: %s pushes %v, predicting it alone gives %v", sets, lf.Label, f.Feature, f.Weight, want)
				}
			}
		}
	}
}

// TestContinueRefusesEnsembles: --init continues one network; an
// ensemble's members are trained together from derived seeds, so neither
// continuing one nor growing one into several is done.
func TestContinueRefusesEnsembles(t *testing.T) {
	dir := filepath.Join(testenv.Root(t), "testdata", "topics")
	load := func(sets ...string) (*config.Config, *Data) {
		cfg, err := config.Load(filepath.Join(dir, "topics.yaml"), append([]string{"data.train=" + filepath.Join(dir, "train.jsonl"), "data.test=", "training.epochs=1", "calibration.method=none"}, sets...))
		if err != nil {
			t.Fatal(err)
		}
		d, err := Read(context.Background(), cfg, "")
		if err != nil {
			t.Fatal(err)
		}
		return cfg, d
	}
	cfg, d := load("model.ensemble=2")
	ens, _, err := Train(context.Background(), cfg, d, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	one, d1 := load()
	_, _, err = Continue(context.Background(), one, d1, ens, Hooks{})
	if err == nil || err.Error() != "--init continues one network, and the model to continue from is an ensemble of 2; train a new ensemble without --init" {
		t.Errorf("continuing an ensemble: %v", err)
	}
	single, _, err := Train(context.Background(), one, d1, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = Continue(context.Background(), cfg, d, single, Hooks{})
	if err == nil || !strings.HasSuffix(err.Error(), "model.ensemble 2 trains new networks, and --init continues one; set model.ensemble 1 or train without --init") {
		t.Errorf("continuing into an ensemble: %v", err)
	}
}

// TestMultiLabelEnsemble: a multi-label ensemble's members are each
// trained without one share of the training split; the one temperature
// and the thresholds are fitted on the members' pooled scores of the
// shares they held out; the model answers each label with the mean of the
// members' calibrated probabilities and gives the labels at or above
// their thresholds; evaluate scores what predict answers; the same config
// gives the same file.
func TestMultiLabelEnsemble(t *testing.T) {
	dir := filepath.Join(testenv.Root(t), "testdata", "multilabel")
	load := func() (*config.Config, *Data) {
		cfg, err := config.Load(filepath.Join(dir, "multilabel.yaml"), []string{"data.train=" + filepath.Join(dir, "train.jsonl"),
			"data.test=" + filepath.Join(dir, "test.jsonl"), "model.ensemble=3"})
		if err != nil {
			t.Fatal(err)
		}
		d, err := Read(context.Background(), cfg, "")
		if err != nil {
			t.Fatal(err)
		}
		return cfg, d
	}
	cfg, d := load()
	var parts []*MemberPart
	m, res, err := Train(context.Background(), cfg, d, Hooks{Member: func(p *MemberPart) {
		c := *p
		c.Held = append([]int(nil), p.Held...)
		parts = append(parts, &c)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !m.MultiLabel() || len(m.Members) != 3 || m.Calibration == nil || m.Thresholds == nil || m.Thresholds.Values == nil {
		t.Fatalf("multi-label %v, %d members, calibration %v, thresholds %+v", m.MultiLabel(), len(m.Members), m.Calibration, m.Thresholds)
	}
	held := 0
	seen := map[int]bool{}
	for _, p := range parts {
		if len(p.Held) == 0 {
			t.Fatalf("member %d held nothing out", p.Member)
		}
		for _, r := range p.Held {
			if seen[r] {
				t.Fatalf("example %d held out of two members", r)
			}
			seen[r] = true
		}
		held += len(p.Held)
	}
	want := fmt.Sprintf("%d training examples, each scored by one of the 3 networks, trained without it", held)
	if m.Calibration.Fitted != want || m.Thresholds.Fitted != want {
		t.Fatalf("calibration fitted on %q, thresholds on %q; want %q", m.Calibration.Fitted, m.Thresholds.Fitted, want)
	}

	p := NewPredictor(m, PredictOptions{})
	var singles []*Predictor
	for _, net := range m.Members {
		one := *m
		one.Net, one.Members = net, nil
		singles = append(singles, NewPredictor(&one, PredictOptions{}))
	}
	i := 0
	s, err := Score(m, d.Test)
	if err != nil {
		t.Fatal(err)
	}
	if s.Multi.MicroF1 != res.Test.Multi.MicroF1 || s.Multi.MicroF1 < 0.95 {
		t.Fatalf("Score's micro-F1 %v, training's test score %v (want at least 0.95)", s.Multi.MicroF1, res.Test.Multi.MicroF1)
	}
	err = p.PredictTexts(d.Test.Texts, func(a *Answer) error {
		mean := make([]float64, len(a.Scores))
		for _, one := range singles {
			b, err := one.Predict(d.Test.Texts[i])
			if err != nil {
				return err
			}
			for j, v := range b.Scores {
				mean[j] += v / float64(len(singles))
			}
		}
		for j := range mean {
			if math.Abs(a.Scores[j]-mean[j]) > 1e-12 {
				return fmt.Errorf("text %d: the ensemble answers %v, the mean of its members %v", i, a.Scores, mean)
			}
		}
		if got := m.Thresholds.Decide(mean, nil); !slices.Equal(a.Labels, got) || !slices.Equal(a.Labels, s.Sets[i]) {
			return fmt.Errorf("text %d: predict gives %v, the thresholds of the mean %v, evaluate %v", i, a.Labels, got, s.Sets[i])
		}
		i++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	cfg, d = load()
	again, _, err := Train(context.Background(), cfg, d, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(encodeModel(t, m), encodeModel(t, again)) {
		t.Fatal("the same config gave another model file")
	}
}
