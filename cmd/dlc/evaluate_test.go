package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/spf13/cobra"
)

// The JSON report is what CI parses: n, accuracy, loss, macro_f1,
// per_class, labels and a K × K confusion matrix whose cells add up to n
// and whose rows add up to each label's support.
func TestEvaluateJSONReport(t *testing.T) {
	path := topicsModel(t)
	out := mustRun(t, "", "evaluate", "--model", path, "--format", "json")
	var ev struct {
		N               *int                   `json:"n"`
		Accuracy        *float64               `json:"accuracy"`
		Loss            *float64               `json:"loss"`
		MacroF1         *float64               `json:"macro_f1"`
		WeightedF1      *float64               `json:"weighted_f1"`
		ROCAUC          *float64               `json:"roc_auc"`
		PerClass        map[string]classReport `json:"per_class"`
		Labels          []string               `json:"labels"`
		ConfusionMatrix [][]int                `json:"confusion_matrix"`
	}
	if err := json.Unmarshal([]byte(out), &ev); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if ev.N == nil || ev.Accuracy == nil || ev.Loss == nil || ev.MacroF1 == nil || ev.WeightedF1 == nil {
		t.Fatalf("report lacks n, accuracy, loss, macro_f1 or weighted_f1:\n%s", out)
	}
	if ev.ROCAUC != nil {
		t.Errorf("a four-label model has roc_auc %v; it is defined for two labels", *ev.ROCAUC)
	}
	if want := []string{"acq", "crude", "earn", "grain"}; fmt.Sprint(ev.Labels) != fmt.Sprint(want) {
		t.Errorf("labels %v, want %v", ev.Labels, want)
	}
	k := len(ev.Labels)
	if len(ev.ConfusionMatrix) != k || len(ev.PerClass) != k {
		t.Fatalf("%d confusion rows and %d per_class entries for %d labels", len(ev.ConfusionMatrix), len(ev.PerClass), k)
	}
	total, diag := 0, 0
	for i, row := range ev.ConfusionMatrix {
		if len(row) != k {
			t.Fatalf("confusion row %d has %d cells, want %d", i, len(row), k)
		}
		sum := 0
		for j, v := range row {
			sum += v
			if i == j {
				diag += v
			}
		}
		total += sum
		if s := ev.PerClass[ev.Labels[i]].Support; s != sum {
			t.Errorf("label %s: support %d, but its confusion row adds up to %d", ev.Labels[i], s, sum)
		}
	}
	if total != *ev.N || *ev.N != 105 {
		t.Errorf("n = %d, confusion matrix holds %d; the topics test set has 105", *ev.N, total)
	}
	if float64(diag)/float64(total) != *ev.Accuracy {
		t.Errorf("accuracy %v, but the diagonal holds %d of %d", *ev.Accuracy, diag, total)
	}
}

// A 52 × 52 matrix (Reuters) cannot be read on a terminal: the text report
// sums it up as the most frequent confusions, every line within the
// terminal's width; 8 × 8 (R8) is printed whole.
func TestConfusionFitsATerminal(t *testing.T) {
	for _, k := range []int{2, 8, 20, 52} {
		labels := make([]string, k)
		m := make([][]int, k)
		for i := range k {
			labels[i] = fmt.Sprintf("topic-%c%d", 'a'+i%26, i)
			m[i] = make([]int, k)
			m[i][i] = 1000 + i
			m[i][(i+1)%k] = i
		}
		var b bytes.Buffer
		if err := printConfusion(&b, labels, m, "auto"); err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(b.String(), "\n") {
			if n := utf8.RuneCountInString(line); n > confusionWidth {
				t.Errorf("%d × %d: a line of %d characters:\n%s", k, k, n, line)
			}
		}
		summed := strings.Contains(b.String(), "most frequent confusions")
		if summed != (k > 8) {
			t.Errorf("%d × %d: summed up = %v\n%s", k, k, summed, b.String())
		}
		if k == 52 && !strings.Contains(b.String(), "\ntopic-z51   topic-a0   51     4.6%\n") {
			t.Errorf("52 × 52: the largest confusion (51 topic-z51 as topic-a0) is not listed first:\n%s", b.String())
		}
	}
}

// Colour only on a terminal, and never with NO_COLOR set.
func TestColorOnlyOnTerminalWithoutNoColor(t *testing.T) {
	path := topicsModel(t)
	for _, tc := range []struct {
		terminal bool
		noColor  string
		want     bool
	}{
		{false, "", false},
		{true, "", true},
		{true, "1", false},
	} {
		t.Setenv("NO_COLOR", tc.noColor)
		t.Setenv("TERM", "xterm")
		var out bytes.Buffer
		stdio := &IO{In: strings.NewReader(""), Out: &out, Err: &bytes.Buffer{}, outTerminal: &tc.terminal}
		run(context.Background(), []string{"evaluate", "--model", path, "--min-accuracy", "0.5"}, stdio)
		if got := strings.Contains(out.String(), "\x1b["); got != tc.want {
			t.Errorf("terminal %v, NO_COLOR=%q: colour %v, want %v\n%s", tc.terminal, tc.noColor, got, tc.want, out.String())
		}
		if !strings.Contains(out.String(), "passed") {
			t.Errorf("the gate's verdict is missing:\n%s", out.String())
		}
	}
}

// Every command, hidden ones too, has an example, and its --help ends with
// the exit codes.
func TestEveryCommandHasExampleAndExitCodes(t *testing.T) {
	root := newRootCmd(context.Background(), &IO{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Name() != "help" {
			if strings.TrimSpace(c.Example) == "" {
				t.Errorf("dlc %s has no example", c.CommandPath())
			}
			var b bytes.Buffer
			c.SetOut(&b)
			if err := c.Help(); err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(b.String(), exitStatusHelp+"\n") {
				t.Errorf("%s --help does not end with the exit codes:\n%s", c.CommandPath(), b.String())
			}
			if n := strings.Count(b.String(), "EXIT STATUS"); n != 1 {
				t.Errorf("%s --help lists the exit codes %d times", c.CommandPath(), n)
			}
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
}
