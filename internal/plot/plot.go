// Package plot draws training curves — loss and accuracy per epoch, or loss
// per update — into PNG, SVG or PDF files with gonum's plotting library, as
// the Keras notebooks draw their History with matplotlib.
package plot

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/dlc-dev/dlc/internal/atomicfile"
	"github.com/dlc-dev/dlc/internal/objstore"
)

// Series is one curve of a panel. Points that are not finite (a metric
// not measured in some epoch) are left out.
type Series struct {
	Label string
	X, Y  []float64
	// Points draws a dot per value (Keras' "bo" for training) as well as
	// the line.
	Points bool
	// Thin draws a thin, translucent line: for thousands of noisy values
	// (one-example updates) that would otherwise hide the other curves.
	Thin bool
	// Group gives curves of one run the same colour (a raw series and its
	// moving average); "" colours each series by its position.
	Group string
}

// Panel is one chart: a title, axis labels and its curves.
type Panel struct {
	Title, XLabel, YLabel string
	Series                []Series
	LogX, LogY            bool
	// YMin and YMax fix the y axis where they are not NaN (the zero value
	// 0 is a limit too; use NaN for automatic). Curves are clipped to it.
	YMin, YMax float64
	// Counts puts the x axis' ticks on whole numbers (epochs), at steps of
	// 1, 2 or 5 times a power of ten, as a person counts.
	Counts bool
	// Marks are vertical dashed lines at x, with their legend: the epoch
	// whose weights early stopping restored.
	Marks []Mark
}

// Mark is a vertical line across a panel.
type Mark struct {
	X     float64
	Label string
}

// Auto is the YMin/YMax value that leaves the axis to the data.
var Auto = math.NaN()

// colors are the curves' colours in order: matplotlib's first four, which
// the Keras notebooks show (blue, orange, green, red).
var colors = []color.Color{
	color.NRGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	color.NRGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
	color.NRGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
	color.NRGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
}

// Formats lists the file extensions Write can produce.
var Formats = []string{".png", ".svg", ".pdf"}

// CheckFormat reports whether path ends in an extension Write knows, so a
// command can refuse a bad name before it trains for minutes.
func CheckFormat(path string) error {
	ext := strings.ToLower(filepath.Ext(objstore.Name(path)))
	if !slices.Contains(Formats, ext) {
		return fmt.Errorf("cannot draw %s: the file name must end in %s", path, strings.Join(Formats, ", "))
	}
	return nil
}

// Width and Height are the size of one panel.
const (
	Width  = 5 * vg.Inch
	Height = 3.6 * vg.Inch
)

// Write draws the panels side by side into path (format by extension),
// atomically.
func Write(path string, panels []Panel) error {
	if err := CheckFormat(path); err != nil {
		return err
	}
	if len(panels) == 0 {
		return fmt.Errorf("cannot draw %s: nothing to plot", path)
	}
	plots := make([]*gplot.Plot, len(panels))
	for i, pn := range panels {
		p, err := build(pn)
		if err != nil {
			return fmt.Errorf("cannot draw %s: %v", path, err)
		}
		plots[i] = p
	}
	w, h := Width*vg.Length(len(panels)), Height
	c := newCanvas(path, w, h)
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Millimeter * 4, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 4}
	canvases := gplot.Align([][]*gplot.Plot{plots}, tiles, dc)
	for i, p := range plots {
		p.Draw(canvases[0][i])
	}
	return writeCanvas(path, c)
}

