package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dlc-dev/dlc/internal/testenv"
)

// TestIMDBToolbox trains configs/imdb.yaml on the real reviews with each of
// the three gradient descents (one loss each here; bench/toolbox-imdb.sh
// runs all nine loss × method pairs) and checks the floor of 0.80, then
// the lecture's one-layer configs, logistic regression and the linear SVM.
func TestIMDBToolbox(t *testing.T) {
	testenv.Long(t)
	dir := t.TempDir()
	dataDir := fetchedData(t, "imdb")
	imdb := filepath.Join(testenv.Root(t), "configs", "imdb.yaml")
	cases := []struct {
		name   string
		config string
		sets   []string
		floor  float64
	}{
		// One example per update, plain SGD: the sparse update path.
		{"hinge/sgd", imdb, []string{"loss=hinge", "model.output=linear", "training.method=sgd", "training.epochs=1", "optimizer.name=sgd", "optimizer.learning_rate=0.01"}, 0.80},
		{"mse/minibatch", imdb, []string{"loss=mse", "model.output=linear", "training.method=minibatch", "training.epochs=4"}, 0.80},
		{"binary_crossentropy/batch", imdb, []string{"training.method=batch", "training.epochs=60", "optimizer.learning_rate=0.003"}, 0.80},
		// sklearn's LogisticRegression and LinearSVC reach 0.883 and 0.877
		// on tf-idf (../shared/BENCHMARKS.md).
		{"logistic-regression.yaml", filepath.Join(testenv.Root(t), "configs", "logistic-regression.yaml"), nil, 0.87},
		{"svm.yaml", filepath.Join(testenv.Root(t), "configs", "svm.yaml"), nil, 0.87},
	}
	for _, c := range cases {
		args := []string{"train", "--config", c.config, "--data-dir", dataDir, "--out", filepath.Join(dir, "m.dlc"), "--quiet"}
		for _, s := range c.sets {
			args = append(args, "--set", s)
		}
		start := time.Now()
		out := mustRun(t, "", args...)
		m := regexp.MustCompile(`test accuracy ([0-9.]+),`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("%s: train printed %q", c.name, out)
		}
		acc, _ := strconv.ParseFloat(m[1], 64)
		if acc < c.floor {
			t.Errorf("%s: IMDB test accuracy %.4f is below %.2f", c.name, acc, c.floor)
		}
		t.Logf("%s: test accuracy %.4f (%.1fs)", c.name, acc, time.Since(start).Seconds())
	}
}

// TestTrainCancelledBeforeTraining: a Ctrl-C that arrives before the first
// update leaves no model behind and exits with 130.
func TestTrainCancelledBeforeTraining(t *testing.T) {
	dir := t.TempDir()
	root := testenv.Root(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	model := filepath.Join(dir, "m.dlc")
	code := run(ctx, []string{"train", "--config", filepath.Join(root, "testdata", "tiny", "tiny.yaml"),
		"--set", "data.train=" + filepath.Join(root, "testdata", "tiny", "train.jsonl"), "--set", "data.test=",
		"--out", model}, &IO{In: strings.NewReader(""), Out: &out, Err: &errb})
	if code != exitInterrupted {
		t.Errorf("exit %d, want 130; stderr %q", code, errb.String())
	}
	if _, err := os.Stat(model); !os.IsNotExist(err) {
		t.Errorf("a model was written: %v", err)
	}
	if errb.String() != "dlc: interrupted while reading the data; no model was written\n" {
		t.Errorf("stderr %q does not say it was interrupted", errb.String())
	}
}
