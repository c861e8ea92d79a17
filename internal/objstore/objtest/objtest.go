//go:build cloud

// Package objtest serves a fake S3 (gofakes3, in memory) on 127.0.0.1 for
// the tests of what reads and writes s3:// URLs. Only tests import it, so
// the fake server is never part of dlc.
package objtest

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Bucket is the bucket Start creates.
const Bucket = "dlc-test"

// Server is a fake S3 with one empty bucket.
type Server struct {
	// Endpoint is the server's URL (http://127.0.0.1:PORT).
	Endpoint string
	// Query is what an s3:// URL of this server ends with: its endpoint,
	// path-style addressing and a region.
	Query string
	// Env are the variables (credentials) a dlc process needs to reach it.
	Env []string
}

// URL returns the s3:// URL of key in the server's bucket.
func (s *Server) URL(key string) string {
	return "s3://" + Bucket + "/" + key + "?" + s.Query
}

// Start serves a fake S3 until the test ends, with Bucket created, and
// sets the test's AWS credentials and region to the fake's.
func Start(t testing.TB) *Server {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(Bucket); err != nil {
		t.Fatal(err)
	}
	faker := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog()))
	ts := httptest.NewServer(faker.Server()) // listens on 127.0.0.1
	t.Cleanup(ts.Close)
	s := &Server{
		Endpoint: ts.URL,
		Query:    "endpoint=" + ts.URL + "&use_path_style=true&region=us-east-1",
		Env: []string{
			"AWS_ACCESS_KEY_ID=dlc-test", "AWS_SECRET_ACCESS_KEY=dlc-test", "AWS_REGION=us-east-1",
			// No ~/.aws files, no instance metadata: the fake's keys only.
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true",
		},
	}
	for _, kv := range s.Env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	return s
}
