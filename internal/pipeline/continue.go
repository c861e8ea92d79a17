package pipeline

import (
	"context"
	"fmt"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/model"
)

// Continue trains from's weights further on d, as Train trains new ones:
// for cfg's training.epochs more epochs, with cfg's optimizer (whose state
// starts afresh: a model file keeps the weights, not the optimizer's
// moments). from's fitted vectorizer is kept, vocabulary and all, since
// its weights belong to those features, and so are its labels; cfg must
// ask for the same vectorizer and network (Compatible; an output and loss
// it leaves out are from's), and d's labels must be among from's.
func Continue(ctx context.Context, cfg *config.Config, d *Data, from *model.Model, h Hooks) (*model.Model, *Result, error) {
	cfg = cfg.HeadOf(from.Config)
	// An ensemble's networks are drawn and trained together from derived
	// seeds (ensemble.go); continuing one network of them, or growing one
	// into several, would be neither the model continued nor an ensemble.
	if k := len(from.Members); k > 1 {
		return nil, nil, fmt.Errorf("--init continues one network, and the model to continue from is an ensemble of %d; train a new ensemble without --init", k)
	}
	if k := cfg.Model.Ensemble; k > 1 {
		return nil, nil, cfg.Errorf("model.ensemble", "model.ensemble %d trains new networks, and --init continues one; set model.ensemble 1 or train without --init", k)
	}
	if err := Compatible(cfg, from); err != nil {
		return nil, nil, err
	}
	return train(ctx, cfg, d, h, from)
}

// sameModel lists the keys that decide a model's features and shape:
// weights trained under one value of them mean nothing under another.
var sameModel = []string{"data.task", "data.features", "vectorizer.", "model.layers", "model.output", "loss"}

// Compatible reports whether cfg describes from's vectorizer and network,
// naming the first key that differs.
func Compatible(cfg *config.Config, from *model.Model) error {
	key, mine, theirs, differ := cfg.Differs(from.Config, sameModel)
	if differ {
		return cfg.Errorf(key, "%s is %s here but %s in the model to continue from; its weights fit only its own vectorizer and network: train with its value, or train a new model without --init", key, mine, theirs)
	}
	return nil
}

// fitFor fits plan's vectorizer on the training examples, or with from,
// encodes them with from's.
func (p *Plan) fitFor(e *data.Examples, from *model.Model) (fitted, error) {
	if from == nil {
		return p.fit(e)
	}
	x, cov := Encode(from.Vectorizer, e)
	return fitted{vec: from.Vectorizer, x: x, cov: cov}, nil
}

// networkFor builds plan's network, or with from, one holding a copy of
// from's weights (with cfg's dropout, L2 and precision, which the weights
// do not depend on).
func (p *Plan) networkFor(inputs, classes int, from *model.Model) (*mlp.Network, error) {
	if from == nil {
		return p.Network(inputs, classes)
	}
	spec := p.Config.Spec(inputs, classes)
	if err := p.Config.CheckModel(spec); err != nil {
		return nil, err
	}
	return mlp.FromParams(spec, from.Net.Params())
}

// classesFor returns the labels a run trains: those of the training
// examples, or with from, from's (the model's outputs are fixed), which
// every training label must be one of; targets says which is not.
func classesFor(cfg *config.Config, d *Data, from *model.Model) ([]string, error) {
	if cfg.Regression() {
		return nil, nil
	}
	if from != nil {
		return from.Labels, nil
	}
	var classes []string
	if d.Train != nil {
		classes = d.Train.Classes()
	} else if cfg.Training.Streaming {
		// Read by Train; a run that trains nothing (--print-config) reads
		// the labels alone.
		var err error
		if classes, err = streamLabels(cfg, d.Paths.trainFiles()); err != nil {
			return nil, err
		}
	}
	switch multi := cfg.MultiLabel(); {
	case multi && len(classes) == 0:
		return nil, fmt.Errorf("%s gives no text a label; a multi-label classifier learns the labels its training texts have", d.Paths.Train)
	case !multi && len(classes) < 2:
		return nil, fmt.Errorf("%s has only the label %s; a classifier needs at least two (or set data.task: regression for numeric labels)", d.Paths.Train, data.QuoteList(classes, 1))
	}
	return classes, nil
}

