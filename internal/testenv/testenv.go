// Package testenv finds what tests need outside the module: the real
// datasets in ../shared/datasets beside the project root, and a Python with
// scikit-learn to compare against. Tests that need them skip, saying why,
// where they are missing; in CI they are present (.ci/run installs
// Debian's python3-sklearn). And how fuzz targets of large inputs are run.
package testenv

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Root returns the module root (the folder holding go.mod).
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testenv: no go.mod above the test's folder")
		}
		dir = parent
	}
}

// Dataset returns the path of a file under ../shared/datasets (e.g.
// "aclImdb_v1.tar.gz"), skipping the test when it is absent.
func Dataset(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(Root(t), "..", "shared", "datasets", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("skipping: %s is missing (the real datasets live in ../shared/datasets beside the project; CI has them)", p)
	}
	return p
}

// Long skips a test under -short.
func Long(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping: trains on real data; run without -short")
	}
}

// SklearnPython returns the path of a python3 that imports scikit-learn
// (Debian's /usr/bin/python3 first: a pyenv python3 earlier in PATH often
// lacks it), or "" when there is none.
func SklearnPython() string {
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(p); err == nil && exec.Command(path, "-c", "import sklearn").Run() == nil {
			return path
		}
	}
	return ""
}

// BoundMinimizing makes the fuzzer minimize each new input for at most
// 1,000 runs of the target, unless -fuzzminimizetime is given; call it
// from TestMain before m.Run. By default go test minimizes for 60 s, and
// a model or checkpoint file of a few KB (a config and a vocabulary ride
// in its header) takes longer than that: the pass that tries removing
// every span of bytes is quadratic in the length. When the minute runs
// out, go test kills the fuzz worker (its reply races the same deadline),
// counts none of its runs and starts another, so each new input cost a
// minute and a worker: the model loader's FuzzDecode made 2,811 runs in
// 10 minutes, its worker restarting about once a minute.
func BoundMinimizing() {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.fuzzminimizetime" })
	if !given {
		if err := flag.Set("test.fuzzminimizetime", "1000x"); err != nil {
			panic(err)
		}
	}
}
