package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
)

// gates collects the quality gates of one evaluation: each one's result
// for the report, and the messages of those that failed (one line each on
// stderr, exit status 3).
type gates struct {
	results []gateResult
	failed  []string
}

// check records one gate: its measured value, its limit, whether it
// passed, and what to say when it did not.
func (g *gates) check(name string, value, limit float64, passed bool, msg string) {
	r := gateResult{Gate: name, Value: value, Limit: limit, Passed: passed}
	if !passed {
		r.Message = msg
		g.failed = append(g.failed, msg)
	}
	g.results = append(g.results, r)
}

// err is the evaluation's verdict: a *gateError when a gate failed.
func (g *gates) err() error {
	if len(g.failed) > 0 {
		return &gateError{g.failed}
	}
	return nil
}

// printGates writes the gate table of the text report.
func printGates(stdio *IO, results []gateResult) error {
	tw := tabwriter.NewWriter(stdio.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "gate\tvalue\tlimit\tresult")
	for _, g := range results {
		verdict := stdio.paint(styleGood, "passed")
		if !g.Passed {
			verdict = stdio.paint(styleBad, "FAILED")
		}
		name, value, limit := "--"+strings.ReplaceAll(g.Gate, "_", "-"), fmt.Sprintf("%.4f", g.Value), fmt.Sprintf("%g", g.Limit)
		switch g.Gate {
		case "fail_if_worse":
			value, limit = fmt.Sprintf("p = %.3g", g.Value), fmt.Sprintf("alpha %g", g.Limit)
		case "max_rmse", "max_mae":
			value = fmt.Sprintf("%.6g", g.Value)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, value, limit, verdict)
	}
	return tw.Flush()
}
