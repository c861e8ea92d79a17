package data

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestParseObject(t *testing.T) {
	want := []string{"text", "label"}
	for _, c := range []struct {
		line        string
		text, label jsonField
		err         string
	}{
		{line: `{"text": "a \"b\" \u00e9\ud83d\ude00", "label": "pos"}`,
			text: jsonField{found: true, isStr: true, value: "a \"b\" é😀"}, label: jsonField{found: true, isStr: true, value: "pos"}},
		{line: `{"label": 3, "other": [1, {"x": null}], "text": "t"}`,
			text: jsonField{found: true, isStr: true, value: "t"}, label: jsonField{found: true, value: "3"}},
		{line: `{"text": null}`, text: jsonField{found: true, isNull: true, value: "null"}},
		{line: ` {} `},
		{line: `{"text": "x", "text": "y"}`, text: jsonField{found: true, isStr: true, value: "y"}},
		{line: `{"text": {"a": 1}, "text": "y"}`, text: jsonField{found: true, isStr: true, value: "y"}},
		{line: `{"text": ["a"]}`, text: jsonField{found: true, isList: true, list: []string{"a"}}},
		{line: `{"label": [], "text": "t"}`, text: jsonField{found: true, isStr: true, value: "t"}, label: jsonField{found: true, isList: true}},
		{line: `{"label": [ "grain" , "wh\u0065at"], "text": "t"}`, text: jsonField{found: true, isStr: true, value: "t"}, label: jsonField{found: true, isList: true, list: []string{"grain", "wheat"}}},
		{line: `{"label": ["a"], "label": "b"}`, label: jsonField{found: true, isStr: true, value: "b"}},
		{line: `{"text": ["a", 1]}`, err: `field "text" is a list holding other than strings (a number, null, a list or an object); a list may hold only strings, such as ["grain", "wheat"]`},
		{line: `{"text": ["a", null]}`, err: `field "text" is a list holding other than strings (a number, null, a list or an object); a list may hold only strings, such as ["grain", "wheat"]`},
		{line: `{"text": {"a": "b"}}`, err: `field "text" is an object, not a string, a number or a list of strings`},
		{line: `{"text": ["a",]}`, err: "invalid JSON at byte 15: expected a value"},
		{line: `{"text": ["a" "b"]}`, err: "invalid JSON at byte 15: expected ',' or a closing bracket"},
		{line: `{"text": ["a\x"]}`, err: "invalid JSON at byte 14: invalid escape in string"},
		{line: `["text"]`, err: "not a JSON object"},
		{line: `{"text": "x",}`, err: "invalid JSON at byte 14: expected a string"},
		{line: `{"text": "x"} junk`, err: "invalid JSON at byte 15: unexpected text after the object"},
		{line: `{"text": 01}`, err: "invalid JSON at byte 11: expected ',' or '}' in object"},
		{line: `{"text": "a` + "\t" + `b"}`, err: "invalid JSON at byte 12: control character in string"},
		{line: `{"text": "\x"}`, err: "invalid JSON at byte 12: invalid escape in string"},
		{line: `{"text": "x"`, err: "invalid JSON at the end of the line: expected ',' or '}' in object"},
		{line: `{"text": "x`, err: "invalid JSON at the end of the line: unterminated string"},
		{line: `{"a": ` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, err: "invalid JSON at byte 72: nested too deeply"},
	} {
		got := make([]jsonField, 2)
		err := parseObject([]byte(c.line), want, got)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%s: got error %v, want %q", c.line, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got[0], c.text) || !reflect.DeepEqual(got[1], c.label) {
			t.Errorf("%s: got %+v %+v %v, want %+v %+v", c.line, got[0], got[1], err, c.text, c.label)
		}
	}
}

// TestPlainLen holds plainLen's eight-bytes-at-a-time scan to a byte loop,
// with each kind of byte that ends a plain run, and a non-ASCII one, at
// every offset of a string longer than two words.
func TestPlainLen(t *testing.T) {
	want := func(b []byte) (int, bool) {
		ascii := true
		for i, c := range b {
			if c == '"' || c == '\\' || c < 0x20 {
				return i, ascii
			}
			ascii = ascii && c < 0x80
		}
		return len(b), ascii
	}
	for _, end := range []byte{'"', '\\', 0, 0x1f, 0x20, 0x7f, 0x80, 0xff, '!', '#', '[', ']'} {
		for _, high := range []int{-1, 0, 3, 7, 8, 12} {
			for at := range 20 {
				b := []byte("abcdefghijklmnopqrstuvwxyz")[:at+1+at%3]
				b[at] = end
				if high >= 0 && high < len(b) && high != at {
					b[high] = 0xc3
				}
				n, ascii := plainLen(b)
				wn, wascii := want(b)
				if n != wn || ascii != wascii {
					t.Fatalf("plainLen(%q) = %d, %v; want %d, %v", b, n, ascii, wn, wascii)
				}
			}
		}
	}
}

