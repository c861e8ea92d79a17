// Package data reads and writes labelled examples — JSONL, CSV/TSV with a
// header row, a folder with one sub-folder per label, each optionally
// gzipped — and knows the public datasets dlc can fetch: where they live,
// how to verify them and how to convert them to JSONL.
//
// Errors name the file and line, so a user can open the file at the fault.
package data
