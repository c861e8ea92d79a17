package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

func newManCmd(stdio *IO) *cobra.Command {
	return &cobra.Command{
		Use:   "man DIR",
		Short: "Write man pages for dlc and its commands into DIR",
		Long: `man writes one roff man page per command (dlc.1, dlc-train.1, ...) into DIR,
made from the same text as --help, so they never disagree with it. The
date in the pages is SOURCE_DATE_EPOCH when set (for reproducible
packages), else today.`,
		Example: `  dlc man /usr/local/share/man/man1 && man dlc-evaluate`,
		Args:    exactArgs(1, "one DIR to write the pages into"),
		RunE: func(c *cobra.Command, args []string) error {
			return runMan(stdio, c.Root(), args[0])
		},
	}
}

func runMan(stdio *IO, root *cobra.Command, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create %s: %v", dir, pathError(err))
	}
	date := time.Now()
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		var sec int64
		if _, err := fmt.Sscan(s, &sec); err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH is %q, not a number of seconds", s)
		}
		date = time.Unix(sec, 0).UTC()
	}
	root.DisableAutoGenTag = true
	// The default of --data-dir is where this machine keeps datasets; a
	// man page says where any machine does.
	if f := root.PersistentFlags().Lookup("data-dir"); f != nil {
		old := f.DefValue
		f.DefValue = "$DLC_DATA, else $DLC_HOME/datasets, else $XDG_CACHE_HOME/dlc/datasets (~/.cache/dlc/datasets)"
		defer func() { f.DefValue = old }()
	}
	// In a man page the exit codes are a section of their own, and the
	// table a preformatted block, as roff needs it.
	restore := manExitStatus(root)
	defer restore()
	header := &doc.GenManHeader{Title: "DLC", Section: "1", Source: "dlc " + readBuildInfo().Version, Manual: "dlc manual", Date: &date}
	if err := doc.GenManTree(root, header, dir); err != nil {
		return fmt.Errorf("cannot write man pages into %s: %v", dir, pathError(err))
	}
	n := 0
	var count func(*cobra.Command)
	count = func(c *cobra.Command) {
		if c.IsAvailableCommand() || c == root {
			n++
		}
		for _, s := range c.Commands() {
			count(s)
		}
	}
	count(root)
	fmt.Fprintf(stdio.Out, "wrote %d man pages to %s\n", n, dir)
	return nil
}

// manExitStatus readies every command's description for Markdown, which
// the man pages are made from (see manMarkdown), adds the exit codes as a
// section of their own, and returns a func that undoes it.
func manExitStatus(c *cobra.Command) func() {
	old := c.Long
	long := c.Long
	if long == "" {
		long = c.Short
	}
	c.Long = manMarkdown(strings.TrimRight(long, "\n")) + "\n# EXIT STATUS\n" +
		manMarkdown(strings.TrimPrefix(exitStatusHelp, "EXIT STATUS\n"))
	var undo []func()
	for _, s := range c.Commands() {
		undo = append(undo, manExitStatus(s))
	}
	return func() {
		c.Long = old
		for _, u := range undo {
			u()
		}
	}
}

// manMarkdown turns help text into the Markdown it reads as: indented lines
// (tables, formats, commands) become preformatted blocks instead of being
// run together into a paragraph, and a "<" in prose (label<TAB>p) is
// escaped so that it is not taken for an HTML tag and dropped.
func manMarkdown(text string) string {
	var b strings.Builder
	prevIndented, prevBlank := false, true
	for _, line := range strings.Split(text, "\n") {
		indented := strings.HasPrefix(line, "  ")
		switch {
		case indented:
			if !prevIndented && !prevBlank {
				b.WriteByte('\n')
			}
			line = "    " + line
		case line != "" && prevIndented:
			b.WriteByte('\n')
			fallthrough
		default:
			line = strings.ReplaceAll(line, "<", `\<`)
		}
		b.WriteString(line)
		b.WriteByte('\n')
		prevIndented, prevBlank = indented, line == ""
	}
	return b.String()
}
