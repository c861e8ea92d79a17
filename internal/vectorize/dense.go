package vectorize

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/option"
	"github.com/dlc-dev/dlc/internal/sparse"
)

// Dense is the pass-through of numeric data: every example is already a
// row of numbers (CSV feature columns, pixels), which are only rescaled.
// Its "vocabulary" is the list of column names, so the model file keeps
// them, and the fitted scaling lives in Options.Dense.
const Dense Mode = "dense"

// Scale is how a dense vectorizer rescales its columns, fitted on the
// training rows and applied unchanged to every later row.
type Scale string

// The scalings.
const (
	ScaleNone     Scale = "none"     // the numbers as they are
	ScaleStandard Scale = "standard" // per column: (x − mean) / standard deviation
	ScaleMinMax   Scale = "minmax"   // per column: (x − min) / (max − min), into [0, 1]
	// ScaleMax divides every value by the largest magnitude in the whole
	// training set: pixels 0..255 become 0..1 and zeros stay zeros (sparse).
	ScaleMax Scale = "max"
	// ScaleFixed divides every value by a fixed divisor that does not
	// depend on the data (Scaling.Divisor): the notebook's pixels / 255.
	ScaleFixed Scale = "fixed"
)

// Scales lists the scalings, for error messages.
var Scales = []Scale{ScaleNone, ScaleStandard, ScaleMinMax, ScaleMax, ScaleFixed}

// Scaling chooses how FitDense rescales: Scale, and for ScaleFixed the
// Divisor (above 0; 0, unset, for every other scale).
type Scaling struct {
	Scale   Scale
	Divisor float64
}

// Validate reports a scaling FitDense cannot apply, as an *option.Error
// named as the config's vectorizer section names it.
func (sc Scaling) Validate() error {
	if err := option.OneOf("scale", sc.Scale, Scales); err != nil {
		return err
	}
	switch d := sc.Divisor; {
	case !(d >= 0) || math.IsInf(d, 0):
		return option.Errorf("divisor", "must be a number above 0, not %v", d)
	case sc.Scale == ScaleFixed && d == 0:
		return option.Errorf("divisor", "must be set: vectorizer.scale fixed divides every value by it (255 for 8-bit pixels)")
	case sc.Scale != ScaleFixed && d != 0:
		return option.Errorf("divisor", "applies to vectorizer.scale fixed, not %s; remove it or set vectorizer.scale: fixed", sc.Scale)
	}
	return nil
}

// DenseOptions is the fitted state of a dense vectorizer, stored with its
// Options in the model file: value' = (value − Shift[j]) · Factor[j] for
// column j (no shift or factor when nil), then / Divisor when it is set.
type DenseOptions struct {
	Scale  Scale     `json:"scale"`
	Shift  []float64 `json:"shift,omitempty"`
	Factor []float64 `json:"factor,omitempty"`
	// Divisor divides every value (ScaleFixed); 0 = none. A true division,
	// as the notebook's x / 255, not a multiplication by 1/255, which
	// rounds differently.
	Divisor float64 `json:"divisor,omitempty"`
}

// errTextDense is returned when text is fitted with the dense mode.
var errTextDense = errors.New("vectorizer mode dense reads numeric columns, not text: fit it with FitDense")

// FitDense fits a dense pass-through on the training rows: values holds
// len(values)/len(columns) rows of len(columns) numbers, row-major.
func FitDense(columns []string, values []float64, sc Scaling) (*Vectorizer, error) {
	return fitDense(columns, values, sc)
}

// FitDenseBytes is FitDense for rows of bytes, such as the pixels of an
// IDX image file: one row per image, one column per pixel.
func FitDenseBytes(columns []string, values []uint8, sc Scaling) (*Vectorizer, error) {
	return fitDense(columns, values, sc)
}

// number is what dense rows may hold.
type number interface{ ~float64 | ~uint8 }

func fitDense[T number](columns []string, values []T, sc Scaling) (*Vectorizer, error) {
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("vectorizer %w", err)
	}
	d := len(columns)
	if d == 0 {
		return nil, errors.New("dense data needs at least one feature column")
	}
	if len(values)%d != 0 {
		return nil, fmt.Errorf("%d values do not make rows of %d columns", len(values), d)
	}
	seen := map[string]bool{}
	for _, c := range columns {
		if seen[c] || strings.ContainsRune(c, '\n') || c == "" {
			return nil, fmt.Errorf("feature column %s is empty, repeated or holds a newline; columns need distinct names", data.Quote(c))
		}
		seen[c] = true
	}
	n := len(values) / d
	do := &DenseOptions{Scale: sc.Scale}
	switch sc.Scale {
	case ScaleNone:
	case ScaleStandard:
		do.Shift, do.Factor = make([]float64, d), make([]float64, d)
		for j := range d {
			var sum float64
			for r := range n {
				sum += float64(values[r*d+j])
			}
			mean := sum / float64(max(1, n))
			var ss float64
			for r := range n {
				dv := float64(values[r*d+j]) - mean
				ss += dv * dv
			}
			sd := math.Sqrt(ss / float64(max(1, n)))
			do.Shift[j], do.Factor[j] = mean, inverse(sd)
		}
	case ScaleMinMax:
		do.Shift, do.Factor = make([]float64, d), make([]float64, d)
		for j := range d {
			lo, hi := math.Inf(1), math.Inf(-1)
			for r := range n {
				v := float64(values[r*d+j])
				lo, hi = min(lo, v), max(hi, v)
			}
			if n == 0 {
				lo, hi = 0, 1
			}
			do.Shift[j], do.Factor[j] = lo, inverse(hi-lo)
		}
	case ScaleMax:
		var m float64
		for _, v := range values {
			m = max(m, math.Abs(float64(v)))
		}
		do.Factor = make([]float64, d)
		for j := range do.Factor {
			do.Factor[j] = inverse(m)
		}
	case ScaleFixed:
		do.Divisor = sc.Divisor
	}
	v := &Vectorizer{
		Options: Options{Mode: Dense, MaxTokens: d, NGrams: 1, Dense: do},
		Vocab:   append([]string(nil), columns...),
		DocFreq: make([]int32, d),
		Docs:    n,
	}
	for r := range n {
		for j, x := range values[r*d : (r+1)*d] {
			if x != 0 {
				v.DocFreq[j]++
			}
		}
	}
	v.init()
	return v, nil
}

