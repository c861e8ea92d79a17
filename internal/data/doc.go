// Package data holds labelled examples (Examples: texts, a numeric table
// or images, with their labels and the fingerprint a model records of
// them), reads and writes them — JSONL, CSV/TSV with a header row, a folder
// with one sub-folder per label, each optionally gzipped, and IDX image
// files (MNIST) — and knows the public datasets dlc
// can fetch: where they live, how to download them (resuming, retrying,
// with timeouts), how to verify them (sha256, before anything reads them),
// how to unpack them without writing outside the target or past a size
// cap, and how to convert them to JSONL.
//
// Errors name the file and line, so a user can open the file at the fault.
package data
