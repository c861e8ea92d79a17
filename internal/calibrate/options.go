package calibrate

import "github.com/dlc-dev/dlc/internal/option"

// Options say how a model's probabilities are calibrated: by which method,
// fitted on which examples the network was not trained on.
type Options struct {
	// Method is Auto (temperature scaling for two labels, the monotone
	// map for more; see Fit), Platt, Temperature, Monotone, Isotonic or
	// None.
	Method string `json:"method"`
	// Holdout is the share of the training examples a second network is
	// trained without, so that the calibration is fitted on its scores of
	// them (the final network is trained on every example). Used when
	// Folds is 0.
	Holdout float64 `json:"holdout"`
	// Folds, from 2, cross-fits instead, as scikit-learn's
	// CalibratedClassifierCV(ensemble=False) does: Folds networks, each
	// trained without one fold, score every training example once.
	// Costlier (Folds trainings instead of one), steadier on small data.
	Folds int `json:"folds,omitempty"`
}

// DefaultOptions are the options of a config that says nothing.
func DefaultOptions() Options { return Options{Method: Auto, Holdout: 0.1} }

// MaxFolds caps Folds: each fold is a training run.
const MaxFolds = 20

// Validate reports an option that cannot be used, as an *option.Error.
func (o Options) Validate() error {
	if err := option.OneOf("method", o.Method, Methods); err != nil {
		return err
	}
	if !(o.Holdout > 0 && o.Holdout <= 0.5) {
		return option.Errorf("holdout", "must be above 0 and at most 0.5, not %v", o.Holdout)
	}
	if o.Folds != 0 && (o.Folds < 2 || o.Folds > MaxFolds) {
		return option.Errorf("folds", "must be 0 (a holdout) or from 2 to %d, not %d", MaxFolds, o.Folds)
	}
	return nil
}

// Enabled reports whether the options calibrate at all.
func (o Options) Enabled() bool { return o.Method != None }
