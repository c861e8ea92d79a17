package pipeline

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/testenv"
)

// TestReadRestIsTransform: of a counted training split, the validation and
// test texts Read leaves and ReadRest reads after the fit get the rows and
// coverage the fitted vectorizer gives their texts, and the rows they got
// when they were counted beside the training texts (for tf-idf, whose
// values depend on the fit, multi-hot with bigrams, and the naive-Bayes
// weighting, learnt from the training labels after the counts).
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
		if d.Test != nil || d.Validation != nil || len(d.later) != 2 {
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
