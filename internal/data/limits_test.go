package data

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// bomb returns a gzip stream of head, then body repeated until the stream
// decompresses to at least n bytes.
func bomb(head, body string, n int) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write([]byte(head))
	chunk := []byte(strings.Repeat(body, max(1, (1<<16)/len(body))))
	for left := n - len(head); left > 0; left -= len(chunk) {
		zw.Write(chunk)
	}
	zw.Close()
	return buf.Bytes()
}

// TestReadRefusesGzipBombs: a gzipped input that decompresses to more
// than MaxGzipRatio times its size (and more than GzipFloor) is refused
// with both sizes and the limit, in every reader that takes .gz files,
// once the limit is reached and not when the memory is full.
func TestReadRefusesGzipBombs(t *testing.T) {
	const n = GzipFloor + 1<<20
	jsonl := bomb("", `{"text": "a", "label": "b"}`+"\n", n)
	csvBomb := bomb("text,label\n", "a,b\n", n)
	tsv := bomb("text\tlabel\n", "a\tb\n", n)
	table := bomb("x,label\n", "1,b\n", n)
	unclosed := bomb("text,label\n\"", "a", n)
	// An IDX file of unknown size (a pipe) is held to the limit as it is
	// read; one on disk is refused by its header (see below).
	idx := bomb(string(idxBytes(1, []int{n}, nil)), "\x00", n)
	want := func(path string, gz []byte, binary bool) *regexp.Regexp {
		// Of unknown size (the IDX stream), the compressed bytes are those
		// read so far.
		size, in, rule := regexp.QuoteMeta(byteSize(int64(len(gz)))), " in [0-9]+ lines", ", each line counting 100 bytes more for the example it makes"
		if binary {
			size, in, rule = "[0-9.]+ KiB", "", ", each byte counting 8 for the number it becomes"
		}
		return regexp.MustCompile("^" + regexp.QuoteMeta(path+": decompresses to more than dlc reads of ") + size + " gzipped: [0-9.]+ [KM]iB" + in +
			regexp.QuoteMeta(" so far, where it allows 100 times the gzipped size, at least 8.0 MiB"+rule+"; if the file is genuine, gunzip it and give dlc the uncompressed file") + "$")
	}
	for _, c := range []struct {
		name string
		gz   []byte
		read func(p string) error
	}{
		{"a.jsonl.gz", jsonl, func(p string) error { _, err := Read(p, Fields{}); return err }},
		{"a.csv.gz", csvBomb, func(p string) error { _, err := Read(p, Fields{}); return err }},
		{"a.tsv.gz", tsv, func(p string) error { _, err := Read(p, Fields{}); return err }},
		{"unclosed.csv.gz", unclosed, func(p string) error { _, err := Read(p, Fields{}); return err }},
		{"table.csv.gz", table, func(p string) error { _, err := ReadTable(p, TableFields{}); return err }},
		{"labels-idx1-ubyte.gz", idx, func(p string) error {
			b, _ := os.ReadFile(p)
			_, _, err := decodeIDX(bytes.NewReader(b), -1, p, 1)
			return err
		}},
		{"lines.txt.gz", jsonl, func(p string) error {
			f, _ := os.Open(p)
			defer f.Close()
			r, err := TextReader(f, p)
			if err != nil {
				return err
			}
			lr := NewLineReader(r, p)
			for {
				if _, err := lr.Next(); err != nil {
					return err
				}
			}
		}},
	} {
		p := writeTemp(t, c.name, c.gz)
		err := c.read(p)
		binary := c.name == "labels-idx1-ubyte.gz"
		if err == nil || !want(p, c.gz, binary).MatchString(err.Error()) {
			t.Errorf("%s:\n got %v\nwant %s", c.name, err, want(p, c.gz, binary))
		}
	}

	// In a folder dataset, each file is held to its own size.
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "pos"), 0o755)
	p := filepath.Join(root, "pos", "a.txt.gz")
	os.WriteFile(p, bomb("", "a", n), 0o644)
	if _, err := Read(root, Fields{}); err == nil || !strings.HasPrefix(err.Error(), p+": decompresses to more than dlc reads of ") {
		t.Errorf("folder: %v", err)
	}

	// A file within the ratio is read whole, however large: 20 MiB of
	// lines gzipped 10 times.
	var lines strings.Builder
	for i := 0; lines.Len() < 20<<20; i++ {
		fmt.Fprintf(&lines, "{\"text\": \"%x %x\", \"label\": \"b\"}\n", i*7919, i)
	}
	if _, err := Read(writeData(t, "ok.jsonl.gz", lines.String()), Fields{}); err != nil {
		t.Errorf("a genuine gzip file: %v", err)
	}
}

