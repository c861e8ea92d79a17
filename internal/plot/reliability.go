package plot

import (
	"fmt"
	"image/color"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Bin is one bin of a reliability diagram: the examples whose confidence
// (top probability) fell in (Lo, Hi], how many, their mean confidence and
// the share of them answered right.
type Bin struct {
	Lo, Hi               float64
	Count                int
	Confidence, Accuracy float64
}

// WriteReliability draws a reliability diagram into path (format by
// extension), as Guo et al. (2017) and scikit-learn's
// CalibrationDisplay show it: per confidence bin, a bar up to the bin's
// accuracy, the gap to its mean confidence shaded, the diagonal of perfect
// calibration; below, the number of examples per bin on a log scale.
func WriteReliability(path, title string, bins []Bin) error {
	if err := CheckFormat(path); err != nil {
		return err
	}
	top := gplot.New()
	top.Title.Text = title
	top.X.Label.Text = "confidence (top probability)"
	top.Y.Label.Text = "accuracy"
	top.X.Min, top.X.Max, top.Y.Min, top.Y.Max = 0, 1, 0, 1
	top.Add(plotter.NewGrid())
	blue := colors[0]
	red := color.NRGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0x70}
	counts := gplot.New()
	counts.X.Label.Text = "confidence (top probability)"
	counts.Y.Label.Text = "examples"
	counts.X.Min, counts.X.Max = 0, 1
	counts.Y.Scale = gplot.LogScale{}
	counts.Y.Tick.Marker = gplot.LogTicks{Prec: -1}
	counts.Add(plotter.NewGrid())
	var legendBar, legendGap *plotter.Polygon
	most := 1
	for _, b := range bins {
		if b.Count == 0 {
			continue
		}
		most = max(most, b.Count)
		bar, err := rectangle(b.Lo, b.Hi, 0, b.Accuracy, blue)
		if err != nil {
			return err
		}
		gap, err := rectangle(b.Lo, b.Hi, min(b.Accuracy, b.Confidence), max(b.Accuracy, b.Confidence), red)
		if err != nil {
			return err
		}
		n, err := rectangle(b.Lo, b.Hi, 0.5, float64(b.Count), color.NRGBA{R: 0x80, G: 0x80, B: 0x80, A: 0xff})
		if err != nil {
			return err
		}
		top.Add(bar, gap)
		counts.Add(n)
		legendBar, legendGap = bar, gap
	}
	if legendBar == nil {
		return fmt.Errorf("cannot draw %s: no examples", path)
	}
	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		return err
	}
	diag.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	diag.Color = color.Gray{Y: 0x40}
	top.Add(diag)
	top.Legend.Top, top.Legend.Left = true, true
	top.Legend.Add("accuracy", legendBar)
	top.Legend.Add("gap to confidence", legendGap)
	top.Legend.Add("perfect calibration", diag)
	counts.Y.Min, counts.Y.Max = 0.5, float64(most)*2

	w, h := Width*1.1, Height*1.6
	c := newCanvas(path, w, h)
	dc := draw.New(c)
	// The accuracy chart gets two thirds of the height.
	upper, lower := dc, dc
	split := dc.Min.Y + (dc.Max.Y-dc.Min.Y)/3
	upper.Min.Y, lower.Max.Y = split, split
	pad := func(cv draw.Canvas) draw.Canvas {
		m := vg.Millimeter * 3
		cv.Min.X += m
		cv.Max.X -= m
		cv.Min.Y += m
		cv.Max.Y -= m
		return cv
	}
	top.Draw(pad(upper))
	counts.Draw(pad(lower))
	return writeCanvas(path, c)
}

// rectangle is a filled box [x0, x1] × [y0, y1].
func rectangle(x0, x1, y0, y1 float64, col color.Color) (*plotter.Polygon, error) {
	p, err := plotter.NewPolygon(plotter.XYs{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
	if err != nil {
		return nil, err
	}
	p.Color = col
	p.LineStyle.Width = vg.Points(0.5)
	p.LineStyle.Color = color.White
	return p, nil
}
