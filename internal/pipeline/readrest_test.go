package pipeline

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/testenv"
)

// TestReadRestIsTransform: of a counted training split, the validation
// texts Read leaves and the test texts it reads only the labels of get,
// once ReadRest reads them after the fit, the rows and coverage the fitted
// vectorizer gives their texts, and the rows they got when they were
// counted beside the training texts (for tf-idf, whose values depend on
// the fit, multi-hot with bigrams, and the naive-Bayes weighting, learnt
// from the training labels after the counts).
func TestReadRestIsTransform(t *testing.T) {
	dir := filepath.Join(testenv.Root(t), "testdata", "topics")
	for _, sets := range [][]string{
		{"vectorizer.mode=tf_idf"},
		{"vectorizer.ngrams=2", "vectorizer.max_tokens=300"},
		{"vectorizer.ngrams=2", "vectorizer.weighting=nb"}, // weighed by what the fit learnt from the labels
	} {
		cfg, err := config.Load(filepath.Join(dir, "topics.yaml"), append([]string{"data.validation=" + filepath.Join(dir, "test.jsonl")}, sets...))
		if err != nil {
			t.Fatal(err)
		}
		d, err := Read(context.Background(), cfg, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := d.Test.Streamed.Value.(*laterText); !ok || d.Validation != nil || len(d.later) != 1 {
			t.Fatalf("%v: Read read the test or validation texts of a counted training split (%d left)", sets, len(d.later))
		}
		f, err := Vectorize(cfg, d)
		if err != nil {
			t.Fatal(err)
		}
		kept, err := readSplit(cfg, d.Paths.Test, "")
		if err != nil {
			t.Fatal(err)
		}
		x, cov := f.Vectorizer.TransformCoverage(kept.Texts)
		counted, err := readCounted(cfg, d.Paths.Test, cfg.VectorizerOptions())
		if err != nil {
			t.Fatal(err)
		}
		cx, ccov := Encode(f.Vectorizer, counted)
		if (f.Vectorizer.NBRatio != nil) != strings.Contains(strings.Join(sets, " "), "nb") {
			t.Fatalf("%v: the vectorizer's naive-Bayes ratios are %v", sets, f.Vectorizer.NBRatio != nil)
		}
		if x.NNZ() == 0 || cov.Known == 0 {
			t.Fatalf("%v: the test texts have no known n-gram: the test proves nothing", sets)
		}
		for _, s := range f.Splits[1:] {
			if !reflect.DeepEqual(s.X, x) || s.Coverage != cov || !reflect.DeepEqual(s.X, cx) || s.Coverage != ccov {
				t.Errorf("%v: the %s rows read after the fit differ from Transform's or the counted ones (coverage %+v, %+v, %+v)", sets, s.Name, s.Coverage, cov, ccov)
			}
			if s.Examples.Fingerprint() != kept.Fingerprint() || !reflect.DeepEqual(s.Examples.Labels, kept.Labels) {
				t.Errorf("%v: the %s split read after the fit has another fingerprint or labels", sets, s.Name)
			}
		}
	}
}

// TestScoreTestReadsAgain: the test split Read took only the labels of is
// scored at the end of training batch by batch, with the very scores of
// the whole split encoded and scored at once; when the file changed in
// the meantime the model is kept, unscored, with a warning saying so.
func TestScoreTestReadsAgain(t *testing.T) {
	src := filepath.Join(testenv.Root(t), "testdata", "topics")
	dir := t.TempDir()
	test := filepath.Join(dir, "test.jsonl")
	body, err := os.ReadFile(filepath.Join(src, "test.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	// More test texts than one batch of readBatches, so that the scores
	// are joined from several.
	var many []byte
	for len(many) < 3*streamBatch*len(body)/max(1, bytes.Count(body, []byte("\n"))) {
		many = append(many, body...)
	}
	if err := os.WriteFile(test, many, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join(src, "topics.yaml"), []string{"data.test=" + test})
	if err != nil {
		t.Fatal(err)
	}
	d, err := Read(context.Background(), cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d.Test.Streamed.Value.(*laterText); !ok {
		t.Fatal("Read read the test texts: the test proves nothing")
	}
	m, res, err := Train(context.Background(), cfg, d, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	whole, err := readEncoded(fields(cfg), test, m.Vectorizer, true)
	if err != nil {
		t.Fatal(err)
	}
	if whole.Len() <= 2*streamBatch {
		t.Fatalf("%d test texts: not several batches", whole.Len())
	}
	want, _, err := scoreTest(cfg, m, whole)
	if err != nil {
		t.Fatal(err)
	}
	if res.Test == nil {
		t.Fatal("the test split was not scored")
	}
	got, wantV := reflect.ValueOf(*res.Test), reflect.ValueOf(*want)
	for i := range got.NumField() {
		if !reflect.DeepEqual(got.Field(i).Interface(), wantV.Field(i).Interface()) {
			t.Errorf("the test split scored batch by batch differs from it scored whole in %s", got.Type().Field(i).Name)
		}
	}
	if m.Record.Test == nil || *m.Record.Test.Accuracy != want.Report.Accuracy {
		t.Fatalf("the model records test %+v", m.Record.Test)
	}
	// dlc evaluate's Score takes the rows read in pieces as they are,
	// evalBatch at a time, never joined: the same scores to the bit.
	again, err := readEncoded(fields(cfg), test, m.Vectorizer, false)
	if err != nil {
		t.Fatal(err)
	}
	if again.Len() <= evalBatch {
		t.Fatalf("%d test texts: not several of Score's batches", again.Len())
	}
	piecewise, err := Score(m, again)
	if err != nil {
		t.Fatal(err)
	}
	if enc := again.Streamed.Value.(*encodedText); enc.x != nil || len(enc.pieces) < 2 {
		t.Fatal("Score joined the pieces, or there was one: the test proves nothing")
	}
	got, wantV = reflect.ValueOf(*piecewise), reflect.ValueOf(*want)
	for i := range got.NumField() {
		if !reflect.DeepEqual(got.Field(i).Interface(), wantV.Field(i).Interface()) {
			t.Errorf("the test split scored piece by piece differs from it scored joined in %s", got.Type().Field(i).Name)
		}
	}

	d, err = Read(context.Background(), cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(test, body, 0o644); err != nil {
		t.Fatal(err)
	}
	m, res, err = Train(context.Background(), cfg, d, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Test != nil || m.Record.Test != nil || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "the test split was not scored: it is read again after training, and "+test+" changed while it was being used") {
		t.Fatalf("a test file changed during training: test %v, warnings %q", res.Test, res.Warnings)
	}
}
