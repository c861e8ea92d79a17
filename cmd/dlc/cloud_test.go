//go:build cloud

package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dlc-dev/dlc/internal/objstore"
	"github.com/dlc-dev/dlc/internal/objstore/objtest"
	"github.com/dlc-dev/dlc/internal/testenv"
)

// TestCloudScripts runs the scripts in testdata/cloud against a fake S3
// on 127.0.0.1: $S3Q is what an s3:// URL of it ends with (endpoint,
// path-style addressing, region), and s3put / s3get copy files in and out
// of its bucket, dlc-test.
func TestCloudScripts(t *testing.T) {
	root := testenv.Root(t)
	s := objtest.Start(t)
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join(root, "testdata", "cloud"),
		Setup: func(env *testscript.Env) error {
			env.Setenv("DLC_DATA", filepath.Join(env.WorkDir, "datasets"))
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("ROOT", root)
			env.Setenv("S3Q", s.Query)
			for _, kv := range s.Env {
				k, v, _ := strings.Cut(kv, "=")
				env.Setenv(k, v)
			}
			return nil
		},
		RequireExplicitExec: true,
		UpdateScripts:       *update,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"s3put": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: s3put FILE KEY")
				}
				f, err := os.Open(ts.MkAbs(args[0]))
				ts.Check(err)
				defer f.Close()
				ts.Check(objstore.Write(context.Background(), s.URL(args[1]), func(w io.Writer) error {
					_, err := io.Copy(w, f)
					return err
				}))
			},
			"s3get": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: s3get KEY FILE")
				}
				r, err := objstore.Open(context.Background(), s.URL(args[0]))
				if neg {
					if err == nil {
						r.Close()
						ts.Fatalf("%s exists", args[0])
					}
					return
				}
				ts.Check(err)
				defer r.Close()
				b, err := io.ReadAll(r)
				ts.Check(err)
				ts.Check(os.WriteFile(ts.MkAbs(args[1]), b, 0o644))
			},
		},
	})
}
