// Package gd is gradient descent: it draws batches of examples (the whole
// set, mini-batches, or one example at a time), asks an Objective for the
// loss and gradient of each batch, and lets an update rule move the
// parameters, epoch after epoch.
//
// It knows nothing of what the parameters mean: a network, a linear model or
// a test function are all just a flat slice of numbers with a gradient.
package gd
