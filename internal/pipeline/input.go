package pipeline

import (
	"fmt"
	"io"

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
	// Format is how the input is read: FormatLines, or the record
	// formats data.FormatJSONL, FormatCSV, FormatTSV; "" reads R as lines
	// and Path as its name says.
	Format string
	// TextField is the records' field holding the text; "" is the model's
	// data.text_field.
	TextField string
	// Features are the records' columns holding a dense model's features,
	// in the model's order; empty: the columns named as the model's.
	Features []string
	// Keep are the records' fields each Answer carries (Answer.Keep), to
	// be written beside it.
	Keep []string
	// LabelField is the records' label field, which is left alone; ""
	// is the model's data.label_field. Warn knows a header by it.
	LabelField string
	// Warn, when set, is told when input read as lines looks like records
	// (its first line a JSON object, or a header naming the model's
	// fields), with the format that reads it.
	Warn func(string)
	// Stream answers each line as soon as it is read (a person or a
	// program may be waiting for it) and calls Idle whenever no further
	// input has arrived yet; otherwise lines are answered in blocks.
	// Lines of numbers (a dense model) are always streamed, so that a
	// line that does not parse is reported by its number.
	Stream bool
	Idle   func() error
	// Shard, when not whole, reads only that share of the file at Path:
	// the lines (records) starting in its byte range (data.Section), or
	// its share of an IDX file's images. Shards' answers, concatenated in
	// shard order, are the answers to the whole file.
	Shard data.Shard
}

// Run answers every input of in, calling fn with each answer in input
// order: every line gets exactly one answer, empty lines too.
func (p *Predictor) Run(in Input, fn func(*Answer) error) error {
	idle := in.Idle
	if idle == nil {
		idle = func() error { return nil }
	}
	dense := p.m.Vectorizer.Mode == vectorize.Dense
	if !in.Shard.Whole() && in.R == nil && !data.IsIDX(in.Path) {
		return p.section(in, fn, idle)
	}
	if format := in.format(); format != "" {
		// Streamed in blocks: a file of millions of texts needs no more
		// memory than one block.
		return p.records(in, format, fn, idle)
	}
	if in.R != nil {
		return p.lines(in.R, in.Name, in.Stream || dense, fn, idle, in.sniffer(p, in.Name), nil)
	}
	if data.IsIDX(in.Path) {
		return p.images(in.Path, in.Shard, fn)
	}
	r, file, err := data.OpenText(in.Path)
	if err != nil {
		return err
	}
	defer file.Close()
	return p.lines(r, in.Path, in.Stream || dense, fn, idle, in.sniffer(p, in.Path), nil)
}

// section answers the inputs of in's shard of the file at in.Path, read
// as the whole file would be; errors name the file's own lines.
func (p *Predictor) section(in Input, fn func(*Answer) error, idle func() error) error {
	format := in.format()
	r, sec, c, err := data.OpenSection(in.Path, in.Shard, format == data.FormatCSV || format == data.FormatTSV)
	if err != nil {
		return err
	}
	defer c.Close()
	in.R, in.Name, in.Format = r, in.Path, format
	if format == "" {
		in.Format = FormatLines
		// Only shard 0 sees the first line: the others' would be a
		// line in the middle of the file.
		first := in.sniffer(p, in.Path)
		if sec.Start > 0 {
			first = nil
		}
		err = p.lines(r, in.Path, in.Stream || p.m.Vectorizer.Mode == vectorize.Dense, fn, idle, first, sec.FileLine)
	} else {
		err = p.records(in, format, fn, idle)
	}
	return sec.FixLine(err)
}

// lines answers every line of r: one by one with stream, each answered as
// it is read and idle called as soon as no more input is already
// buffered; otherwise in blocks. first, when set, is shown the first line
// (to warn when it starts records). fileLine, when set, turns a line of r
// into a line of the file (r is a shard's section of it).
func (p *Predictor) lines(r io.Reader, name string, stream bool, fn func(*Answer) error, idle func() error, first func([]byte), fileLine func(int) int) error {
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
		if in.Line() == 1 && first != nil {
			first(line)
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
			n := in.Line()
			if fileLine != nil {
				n = fileLine(n)
			}
			return fmt.Errorf("%s line %d %v", name, n, err)
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

// images answers every image of an IDX file, or the shard's share of
// them, in blocks.
func (p *Predictor) images(path string, shard data.Shard, fn func(*Answer) error) error {
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
	first, last := shard.Range(int64(im.Count))
	for lo := int(first); lo < int(last); lo += Block {
		hi := min(int(last), lo+Block)
		if err := p.PredictRows(v.TransformBytes(im.Pixels[lo*n:hi*n]), fn); err != nil {
			return err
		}
	}
	return nil
}
