package pipeline

import (
	"fmt"
	"io"
	"os"

	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// Input is where a Predictor's inputs come from: the lines of a reader
// (stdin), or a file: JSONL, CSV or TSV records (the text field of each),
// IDX images, or any other file's lines.
type Input struct {
	// R, when set, is read line by line (named Name in messages);
	// otherwise Path is read as what its name says.
	R    io.Reader
	Name string
	Path string
	// TextField is the records' field holding the text; "" is the model's
	// data.text_field.
	TextField string
	// Stream answers each line as soon as it is read (a person or a
	// program may be waiting for it) and calls Idle whenever no further
	// input has arrived yet; otherwise lines are answered in blocks.
	// Lines of numbers (a dense model) are always streamed, so that a
	// line that does not parse is reported by its number.
	Stream bool
	Idle   func() error
}

// Run answers every input of in, calling fn with each answer in input
// order: every line gets exactly one answer, empty lines too.
func (p *Predictor) Run(in Input, fn func(*Answer) error) error {
	idle := in.Idle
	if idle == nil {
		idle = func() error { return nil }
	}
	dense := p.m.Vectorizer.Mode == vectorize.Dense
	if in.R != nil {
		return p.lines(in.R, in.Name, in.Stream || dense, fn, idle)
	}
	switch {
	case data.IsIDX(in.Path):
		return p.images(in.Path, fn)
	case data.IsRecords(in.Path):
		f := fields(p.m.Config)
		f.Unlabelled = true
		if in.TextField != "" {
			f.Text = in.TextField
		}
		// Streamed in blocks: a file of millions of texts needs no more
		// memory than one block.
		texts := make([]string, 0, Block)
		err := data.EachLabels(in.Path, f, func(text string, _ []string) error {
			if texts = append(texts, text); len(texts) < Block {
				return nil
			}
			err := p.PredictTexts(texts, fn)
			texts = texts[:0]
			return err
		})
		if err != nil {
			return err
		}
		return p.PredictTexts(texts, fn)
	}
	file, err := os.Open(in.Path)
	if err != nil {
		return fmt.Errorf("cannot read %s: %v", in.Path, pathError(err))
	}
	defer file.Close()
	r, err := data.TextReader(file, in.Path)
	if err != nil {
		return err
	}
	return p.lines(r, in.Path, in.Stream || dense, fn, idle)
}

// lines answers every line of r: one by one with stream, each answered as
// it is read and idle called as soon as no more input is already
// buffered; otherwise in blocks.
func (p *Predictor) lines(r io.Reader, name string, stream bool, fn func(*Answer) error, idle func() error) error {
	in := data.NewLineReader(r, name)
	var texts []string
	for {
		line, err := in.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if !stream {
			if texts = append(texts, string(line)); len(texts) == Block {
				if err := p.PredictTexts(texts, fn); err != nil {
					return err
				}
				texts = texts[:0]
			}
			continue
		}
		a, err := p.Predict(string(line))
		if err != nil { // a line of numbers that does not parse
			idle()
			return fmt.Errorf("%s line %d %v", name, in.Line(), err)
		}
		if err := fn(a); err != nil {
			return err
		}
		if !in.Waiting() {
			if err := idle(); err != nil {
				return err
			}
		}
	}
	return p.PredictTexts(texts, fn)
}

// images answers every image of an IDX file, in blocks.
func (p *Predictor) images(path string, fn func(*Answer) error) error {
	v := p.m.Vectorizer
	if v.Mode != vectorize.Dense {
		return fmt.Errorf("%s holds IDX images, but the model reads text; images need a model trained on pixels (vectorizer.mode dense)", path)
	}
	im, err := data.ReadIDXImages(path)
	if err != nil {
		return err
	}
	if err := checkImagesFit(p.m, im); err != nil {
		return err
	}
	n := im.Rows * im.Cols
	for lo := 0; lo < im.Count; lo += Block {
		hi := min(im.Count, lo+Block)
		if err := p.PredictRows(v.TransformBytes(im.Pixels[lo*n:hi*n]), fn); err != nil {
			return err
		}
	}
	return nil
}
