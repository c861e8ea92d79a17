package pipeline

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/sparse"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// Texts are not kept once read when the vectorizer can take them as they
// come: a split to fit on or encode with a vocabulary still to be fitted
// is counted (vectorize.Tokenized: its n-grams as ids, 1.7 bytes each on
// IMDB), a split
// for a fitted model's vectorizer is encoded into rows at once. The IMDB
// notebook's 66 MB of reviews then never stay in memory, and each split's
// JSON is parsed by one goroutine while another tokenizes what it parsed.

// streamBatch is how many texts the reading goroutine hands on at a time.
const streamBatch = 512

// countable reports whether a config's text splits can be counted as
// they are read: the vectorizer keeps a vocabulary (hashing has none, the
// dense mode reads numbers) and each text has one label (data.ReadEach's).
func countable(cfg *config.Config) bool {
	o := cfg.VectorizerOptions()
	// Character n-grams are made from the text itself, not its tokens.
	return o.Mode != vectorize.Dense && o.Hashing == 0 && !o.CharNGrams.On() && !cfg.MultiLabel()
}

// readCounted reads the text split at path into a vectorize.Tokenized of
// opts, which its Examples hold in Streamed.Value.
func readCounted(cfg *config.Config, path string, opts vectorize.Options) (*data.Examples, error) {
	parts := countingParts(opts)
	c, err := vectorize.NewTokenizedParts(opts, parts)
	if err != nil {
		return nil, err
	}
	e, err := readParts(data.ReadEach, path, fields(cfg), parts, c.Next, func(p int, texts []string) {
		for _, t := range texts {
			c.AddTo(p, t)
		}
	})
	if err != nil {
		return nil, err
	}
	e.Streamed.Value = c
	return e, nil
}

// countingParts is how many goroutines count a split's words as it is
// read: two where there are two cores. One, tokenizing and probing a
// table of every word of the split (81,000 for the IMDB notebook's
// training texts), took about four times the CPU of the goroutine that
// parses the JSON, which waited for it with a core idle once the test
// split's labels were read. Only for words alone: each part has tables of
// its own, and the n-grams of a split are millions (the IMDB recipe's
// bigrams), which two tables would hold twice over.
func countingParts(opts vectorize.Options) int {
	if opts.NGrams > 1 {
		return 1
	}
	return min(runtime.GOMAXPROCS(0), 2)
}

// encodedText is a split encoded by a fitted vectorizer as it was read:
// its rows in the pieces they were written in, a block of a batch each,
// until they are wanted in one matrix (matrix). Scoring them (Score)
// needs no such copy: the IMDB test split's is 14 MB, written into fresh
// memory, which took dlc evaluate a tenth of its CPU.
type encodedText struct {
	v      *vectorize.Vectorizer
	pieces []*sparse.Matrix
	x      *sparse.Matrix // the pieces joined, once asked for
	cov    vectorize.Coverage
}

// matrix returns the rows in one matrix, joining the pieces the first time.
func (enc *encodedText) matrix() *sparse.Matrix {
	if enc.x == nil {
		enc.x = sparse.Join(enc.v.Features(), enc.v.Binary(), enc.pieces)
		enc.pieces = nil
	}
	return enc.x
}

// readEncoded reads the text split at path into v's rows, which its
// Examples hold in Streamed.Value; with sum, its fingerprint too.
func readEncoded(f data.Fields, path string, v *vectorize.Vectorizer, sum bool) (*data.Examples, error) {
	enc := &encodedText{v: v}
	each := data.ReadEach
	if !sum {
		each = data.ReadEachUnsummed
	}
	// The batches' rows are kept in their pieces (joined once, if ever: a
	// matrix grown batch by batch would be copied each time it doubled).
	e, err := readParts(each, path, f, 1, func(int, int) {}, func(_ int, texts []string) {
		xs, cov := v.TransformPieces(texts)
		enc.pieces = append(enc.pieces, xs...)
		enc.cov.Tokens += cov.Tokens
		enc.cov.KnownTokens += cov.KnownTokens
		enc.cov.Grams += cov.Grams
		enc.cov.Known += cov.Known
	})
	if err != nil {
		return nil, err
	}
	e.Streamed.Value = enc
	return e, nil
}

