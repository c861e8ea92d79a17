package main

import (
	"flag"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dlc-dev/dlc/internal/dist"
	"github.com/dlc-dev/dlc/internal/objstore"
	"github.com/dlc-dev/dlc/internal/testenv"
)

// TestMain lets testscript run the real dlc (this package's main) as a
// command named "dlc" inside the scripts.
func TestMain(m *testing.M) {
	testscript.Main(removingRealData{m}, map[string]func(){
		"dlc": main,
	})
}

// removingRealData runs the tests, then removes the real data they shared
// (testscript.Main exits the process, so cleanup must happen inside Run).
type removingRealData struct{ *testing.M }

func (r removingRealData) Run() int {
	code := r.M.Run()
	removeRealData()
	return code
}

// update rewrites the files that cmp compares with in the scripts: after
// a deliberate change of output, run with -update and read the diff.
var update = flag.Bool("update", false, "rewrite the scripts' expected files from the actual output")

// TestScripts runs the end-to-end scripts in testdata/script: each file is
// one behaviour of the command line, readable as documentation.
func TestScripts(t *testing.T) {
	root := testenv.Root(t)
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join(root, "testdata", "script"),
		Setup: func(env *testscript.Env) error {
			env.Setenv("DLC_DATA", filepath.Join(env.WorkDir, "datasets"))
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("ROOT", root)
			return nil
		},
		RequireExplicitExec: true,
		UpdateScripts:       *update,
		// [cloud]: this dlc reads and writes object URLs (-tags cloud);
		// [mpi]: it trains as one of several processes (-tags mpi).
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "cloud":
				return objstore.Built, nil
			case "mpi":
				return dist.Built, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){"mkidx": mkidx, "mkrepeat": mkrepeat, "mkwide": mkwide},
	})
}
