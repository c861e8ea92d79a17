// Package mlp is the multilayer perceptron of the lecture: dense layers with
// their activations, the losses that score the output (mean squared error,
// binary and categorical cross-entropy, hinge), and the forward and backward
// passes that give a loss and its gradient for a batch of sparse input rows.
//
// The lecture's one-layer models are networks without hidden layers: linear
// regression (linear output, MSE), logistic regression (sigmoid, binary
// cross-entropy) and the linear SVM (linear output, hinge). A multi-label
// network (Spec.MultiLabel) has one such binary output per label, trained
// together: a text may carry any number of its labels.
//
// All weights live in one flat slice (Params) so that an optimiser can update
// them without knowing what they mean; the first layer reads its input rows
// sparse, touching only the weights of the features a text contains.
package mlp
