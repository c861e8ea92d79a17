package data

import (
	"fmt"
	"strings"
	"testing"
)

// TestEachRecord: named fields of JSONL, CSV and TSV records, with their
// lines, JSON numbers as written, blank lines skipped as Each skips them.
func TestEachRecord(t *testing.T) {
	for _, c := range []struct {
		format, in string
		want       string
	}{
		{FormatJSONL, `{"text": "a b", "id": 7}` + "\n\n" + `{"id": "x", "text": "c"}` + "\n", `1:"a b",7 3:"c","x"`},
		{FormatCSV, "id,text,label\n7,\"a, b\",pos\n\nx,c,neg\n", `2:"a, b","7" 4:"c","x"`},
		{FormatTSV, "label\ttext\tid\npos\ta b\t7\n\nneg\tc\tx\n", `2:"a b","7" 4:"c","x"`},
	} {
		var got []string
		err := EachRecord(strings.NewReader(c.in), "in", c.format, []string{"text", "id"}, func(v []Value, line int) error {
			id := v[1].Text
			if v[1].String {
				id = fmt.Sprintf("%q", id)
			}
			got = append(got, fmt.Sprintf("%d:%q,%s", line, v[0].Text, id))
			return nil
		})
		if err != nil || strings.Join(got, " ") != c.want {
			t.Errorf("%s: %v %v, want %s", c.format, got, err, c.want)
		}
	}
	err := EachRecord(strings.NewReader("a,b\n1,2\n"), "in.csv", FormatCSV, []string{"id"}, func([]Value, int) error { return nil })
	if err == nil || err.Error() != `in.csv:1: the header has no column "id" (it has "a", "b")` {
		t.Errorf("missing column: %v", err)
	}
	var found []bool
	EachRecord(strings.NewReader(`{"text": "a"}`+"\n"), "in", FormatJSONL, []string{"text", "id"}, func(v []Value, _ int) error {
		found = []bool{v[0].Found, v[1].Found}
		return nil
	})
	if !found[0] || found[1] {
		t.Errorf("found %v, want the text and no id", found)
	}
}
