package data

import (
	"bufio"
	"encoding/json"
	"io"
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
