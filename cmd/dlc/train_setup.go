package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/dlc-dev/dlc/internal/atomicfile"
	"github.com/dlc-dev/dlc/internal/checkpoint"
	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/objstore"
	"github.com/dlc-dev/dlc/internal/pipeline"
)

// load returns the config train runs with, and the model it continues
// from (--init): the config file, or without one the defaults (--train)
// or the model's own config (--init), with the flags and --set over it.
// Resuming a checkpoint without a config file or --train, it is the
// config the checkpoint recorded, with the flags and --set over it.
func (o *trainOptions) load(resume *checkpoint.Checkpoint) (*config.Config, *model.Model, error) {
	flags := o.dataOptions.overrides()
	for _, f := range []struct{ flag, key, value string }{
		{"--train", "data.train", o.TrainData},
		{"--test", "data.test", o.TestData},
		{"--validation", "data.validation", o.ValidationData},
		{"--out", "output.model", o.Out},
		{"--checkpoint", "checkpoint.dir", o.Checkpoint},
	} {
		if f.value != "" {
			flags = append(flags, config.Override{Key: f.key, Value: f.value, Flag: f.flag})
		}
	}
	if resume != nil && o.Config == "" && o.TrainData == "" {
		cfg, err := config.LoadWith("", append(config.Sets(resume.Config), o.Sets...), flags)
		return cfg, nil, err
	}
	if o.Init == "" {
		cfg, err := config.LoadWith(o.Config, o.Sets, flags)
		return cfg, nil, err
	}
	from, err := model.Load(o.Init)
	if err != nil {
		return nil, nil, err
	}
	if o.Config != "" {
		cfg, err := config.LoadWith(o.Config, o.Sets, flags)
		return cfg, from, err
	}
	if o.Out == "" {
		return nil, nil, usageErrorf("dlc train --init %s needs --out FILE for the new model (a run never writes over a model it reads)", o.Init)
	}
	// The model's config, its paths absolute, is the run it came from.
	cfg, err := from.Config.With(o.Sets, flags, nil, "")
	return cfg, from, err
}

// trainOrContinue trains a new model, or continues from's.
func trainOrContinue(ctx context.Context, cfg *config.Config, d *pipeline.Data, from *model.Model, h pipeline.Hooks) (*model.Model, *pipeline.Result, error) {
	if from != nil {
		return pipeline.Continue(ctx, cfg, d, from, h)
	}
	return pipeline.Train(ctx, cfg, d, h)
}

// besideHeader starts the config train writes beside a model trained
// without one; a file that does not start so is not train's to replace.
const besideHeader = "# The config dlc train used"

// besideConfig is where train writes the config of a run without a config
// file, so that the run can be repeated: beside the model, named as it is
// (news.yaml for news.dlc); "" when there is a config file to repeat it.
func (o *trainOptions) besideConfig(cfg *config.Config) string {
	if o.Config != "" || o.Init != "" || o.Resume != "" && o.resumedConfig != "" {
		return ""
	}
	m := cfg.Output.Model
	if objstore.IsURL(m) { // s3://b/k/model.dlc?query: s3://b/k/model.yaml?query
		name := objstore.Name(m)
		return strings.TrimSuffix(name, filepath.Ext(name)) + ".yaml" + m[len(name):]
	}
	return strings.TrimSuffix(m, filepath.Ext(m)) + ".yaml"
}

// checkBeside refuses, before training, to replace a file at path that
// train did not write: it may be the user's own config.
func checkBeside(path string) error {
	if path == "" {
		return nil
	}
	var (
		f   io.ReadCloser
		err error
	)
	if objstore.IsURL(path) {
		f, err = objstore.Open(context.Background(), path)
	} else {
		f, err = os.Open(path)
	}
	if err != nil {
		return nil // absent, or checkOutput has said why it cannot be written
	}
	defer f.Close()
	first, _ := bufio.NewReader(f).ReadString('\n')
	if !strings.HasPrefix(first, besideHeader) {
		return usageErrorf("%s exists and was not written by dlc train, which writes the run's config there; move it, or choose another model name with --out", path)
	}
	return nil
}

// writeBeside writes the config a model was trained with beside it, its
// paths relative to the file's folder.
func writeBeside(path string, cfg *config.Config, o *trainOptions) error {
	paths := "Paths are relative to this file's folder."
	var body string
	var err error
	if objstore.IsURL(path) {
		// An object's "folder" is no folder files are read from.
		paths = "Paths are absolute."
		body, err = cfg.Absolute().YAML()
	} else {
		body, err = cfg.RelativeTo(filepath.Dir(path)).YAML()
	}
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s for %s, written beside it: dlc train --config %s trains the\n", besideHeader, filepath.Base(objstore.Name(cfg.Output.Model)), objstore.Name(path))
	b.WriteString("# same model again. " + paths + "\n")
	for _, c := range cfg.Chosen() {
		fmt.Fprintf(&b, "# %s\n", c)
	}
	b.WriteString(body)
	return atomicfile.WriteFile(path, []byte(b.String()), 0o644)
}

// printConfig prints the config a run would train with, what it chose from
// the data included, and trains nothing.
func printConfig(ctx context.Context, g *globals, stdio *IO, o *trainOptions, cfg *config.Config, from *model.Model) error {
	if err := fetchForConfig(ctx, g, stdio, cfg, o.Offline); err != nil {
		return err
	}
	d, err := pipeline.Read(ctx, cfg, g.DataDir)
	if err != nil {
		return interruptedOr(err)
	}
	if cfg, err = pipeline.ForData(cfg, d, from); err != nil {
		return err
	}
	body, err := cfg.YAML()
	if err != nil {
		return err
	}
	wd, _ := os.Getwd()
	fmt.Fprintf(stdio.Out, "# The config of this run of dlc train (every key; its paths are relative to\n# %s, where a relative path in a config file is relative to the file's folder).\n", wd)
	for _, c := range cfg.Chosen() {
		fmt.Fprintf(stdio.Out, "# %s\n", c)
	}
	_, err = fmt.Fprint(stdio.Out, body)
	return err
}