// build makes one gonum plot of a panel.
func build(pn Panel) (*gplot.Plot, error) {
	p := gplot.New()
	p.Title.Text = pn.Title
	// Room under the title for its descenders ("accuracy"), which the
	// plot's top edge would otherwise cut off.
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = pn.XLabel
	p.Y.Label.Text = pn.YLabel
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	if pn.LogX {
		p.X.Scale = gplot.LogScale{}
		p.X.Tick.Marker = gplot.LogTicks{Prec: -1}
	}
	if pn.LogY {
		p.Y.Scale = gplot.LogScale{}
		p.Y.Tick.Marker = gplot.LogTicks{Prec: -1}
	}
	if pn.Counts && !pn.LogX {
		p.X.Tick.Marker = countTicks{}
	}
	drawn := 0
	// Thin clouds (every update of a noisy run) are drawn first, under
	// every curve, whatever their place in the legend.
	var clouds, curves []gplot.Plotter
	groups := map[string]int{}
	for i, s := range pn.Series {
		xy := make(plotter.XYs, 0, len(s.X))
		for k := range s.X {
			x, y := s.X[k], s.Y[k]
			if math.IsNaN(x) || math.IsInf(x, 0) || math.IsNaN(y) || math.IsInf(y, 0) {
				continue
			}
			if pn.LogX && x <= 0 {
				return nil, fmt.Errorf("series %q has x = %v, which a log scale cannot show", s.Label, x)
			}
			if pn.LogY && y <= 0 {
				return nil, fmt.Errorf("series %q has the value %v, which a log scale cannot show", s.Label, y)
			}
			xy = append(xy, plotter.XY{X: x, Y: y})
		}
		if len(xy) == 0 {
			continue
		}
		ci := i
		seen := false // a series of this group came before
		if s.Group != "" {
			if g, ok := groups[s.Group]; ok {
				ci, seen = g, true
			} else {
				ci = len(groups)
				groups[s.Group] = ci
			}
		}
		col := colors[ci%len(colors)]
		line, err := plotter.NewLine(xy)
		if err != nil {
			return nil, err
		}
		line.Color = col
		line.Width = vg.Points(1.5)
		r, g, b, _ := col.RGBA()
		switch {
		case s.Thin:
			line.Color = color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 28}
			line.Width = vg.Points(0.4)
		case seen:
			// The trend drawn over a thin cloud of its own run: darker.
			line.Color = color.NRGBA{R: uint8(r >> 9), G: uint8(g >> 9), B: uint8(b >> 9), A: 0xff}
			line.Width = vg.Points(2)
		}
		if s.Thin {
			clouds = append(clouds, line)
		} else {
			curves = append(curves, line)
		}
		entry := []gplot.Thumbnailer{line}
		if s.Points {
			dots, err := plotter.NewScatter(xy)
			if err != nil {
				return nil, err
			}
			dots.Color = col
			dots.Shape = draw.CircleGlyph{}
			dots.Radius = vg.Points(2.5)
			curves = append(curves, dots)
			entry = append(entry, dots)
		}
		p.Legend.Add(s.Label, entry...)
		drawn++
	}
	if drawn == 0 {
		return nil, fmt.Errorf("panel %q has no finite values to draw", pn.Title)
	}
	p.Add(clouds...)
	p.Add(curves...)
	for _, m := range pn.Marks {
		v := vline{x: m.X}
		v.LineStyle = draw.LineStyle{Color: color.Gray{Y: 0x60}, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
		p.Add(v)
		p.Legend.Add(m.Label, v)
	}
	p.Add(legendBackground{})
	if !pn.LogY && math.IsNaN(pn.YMax) {
		// Head room for the legend, so it does not sit on the curves.
		p.Y.Max += 0.3 * (p.Y.Max - p.Y.Min)
	}
	if !math.IsNaN(pn.YMin) {
		p.Y.Min = pn.YMin
	}
	if !math.IsNaN(pn.YMax) {
		p.Y.Max = pn.YMax
	}
	if p.Y.Min >= p.Y.Max {
		return nil, fmt.Errorf("the y axis from %v to %v is empty", p.Y.Min, p.Y.Max)
	}
	return p, nil
}

// legendBackground clears the area the legend will be drawn on, so that
// its text stays readable over a dense cloud of points. It is the last
// plotter, and the legend is drawn after every plotter. The data canvas is
// a little smaller than the legend's (the axes' padding), hence the margin.
type legendBackground struct{}

