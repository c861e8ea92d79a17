// Package tune searches for the recipe of a labelled text set: the
// vectorizer, the network, the loss, the update rule and its learning
// rate, the batch size and the number of epochs that score best by k-fold
// cross-validation on the training split, which is all it reads.
//
// A trial is a config: the base config with the keys it leaves unset
// chosen from the search space (Space). Trials are spent by Hyperband:
// brackets of successive halving over epochs, each training many trials
// for a few epochs on every fold and promoting the best third to three
// times as many, so that bad recipes are stopped early and good ones are
// trained to the end (with early stopping inside each fold). The folds
// are vectorized once for each vectorizer setting and shared by every
// trial that uses it; trainings run side by side, one per core. The same
// seed and number of trials give the same search, whatever the cores.
package tune
