package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/dlc-dev/dlc/internal/config"
)

// TestReadTrainReadsNothingElse: ReadTrain reads the training split and
// leaves the test and validation files unopened (here they are not JSON,
// and Read, or ReadRest after the fit for the counted texts here, fails
// on them); the Data it returns names neither.
func TestReadTrainReadsNothingElse(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	train := write("train.jsonl", `{"text": "good film", "label": "pos"}`+"\n"+`{"text": "bad film", "label": "neg"}`+"\n")
	broken := write("broken.jsonl", "not JSON\n")
	cfg, err := config.Load("", []string{"data.train=" + train, "data.test=" + broken, "data.validation=" + broken})
	if err != nil {
		t.Fatal(err)
	}
	d, err := Read(context.Background(), cfg, dir)
	if err == nil {
		_, err = Vectorize(cfg, d)
	}
	if err == nil {
		t.Fatal("Read and Vectorize read the broken test file without an error: the test proves nothing")
	}
	d, err = ReadTrain(context.Background(), cfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	if d.Train.Len() != 2 || d.Test != nil || d.Validation != nil || d.Paths.Test != "" || d.Paths.Validation != "" {
		t.Errorf("ReadTrain: %d examples, test %v, validation %v, paths %+v", d.Train.Len(), d.Test, d.Validation, d.Paths)
	}
}
