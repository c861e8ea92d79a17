package serve

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/go-json-experiment/json/jsontext"
)

// Request is one predict request's body, decoded:
//
//	{"texts": ["...", ...], "top_k": 2, "explain": 5, "threshold": 0.7}
//	{"instances": [[0, 0.5, ...], ...]}
//
// Exactly one of Texts and Instances holds the inputs.
type Request struct {
	Texts []string
	// Instances are rows of numbers (a table's columns, an image's pixels),
	// row after row in Values, Width numbers each.
	Instances int
	Width     int
	Values    []float64
	// TopK is how many labels each answer ranks (top_k; 1 when absent).
	TopK int
	// Explain is how many tokens explain each answer (explain; 0 none).
	Explain int
	// Threshold is a two-label model's cut (threshold), or every label's of
	// a multi-label model, when HasThreshold.
	Threshold    float64
	HasThreshold bool
}

// Inputs returns how many inputs the request holds.
func (r *Request) Inputs() int {
	if r.Texts != nil {
		return len(r.Texts)
	}
	return r.Instances
}

// RequestError is a request the server refuses, with the HTTP status that
// says why and a one-sentence message for the client.
type RequestError struct {
	Status int
	Msg    string
}

func (e *RequestError) Error() string { return e.Msg }

func badRequest(format string, args ...any) *RequestError {
	return &RequestError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// fields names what a request may hold, for messages.
const fields = `"texts" or "instances", and optionally "top_k", "explain", "threshold"`

// Decode reads one predict request from r, holding at most maxInputs
// inputs. It reads value by value, refusing an unexpected one before
// reading it, so nothing deeper than the request's own arrays is followed: a larger request is refused with 413 as soon as its input
// maxInputs+1 is seen, before it is read further. Errors are
// *RequestError: 400 naming what is wrong and where, 413 for a request (or,
// through http.MaxBytesReader, a body) that is too large.
func Decode(r io.Reader, maxInputs int) (*Request, error) {
	return decode(r, maxInputs, -1)
}

// decode is Decode of a body of size bytes (-1 when unknown), which sizes
// the memory set aside for its texts.
func decode(r io.Reader, maxInputs int, size int64) (*Request, error) {
	d := decoders.Get().(*decoder)
	d.dec.Reset(r)
	d.max = maxInputs
	d.size = size
	req, err := d.request()
	if err != nil {
		req, err = nil, d.explain(err)
	}
	// The texts' memory is the request's now.
	d.arena = nil
	// A decoder keeps its buffer for the next request, unless a large body
	// grew it: that memory goes back to the heap.
	if d.dec.InputOffset() <= pooledBuffer {
		d.dec.Reset(noInput)
		decoders.Put(d)
	}
	return req, err
}

// decoders are reused: a decoder and the buffer it grows cost more to make
// than a short request costs to read.
var decoders = sync.Pool{New: func() any { return &decoder{dec: jsontext.NewDecoder(noInput)} }}

// pooledBuffer is the largest body after which a decoder is reused.
const pooledBuffer = 64 << 10

// noInput is what a pooled decoder holds instead of a request's body.
var noInput = strings.NewReader("")

type decoder struct {
	dec  *jsontext.Decoder
	max  int
	size int64 // the body's bytes, -1 unknown
	// arena holds the request's texts back to back, unquoted: one
	// allocation for many texts (or a few, in chunks) instead of two for
	// each, and one copy of each text's bytes instead of two.
	arena []byte
}

// textChunk is the most memory set aside for texts at a time: a body
// that announces a large length but sends it slowly holds no more than
// this beyond what it has sent.
const textChunk = 64 << 10

// text returns the string a JSON string literal holds (raw, as the
// decoder read it, quotes and escapes included), unquoted into the arena.
// The string aliases the arena: that is safe because bytes of the arena,
// once handed out, are never written again — later texts go after them,
// or into a new chunk when they do not fit.
func (d *decoder) text(raw []byte) (string, error) {
	// Unquoted, a string is shorter than its literal (an escape is longer
	// than what it stands for; invalid UTF-8, which would grow, has been
	// refused by the decoder).
	if cap(d.arena)-len(d.arena) < len(raw) {
		chunk := int64(textChunk)
		if d.size >= 0 {
			// What is left of the body, this string included.
			chunk = min(chunk, d.size-d.dec.InputOffset()+int64(len(raw)))
		}
		d.arena = make([]byte, 0, max(int64(len(raw)), chunk))
	}
	start := len(d.arena)
	var err error
	if d.arena, err = jsontext.AppendUnquote(d.arena, raw); err != nil {
		return "", err
	}
	b := d.arena[start:]
	if len(b) == 0 {
		return "", nil
	}
	return unsafe.String(&b[0], len(b)), nil
}

// tooMany is the error for a request holding more inputs than allowed.
type tooMany struct{ field string }

func (e tooMany) Error() string { return "too many " + e.field }

func (d *decoder) request() (*Request, error) {
	req := &Request{TopK: 1}
	if err := d.expect('{', "the request body must be a JSON object holding "+fields); err != nil {
		return nil, err
	}
	// The decoder refuses a name given twice; these say which inputs were
	// given, for the checks below.
	var sawTexts, sawInstances bool
	for d.dec.PeekKind() == '"' {
		tok, err := d.dec.ReadToken()
		if err != nil {
			return nil, err
		}
		switch name := tok.String(); name {
		case "texts":
			sawTexts = true
			err = d.texts(req)
		case "instances":
			sawInstances = true
			err = d.instances(req)
		case "top_k":
			req.TopK, err = d.count("top_k", 1)
		case "explain":
			req.Explain, err = d.count("explain", 0)
		case "threshold":
			req.Threshold, err = d.number("threshold")
			req.HasThreshold = true
		default:
			return nil, badRequest("the request holds an unknown field %s; a request holds %s", strconv.Quote(name), fields)
		}
		if err != nil {
			return nil, err
		}
	}
	if _, err := d.dec.ReadToken(); err != nil { // the closing brace
		return nil, err
	}
	if _, err := d.dec.ReadToken(); err != io.EOF {
		if err == nil {
			return nil, badRequest("the request body holds more than one JSON value; send one object")
		}
		return nil, err
	}
	switch {
	case sawTexts && sawInstances:
		return nil, badRequest(`the request holds both "texts" and "instances"; send one of them`)
	case req.Inputs() == 0:
		if sawTexts || sawInstances {
			return nil, badRequest(`the request holds no inputs; send at least one text or instance`)
		}
		return nil, badRequest(`the request holds neither "texts" nor "instances"; send {"texts": ["..."]}`)
	}
	return req, nil
}

// expect reads one token that must be of kind k (an opening bracket),
// failing with msg when it is another.
func (d *decoder) expect(k jsontext.Kind, msg string) error {
	if kind := d.dec.PeekKind(); kind != k {
		if kind == jsontext.KindInvalid {
			_, err := d.dec.ReadToken() // the syntax or read error
			if err == nil || err == io.EOF {
				err = badRequest("%s, but it ends there", msg)
			}
			return err
		}
		return badRequest("%s, not %s", msg, kindName(kind))
	}
	_, err := d.dec.ReadToken()
	return err
}

// texts reads "texts": an array of strings (or null).
func (d *decoder) texts(req *Request) error {
	if d.dec.PeekKind() == 'n' {
		_, err := d.dec.ReadToken()
		return err
	}
	if err := d.expect('[', `"texts" must be an array of strings`); err != nil {
		return err
	}
	req.Texts = []string{}
	for i := 0; d.dec.PeekKind() != ']'; i++ {
		if kind := d.dec.PeekKind(); kind != '"' {
			if kind == jsontext.KindInvalid {
				_, err := d.dec.ReadToken()
				return err
			}
			return badRequest("texts[%d] must be a string, not %s", i, kindName(kind))
		}
		if i == d.max {
			return tooMany{"texts"}
		}
		raw, err := d.dec.ReadValue()
		if err != nil {
			return err
		}
		text, err := d.text(raw)
		if err != nil {
			return err
		}
		req.Texts = append(req.Texts, text)
	}
	_, err := d.dec.ReadToken()
	return err
}

// instances reads "instances": an array of arrays of numbers, all of one
// length (or null).
func (d *decoder) instances(req *Request) error {
	if d.dec.PeekKind() == 'n' {
		_, err := d.dec.ReadToken()
		return err
	}
	if err := d.expect('[', `"instances" must be an array of arrays of numbers`); err != nil {
		return err
	}
	for i := 0; d.dec.PeekKind() != ']'; i++ {
		if i == d.max {
			return tooMany{"instances"}
		}
		if err := d.expect('[', fmt.Sprintf("instances[%d] must be an array of numbers", i)); err != nil {
			return err
		}
		n := 0
		for ; d.dec.PeekKind() != ']'; n++ {
			x, err := d.number(fmt.Sprintf("instances[%d][%d]", i, n))
			if err != nil {
				return err
			}
			req.Values = append(req.Values, x)
		}
		if _, err := d.dec.ReadToken(); err != nil {
			return err
		}
		switch {
		case n == 0:
			return badRequest("instances[%d] is empty; an instance is an array of numbers", i)
		case i == 0:
			req.Width = n
		case n != req.Width:
			return badRequest("instances[%d] has %d numbers, but instances[0] has %d; every instance has the model's columns", i, n, req.Width)
		}
		req.Instances++
	}
	_, err := d.dec.ReadToken()
	return err
}

// number reads a finite JSON number, named what in messages.
func (d *decoder) number(what string) (float64, error) {
	kind := d.dec.PeekKind()
	if kind != '0' {
		if kind == jsontext.KindInvalid {
			_, err := d.dec.ReadToken()
			return 0, err
		}
		return 0, badRequest("%s must be a number, not %s", what, kindName(kind))
	}
	tok, err := d.dec.ReadToken()
	if err != nil {
		return 0, err
	}
	x, err := tok.Float()
	if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
		return 0, badRequest("%s is %s, too large for a 64-bit float", what, tok.String())
	}
	return x, nil
}

