package data

import (
	"errors"
	"fmt"
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
			key, err := p.str()
			if err != nil {
				return err
			}
			p.ws()
			if p.peek() != ':' {
				return p.fail("expected ':' after a key")
			}
			p.i++
			p.ws()
			slot := -1
			for k, w := range want {
				if w == key {
					slot = k
				}
			}
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
	start := p.i
	// Fast path: no escapes and plain ASCII/valid UTF-8.
	for p.i < len(p.b) {
		c := p.b[p.i]
		if c == '"' {
			s := p.b[start:p.i]
			p.i++
			if utf8.Valid(s) {
				return string(s), nil
			}
			p.i = start
			break
		}
		if c == '\\' || c < 0x20 {
			p.i = start
			break
		}
		p.i++
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
		case c < utf8.RuneSelf:
			out = append(out, c)
			p.i++
		default:
			r, size := utf8.DecodeRune(p.b[p.i:])
			out = utf8.AppendRune(out, r)
			p.i += size
		}
	}
}

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
