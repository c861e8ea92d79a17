package data

import (
	"path/filepath"
	"testing"

	"github.com/dlc-dev/dlc/internal/testenv"
)

// Benchmarks of the conversions on the real archives (go test -bench .
// -benchmem ./internal/data); they skip when ../shared/datasets is absent.

func BenchmarkConvertReuters(b *testing.B) {
	archive := testenv.Dataset(b, "reuters21578.tar.gz")
	for b.Loop() {
		if _, err := convertReuters(archive, b.TempDir(), reutersSource.Limits, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkConvertIMDB(b *testing.B) {
	archive := testenv.Dataset(b, "aclImdb_v1.tar.gz")
	for b.Loop() {
		if _, err := convertIMDB([]string{archive}, b.TempDir(), imdbSource.Limits); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadMNISTTrain(b *testing.B) {
	dir := testenv.Dataset(b, "mnist")
	for b.Loop() {
		set, err := ReadImageSet(filepath.Join(dir, "train-images-idx3-ubyte.gz"), filepath.Join(dir, "train-labels-idx1-ubyte.gz"))
		if err != nil || set.Len() != 60000 {
			b.Fatal(err)
		}
	}
}
