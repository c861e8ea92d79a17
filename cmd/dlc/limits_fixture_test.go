package main

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// mkrepeat is the testscript command "mkrepeat [-gz] NAME SIZE HEAD BODY":
// it writes NAME holding HEAD, then BODY repeated until the content is
// SIZE bytes (a number with an optional K, M or G suffix), gzipped with
// -gz. HEAD and BODY are read as the inside of a Go string literal, with
// its escapes (\n, \t, \x00). Large inputs and gzip bombs are made where the test runs, not
// kept in the repository.
func mkrepeat(ts *testscript.TestScript, neg bool, args []string) {
	gz := len(args) > 0 && args[0] == "-gz"
	if gz {
		args = args[1:]
	}
	if neg || len(args) != 4 {
		ts.Fatalf("usage: mkrepeat [-gz] NAME SIZE HEAD BODY")
	}
	size, err := byteCount(args[1])
	ts.Check(err)
	unquote := func(s string) (string, error) {
		return strconv.Unquote(`"` + strings.ReplaceAll(s, `"`, `\"`) + `"`)
	}
	head, err1 := unquote(args[2])
	body, err2 := unquote(args[3])
	if err1 != nil || err2 != nil || body == "" {
		ts.Fatalf("mkrepeat: HEAD and BODY must be Go string contents, BODY not empty")
	}
	f, err := os.Create(ts.MkAbs(args[0]))
	ts.Check(err)
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<16)
	var w io.Writer = bw
	var zw *gzip.Writer
	if gz {
		zw, _ = gzip.NewWriterLevel(bw, gzip.DefaultCompression)
		w = zw
	}
	io.WriteString(w, head)
	chunk := strings.Repeat(body, max(1, (1<<16)/len(body)))
	for left := size - int64(len(head)); left > 0; left -= int64(len(chunk)) {
		_, err = io.WriteString(w, chunk[:min(left, int64(len(chunk)))])
		ts.Check(err)
	}
	if zw != nil {
		ts.Check(zw.Close())
	}
	ts.Check(bw.Flush())
}

func byteCount(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("mkrepeat: size %q is not a number of bytes", s)
	}
	return n * mult, nil
}

// mkwide is the testscript command "mkwide MODEL LABELS": it writes a
// softmax model of LABELS labels (l000000, l000001, ...) over the words of "one two
// three", with random weights: a small file for a model of very many
// labels, which no test could train.
func mkwide(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: mkwide MODEL LABELS")
	}
	k, err := strconv.Atoi(args[1])
	if err != nil || k < 2 {
		ts.Fatalf("mkwide: LABELS must be a number of at least 2")
	}
	cfg := config.Default()
	cfg.Model.Layers, cfg.Model.Output, cfg.Loss = nil, "softmax", "categorical_crossentropy"
	v, err := vectorize.Fit([]string{"one two three"}, vectorize.Options{Mode: vectorize.MultiHot, MaxTokens: 10, NGrams: 1})
	ts.Check(err)
	net, err := mlp.New(mlp.Spec{Inputs: v.Features(), Outputs: k, Output: mlp.Softmax, Loss: mlp.CategoricalCrossEntropy}, rand.New(rand.NewPCG(1, 2)))
	ts.Check(err)
	labels := make([]string, k)
	for i := range labels {
		labels[i] = fmt.Sprintf("l%06d", i)
	}
	ts.Check(model.Save(ts.MkAbs(args[0]), &model.Model{Config: cfg, Vectorizer: v, Net: net, Labels: labels}))
}
