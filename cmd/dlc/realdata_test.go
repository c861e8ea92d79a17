package main

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/dlc-dev/dlc/internal/testenv"
)

// sharedIMDBSHA256 is the digest of ../shared/datasets/aclImdb_v1.tar.gz,
// which was rebuilt without the unsup/ folder and so differs from the
// registry's digest of Stanford's original.
const sharedIMDBSHA256 = "83a9c6b433babfb477204e9fb274da298a1c68b74bdf9e1924c067e1bb30b103"

// sharedReutersSHA256 is the digest of ../shared/datasets/reuters21578.tar.gz,
// rebuilt from the 22 SGML files and so unlike the registry's digest.
const sharedReutersSHA256 = "8870b8a7ce7a3871b59ee581c0c4aef35f8ce1be297e8fa09df87fb9e216ce35"

// realData is the data folder the real-data tests share: each dataset is
// fetched into it once per test process (TestMain removes it), instead of
// once per test. Tests of fetch itself fetch into their own folders.
var realData struct {
	mu      sync.Mutex
	dir     string
	fetched map[string]bool
}

// fetchedData returns a data folder holding the real dataset name (imdb,
// reuters, reuters8 or mnist) from ../shared/datasets, skipping the test
// when that is missing.
func fetchedData(t *testing.T, name string) string {
	t.Helper()
	var args []string
	switch name {
	case "imdb":
		args = []string{"--from", testenv.Dataset(t, "aclImdb_v1.tar.gz"), "--sha256", sharedIMDBSHA256}
	case "reuters", "reuters8", "reuters-modapte":
		args = []string{"--from", testenv.Dataset(t, "reuters21578.tar.gz"), "--sha256", sharedReutersSHA256}
	case "mnist":
		testenv.Dataset(t, "mnist/train-images-idx3-ubyte.gz")
		args = []string{"--from", filepath.Join(testenv.Root(t), "..", "shared", "datasets", "mnist")}
	default:
		t.Fatalf("fetchedData: no real data called %q", name)
	}
	realData.mu.Lock()
	defer realData.mu.Unlock()
	if realData.dir == "" {
		dir, err := os.MkdirTemp("", "dlc-realdata-")
		if err != nil {
			t.Fatal(err)
		}
		realData.dir, realData.fetched = dir, map[string]bool{}
	}
	if !realData.fetched[name] {
		mustRun(t, "", append([]string{"fetch", name, "--data-dir", realData.dir, "--quiet"}, args...)...)
		realData.fetched[name] = true
	}
	return realData.dir
}

// removeRealData deletes the shared data folder; TestMain calls it.
func removeRealData() {
	if realData.dir != "" {
		os.RemoveAll(realData.dir)
	}
}
