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
// Errors name the file and line, so a user can open the file at the fault,
// and quote at most 200 bytes of the input (Quote, QuoteList).
//
// Every size read is bounded by what the input can justify, checked before
// it is allocated: a record (line, CSV record, file of a folder dataset)
// holds at most 64 MiB; a gzipped input decompresses to at most
// MaxGzipRatio times its size (LineCost, IDXByteCost); an IDX header
// announces no more than its file can hold. Nothing is skipped in silence:
// what a reader cannot take is refused by name (see readDir for a folder
// dataset's rules).
package data