// initRecord says which model a continued run started from.
func initRecord(from *model.Model) *model.InitRecord {
	if from == nil {
		return nil
	}
	done := len(from.Record.Epochs)
	if from.Record.Init != nil {
		done += from.Record.Init.Epochs
	}
	return &model.InitRecord{DataSHA256: from.Record.DataSHA256, Epochs: done}
}

// recordStop records why training ended short of its epochs and which
// epoch's weights the model holds.
func recordStop(r *model.Record, res *Result, from *model.Model) {
	switch {
	case res.Interrupted:
		r.Stopped, r.InterruptedSteps = model.StopInterrupted, res.Steps
	case res.Stopped == gd.StopConverged:
		r.Stopped = model.StopConverged
	case res.Stopped == gd.StopEarly:
		r.Stopped = model.StopEarly
	}
	if res.Restored {
		r.RestoredEpoch = res.BestEpoch
	}
	r.Init = initRecord(from)
}

// scoreTest scores the test split as Score does, and warns when its
// median text has no feature. A split of which Read took only the labels
// is read again, each batch of texts encoded and scored as it comes: its
// rows are never all held. Should that fail (the file is gone, or it
// changed since), the model is kept and not scored, with a warning
// saying why.
func scoreTest(cfg *config.Config, m *model.Model, e *data.Examples) (*Scores, string, error) {
	y, err := targets(e, m.Labels, m.Net.Spec().Regression)
	if err != nil {
		return nil, "", err
	}
	if e.Streamed != nil {
		if lt, ok := e.Streamed.Value.(*laterText); ok {
			return scoreLater(cfg, m, e, y, lt)
		}
	}
	x, _ := Encode(m.Vectorizer, e)
	return scoreModel(m, x, y), emptyRowsWarning(cfg, "test", e, x), nil
}

// scoreLater is scoreTest of a test split read again batch by batch.
func scoreLater(cfg *config.Config, m *model.Model, e *data.Examples, y mlp.Targets, lt *laterText) (*Scores, string, error) {
	sc := newScoring(modelForward(m), len(m.Labels), e.Len())
	n := e.Len()
	var lens []int
	ps := sc.inPieces(m.Vectorizer, y, n)
	again, err := readBatches(lt.path, lt.f, func(texts []string) {
		xs, _ := m.Vectorizer.TransformPieces(texts)
		for _, x := range xs {
			for r := range x.Rows {
				lens = append(lens, x.Indptr[r+1]-x.Indptr[r])
			}
			ps.add(x)
		}
	})
	ps.flush()
	if err == nil {
		err = lt.same(e, again)
	}
	if err != nil {
		return nil, fmt.Sprintf("the test split was not scored: it is read again after training, and %v; score the saved model with dlc evaluate", err), nil
	}
	var warning string
	if len(lens) > 0 {
		warning = noFeaturesWarning(cfg, "test", e, median(lens))
	}
	return sc.done(), warning, nil
}

// sliceOrNil is s[lo:hi], or nil for a nil s.
func sliceOrNil[T any](s []T, lo, hi int) []T {
	if s == nil {
		return nil
	}
	return s[lo:hi]
}

// ForData returns cfg as a run on d would train it: the output and loss it
// left out chosen for d's labels (or taken from the model to continue
// from), with Chosen saying so.
func ForData(cfg *config.Config, d *Data, from *model.Model) (*config.Config, error) {
	if from != nil {
		cfg = cfg.HeadOf(from.Config)
	}
	classes, err := classesFor(cfg, d, from)
	if err != nil {
		return nil, err
	}
	return cfg.ForClasses(len(classes)), nil
}