// laterText is a text split of which only the labels and fingerprint were
// read (readLabels): its texts are read again, and encoded, once they can
// be (Data.ReadRest, scoreTest).
type laterText struct {
	path string
	f    data.Fields
}

// readLabels reads the labels and fingerprint of the text split at path
// and nothing else; its Examples hold a *laterText in Streamed.Value.
func readLabels(f data.Fields, path string) (*data.Examples, error) {
	e, err := data.ReadEach(path, f, func(string) error { return nil })
	if err != nil {
		return nil, err
	}
	e.Streamed.Value = &laterText{path: path, f: f}
	return e, nil
}

// same checks that again, the split read anew, is the one whose labels
// were read as first.
func (lt *laterText) same(first, again *data.Examples) error {
	if again.Fingerprint() != first.Fingerprint() {
		return fmt.Errorf("%s changed while it was being used: its texts or labels differ from when it was first read", lt.path)
	}
	return nil
}

// readBatches reads the texts at path with data.ReadEach and hands them,
// streamBatch at a time and in order, to take, which runs in a goroutine
// of its own beside the reading.
func readBatches(path string, f data.Fields, take func(texts []string)) (*data.Examples, error) {
	return readParts(data.ReadEach, path, f, 1, func(int, int) {}, func(_ int, texts []string) { take(texts) })
}

// readParts is readBatches reading with each (data.ReadEach or
// ReadEachUnsummed), with parts goroutines that take the batches in turn:
// batch k goes to take(k % parts, ...), which takes each part's batches in
// order on the part's goroutine. next(p, n) is called, in the order of the
// batches and on the reading goroutine, before part p is handed the n
// texts of a batch.
func readParts(each func(string, data.Fields, func(string) error) (*data.Examples, error), path string, f data.Fields, parts int, next func(p, n int), take func(p int, texts []string)) (*data.Examples, error) {
	batches := make([]chan []string, parts)
	var wg sync.WaitGroup
	for p := range batches {
		batches[p] = make(chan []string, max(1, 2/parts))
		wg.Go(func() {
			for b := range batches[p] {
				take(p, b)
			}
		})
	}
	k := 0
	send := func(b []string) {
		p := k % parts
		next(p, len(b))
		batches[p] <- b
		k++
	}
	batch := make([]string, 0, streamBatch)
	e, err := each(path, f, func(text string) error {
		batch = append(batch, text)
		if len(batch) == streamBatch {
			send(batch)
			batch = make([]string, 0, streamBatch)
		}
		return nil
	})
	if err == nil && len(batch) > 0 {
		send(batch)
	}
	for _, b := range batches {
		close(b)
	}
	wg.Wait()
	return e, err
}

// fitTokenized fits opts on counted texts.
func fitTokenized(e *data.Examples, opts vectorize.Options) (*vectorize.Vectorizer, *sparse.Matrix, vectorize.Coverage, error) {
	c, ok := e.Streamed.Value.(*vectorize.Tokenized)
	if !ok || !c.Tokenizes(opts) {
		return nil, nil, vectorize.Coverage{}, fmt.Errorf("%s was read for another vectorizer than vectorizer %+v; read it again", e.Path, opts)
	}
	return c.FitTransform(opts)
}

// encodeTokenized encodes streamed texts with v: counted ones through its
// vocabulary, those already encoded by v as they are.
func encodeTokenized(v *vectorize.Vectorizer, e *data.Examples) (*sparse.Matrix, vectorize.Coverage) {
	switch s := e.Streamed.Value.(type) {
	case *vectorize.Tokenized:
		if s.Tokenizes(v.Options) {
			return v.TransformTokenized(s)
		}
	case *encodedText:
		if s.v == v {
			return s.matrix(), s.cov
		}
	case *laterText:
		panic(fmt.Sprintf("pipeline: %s was encoded before Data.ReadRest read its texts", e.Path))
	}
	panic(fmt.Sprintf("pipeline: %s was read for another vectorizer", e.Path))
}