// count reads a whole number of at least least, named what in messages.
func (d *decoder) count(what string, least int) (int, error) {
	x, err := d.number(what)
	if err != nil {
		return 0, err
	}
	// 1<<20 is far beyond any model's labels or a text's tokens, and keeps
	// the conversion to int exact.
	if x != math.Trunc(x) || x < float64(least) || x > 1<<20 {
		return 0, badRequest("%s must be a whole number of at least %d, not %v", what, least, x)
	}
	return int(x), nil
}

// explain turns what went wrong while reading into a *RequestError: the
// decoder's own, a body too large, a syntax error placed by its byte, or a
// body that could not be read.
func (d *decoder) explain(err error) error {
	var re *RequestError
	var tm tooMany
	var mb *http.MaxBytesError
	var se *jsontext.SyntacticError
	var ne net.Error
	switch {
	case errors.As(err, &re):
		return re
	case errors.As(err, &tm):
		return &RequestError{http.StatusRequestEntityTooLarge, fmt.Sprintf("the request holds more than %d %s; send at most %d per request", d.max, tm.field, d.max)}
	case errors.As(err, &mb):
		return &RequestError{http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is larger than %d bytes; send fewer inputs per request", mb.Limit)}
	case errors.As(err, &ne) && ne.Timeout():
		return &RequestError{http.StatusRequestTimeout, "the request body did not arrive within the server's read timeout"}
	case errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF:
		return badRequest("the request body ends in the middle of its JSON, after byte %d", d.dec.InputOffset())
	case errors.As(err, &se) && se.Err != nil:
		if errors.Is(se.Err, jsontext.ErrDuplicateName) {
			return badRequest("the request holds the field %s twice", strconv.Quote(se.JSONPointer.LastToken()))
		}
		return badRequest("the request body is not valid JSON: %s at byte %d", strings.TrimPrefix(se.Err.Error(), "jsontext: "), se.ByteOffset)
	}
	return &RequestError{http.StatusBadRequest, fmt.Sprintf("the request body could not be read: %v", err)}
}

// kindName names a JSON kind for messages.
func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 'f', 't':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return "the end of the body"
}
