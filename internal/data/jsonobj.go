package data

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonField is a scalar field of a JSON object: its raw text for numbers,
// booleans and null, its decoded content for strings; or an array of
// strings (a multi-label example's labels), decoded into list.
type jsonField struct {
	found  bool
	isStr  bool
	value  string
	isNull bool
	isList bool
	list   []string
	// complex marks an object, or an array of anything but strings, which
	// no field dlc reads may be; array says which.
	complex bool
	array   bool
}

// maxJSONDepth bounds nesting, so a hostile line cannot exhaust the stack.
const maxJSONDepth = 64

// parseObject decodes one JSON object (one JSONL line) and extracts the
// fields named want, without building a map of everything else. It accepts
// exactly what encoding/json accepts as an object (the fuzz test holds it to
// that), and is several times faster, which matters for 50,000 reviews.
func parseObject(line []byte, want []string, out []jsonField) error {
	return parseObjectWith(line, want, out, nil)
}

// parseObjectWith is parseObject decoding escaped strings in *scratch,
// which it keeps for the next line: a review with one \" in it is then
// one allocation (its string), not a buffer grown by doubling and copied.
func parseObjectWith(line []byte, want []string, out []jsonField, scratch *[]byte) error {
	p := jsonParser{b: line, scratch: scratch}
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != '{' {
		return errors.New("not a JSON object")
	}
	p.i++
	p.ws()
	if p.peek() == '}' {
		p.i++
	} else {
		for {
			p.ws()
			slot, err := p.key(want)
			if err != nil {
				return err
			}
			p.ws()
			if p.peek() != ':' {
				return p.fail("expected ':' after a key")
			}
			p.i++
			p.ws()
			if slot >= 0 {
				f := jsonField{found: true}
				switch c := p.peek(); {
				case c == '"':
					f.isStr = true
					if f.value, err = p.str(); err != nil {
						return err
					}
				case c == '[' && p.strings(&f.list):
					f.isList = true
				case c == '{' || c == '[':
					// Refused below, once the whole line is known to be
					// JSON: a later duplicate key would replace it, as
					// encoding/json's last-one-wins does.
					f.complex, f.array = true, c == '['
					if err := p.value(0); err != nil {
						return err
					}
				default:
					start := p.i
					if err := p.value(0); err != nil {
						return err
					}
					f.value = string(p.b[start:p.i])
					f.isNull = f.value == "null"
				}
				out[slot] = f
			} else if err := p.value(0); err != nil {
				return err
			}
			p.ws()
			c := p.peek()
			if c != '}' && c != ',' {
				return p.fail("expected ',' or '}' in object")
			}
			p.i++
			if c == '}' {
				break
			}
		}
	}
	p.ws()
	if p.i != len(p.b) {
		return p.fail("unexpected text after the object")
	}
	for k, f := range out {
		if f.complex {
			if f.array {
				return fmt.Errorf("field %q is a list holding other than strings (a number, null, a list or an object); a list may hold only strings, such as [\"grain\", \"wheat\"]", want[k])
			}
			return fmt.Errorf("field %q is an object, not a string, a number or a list of strings", want[k])
		}
	}
	return nil
}

// strings decodes an array of strings at p.i into *list (reusing its
// storage) and reports whether it was one; when it was not (an element of
// another kind, or malformed JSON), p.i is left where it was, for value
// to skip it or report the fault.
func (p *jsonParser) strings(list *[]string) bool {
	start := p.i
	out := (*list)[:0]
	p.i++ // '['
	p.ws()
	if p.peek() == ']' {
		p.i++
		*list = out
		return true
	}
	for {
		p.ws()
		if p.peek() != '"' {
			break
		}
		s, err := p.str()
		if err != nil {
			break
		}
		out = append(out, s)
		p.ws()
		c := p.peek()
		if c != ',' && c != ']' {
			break
		}
		p.i++
		if c == ']' {
			*list = out
			return true
		}
	}
	p.i = start
	return false
}

