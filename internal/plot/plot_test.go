package plot

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func panels() []Panel {
	x := []float64{1, 2, 3, 4}
	return []Panel{
		{Title: "Training and validation loss", XLabel: "epoch", YLabel: "loss", YMin: Auto, YMax: Auto, Series: []Series{
			{Label: "training", X: x, Y: []float64{0.5, 0.3, 0.2, 0.15}, Points: true},
			{Label: "validation", X: x, Y: []float64{0.45, 0.32, math.NaN(), 0.31}},
		}},
		{Title: "Training and validation accuracy", XLabel: "epoch", YLabel: "accuracy", YMin: 0.5, YMax: 1, Series: []Series{
			{Label: "training", X: x, Y: []float64{0.8, 0.9, 0.93, 0.95}, Points: true, Thin: true},
		}, LogX: true},
	}
}

func TestWritePNGAndSVG(t *testing.T) {
	dir := t.TempDir()
	pngPath := filepath.Join(dir, "curves.png")
	if err := Write(pngPath, panels()); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(pngPath)
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w != 1200 || h != 432 {
		t.Errorf("image is %d×%d, want two 600×432 panels side by side", w, h)
	}
	// Something was drawn: not every pixel is the white background.
	colored := 0
	for y := 0; y < img.Bounds().Dy(); y += 3 {
		for x := 0; x < img.Bounds().Dx(); x += 3 {
			if r, g, b, _ := img.At(x, y).RGBA(); r != g || g != b {
				colored++
			}
		}
	}
	if colored < 100 {
		t.Errorf("only %d coloured pixels: the curves are missing", colored)
	}
	svgPath := filepath.Join(dir, "curves.svg")
	if err := Write(svgPath, panels()); err != nil {
		t.Fatal(err)
	}
	s, _ := os.ReadFile(svgPath)
	if !bytes.Contains(s, []byte("<svg")) || !bytes.Contains(s, []byte("Training and validation loss")) {
		t.Errorf("the SVG lacks its plot: %.200s", s)
	}
	// The same data gives the same bytes (docs images stay stable).
	again := filepath.Join(dir, "again.png")
	Write(again, panels())
	if c, _ := os.ReadFile(again); !bytes.Equal(b, c) {
		t.Error("drawing the same data twice gave different PNG files")
	}
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	if err := Write(filepath.Join(dir, "c.gif"), panels()); err == nil || !strings.Contains(err.Error(), "must end in .png, .svg, .pdf") {
		t.Errorf("gif: %v", err)
	}
	bad := []Panel{{Title: "t", Series: []Series{{Label: "zero", X: []float64{1}, Y: []float64{0}}}, LogY: true, YMin: Auto, YMax: Auto}}
	if err := Write(filepath.Join(dir, "c.png"), bad); err == nil || !strings.Contains(err.Error(), "log scale") {
		t.Errorf("log of 0: %v", err)
	}
	empty := []Panel{{Title: "nothing", Series: []Series{{Label: "nan", X: []float64{1}, Y: []float64{math.NaN()}}}, YMin: Auto, YMax: Auto}}
	inverted := []Panel{{Title: "t", Series: []Series{{Label: "a", X: []float64{1}, Y: []float64{1}}}, YMin: 2, YMax: 1}}
	if err := Write(filepath.Join(dir, "c.png"), inverted); err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Errorf("ymin > ymax: %v", err)
	}
	if err := Write(filepath.Join(dir, "c.png"), empty); err == nil || !strings.Contains(err.Error(), "no finite values") {
		t.Errorf("all NaN: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "c.png")); !os.IsNotExist(err) {
		t.Error("a failed Write left a file behind")
	}
}

// MovingAverage is the mean of the last n values, fewer at the start.
func TestMovingAverage(t *testing.T) {
	got := MovingAverage([]float64{1, 3, 5, 7}, 2)
	if want := []float64{1, 2, 4, 6}; !slices.Equal(got, want) {
		t.Errorf("MovingAverage = %v, want %v", got, want)
	}
}

// TestCountTicks: epochs get whole-number ticks a person would pick, the
// first epoch included, never gonum's 4, 16, 28 for 1 to 30.
func TestCountTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		want   []float64
	}{
		{1, 30, []float64{1, 5, 10, 15, 20, 25, 30}},
		{1, 4, []float64{1, 2, 3, 4}},
		{1, 15, []float64{1, 2, 4, 6, 8, 10, 12, 14}},
		{0.5, 200.5, []float64{1, 50, 100, 150, 200}},
	} {
		var got []float64
		for _, tk := range (countTicks{}).Ticks(c.lo, c.hi) {
			got = append(got, tk.Value)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("ticks of %v..%v: %v, want %v", c.lo, c.hi, got, c.want)
		}
	}
}

// TestMarkedEpoch: a marked epoch is drawn, named in the legend, and
// leaves the y axis to the curves.
func TestMarkedEpoch(t *testing.T) {
	ps := panels()
	ps[0].Marks = []Mark{{X: 3, Label: "restored (epoch 3)"}}
	ps[0].Counts = true
	path := filepath.Join(t.TempDir(), "marked.svg")
	if err := Write(path, ps[:1]); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !bytes.Contains(b, []byte("restored (epoch 3)")) {
		t.Error("the mark is not in the legend")
	}
}
