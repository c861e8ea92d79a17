// Command cpusplit splits the CPU profiles of dlc commands (--cpuprofile)
// into the stages of a text job: read (files, JSON, the data fingerprint),
// tokenize, count (the vocabulary's hash tables and counts while the
// training texts go by, and choosing the vocabulary), encode (rows from
// the counted ids or from texts), train, calibrate, score (the test split
// after training, dlc evaluate's forward pass), load and write (the model
// file), gc (the collector's own work and the assists it charges to
// allocating code), and other (start-up, configuration, the rest). It reads
// `go tool pprof -traces` output on standard input, one or more profiles
// one after the other, and prints CPU seconds and shares per stage.
//
//	go tool pprof -traces dlc train.pprof | go run ./bench/cpusplit
//
// The stages of a job run side by side (one goroutine reads while another
// tokenizes), so the split comes from where each sample's stack is, not
// from timers: a sample goes to the stage of its innermost frame that
// names one, with the training, scoring and calibration stages decided by
// any frame of the stack (a forward pass is scoring or training by who
// called it). With -tsv it prints "stage<TAB>seconds" lines for scripts.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"
)

// stages in the order they are printed.
var stages = []string{"read", "tokenize", "count", "encode", "train", "calibrate", "score", "load", "write", "gc", "other"}

// anywhere decides a sample's stage by any frame of its stack, in this
// order: the collector first (its work is the same whoever allocated),
// then what a network's forward and backward passes are for.
var anywhere = []struct {
	stage string
	re    *regexp.Regexp
}{
	{"gc", regexp.MustCompile(`^runtime\.(gcBgMarkWorker|gcAssistAlloc|bgsweep|bgscavenge|gcStart|markroot)`)},
	{"write", regexp.MustCompile(`internal/model\.\(\*Model\)\.(Save|Write)|internal/model\.(Save|Write)|internal/atomicfile\.`)},
	{"load", regexp.MustCompile(`internal/model\.(Load|Read)`)},
	{"calibrate", regexp.MustCompile(`internal/pipeline\.(fitCalibration|eachHeldOut|scoreHeld)|internal/calibrate\.`)},
	{"score", regexp.MustCompile(`internal/pipeline\.(score|scoreModel|Score|Evaluate|Predict)\b|internal/pipeline\.\(\*forward\)|internal/pipeline\.\(\*Predictor\)\.Predict`)},
	{"train", regexp.MustCompile(`internal/(gd|mlp)\.`)},
}

// innermost decides the others by the innermost frame that names a stage.
// A hash-table probe counts when the counter makes it and encodes when an
// encoder looks a token up.
var innermost = []struct {
	stage string
	re    *regexp.Regexp
}{
	{"tokenize", regexp.MustCompile(`internal/vectorize\.(Tokenizer\.(Each|each)|\(\*textTokens\)\.fill|\(\*filter\)|tagEnd|startsWord|\(\*charGrammer\))|^unicode`)},
	{"lookup", regexp.MustCompile(`internal/vectorize\.(\(\*(strTable|pairTable)\)|hashBytes|mix64)`)},
	{"encode", regexp.MustCompile(`internal/vectorize\.(buildRows|blockRows|concat|appendNodes|parallelBlocks|sortFeatures|\(\*rowBuilder\)|\(\*Encoder\)|\(\*Vectorizer\)\.Transform)|internal/sparse\.|internal/pipeline\.(readEncoded|encodeTokenized)`)},
	{"count", regexp.MustCompile(`internal/vectorize\.(\(\*counter\)|\(\*Tokenized\)|fitCounted|topK|quickselect|\(\*Counter\))|internal/pipeline\.fitTokenized`)},
	{"read", regexp.MustCompile(`internal/data\.|crypto/sha256|^compress/|^bufio\.|^os\.\(\*File\)\.Read|^syscall\.(read|Read)|^encoding/json`)},
}

var counting = regexp.MustCompile(`internal/vectorize\.\(\*counter\)\.(addDoc|addTokens|addChars|token|merge)`)

func stageOf(stack []string) string {
	for _, a := range anywhere {
		for _, f := range stack {
			if a.re.MatchString(f) {
				return a.stage
			}
		}
	}
	for i, f := range stack {
		for _, in := range innermost {
			if !in.re.MatchString(f) {
				continue
			}
			if in.stage != "lookup" {
				return in.stage
			}
			for _, g := range stack[i+1:] {
				if counting.MatchString(g) {
					return "count"
				}
			}
			return "encode"
		}
	}
	return "other"
}

// parse reads go tool pprof -traces output: blocks separated by lines of
// dashes, each a value and its leaf frame on the first line and the
// callers below, one a line. Label lines ("key:value") are skipped.
func parse(r io.Reader, add func(d time.Duration, stack []string)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var d time.Duration
	var stack []string
	flush := func() {
		if len(stack) > 0 {
			add(d, stack)
		}
		d, stack = 0, nil
	}
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "-----------+") {
			flush()
			continue
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		if len(stack) == 0 && !strings.HasPrefix(line, "    ") {
			continue // the header
		}
		fields := strings.Fields(line)
		if len(stack) == 0 && d == 0 {
			v, err := time.ParseDuration(fields[0])
			if err != nil {
				if strings.Contains(fields[0], ":") {
					continue // a label line
				}
				return fmt.Errorf("cannot read the sample value in %q: %v", line, err)
			}
			d = v
			if len(fields) > 1 {
				stack = append(stack, fields[1])
			}
			continue
		}
		if strings.Contains(fields[0], ":") && !strings.Contains(fields[0], "/") && !strings.Contains(fields[0], ".") {
			continue // a label line
		}
		stack = append(stack, fields[0])
	}
	flush()
	return sc.Err()
}

func main() {
	tsv := flag.Bool("tsv", false, `print "stage<TAB>seconds" lines`)
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: go tool pprof -traces BINARY PROFILE | cpusplit [-tsv]")
		flag.PrintDefaults()
	}
	flag.Parse()
	by := map[string]time.Duration{}
	var total time.Duration
	err := parse(os.Stdin, func(d time.Duration, stack []string) {
		by[stageOf(stack)] += d
		total += d
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "cpusplit:", err)
		os.Exit(1)
	}
	if total == 0 {
		fmt.Fprintln(os.Stderr, "cpusplit: no samples on standard input; pipe go tool pprof -traces BINARY PROFILE into it")
		os.Exit(1)
	}
	for _, s := range stages {
		if *tsv {
			fmt.Printf("%s\t%.3f\n", s, by[s].Seconds())
			continue
		}
		fmt.Printf("%-10s %7.2f s %5.1f %%\n", s, by[s].Seconds(), 100*by[s].Seconds()/total.Seconds())
	}
	if !*tsv {
		fmt.Printf("%-10s %7.2f s\n", "total", total.Seconds())
	}
}