// TestGunzipFromAPipe: when the compressed size is unknown (a pipe), the
// limit follows the compressed bytes read so far.
func TestGunzipFromAPipe(t *testing.T) {
	gz := bomb("", "a", GzipFloor+1<<20)
	r, err := gunzip(bytes.NewReader(gz), -1, "stdin", textCost)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.Copy(io.Discard, r)
	if want := "stdin: decompresses to more than dlc reads of "; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got %v, want %s...", err, want)
	}
	// A genuine stream of unknown size passes whole.
	var text bytes.Buffer
	for i := 0; text.Len() < GzipFloor+1<<20; i++ {
		fmt.Fprintf(&text, "%d %x\n", i, i*i)
	}
	r, _ = gunzip(bytes.NewReader(gzipBytes(text.Bytes())), -1, "stdin", textCost)
	if b, err := io.ReadAll(r); err != nil || !bytes.Equal(b, text.Bytes()) {
		t.Errorf("a genuine stream: %d bytes, %v", len(b), err)
	}
}

// TestIDXHeaderCheckedBeforeAllocating: an IDX file whose header announces
// more than the file can hold is refused before its data is read: a plain
// file by its size, a gzipped one by what MaxGzipRatio lets it hold; and
// images too large to be a network's input, whatever the file holds.
func TestIDXHeaderCheckedBeforeAllocating(t *testing.T) {
	plain := writeTemp(t, "plain", idxBytes(3, []int{500, 1024, 1024}, make([]byte, 1000)))
	gz := bomb(string(idxBytes(3, []int{500, 1024, 1024}, nil)), "\x00", 1<<20)
	gzp := writeTemp(t, "bomb.gz", gz)
	huge := writeTemp(t, "huge", idxBytes(3, []int{2, 16384, 16384}, make([]byte, 1000)))
	for _, c := range []struct{ path, want string }{
		{plain, "is cut short: its header announces 524288000 bytes of data (dimensions [500 1024 1024]) but it holds 1000"},
		{gzp, fmt.Sprintf("announces 500.0 MiB of data (dimensions [500 1024 1024]), more than dlc reads of %s gzipped (100 times the gzipped size, at least 8.0 MiB, each byte counting 8 for the number it becomes); if the file is genuine, gunzip it and give dlc the uncompressed file", byteSize(int64(len(gz))))},
		{huge, "holds images of 16384 × 16384 pixels; dlc reads images of at most 1048576 pixels (1024 × 1024), as each pixel is an input of the network: scale them down"},
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := ReadIDXImages(c.path)
		runtime.ReadMemStats(&after)
		if want := c.path + ": " + c.want; err == nil || err.Error() != want {
			t.Errorf("got  %v\nwant %s", err, want)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
			t.Errorf("%s: allocated %d KiB before refusing", c.path, grew>>10)
		}
	}
}

