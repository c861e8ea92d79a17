package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/objstore"
)

type versionOptions struct {
	Format string
}

func newVersionCmd(stdio *IO) *cobra.Command {
	o := &versionOptions{}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print dlc's version, Go version, commit and model format",
		Long: `version prints what a bug report needs: dlc's version, the Go toolchain that
built it, the platform, the source commit (when the binary was built from a
git checkout with VCS stamping, Go's default), the model file format
this dlc writes and reads, and the object URLs it reads and writes (s3://
and gs:// in a build with -tags cloud).`,
		Example: `  dlc version
  dlc version --format json | jq -r .commit`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			return runVersion(stdio, o)
		},
	}
	cmd.Flags().VarP(newEnum(&o.Format, "text", "text", "json"), "format", "f", "output format")
	return cmd
}

// defaultVersion is main.version when no -ldflags "-X main.version=..."
// set it: a development build.
const defaultVersion = "0.1.0-dev"

// buildInfo is what dlc knows about its own build.
type buildInfo struct {
	Version     string `json:"version"`
	GoVersion   string `json:"go_version"`
	Platform    string `json:"platform"`
	Commit      string `json:"commit,omitempty"`
	CommitTime  string `json:"commit_time,omitempty"`
	Modified    bool   `json:"modified,omitempty"`
	ModelFormat int    `json:"model_format"`
	// ObjectStorage are the URL schemes of the objects this build reads
	// and writes: none without -tags cloud.
	ObjectStorage []string `json:"object_storage"`
}

func readBuildInfo() buildInfo {
	b := buildInfo{Version: version, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH, ModelFormat: model.FormatVersion, ObjectStorage: []string{}}
	if objstore.Built {
		b.ObjectStorage = objstore.Schemes
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	// `go install github.com/dlc-dev/dlc/cmd/dlc@v1.2.3` stamps the module
	// version; a plain `go build` in a checkout says "(devel)".
	if v := info.Main.Version; version == defaultVersion && v != "" && v != "(devel)" {
		b.Version = v
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.time":
			b.CommitTime = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

func runVersion(stdio *IO, o *versionOptions) error {
	b := readBuildInfo()
	if o.Format == "json" {
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(b)
	}
	tw := tabwriter.NewWriter(stdio.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "dlc\t%s\n", b.Version)
	fmt.Fprintf(tw, "go\t%s %s\n", b.GoVersion, b.Platform)
	switch {
	case b.Commit == "":
		fmt.Fprintf(tw, "commit\tunknown (built without VCS stamping)\n")
	case b.Modified:
		fmt.Fprintf(tw, "commit\t%s (%s, with local changes)\n", b.Commit, b.CommitTime)
	default:
		fmt.Fprintf(tw, "commit\t%s (%s)\n", b.Commit, b.CommitTime)
	}
	fmt.Fprintf(tw, "model format\t%d\n", b.ModelFormat)
	if len(b.ObjectStorage) == 0 {
		fmt.Fprintf(tw, "object storage\tnone (a build with -tags cloud reads and writes s3:// and gs://)\n")
	} else {
		fmt.Fprintf(tw, "object storage\t%s://\n", strings.Join(b.ObjectStorage, ":// "))
	}
	return tw.Flush()
}
