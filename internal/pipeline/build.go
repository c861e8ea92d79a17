package pipeline

import (
	"fmt"
	"math/rand/v2"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/sparse"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// A Plan is a config turned into the settings of each component, before
// any data is seen: what the vectorizer, the network, the update rule and
// the training loop will be.
type Plan struct {
	Config     *config.Config
	Vectorizer vectorize.Options
	Scaling    vectorize.Scaling // vectorizer.mode dense
	Optimizer  gd.OptimizerConfig
	Training   gd.Config
	Regression bool
}

// Build turns a config into a Plan: the components' settings come from
// the config's own translation of its sections (config/build.go), checked
// by each component as the config is.
func Build(cfg *config.Config) (*Plan, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Plan{
		Config:     cfg,
		Vectorizer: cfg.VectorizerOptions(),
		Scaling:    cfg.Scaling(),
		Optimizer:  cfg.OptimizerConfig(),
		Training:   cfg.TrainingConfig(),
		Regression: cfg.Regression(),
	}, nil
}

// Fit fits the plan's vectorizer on the training examples and returns
// their rows and what share of their tokens the vocabulary covers: texts
// in one pass (each is tokenized once), numeric tables and pixels scaled.
func (p *Plan) Fit(e *data.Examples) (*vectorize.Vectorizer, *sparse.Matrix, vectorize.Coverage, error) {
	f, err := p.fit(e)
	return f.vec, f.x, f.cov, err
}

// fitted is what Plan.fit returns.
type fitted struct {
	vec *vectorize.Vectorizer
	x   *sparse.Matrix // the training rows, as the vectorizer encodes them
	// plain are the rows before the naive-Bayes weighting, which is
	// learnt from the labels (nil without it): calibration weighs them
	// again without its held-out rows' labels (see eachHeldOut). They
	// share x's indices.
	plain *sparse.Matrix
	cov   vectorize.Coverage
}

// fit is Fit that also keeps the rows before a weighting learnt from the
// labels.
func (p *Plan) fit(e *data.Examples) (fitted, error) {
	if e.Images != nil {
		v, err := vectorize.FitDenseBytes(data.PixelColumns(e.Images.Rows*e.Images.Cols), e.Images.Pixels, p.Scaling)
		if err != nil {
			return fitted{}, fmt.Errorf("%s: %v", e.Path, err)
		}
		return fitted{vec: v, x: v.TransformBytes(e.Images.Pixels)}, nil
	}
	if e.Table != nil {
		v, err := vectorize.FitDense(e.Table.Columns, e.Table.Values, p.Scaling)
		if err != nil {
			return fitted{}, fmt.Errorf("%s: %v", e.Path, err)
		}
		return fitted{vec: v, x: v.TransformValues(e.Table.Values)}, nil
	}
	var f fitted
	var err error
	if e.Streamed != nil {
		f.vec, f.x, f.cov, err = fitTokenized(e, p.Vectorizer)
	} else {
		f.vec, f.x, f.cov, err = vectorize.FitTransform(e.Texts, p.Vectorizer)
	}
	if err != nil {
		return fitted{}, err
	}
	if !p.Vectorizer.WeighsByLabels() {
		return f, nil
	}
	// The naive-Bayes weighting is learnt from the labels: the rows are
	// weighed once it is, as the vectorizer encodes any text from then on.
	classes := e.Classes()
	if len(classes) < 2 {
		return fitted{}, fmt.Errorf("%s has only the label %s; vectorizer.weighting nb needs at least two", e.Path, data.QuoteList(classes, 1))
	}
	y, err := targets(e, classes, false)
	if err != nil {
		return fitted{}, err
	}
	f.plain = f.x
	if f.x, err = f.vec.FitNB(f.plain, y.Class, len(classes)); err != nil {
		return fitted{}, err
	}
	return f, nil
}

// Network returns the plan's network for inputs features and classes
// labels (0 for a regression), its weights drawn from training.seed.
func (p *Plan) Network(inputs, classes int) (*mlp.Network, error) {
	cfg := p.Config
	spec := cfg.Spec(inputs, classes)
	if err := p.checkMemory(spec); err != nil { // before Validate's overflow check, which names the loss
		return nil, err
	}
	if err := cfg.CheckModel(spec); err != nil {
		return nil, err
	}
	return mlp.New(spec, rand.New(rand.NewPCG(uint64(cfg.Training.Seed), 0x91e10da5c79e7b1d)))
}

// NewOptimizer returns the plan's update rule for n parameters.
func (p *Plan) NewOptimizer(n int) (gd.Optimizer, error) {
	return gd.NewOptimizer(p.Optimizer, n)
}

// Encode encodes examples with a fitted vectorizer (Plan.Fit's), and
// counts the tokens its vocabulary covers (zero for numeric tables and
// pixels).
func Encode(v *vectorize.Vectorizer, e *data.Examples) (*sparse.Matrix, vectorize.Coverage) {
	if e.Images != nil {
		return v.TransformBytes(e.Images.Pixels), vectorize.Coverage{}
	}
	if e.Table != nil {
		return v.TransformValues(e.Table.Values), vectorize.Coverage{}
	}
	if e.Streamed != nil {
		return encodeTokenized(v, e)
	}
	return v.TransformCoverage(e.Texts)
}
