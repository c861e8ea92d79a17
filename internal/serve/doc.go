// Package serve answers predictions over HTTP: the server behind dlc serve.
//
// A predict request (POST /v1/models/NAME:predict, {"texts": [...]} or
// {"instances": [[...], ...]}) is decoded strictly, admitted under a limit
// on the requests in flight, and answered in blocks, as TF Serving batches:
// a request that finds one of the workers' states free (one per core, each
// with predictors of its own) takes it and answers, on its own goroutine,
// itself and the requests queued behind it with one
// pipeline.Predictor.PredictTexts call; one that finds none queues, and is
// woken by its answer or to lead the next block. Each answer is pipeline.Answer.AppendJSON, the bytes
// dlc predict --format json writes.
//
// A model's file can be replaced while the server runs: Watch and Reload
// load the new file, check it by answering an empty input, and swap it in
// only if it loads; a request finishes on the version it started with.
// Serve drains on cancellation: it stops accepting, answers every request
// it accepted, then returns.
//
// Everything is counted in a Prometheus registry of the server's own
// (/metrics), and, with Options.LogRequests, logged one line per request.
package serve
