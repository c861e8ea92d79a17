// Package vectorize turns text into the sparse feature rows a network trains on:
// a tokenizer, a vocabulary fitted on the training texts, n-grams, and the
// multi-hot, count and tf-idf weightings of those rows.
//
// Every pass over the texts is streaming and allocation-light (tokens are
// byte slices into reused buffers, never strings) and splits its work into
// fixed blocks of documents, so the result is identical whatever the number
// of cores.
package vectorize
