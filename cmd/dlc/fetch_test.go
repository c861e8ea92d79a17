package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/testenv"
)

// TestTrainFetchesTheDatasetFirst: a config naming a dataset that is not
// fetched makes dlc train download it first, as keras.datasets does. The
// MNIST files of ../shared/datasets (the originals, so the registry's
// digests hold) are served over HTTP in place of the registry's mirrors.
func TestTrainFetchesTheDatasetFirst(t *testing.T) {
	dir := testenv.Dataset(t, "mnist")
	var calls atomic.Int32
	files := http.FileServer(http.Dir(dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		files.ServeHTTP(w, r)
	}))
	defer srv.Close()
	src, err := data.Lookup("mnist")
	if err != nil {
		t.Fatal(err)
	}
	saved := src.URLs
	src.URLs = []string{srv.URL + "/"}
	defer func() { src.URLs = saved }()

	work := t.TempDir()
	dataDir := filepath.Join(work, "datasets")
	cfg := filepath.Join(work, "mnist.yaml")
	os.WriteFile(cfg, []byte("data:\n  dataset: mnist\noutput:\n  model: "+filepath.Join(work, "m.dlc")+"\n"), 0o644)

	_, errs, _ := dlcRun(t, "", "train", "--config", cfg, "--data-dir", dataDir, "--offline")
	if !strings.Contains(errs, "dataset mnist is not in "+dataDir+" and --offline forbids downloading it") || calls.Load() != 0 {
		t.Errorf("--offline: %d requests, stderr %q", calls.Load(), errs)
	}

	// Whatever training then makes of images, the fetch came first.
	_, errs, _ = dlcRun(t, "", "train", "--config", cfg, "--data-dir", dataDir)
	if !strings.Contains(errs, "dataset mnist is not in "+dataDir+" yet; fetching it (11.1 MiB)\n") ||
		!strings.Contains(errs, "fetched mnist into "+filepath.Join(dataDir, "mnist")+"\n") {
		t.Errorf("stderr does not tell of the fetch:\n%s", errs)
	}
	if !src.Fetched(dataDir) || calls.Load() != 4 {
		t.Errorf("fetched %v with %d requests; want the 4 files", src.Fetched(dataDir), calls.Load())
	}
	dlcRun(t, "", "train", "--config", cfg, "--data-dir", dataDir)
	if calls.Load() != 4 {
		t.Errorf("a second training downloaded again (%d requests)", calls.Load())
	}

	// dlc fetch itself says the dataset is there.
	out := mustRun(t, "", "fetch", "mnist", "--data-dir", dataDir)
	if out != "mnist is already fetched in "+filepath.Join(dataDir, "mnist")+" (use --force to fetch again)\n" {
		t.Errorf("dlc fetch mnist printed %q", out)
	}
}