func (legendBackground) Plot(c draw.Canvas, p *gplot.Plot) {
	// Only the size is taken from Legend.Rectangle: it puts a right-hand
	// legend at the left edge (gonum/plot v0.17), where Draw does not.
	size := p.Legend.Rectangle(c).Size()
	margin := vg.Points(4)
	r := vg.Rectangle{Min: vg.Point{X: c.Max.X - size.X, Y: c.Max.Y - size.Y}, Max: c.Max}
	if p.Legend.Left {
		r.Min.X, r.Max.X = c.Min.X, c.Min.X+size.X
	}
	if !p.Legend.Top {
		r.Min.Y, r.Max.Y = c.Min.Y, c.Min.Y+size.Y
	}
	r.Min.X -= margin
	r.Min.Y -= margin
	r.Max.X += margin
	r.Max.Y += margin
	c.SetColor(color.NRGBA{R: 255, G: 255, B: 255, A: 220})
	c.Fill(r.Path())
}

// MovingAverage is the mean of the last n values at each point (fewer at
// the start).
func MovingAverage(y []float64, n int) []float64 {
	out := make([]float64, len(y))
	var sum float64
	count := 0
	for i, v := range y {
		sum += v
		count++
		if i >= n {
			sum -= y[i-n]
			count--
		}
		out[i] = sum / float64(count)
	}
	return out
}

// vline is a vertical line across the whole plot at x.
type vline struct {
	x float64
	draw.LineStyle
}

func (v vline) Plot(c draw.Canvas, p *gplot.Plot) {
	trX, _ := p.Transforms(&c)
	x := trX(v.x)
	c.StrokeLine2(v.LineStyle, x, c.Min.Y, x, c.Max.Y)
}

// Thumbnail draws the line's legend entry.
func (v vline) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(v.LineStyle, c.Min.X, y, c.Max.X, y)
}

// DataRange makes the x axis reach x, so a mark is never off the plot,
// and leaves the y axis to the curves (an empty range: gonum takes the
// smaller minimum and the larger maximum).
func (v vline) DataRange() (xmin, xmax, ymin, ymax float64) {
	return v.x, v.x, math.Inf(1), math.Inf(-1)
}

// countTicks marks whole numbers at a step of 1, 2 or 5 times a power of
// ten, about eight of them, the first count of the axis included: epochs
// 1 to 30 get 1, 5, 10, ..., 30 rather than gonum's 4, 16, 28.
type countTicks struct{}

func (countTicks) Ticks(lo, hi float64) []gplot.Tick {
	lo, hi = math.Ceil(lo), math.Floor(hi)
	if hi < lo {
		return nil
	}
	// The smallest of 1, 2, 5, 10, 20, 50, ... that leaves at most eight
	// steps.
	step := 1.0
	for k := 0; (hi-lo)/step > 8; k++ {
		step = []float64{2, 5, 10}[k%3] * math.Pow(10, float64(k/3))
	}
	var ticks []gplot.Tick
	label := func(x float64) gplot.Tick { return gplot.Tick{Value: x, Label: strconv.FormatFloat(x, 'f', -1, 64)} }
	first := math.Ceil(lo/step) * step
	if first > lo && first-lo >= step/2 {
		ticks = append(ticks, label(lo))
	}
	for x := first; x <= hi; x += step {
		ticks = append(ticks, label(x))
	}
	return ticks
}

// newCanvas returns a w × h canvas in the format path's extension names
// (.png, .svg or .pdf; checked before drawing starts).
func newCanvas(path string, w, h vg.Length) vg.CanvasWriterTo {
	switch strings.ToLower(filepath.Ext(objstore.Name(path))) {
	case ".svg":
		return vgsvg.New(w, h)
	case ".pdf":
		return vgpdf.New(w, h)
	}
	return vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(120), vgimg.UseBackgroundColor(color.White))}
}

// writeCanvas writes c into path atomically.
func writeCanvas(path string, c vg.CanvasWriterTo) error {
	return atomicfile.Write(path, 0o644, func(out io.Writer) error {
		_, err := c.WriteTo(out)
		return err
	})
}