type jsonParser struct {
	b       []byte
	i       int
	scratch *[]byte // where escaped strings are decoded, when not nil
}

func (p *jsonParser) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

func (p *jsonParser) fail(msg string) error {
	if p.i >= len(p.b) {
		return fmt.Errorf("invalid JSON at the end of the line: %s", msg)
	}
	return fmt.Errorf("invalid JSON at byte %d: %s", p.i+1, msg)
}

func (p *jsonParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// value skips one JSON value of any kind, validating it.
func (p *jsonParser) value(depth int) error {
	if depth > maxJSONDepth {
		return p.fail("nested too deeply")
	}
	switch c := p.peek(); {
	case c == '"':
		_, err := p.str()
		return err
	case c == '{' || c == '[':
		closing := byte('}')
		if c == '[' {
			closing = ']'
		}
		p.i++
		p.ws()
		if p.peek() == closing {
			p.i++
			return nil
		}
		for {
			p.ws()
			if c == '{' {
				if _, err := p.str(); err != nil {
					return err
				}
				p.ws()
				if p.peek() != ':' {
					return p.fail("expected ':' after a key")
				}
				p.i++
				p.ws()
			}
			if err := p.value(depth + 1); err != nil {
				return err
			}
			p.ws()
			d := p.peek()
			if d != closing && d != ',' {
				return p.fail("expected ',' or a closing bracket")
			}
			p.i++
			if d == closing {
				return nil
			}
		}
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == '-' || ('0' <= c && c <= '9'):
		return p.number()
	}
	return p.fail("expected a value")
}

func (p *jsonParser) literal(s string) error {
	if len(p.b)-p.i < len(s) || string(p.b[p.i:p.i+len(s)]) != s {
		return p.fail("expected " + s)
	}
	p.i += len(s)
	return nil
}

// number checks the JSON number grammar: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?
func (p *jsonParser) number() error {
	digits := func() int {
		n := 0
		for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.peek() == '-' {
		p.i++
	}
	switch c := p.peek(); {
	case c == '0':
		p.i++
	case '1' <= c && c <= '9':
		digits()
	default:
		return p.fail("malformed number")
	}
	if p.peek() == '.' {
		p.i++
		if digits() == 0 {
			return p.fail("malformed number")
		}
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		p.i++
		if c := p.peek(); c == '+' || c == '-' {
			p.i++
		}
		if digits() == 0 {
			return p.fail("malformed number")
		}
	}
	return nil
}

// str decodes a JSON string at p.i, as encoding/json does: invalid UTF-8 and
// unpaired surrogates become U+FFFD.
func (p *jsonParser) str() (string, error) {
	if p.peek() != '"' {
		return "", p.fail("expected a string")
	}
	p.i++
	// Fast path: no escapes and plain ASCII/valid UTF-8.
	if s, ok := p.plain(); ok {
		return string(s), nil
	}
	var out []byte
	if p.scratch != nil {
		out = (*p.scratch)[:0]
		defer func() { *p.scratch = out[:0] }()
	}
	for {
		if p.i >= len(p.b) {
			return "", p.fail("unterminated string")
		}
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return string(out), nil
		case c < 0x20:
			return "", p.fail("control character in string")
		case c == '\\':
			p.i++
			e := p.peek()
			p.i++
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", p.fail("malformed \\u escape")
				}
				if utf16.IsSurrogate(r) {
					// A high surrogate followed by an escaped low one is one rune.
					save := p.i
					if p.peek() == '\\' && p.i+1 < len(p.b) && p.b[p.i+1] == 'u' {
						p.i += 2
						if r2, ok := p.hex4(); ok {
							if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
								out = utf8.AppendRune(out, dec)
								continue
							}
						}
					}
					p.i = save
					r = utf8.RuneError
				}
				out = utf8.AppendRune(out, r)
			default:
				p.i-- // point at the escape's letter
				return "", p.fail("invalid escape in string")
			}
		default:
			// A run of plain bytes up to the next quote, backslash or
			// control character, copied at once when it is valid UTF-8
			// (decoding it rune by rune gives the same bytes then), else
			// rune by rune. The run ends at an ASCII byte, which no
			// encoded rune continues into, so its last rune decodes as it
			// would in the whole line.
			n, ascii := plainLen(p.b[p.i:])
			run := p.b[p.i : p.i+n]
			p.i += n
			if ascii || utf8.Valid(run) {
				out = append(out, run...)
				continue
			}
			for len(run) > 0 {
				r, size := utf8.DecodeRune(run)
				out = utf8.AppendRune(out, r)
				run = run[size:]
			}
		}
	}
}

