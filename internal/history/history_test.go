package history

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dlc-dev/dlc/internal/gd"
)

// What WriteEpochs and WriteSteps write, Read reads back: the columns by
// name, a regression's accuracy empty (NaN), and for an update file the x
// axis in epochs (the examples seen over the first epoch's).
func TestWriteRead(t *testing.T) {
	dir := t.TempDir()
	epochs := filepath.Join(dir, "epochs.csv")
	nan := math.NaN()
	if err := WriteEpochs(epochs, []gd.EpochStats{{Epoch: 1, Loss: 0.5, Accuracy: 0.7, ValLoss: nan, ValAccuracy: nan}, {Epoch: 2, Loss: 0.25, ValLoss: nan, ValAccuracy: nan}}, true); err != nil {
		t.Fatal(err)
	}
	h, err := Read(epochs)
	if err != nil {
		t.Fatal(err)
	}
	if h.PerStep || !slices.Equal(h.Columns["loss"], []float64{0.5, 0.25}) || !math.IsNaN(h.Columns["accuracy"][0]) {
		t.Errorf("read back %+v", h)
	}
	if _, err := h.X("step"); err == nil {
		t.Error("an epoch file drew against updates")
	}

	steps := filepath.Join(dir, "steps.csv")
	if err := WriteSteps(steps, []gd.UpdateStats{{Step: 1, Epoch: 1, Examples: 4, Loss: 1}, {Step: 2, Epoch: 1, Examples: 2, Loss: 0.5}, {Step: 3, Epoch: 2, Examples: 3, Loss: 0.25}}); err != nil {
		t.Fatal(err)
	}
	h, err = Read(steps)
	if err != nil {
		t.Fatal(err)
	}
	x, err := h.X("epoch")
	if err != nil || !slices.Equal(x, []float64{4.0 / 6, 1, 1.5}) {
		t.Errorf("x in epochs = %v, %v; want [0.667 1 1.5]", x, err)
	}
}

func TestReadRefusesOtherFiles(t *testing.T) {
	p := filepath.Join(t.TempDir(), "other.csv")
	os.WriteFile(p, []byte("a,b\n1,2\n"), 0o644)
	_, err := Read(p)
	if want := p + ":1: is not a dlc history file (its header must start with epoch or step, as dlc train --history or --history-steps writes)"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}
