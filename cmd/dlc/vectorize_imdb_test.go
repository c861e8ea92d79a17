package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/pipeline"
	"github.com/dlc-dev/dlc/internal/svmlight"
	"github.com/dlc-dev/dlc/internal/testenv"
)

// TestVectorizeIMDB exports the IMDB notebook's features: 25,000 + 25,000
// rows, identical files on one core and two, and svmlight files that read
// back (with dlc's reader, and with scikit-learn's when it is installed) as
// exactly the rows dlc trains on.
func TestVectorizeIMDB(t *testing.T) {
	testenv.Long(t)
	dir := t.TempDir()
	dataDir := fetchedData(t, "imdb")
	cfg := filepath.Join(testenv.Root(t), "configs", "imdb.yaml")

	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var sum vectorizeSummary
	outs := map[int]string{}
	for _, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		outs[procs] = filepath.Join(dir, "features"+strconv.Itoa(procs))
		out := mustRun(t, "", "vectorize", "--config", cfg, "--data-dir", dataDir, "--out", outs[procs], "--format", "json", "--quiet")
		if err := json.Unmarshal([]byte(out), &sum); err != nil {
			t.Fatalf("vectorize --format json printed %q: %v", out, err)
		}
	}
	for _, f := range []string{"vocabulary.tsv", "labels.tsv", "train.svm", "test.svm"} {
		a, _ := os.ReadFile(filepath.Join(outs[1], f))
		b, _ := os.ReadFile(filepath.Join(outs[2], f))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s differs between one core and two (%d and %d bytes)", f, len(a), len(b))
		}
	}

	train, test := sum.Splits["train"], sum.Splits["test"]
	if sum.Features != 10000 || train.Texts != 25000 || test.Texts != 25000 {
		t.Fatalf("summary: %d features, %d + %d texts; want 10000, 25000 + 25000", sum.Features, train.Texts, test.Texts)
	}
	// The notebook's vocabulary covers all but a few percent of the tokens.
	if test.OOVRate < 0.02 || test.OOVRate > 0.10 {
		t.Errorf("test out-of-vocabulary rate %.4f, want a few percent", test.OOVRate)
	}
	t.Logf("train: %d non-zeros (%.1f per review), test: %d, out of vocabulary %.2f%%", train.NNZ, train.NNZMean, test.NNZ, 100*test.OOVRate)

	// The export holds the rows dlc itself computes.
	c, err := config.Load(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := data.Read(filepath.Join(dataDir, "imdb", "train.jsonl"), data.Fields{Text: c.Data.TextField, Label: c.Data.LabelField})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pipeline.Build(c)
	if err != nil {
		t.Fatal(err)
	}
	_, want, _, err := plan.Fit(ds)
	if err != nil {
		t.Fatal(err)
	}
	got, labels, err := svmlight.ReadFile(train.File, sum.Features)
	if err != nil {
		t.Fatal(err)
	}
	if got.Rows != 25000 || got.NNZ() != want.NNZ() || !slices.Equal(got.Indptr, want.Indptr) || !slices.Equal(got.Indices, want.Indices) {
		t.Errorf("train.svm holds %d rows, %d entries; dlc's own rows are %d, %d", got.Rows, got.NNZ(), want.Rows, want.NNZ())
	}
	if got.NNZ() != train.NNZ || labels[0] != 0 || labels[24999] != 1 {
		t.Errorf("train.svm: %d entries (summary %d), first label %v, last %v", got.NNZ(), train.NNZ, labels[0], labels[24999])
	}

	python := testenv.SklearnPython()
	if python == "" {
		t.Log("no python3 with scikit-learn: not checking that load_svmlight_file reads the export")
		return
	}
	for _, s := range []*pipeline.SplitSummary{train, test} {
		out, err := exec.Command(python, "-c", `import sys
from sklearn.datasets import load_svmlight_file
x, y = load_svmlight_file(sys.argv[1], n_features=10000)
print(x.shape[0], x.nnz, int(x.getnnz(axis=1).max()))`, s.File).Output()
		if err != nil {
			t.Fatalf("load_svmlight_file(%s): %v", s.File, err)
		}
		if want := strings.Join([]string{strconv.Itoa(s.Texts), strconv.Itoa(s.NNZ), strconv.Itoa(s.NNZMax)}, " "); strings.TrimSpace(string(out)) != want {
			t.Errorf("load_svmlight_file(%s) reads rows, non-zeros, max per row %q; dlc has %q", s.File, strings.TrimSpace(string(out)), want)
		}
	}
}