// plain returns the string at p.i (just past its opening quote) and moves
// past its closing quote when it has no escape or control character and is
// valid UTF-8, as most are; otherwise it reports false and leaves p.i.
func (p *jsonParser) plain() ([]byte, bool) {
	n, ascii := plainLen(p.b[p.i:])
	end := p.i + n
	if end >= len(p.b) || p.b[end] != '"' {
		return nil, false
	}
	s := p.b[p.i:end]
	if !ascii && !utf8.Valid(s) {
		return nil, false
	}
	p.i = end + 1
	return s, true
}

// key decodes an object's key at p.i and returns the index in want of the
// last field it names, or -1. A plain key is compared where it is, not
// made a string first.
func (p *jsonParser) key(want []string) (int, error) {
	var k []byte
	if p.peek() == '"' {
		p.i++
		s, ok := p.plain()
		if !ok {
			p.i--
		}
		k = s
	}
	if k == nil {
		s, err := p.str()
		if err != nil {
			return -1, err
		}
		k = []byte(s)
	}
	slot := -1
	for i, w := range want {
		if w == string(k) {
			slot = i
		}
	}
	return slot, nil
}

// The bytes of a 64-bit word: ones has 1 in each, hi8 their high bits.
const (
	ones = 0x0101010101010101
	hi8  = 0x8080808080808080
)

// plainLen returns how many bytes of b come before the first '"', '\\' or
// control character (below 0x20), all of b when none does, and whether
// those bytes are all ASCII. It tests eight bytes at a time: a string's
// bytes are mostly plain, and a byte-by-byte loop's three tests and
// branch per byte were the JSON reader's cost.
func plainLen(b []byte) (n int, ascii bool) {
	var high uint64
	for n+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[n:])
		// A byte's high bit is set in m when the byte is a quote, a
		// backslash or a control character (zeroBytes of x xor c flags
		// the bytes equal to c), and may be set in the bytes above such a
		// byte (a borrow), never below: its lowest set bit is exact.
		m := zeroBytes(x^('"'*ones)) | zeroBytes(x^('\\'*ones)) | (x-0x20*ones)&^x&hi8
		if m != 0 {
			k := bits.TrailingZeros64(m) / 8
			high |= x & (1<<(8*k) - 1)
			return n + k, high&hi8 == 0
		}
		high |= x
		n += 8
	}
	for ; n < len(b); n++ {
		c := b[n]
		if c == '"' || c == '\\' || c < 0x20 {
			break
		}
		high |= uint64(c)
	}
	return n, high&hi8 == 0
}

// zeroBytes sets the high bit of each byte of x that is 0 (and maybe of
// bytes above one that is: see plainLen).
func zeroBytes(x uint64) uint64 { return (x - ones) &^ x & hi8 }

func (p *jsonParser) hex4() (rune, bool) {
	if len(p.b)-p.i < 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(p.b[p.i:p.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(v), true
}

// IsJSONObject reports whether line is one JSON object.
func IsJSONObject(line []byte) bool { return parseObject(line, nil, nil) == nil }
