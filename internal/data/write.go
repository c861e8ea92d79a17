package data

import (
	"bufio"
	"encoding/json"
	"io"
	"strings"
)

// WriteJSONL writes examples as JSONL, one {"text": ..., "label": ...} object
// per line; HTML characters are kept as they are, not \u-escaped.
func WriteJSONL(w io.Writer, texts, labels []string) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	type row struct {
		Text  string `json:"text"`
		Label string `json:"label"`
	}
	for i, t := range texts {
		if err := enc.Encode(row{Text: t, Label: labels[i]}); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// fieldEscape is EscapeField's rule.
var fieldEscape = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`)

// EscapeField writes a backslash, tab, CR and LF of s as \\, \t, \r and
// \n: the one rule by which dlc writes labels in TSV files and in text
// output, so that a value stays one field of one line.
func EscapeField(s string) string {
	if !strings.ContainsAny(s, "\\\t\n\r") {
		return s
	}
	return fieldEscape.Replace(s)
}
