package vectorize_test

import (
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// The benchmarks run on the fetched IMDB reviews ($DLC_DATA/imdb, from
// `dlc fetch imdb`) and Reuters newswires ($DLC_DATA/reuters); they skip
// when those are missing.
type fetched struct {
	once        sync.Once
	train, test []string
	err         error
}

var imdb, reuters fetched

func imdbTexts(b *testing.B) (train, test []string) { return imdb.texts(b, "imdb") }

func reutersTexts(b *testing.B) (train, test []string) { return reuters.texts(b, "reuters") }

func (f *fetched) texts(b *testing.B, name string) (train, test []string) {
	b.Helper()
	f.once.Do(func() {
		dir := filepath.Join(data.DefaultDir(), name)
		var tr, te *data.Examples
		if tr, f.err = data.Read(filepath.Join(dir, "train.jsonl"), data.Fields{}); f.err != nil {
			return
		}
		if te, f.err = data.Read(filepath.Join(dir, "test.jsonl"), data.Fields{}); f.err != nil {
			return
		}
		f.train, f.test = tr.Texts, te.Texts
	})
	if f.err != nil {
		if _, err := os.Stat(data.DefaultDir()); err != nil || os.IsNotExist(f.err) {
			b.Skipf("skipping: %s is not fetched (%v); run dlc fetch %s and set DLC_DATA", name, f.err, name)
		}
		b.Skipf("skipping: %s is not fetched: %v", name, f.err)
	}
	return f.train, f.test
}

func benchFit(b *testing.B, opts vectorize.Options) {
	train, _ := imdbTexts(b)
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := vectorize.Fit(train, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func benchTransform(b *testing.B, opts vectorize.Options) {
	train, test := imdbTexts(b)
	v, err := vectorize.Fit(train, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		v.Transform(test)
	}
}

var (
	notebook = vectorize.Options{Mode: vectorize.MultiHot, MaxTokens: 10000, NGrams: 1, Tokenizer: vectorize.Tokenizer{Lowercase: true, StripHTML: true}}
	bigrams  = vectorize.Options{Mode: vectorize.TFIDF, MaxTokens: 200000, NGrams: 2, Tokenizer: vectorize.Tokenizer{Lowercase: true, StripHTML: true}}
)

func BenchmarkFitIMDB(b *testing.B)              { benchFit(b, notebook) }
func BenchmarkTransformIMDB(b *testing.B)        { benchTransform(b, notebook) }
func BenchmarkFitIMDBBigrams(b *testing.B)       { benchFit(b, bigrams) }
func BenchmarkTransformIMDBBigrams(b *testing.B) { benchTransform(b, bigrams) }

func BenchmarkTokenizeIMDB(b *testing.B) {
	train, _ := imdbTexts(b)
	tok := vectorize.Tokenizer{Lowercase: true, StripHTML: true}
	var buf []byte
	n := 0
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		for _, t := range train {
			buf = tok.Each(t, buf, func(tok []byte) { n += len(tok) })
		}
	}
	_ = n
}

// BenchmarkTokenizedIMDB is what dlc train does with configs/imdb.yaml
// while it reads the training reviews: tokenize each, count its words and
// keep its ids (one goroutine, as in training).
func BenchmarkTokenizedIMDB(b *testing.B) {
	train, _ := imdbTexts(b)
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		c, err := vectorize.NewTokenized(notebook)
		if err != nil {
			b.Fatal(err)
		}
		for _, t := range train {
			c.Add(t)
		}
	}
}

// BenchmarkEncodeIMDB is what dlc predict and dlc serve do with the IMDB
// notebook's vectorizer: one review at a time through one Encoder.
func BenchmarkEncodeIMDB(b *testing.B) {
	train, test := imdbTexts(b)
	benchEncode(b, train, test, notebook)
}

// benchEncode times the test texts encoded one at a time through one
// Encoder of a vectorizer fitted with o on the training texts.
func benchEncode(b *testing.B, train, test []string, o vectorize.Options) {
	v, err := vectorize.Fit(train, o)
	if err != nil {
		b.Fatal(err)
	}
	enc := v.NewEncoder()
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		for _, t := range test {
			enc.Encode(t)
		}
	}
}

// BenchmarkVectorizeIMDB is what dlc vectorize does with configs/imdb.yaml
// after reading: fit on the training reviews, encode them and the test
// reviews.
func BenchmarkVectorizeIMDB(b *testing.B) {
	train, test := imdbTexts(b)
	benchVectorize(b, train, test, notebook)
}

// benchVectorize times a vectorizer fitted with o on the training texts,
// encoding them, then encoding the test texts.
func benchVectorize(b *testing.B, train, test []string, o vectorize.Options) {
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		v, _, _, err := vectorize.FitTransform(train, o)
		if err != nil {
			b.Fatal(err)
		}
		v.TransformCoverage(test)
	}
}

// reportCPU reports the process's CPU time per operation, which a busy
// shared machine disturbs less than the wall time.
func reportCPU(b *testing.B) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	return func() { b.ReportMetric(float64(cpu()-start)/float64(b.N)/1e6, "cpu-ms/op") }
}

// BenchmarkVectorizeIMDBBigrams is dlc vectorize with scikit-learn's
// ngram_range=(1, 2), min_df=2 tf-idf (BENCHMARKS.md's best linear classic):
// 437,000 features.
func BenchmarkVectorizeIMDBBigrams(b *testing.B) {
	train, test := imdbTexts(b)
	o := vectorize.Options{Mode: vectorize.TFIDF, MaxTokens: 1 << 30, NGrams: 2, MinDF: vectorize.Docs(2), Tokenizer: vectorize.Tokenizer{Lowercase: true, StripHTML: true}}
	benchVectorize(b, train, test, o)
}

// charWB is the character member of docs/recipes.md's fourth round:
// configs/reuters.yaml's words with character 3- to 5-grams inside them
// (char_wb), 40,000 features.
var charWB = vectorize.Options{Mode: vectorize.TFIDF, MaxTokens: 40000, NGrams: 1, CharNGrams: vectorize.CharGrams{3, 5},
	Tokenizer: vectorize.Tokenizer{Lowercase: true, StripHTML: true}}

// BenchmarkVectorizeReutersChars is dlc vectorize of that member after
// reading: fit on the R52 training newswires, encode them and the test
// newswires.
func BenchmarkVectorizeReutersChars(b *testing.B) {
	train, test := reutersTexts(b)
	benchVectorize(b, train, test, charWB)
}

// BenchmarkEncodeReutersChars is dlc predict with that member: one
// newswire at a time through one Encoder.
func BenchmarkEncodeReutersChars(b *testing.B) {
	train, test := reutersTexts(b)
	benchEncode(b, train, test, charWB)
}
