// Package objstore reads and writes the objects that s3:// and gs:// URLs
// name, for the commands that take a data file, a model file or an output
// folder: whole objects, byte ranges of them (a shard's section), and
// atomic writes (an object appears whole, or not at all).
//
// The clients (gocloud.dev/blob with its S3 and Cloud Storage drivers) are
// compiled in only with the build tag cloud: they add tens of megabytes to
// a binary most users run on local files. Without the tag every function
// but the URL helpers returns the error that says which build reads such
// a path.
package objstore

import (
	"strings"
	"time"
)

// Schemes are the URL schemes this package reads and writes.
var Schemes = []string{"s3", "gs"}

// IsURL reports whether p names an object (s3://bucket/key, gs://bucket/key)
// rather than a local file.
func IsURL(p string) bool {
	for _, s := range Schemes {
		if len(p) > len(s)+3 && strings.EqualFold(p[:len(s)+3], s+"://") {
			return true
		}
	}
	return false
}

// Name returns p without the query of an object URL (s3://b/k.jsonl.gz for
// s3://b/k.jsonl.gz?region=eu-west-1): what a format is told apart by.
// A local path is returned as it is.
func Name(p string) string {
	if !IsURL(p) {
		return p
	}
	name, _, _ := strings.Cut(p, "?")
	return name
}

// Join returns the object URL of name inside the "folder" prefix (an
// output folder given as s3://bucket/dir): s3://bucket/dir/name, the
// prefix's query kept.
func Join(prefix, name string) string {
	base, query, ok := strings.Cut(prefix, "?")
	out := strings.TrimSuffix(base, "/") + "/" + name
	if ok {
		out += "?" + query
	}
	return out
}

// Info is what Stat tells of an object.
type Info struct {
	Size    int64
	ModTime time.Time
	// ETag changes whenever the object's content does (S3, Cloud Storage).
	ETag string
}
