package vectorize

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/testenv"
)

// sklearnPython returns a Python that imports scikit-learn, or skips: CI
// does not need Python, and the formula tests above stand without it.
func sklearnPython(t *testing.T) string {
	t.Helper()
	if p := testenv.SklearnPython(); p != "" {
		return p
	}
	t.Skip("skipping: no python3 with scikit-learn (apt-get install python3-sklearn) to compare with")
	return ""
}

const sklearnTFIDF = `
import json, sys
from sklearn.feature_extraction.text import TfidfVectorizer
texts = [line.rstrip("\n") for line in open(sys.argv[1], encoding="utf-8")]
v = TfidfVectorizer(tokenizer=str.split, token_pattern=None, lowercase=False,
                    ngram_range=(1, 2), min_df=2, max_df=0.9, sublinear_tf=True)
x = v.fit_transform(texts).tocsr()
names = v.get_feature_names_out()
rows = []
for i in range(x.shape[0]):
    lo, hi = x.indptr[i], x.indptr[i + 1]
    rows.append({names[j]: float(val) for j, val in zip(x.indices[lo:hi], x.data[lo:hi])})
json.dump({"features": list(names), "rows": rows}, sys.stdout)
`

// TestTFIDFMatchesScikitLearn fits scikit-learn's TfidfVectorizer (uni- and
// bigrams, min_df, max_df as a fraction, sublinear tf, smoothed idf, L2
// rows) on the same tokens and expects the same features and values.
func TestTFIDFMatchesScikitLearn(t *testing.T) {
	python := sklearnPython(t)
	// Pre-tokenized texts, so that both sides see the same tokens.
	var texts []string
	for _, text := range corpus(400, 11) {
		texts = append(texts, strings.Join(lowerHTML.Tokens(text), " "))
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "texts.txt")
	if err := os.WriteFile(in, []byte(strings.Join(texts, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(python, "-c", sklearnTFIDF, in).Output()
	if err != nil {
		t.Fatalf("scikit-learn: %v", err)
	}
	var want struct {
		Features []string             `json:"features"`
		Rows     []map[string]float64 `json:"rows"`
	}
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	o := opts(TFIDF, 1<<30, 2)
	o.MinDF, o.MaxDF, o.SublinearTF = Docs(2), Fraction(0.9), true
	v, x, _, err := FitTransform(texts, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Vocab) != len(want.Features) {
		t.Fatalf("%d features, scikit-learn has %d", len(v.Vocab), len(want.Features))
	}
	for _, g := range want.Features {
		if v.Index(g) < 0 {
			t.Fatalf("scikit-learn's feature %q is missing", g)
		}
	}
	worst := 0.0
	for i, row := range want.Rows {
		idx, vals := x.Row(i)
		if len(idx) != len(row) {
			t.Fatalf("row %d has %d features, scikit-learn's %d", i, len(idx), len(row))
		}
		for k, f := range idx {
			worst = max(worst, math.Abs(vals[k]-row[v.Vocab[f]]))
		}
	}
	if worst > 1e-12 {
		t.Errorf("values differ from scikit-learn's by up to %g", worst)
	}
	t.Logf("%d texts, %d features: values within %g of scikit-learn's", len(texts), len(v.Vocab), worst)
}