// TestCSVRecordCap: a CSV record longer than 64 MiB (a quote never
// closed) is refused at the line where it starts, once 64 MiB of it were
// read, not when the file ends.
func TestCSVRecordCap(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 65 MiB file")
	}
	for _, c := range []struct {
		name, head string
		read       func(p string) error
		line       int
	}{
		{"unclosed.csv", "text,label\nok,a\n\"multi\nline\",b\n\n\"", func(p string) error { _, err := Read(p, Fields{}); return err }, 6},
		{"header.csv", "\"", func(p string) error { _, err := Read(p, Fields{}); return err }, 1},
		{"table.csv", "x,label\n1,a\n\"", func(p string) error { _, err := ReadTable(p, TableFields{}); return err }, 3},
	} {
		p := filepath.Join(t.TempDir(), c.name)
		f, _ := os.Create(p)
		f.WriteString(c.head)
		f.Write(bytes.Repeat([]byte("a,b\n"), (maxLine+csvBuffer)/4+1))
		f.Close()
		err := c.read(p)
		if want := fmt.Sprintf("%s:%d: a record is longer than 64 MiB (is a quote never closed?)", p, c.line); err == nil || err.Error() != want {
			t.Errorf("got  %v\nwant %s", err, want)
		}
	}
}

// FuzzCSVReader: under the cap, a CSVReader reads what encoding/csv reads,
// record for record, error for error.
func FuzzCSVReader(f *testing.F) {
	f.Add([]byte("a,b\n\"x\ny\",z\n\n\"q\"\"\",w\n"), false)
	f.Add([]byte("a\tb\n\"x\ty\n"), true)
	f.Add([]byte("a,b\n\"unclosed\n"), false)
	f.Fuzz(func(t *testing.T, b []byte, tabs bool) {
		mine, theirs := NewCSVReader(bytes.NewReader(b)), csv.NewReader(bytes.NewReader(b))
		if tabs {
			mine.Comma, theirs.Comma = '\t', '\t'
			mine.LazyQuotes, theirs.LazyQuotes = true, true
		}
		for {
			r1, e1 := mine.Read()
			r2, e2 := theirs.Read()
			if !slices.Equal(r1, r2) || fmt.Sprint(e1) != fmt.Sprint(e2) {
				t.Fatalf("CSVReader %q, %v; encoding/csv %q, %v", r1, e1, r2, e2)
			}
			if e1 == nil {
				l1, c1 := mine.FieldPos(0)
				l2, c2 := theirs.FieldPos(0)
				if l1 != l2 || c1 != c2 {
					t.Fatalf("field at %d:%d, want %d:%d", l1, c1, l2, c2)
				}
				continue
			}
			return
		}
	})
}

// FuzzGunzip: gunzip hands out what compress/gzip reads, and an error it
// adds is only ever the limit's, when the limit is passed.
func FuzzGunzip(f *testing.F) {
	f.Add(gzipBytes([]byte("hello\n")), int64(-1))
	f.Add(gzipBytes([]byte("hello\n")), int64(26))
	f.Add(bomb("", "a", 1<<16), int64(100))
	f.Fuzz(func(t *testing.T, b []byte, size int64) {
		size = max(-1, size)
		r, err := gunzip(bytes.NewReader(b), size, "f", textCost)
		if err != nil {
			if _, err2 := gzip.NewReader(bytes.NewReader(b)); err2 == nil {
				t.Fatalf("gunzip refused a header gzip takes: %v", err)
			}
			return
		}
		got, err := io.ReadAll(r)
		z, _ := gzip.NewReader(bytes.NewReader(b))
		want, err2 := io.ReadAll(io.LimitReader(z, int64(len(got))+1))
		if !bytes.Equal(got, want[:min(len(got), len(want))]) {
			t.Fatalf("gunzip handed out %d bytes that gzip does not", len(got))
		}
		if le := passOn(err); le != nil {
			cost := int64(len(got)) + LineCost*int64(bytes.Count(got, []byte("\n")))
			if !strings.Contains(le.Msg, "decompresses to more than dlc reads of") || (size >= 0 && cost <= gzipLimit(size) && len(want) <= len(got)) {
				t.Fatalf("refused after %d bytes costing %d: %v", len(got), cost, err)
			}
			return
		}
		if len(got) != len(want) || fmt.Sprint(err) != fmt.Sprint(err2) {
			t.Fatalf("gunzip %d bytes, %v; gzip %d bytes, %v", len(got), err, len(want), err2)
		}
	})
}
