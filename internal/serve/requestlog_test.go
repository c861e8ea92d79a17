package serve

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"testing"
	"time"
)

// slogLine is the line slog's JSON handler writes of l at t.
func slogLine(t testing.TB, l *requestLine, at time.Time) string {
	t.Helper()
	var b bytes.Buffer
	r := slog.NewRecord(at, slog.LevelInfo, "request", 0)
	r.AddAttrs(l.attrs()...)
	if err := slog.NewJSONHandler(&b, nil).Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The request lines written without slog are the bytes slog writes.
func TestRequestLineIsSlog(t *testing.T) {
	at := time.Date(2026, 11, 30, 23, 59, 2, 123456789, time.UTC)
	for _, l := range []requestLine{
		{method: "POST", path: "/v1/models/imdb:predict", remote: "127.0.0.1:45678", status: 200, ms: 4.123, bytesIn: 1345, bytesOut: 190, model: "imdb", inputs: 1},
		{method: "GET", path: "/healthz", remote: "[::1]:80", status: 200, ms: 0, bytesIn: 0, bytesOut: 3},
		{method: "POST", path: "/v1/models/x:predict", status: 400, ms: 0.001, bytesIn: -1, model: "x", err: `"texts" must be an array of strings, not a number`},
		{method: "GE\x00T", path: "/a\"b\\c\n\r\t\x1f\x7f<&>\u2028\u2029é\xff", status: 499, ms: 123456.789, err: "\xe2\x80"},
		{ms: 1e22},
	} {
		for _, loc := range []*time.Location{time.UTC, time.FixedZone("x", -3*3600-1800)} {
			want := slogLine(t, &l, at.In(loc))
			if got := string(l.appendJSON(nil, at.In(loc))); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		}
	}
}

// FuzzRequestLine holds the request lines to slog's bytes for any strings
// a request can bring (method, path, remote, error message).
func FuzzRequestLine(f *testing.F) {
	f.Add("POST", "/v1/models/imdb:predict", "127.0.0.1:1", "", 1.5)
	f.Add("G\x00", "\xff\u2028\"\\", "\t", "é\n", 0.0)
	f.Fuzz(func(t *testing.T, method, path, remote, msg string, ms float64) {
		if ms < 0 || ms > 1e9 {
			ms = 0 // a duration's milliseconds
		}
		l := requestLine{method: method, path: path, remote: remote, status: 200, ms: ms, model: "m", err: msg}
		at := time.Unix(1764547142, 5).UTC()
		if got, want := string(l.appendJSON(nil, at)), slogLine(t, &l, at); got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})
}

// BenchmarkRequestLine is one request's log line through slog's JSON
// handler and written directly (Options.RequestLog), to nowhere.
func BenchmarkRequestLine(b *testing.B) {
	l := requestLine{method: "POST", path: "/v1/models/imdb:predict", remote: "127.0.0.1:45678", status: 200, ms: 4.123, bytesIn: 1345, bytesOut: 190, model: "imdb", inputs: 1}
	b.Run("slog", func(b *testing.B) {
		log := slog.New(slog.NewJSONHandler(io.Discard, nil))
		b.ReportAllocs()
		for b.Loop() {
			log.LogAttrs(context.Background(), slog.LevelInfo, "request", l.attrs()...)
		}
	})
	b.Run("direct", func(b *testing.B) {
		s := &Server{o: Options{RequestLog: io.Discard}}
		b.ReportAllocs()
		for b.Loop() {
			s.logRequest(&l, time.Now())
		}
	})
}