// FuzzParseObject holds the hand-written JSONL parser to encoding/json:
// what encoding/json decodes as an object, parseObject accepts with the
// same text and label; what encoding/json rejects, parseObject rejects.
// The one deliberate difference: parseObject refuses nesting deeper than
// maxJSONDepth, which no data line needs.
func FuzzParseObject(f *testing.F) {
	for _, s := range []string{
		`{"text": "great film", "label": "pos"}`,
		`{"text":"a\nb\u00e9\ud83d\ude00","label":1}`,
		`{"label": null, "text": "x", "meta": {"a": [1, 2.5e-3, true, false, null]}}`,
		`{"text": "x", "text": "y"}`,
		`{"text": {"k": "v"}}`,
		`{"text": "\ud800"}`,
		`{"text": "\ud800\u0041"}`,
		"{\"text\": \"\xff\xfe invalid utf-8\"}",
		`{"text": -0.5E+10, "label": "x"}`,
		`{"text": 1.}`,
		`{"text": "x"} {"text": "y"}`,
		`[1, 2]`,
		`null`,
		`{"text" "x"}`,
		`  {"text": "x"}  `,
		"{\"text\": \"x\"}\n",
		`{"":"","text":""}`,
		`{"text": "x", "label": ["a", "b\u00e9"]}`,
		`{"text": "x", "label": []}`,
		`{"text": "x", "label": ["a", null]}`,
		`{"text": "x", "label": ["a", ["b"]]}`,
		`{"text": ["x"], "label": [ ]}`,
		`{"text": "0123456789abcdef\"ghij\\klmno\u00e9pq é xyz 0123456789", "label": "pos"}`,
		"{\"text\": \"0123456789abcdef é ghijklmno \xe2\x80\", \"label\": \"a\\tb c\xc3\xa9d\xffe\"}",
		"{\"0123456789\": 1, \"text\": \"01234567\x01\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		got := make([]jsonField, 2)
		err := parseObject(line, []string{"text", "label"}, got)

		var obj map[string]json.RawMessage
		jerr := json.Unmarshal(line, &obj)
		isObject := jerr == nil && obj != nil // "null" decodes into a nil map
		if !isObject {
			if err == nil {
				t.Fatalf("parseObject accepted %q, which encoding/json does not decode as an object (%v)", line, jerr)
			}
			return
		}
		if err != nil {
			if strings.Contains(err.Error(), "nested too deeply") {
				return
			}
			if strings.Contains(err.Error(), "is an object, not") || strings.Contains(err.Error(), "is a list holding other than strings") {
				for k, raw := range obj {
					if (k == "text" || k == "label") && len(raw) > 0 && (raw[0] == '{' || raw[0] == '[' && !stringList(raw)) {
						return
					}
				}
			}
			t.Fatalf("parseObject refused %q (%v), which encoding/json decodes", line, err)
		}
		for k, name := range []string{"text", "label"} {
			raw, ok := obj[name]
			if ok != got[k].found {
				t.Fatalf("%q: field %s found %v, encoding/json says %v", line, name, got[k].found, ok)
			}
			if !ok {
				continue
			}
			if raw[0] == '[' {
				var want []string
				if !stringList(raw) || json.Unmarshal(raw, &want) != nil {
					t.Fatalf("%q: field %s = %+v, but encoding/json's %s is not a list of strings", line, name, got[k], raw)
				}
				if !got[k].isList || !slices.Equal(got[k].list, want) || len(got[k].list) != len(want) {
					t.Fatalf("%q: field %s = %+v, encoding/json says %q", line, name, got[k], want)
				}
				continue
			}
			var s string
			if json.Unmarshal(raw, &s) == nil && raw[0] == '"' {
				if !got[k].isStr || got[k].value != s {
					t.Fatalf("%q: field %s = %q (string %v), encoding/json says %q", line, name, got[k].value, got[k].isStr, s)
				}
				continue
			}
			if got[k].isStr || got[k].value != string(raw) || got[k].isNull != (string(raw) == "null") {
				t.Fatalf("%q: field %s = %+v, encoding/json's raw value is %s", line, name, got[k], raw)
			}
		}
	})
}

// stringList reports whether the JSON value raw is an array whose every
// element is a string (encoding/json would also decode null into a
// string, which parseObject refuses as a label).
func stringList(raw json.RawMessage) bool {
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return false
	}
	for _, it := range items {
		if len(it) == 0 || it[0] != '"' {
			return false
		}
	}
	return true
}