// inverse is 1/x, or 1 for a column with no spread (left as it is).
func inverse(x float64) float64 {
	if x == 0 || math.IsNaN(x) {
		return 1
	}
	return 1 / x
}

// checkDense rejects dense options that do not fit the columns (a crafted
// model file), so that no later row can index out of range.
func (o Options) checkDense(columns int) error {
	if o.Mode != Dense {
		return nil
	}
	d := o.Dense
	if d == nil {
		return errors.New("a dense vectorizer lacks its scaling")
	}
	if (d.Shift != nil && len(d.Shift) != columns) || (d.Factor != nil && len(d.Factor) != columns) {
		return fmt.Errorf("a dense vectorizer has %d shifts and %d factors for %d columns", len(d.Shift), len(d.Factor), columns)
	}
	for _, x := range append(append([]float64{d.Divisor}, d.Shift...), d.Factor...) {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return errors.New("a dense vectorizer has a scaling that is not a finite number")
		}
	}
	if d.Divisor < 0 || (d.Scale == ScaleFixed && d.Divisor == 0) {
		return fmt.Errorf("a dense vectorizer has the divisor %v; it must be above 0", d.Divisor)
	}
	return nil
}

// Columns returns the feature columns of a dense vectorizer.
func (v *Vectorizer) Columns() []string { return v.Vocab }

// TransformValues encodes numeric rows (row-major, Features() per row) as
// sparse rows with values, scaled as fitted. Exact zeros are not stored:
// they add nothing to a weighted sum, and pixels are mostly zero.
func (v *Vectorizer) TransformValues(values []float64) *sparse.Matrix {
	return transformDense(v, values)
}

// TransformBytes is TransformValues for rows of bytes (pixels).
func (v *Vectorizer) TransformBytes(values []uint8) *sparse.Matrix {
	return transformDense(v, values)
}

func transformDense[T number](v *Vectorizer, values []T) *sparse.Matrix {
	d := v.Features()
	m := sparse.New(d, false)
	n := len(values) / d
	// Count the stored entries first: pixels are mostly zero, and sizing
	// for every value would reserve five times the memory MNIST needs.
	var row denseRow
	nnz := 0
	for r := range n {
		idx, _ := scaleRow(&row, v.Dense, values[r*d:(r+1)*d])
		nnz += len(idx)
	}
	m.Indices = make([]int32, 0, nnz)
	m.Values = make([]float64, 0, nnz)
	m.Indptr = make([]int, 1, n+1)
	for r := range n {
		idx, vals := scaleRow(&row, v.Dense, values[r*d:(r+1)*d])
		m.AppendRow(idx, vals)
	}
	return m
}

// denseRow is a reused buffer for one scaled row.
type denseRow struct {
	idx  []int32
	vals []float64
}

// scaleRow scales one row x into b and returns its non-zero entries.
func scaleRow[T number](b *denseRow, o *DenseOptions, x []T) ([]int32, []float64) {
	b.idx, b.vals = b.idx[:0], b.vals[:0]
	for j, xj := range x {
		v := float64(xj)
		if o.Shift != nil {
			v -= o.Shift[j]
		}
		if o.Factor != nil {
			v *= o.Factor[j]
		}
		if o.Divisor != 0 {
			v /= o.Divisor
		}
		if v != 0 {
			b.idx = append(b.idx, int32(j))
			b.vals = append(b.vals, v)
		}
	}
	return b.idx, b.vals
}

// denseEncoder parses one line of numbers for Encoder.Encode.
type denseEncoder struct {
	v   *Vectorizer
	x   []float64
	row denseRow
	err error
}

// encode parses a line of Features() numbers separated by commas (or tabs,
// when the line has any) into a scaled row; a bad line gives an empty row
// and sets err.
func (e *denseEncoder) encode(line string) ([]int32, []float64) {
	e.err = nil
	sep := ","
	if strings.ContainsRune(line, '\t') {
		sep = "\t"
	}
	d := e.v.Features()
	e.x = e.x[:0]
	fields := strings.Split(line, sep)
	if len(fields) != d {
		e.err = fmt.Errorf("has %d values, but the model reads %d (%s), separated by commas", len(fields), d, columnList(e.v.Vocab))
		return nil, nil
	}
	for j, f := range fields {
		x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			e.err = fmt.Errorf("value %d (%s) is %s, not a finite number", j+1, e.v.Vocab[j], data.Quote(strings.TrimSpace(f)))
			return nil, nil
		}
		e.x = append(e.x, x)
	}
	return scaleRow(&e.row, e.v.Dense, e.x)
}

// Err reports why the last Encode of a dense vectorizer could not read its
// line (nil for text, which always encodes).
func (e *Encoder) Err() error {
	if e.dense == nil {
		return nil
	}
	return e.dense.err
}

// columnList names the columns for a message: all of a few, and the first
// and last of many (784 pixels).
func columnList(cols []string) string {
	if len(cols) <= 10 {
		return strings.Join(cols, ",")
	}
	return strings.Join(cols[:3], ",") + ",...," + cols[len(cols)-1]
}
