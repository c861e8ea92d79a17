package serve

import (
	"encoding/json"
	stdio "io"
	"math"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// Every malformed request is refused with the status that says why and a
// message naming the problem, where a person can find it.
func TestDecodeRefusals(t *testing.T) {
	for _, c := range []struct {
		body   string
		status int
		msg    string
	}{
		{``, 400, `^the request body must be a JSON object holding "texts" or "instances".*, but it ends there$`},
		{`   `, 400, `but it ends there$`},
		{`[]`, 400, `^the request body must be a JSON object .*, not an array$`},
		{`"texts"`, 400, `, not a string$`},
		{`{`, 400, `^the request body ends in the middle of its JSON, after byte 1$`},
		{`{"texts": ["a"`, 400, `^the request body ends in the middle of its JSON, after byte 14$`},
		{`{"texts": ["a"]`, 400, `^the request body ends in the middle of its JSON`},
		{`{"texts": ["a"]}}`, 400, `^the request body is not valid JSON: invalid character '}' .*at byte 16$`},
		{`{"texts": ["a"]} {}`, 400, `^the request body holds more than one JSON value; send one object$`},
		{`{texts: ["a"]}`, 400, `^the request body is not valid JSON: invalid character 'e' in literal true \(expecting 'r'\) at byte 2$`},
		{`{"texts": ["a",]}`, 400, `^the request body is not valid JSON: invalid character ',' at start of value at byte 14$`},
		{"{\"texts\": [\"\xff\"]}", 400, `^the request body is not valid JSON: invalid UTF-8 .*at byte 12$`},
		{`{"text": ["a"]}`, 400, `^the request holds an unknown field "text"; a request holds "texts" or "instances", and optionally "top_k", "explain", "threshold"$`},
		{`{"texts": ["a"], "texts": ["b"]}`, 400, `^the request holds the field "texts" twice$`},
		{`{"texts": "a"}`, 400, `^"texts" must be an array of strings, not a string$`},
		{`{"texts": {"a": 1}}`, 400, `^"texts" must be an array of strings, not an object$`},
		{`{"texts": ["a", 3]}`, 400, `^texts\[1\] must be a string, not a number$`},
		{`{"texts": ["a", null]}`, 400, `^texts\[1\] must be a string, not null$`},
		{`{"texts": [["a"]]}`, 400, `^texts\[0\] must be a string, not an array$`},
		{`{"texts": []}`, 400, `^the request holds no inputs; send at least one text or instance$`},
		{`{"texts": null}`, 400, `^the request holds no inputs`},
		{`{}`, 400, `^the request holds neither "texts" nor "instances"; send \{"texts": \["..."\]\}$`},
		{`{"top_k": 2}`, 400, `^the request holds neither "texts" nor "instances"`},
		{`{"texts": ["a"], "instances": [[1]]}`, 400, `^the request holds both "texts" and "instances"; send one of them$`},
		{`{"instances": [1, 2]}`, 400, `^instances\[0\] must be an array of numbers, not a number$`},
		{`{"instances": [[1, "2"]]}`, 400, `^instances\[0\]\[1\] must be a number, not a string$`},
		{`{"instances": [[1, 2], [3]]}`, 400, `^instances\[1\] has 1 numbers, but instances\[0\] has 2; every instance has the model's columns$`},
		{`{"instances": [[]]}`, 400, `^instances\[0\] is empty; an instance is an array of numbers$`},
		{`{"instances": [[1e999]]}`, 400, `^instances\[0\]\[0\] is 1e999, too large for a 64-bit float$`},
		{`{"texts": ["a"], "top_k": 0}`, 400, `^top_k must be a whole number of at least 1, not 0$`},
		{`{"texts": ["a"], "top_k": 1.5}`, 400, `^top_k must be a whole number of at least 1, not 1.5$`},
		{`{"texts": ["a"], "top_k": "2"}`, 400, `^top_k must be a number, not a string$`},
		{`{"texts": ["a"], "explain": -1}`, 400, `^explain must be a whole number of at least 0, not -1$`},
		{`{"texts": ["a"], "explain": 1e300}`, 400, `^explain must be a whole number of at least 0, not 1e\+300$`},
		{`{"texts": ["a"], "threshold": true}`, 400, `^threshold must be a number, not a boolean$`},
		{`{"texts": ["a", "b", "c", "d"]}`, 413, `^the request holds more than 3 texts; send at most 3 per request$`},
		{`{"instances": [[1], [2], [3], [4]]}`, 413, `^the request holds more than 3 instances; send at most 3 per request$`},
	} {
		_, err := Decode(strings.NewReader(c.body), 3)
		re, ok := err.(*RequestError)
		if !ok {
			t.Errorf("%q: error %v (%T), want a *RequestError", c.body, err, err)
			continue
		}
		if re.Status != c.status || !regexp.MustCompile(c.msg).MatchString(re.Msg) {
			t.Errorf("%q: %d %q, want %d %s", c.body, re.Status, re.Msg, c.status, c.msg)
		}
	}
}

// A body cut off by http.MaxBytesReader is 413, saying the limit.
func TestDecodeBodyTooLarge(t *testing.T) {
	body := http.MaxBytesReader(nil, stdio.NopCloser(reader(`{"texts": ["`+strings.Repeat("a", 100)+`"]}`)), 50)
	_, err := Decode(body, 10)
	re, ok := err.(*RequestError)
	if !ok || re.Status != 413 || re.Msg != "the request body is larger than 50 bytes; send fewer inputs per request" {
		t.Errorf("error %v, want 413 naming the limit of 50 bytes", err)
	}
}

func reader(s string) *strings.Reader { return strings.NewReader(s) }

// What a request holds is read exactly: escapes, numbers, options.
func TestDecodeReads(t *testing.T) {
	req, err := Decode(reader(`{"top_k": 2, "texts": ["a\"b\u00e9\n", ""], "explain": 3, "threshold": 0.25}`), 10)
	if err != nil {
		t.Fatal(err)
	}
	want := &Request{Texts: []string{"a\"bé\n", ""}, TopK: 2, Explain: 3, Threshold: 0.25, HasThreshold: true}
	if !reflect.DeepEqual(req, want) {
		t.Errorf("got %+v, want %+v", req, want)
	}
	// Texts are unquoted into chunks of memory shared by several texts:
	// with the body's length known or not, texts across chunks, texts
	// larger than a chunk and empty texts come back whole.
	long := strings.Repeat("x", textChunk+5)
	texts := []string{"a", long, "", strings.Repeat("é\"", textChunk/3), long[:textChunk/2], "b"}
	for i := range 50 {
		texts = append(texts, strings.Repeat("y", i*97))
	}
	b, _ := json.Marshal(map[string][]string{"texts": texts})
	for _, size := range []int64{-1, int64(len(b))} {
		req, err := decode(reader(string(b)), 100, size)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(req.Texts, texts) {
			t.Errorf("size %d: the texts came back otherwise", size)
		}
	}
	req, err = Decode(reader(`{"instances": [[1, -2.5e-3], [0, 255]]}`), 10)
	if err != nil {
		t.Fatal(err)
	}
	want = &Request{Instances: 2, Width: 2, Values: []float64{1, -2.5e-3, 0, 255}, TopK: 1}
	if !reflect.DeepEqual(req, want) {
		t.Errorf("got %+v, want %+v", req, want)
	}
}

// FuzzDecode feeds the decoder arbitrary bodies: it never panics, refuses
// with 400 or 413 only, accepts only valid JSON, and what it accepts holds
// what encoding/json reads from the same body.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"texts": ["a", "b"]}`, `{"instances": [[1, 2], [3, 4]], "top_k": 2}`,
		`{"texts": ["x"], "explain": 2, "threshold": 0.5}`, `{"texts": [1]}`, `{"texts": ["\u00e9\ud83d\ude00"]}`,
		`{"instances": [[1e400]]}`, `[]`, `{"texts": ["a"]} x`, `{"a": {"b": [[[[1]]]]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := Decode(strings.NewReader(string(body)), 5)
		if err != nil {
			re, ok := err.(*RequestError)
			if !ok || (re.Status != 400 && re.Status != 413) || re.Msg == "" || strings.Contains(re.Msg, "\n") {
				t.Fatalf("%q: error %#v, want a one-line 400 or 413", body, err)
			}
			return
		}
		if !json.Valid(body) {
			t.Fatalf("%q is not valid JSON, but was accepted", body)
		}
		var std struct {
			Texts     []string    `json:"texts"`
			Instances [][]float64 `json:"instances"`
			TopK      *float64    `json:"top_k"`
			Explain   *float64    `json:"explain"`
			Threshold *float64    `json:"threshold"`
		}
		if err := json.Unmarshal(body, &std); err != nil {
			t.Fatalf("%q: accepted, but encoding/json says %v", body, err)
		}
		n := req.Inputs()
		if n < 1 || n > 5 || (req.Texts == nil) == (std.Texts != nil) {
			t.Fatalf("%q: %d inputs, texts %v", body, n, req.Texts)
		}
		if req.Texts != nil && !reflect.DeepEqual(req.Texts, std.Texts) {
			t.Fatalf("%q: texts %q, encoding/json reads %q", body, req.Texts, std.Texts)
		}
		if req.Texts == nil {
			if len(std.Instances) != req.Instances || len(req.Values) != req.Instances*req.Width {
				t.Fatalf("%q: %d instances of %d in %d values", body, req.Instances, req.Width, len(req.Values))
			}
			for i, row := range std.Instances {
				for j, x := range row {
					if got := req.Values[i*req.Width+j]; got != x || math.IsInf(got, 0) {
						t.Fatalf("%q: instances[%d][%d] = %v, encoding/json reads %v", body, i, j, got, x)
					}
				}
			}
		}
		if (std.TopK == nil && req.TopK != 1) || (std.TopK != nil && float64(req.TopK) != *std.TopK) ||
			(std.Explain != nil && float64(req.Explain) != *std.Explain) || req.HasThreshold != (std.Threshold != nil) {
			t.Fatalf("%q: options %+v", body, req)
		}
	})
}
