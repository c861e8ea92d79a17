// Command jsonltext prints the "text" field of every line of a JSONL file,
// one text per line (line breaks inside a text become spaces), to turn a
// fetched dataset into the input of a line-by-line predictor.
//
//	go run ./bench/jsonltext FILE.jsonl > texts.txt
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: jsonltext FILE.jsonl")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "jsonltext:", err)
		os.Exit(1)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	breaks := strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ")
	for n := 1; sc.Scan(); n++ {
		var obj struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			fmt.Fprintf(os.Stderr, "jsonltext: %s:%d: %v\n", os.Args[1], n, err)
			os.Exit(1)
		}
		fmt.Fprintln(w, breaks.Replace(obj.Text))
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "jsonltext:", err)
		os.Exit(1)
	}
}
