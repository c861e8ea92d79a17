package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/dlc-dev/dlc/internal/atomicfile"
	"github.com/dlc-dev/dlc/internal/objstore"
	"github.com/dlc-dev/dlc/internal/pipeline"
)

// A run never writes over a file it reads, and never writes two outputs
// to one file: a model written over its training data, or a history over
// the model, would leave the user with neither. The checks run before any
// work, on the files as they resolve (symbolic links followed, the same
// file under two names caught).

// namedPath is a file a command reads or writes, and how the user named
// it: a flag, a config key.
type namedPath struct{ path, name string }

// inputsOf lists what train and vectorize read: the config and its data.
func inputsOf(config string, p pipeline.Paths) []namedPath {
	return []namedPath{
		{config, "the config"}, {p.Train, "the training data (data.train)"}, {p.TrainLabels, "the training labels"},
		{p.Validation, "the validation data (data.validation)"}, {p.Test, "the test data (data.test)"}, {p.TestLabels, "the test labels"},
	}
}

// checkOutput refuses, before any work, an output file that could not be
// written at the end: a path that is a folder, a folder that does not
// exist or cannot be written in.
func checkOutput(path, flag string) error {
	if path == "" {
		return nil
	}
	if objstore.IsURL(path) {
		// An object is written whole or not at all; what the bucket
		// refuses is said then.
		if err := objstore.Check(path); err != nil {
			return usageErrorf("%s %v", flag, err)
		}
		return nil
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return usageErrorf("%s %s is a folder; give a file name", flag, path)
	}
	if atomicfile.WritesThrough(path) {
		return nil // a device, a FIFO, stdout
	}
	target, err := atomicfile.Target(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(target)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return usageErrorf("%s %s: the folder %s does not exist", flag, path, dir)
	}
	// Asking is the only reliable test (root, read-only mounts, ACLs).
	probe, err := os.CreateTemp(dir, ".dlc-probe-*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return usageErrorf("%s %s: cannot write in the folder %s: %v", flag, path, dir, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	return nil
}

// checkOutputs refuses an output that is one of the inputs or inside an
// input folder, or the same file as another output.
func checkOutputs(outputs, inputs []namedPath) error {
	seen := map[string]string{}
	for _, out := range outputs {
		if out.path == "" {
			continue
		}
		o := resolve(out.path)
		for _, in := range inputs {
			if in.path == "" {
				continue
			}
			i := resolve(in.path)
			switch {
			case sameFile(o, i):
				return usageErrorf("%s %s is %s, which this run reads; writing there would destroy it: choose another file", out.name, out.path, in.name)
			case isDir(i) && strings.HasPrefix(o, i+string(filepath.Separator)):
				return usageErrorf("%s %s is inside %s %s, which this run reads; choose a file outside it", out.name, out.path, in.name, in.path)
			}
		}
		if other, ok := seen[o]; ok {
			return usageErrorf("%s %s is also %s; give each output its own file", out.name, out.path, other)
		}
		seen[o] = out.name
	}
	return nil
}

// resolve returns the absolute path a write to p lands on, its folders'
// symbolic links resolved.
func resolve(p string) string {
	if objstore.IsURL(p) {
		return objstore.Name(p)
	}
	if t, err := atomicfile.Target(p); err == nil {
		p = t
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(dir, filepath.Base(abs))
	}
	return abs
}

// sameFile reports whether two resolved paths are one file: the same
// name, or two names (hard links) of one existing file.
func sameFile(a, b string) bool {
	if a == b {
		return true
	}
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
