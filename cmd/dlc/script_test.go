package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
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
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){"mkidx": mkidx, "mkrepeat": mkrepeat, "mkwide": mkwide, "setbyte": setbyte},
	})
}

// setbyte FILE OFFSET VALUE sets one byte of a file, for scripts that
// damage a file in a chosen place (a rows cache's version, say).
func setbyte(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: setbyte FILE OFFSET VALUE")
	}
	off, err1 := strconv.Atoi(args[1])
	v, err2 := strconv.ParseUint(args[2], 0, 8)
	if err1 != nil || err2 != nil {
		ts.Fatalf("setbyte: OFFSET and VALUE must be numbers, VALUE a byte")
	}
	b, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	if off < 0 || off >= len(b) {
		ts.Fatalf("setbyte: %s has %d bytes, no byte %d", args[0], len(b), off)
	}
	b[off] = byte(v)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), b, 0o644))
}
