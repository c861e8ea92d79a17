package data

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Downloader fetches files over HTTP(S) the way a flaky network needs:
// each location is tried several times with growing pauses, a broken
// transfer resumes where it stopped (an HTTP Range request on the .part
// file), a server that stops sending is given up on instead of waited for
// forever, and redirects are followed. It checks no content: the caller
// verifies the sha256 of what arrives. The zero value uses the defaults
// documented on each field.
type Downloader struct {
	// Client does the requests. Default: one with ConnectTimeout for
	// dialing and the TLS handshake, the environment's proxy settings, and
	// up to 10 redirects.
	Client *http.Client
	// ConnectTimeout bounds dialing and the TLS handshake (default 30s).
	ConnectTimeout time.Duration
	// HeaderTimeout bounds the wait from sending a request to the
	// response's headers (default 60s).
	HeaderTimeout time.Duration
	// IdleTimeout is the longest wait for the next bytes of a response
	// body; a server silent for longer is treated as a broken connection
	// (default 60s).
	IdleTimeout time.Duration
	// Attempts is how many times each location is tried when a transfer
	// fails without making progress (default 4). An attempt that brought
	// bytes does not count: a long download over a connection that breaks
	// every few minutes still finishes.
	Attempts int
	// Backoff is the pause before the second attempt; each later pause
	// doubles, up to 30s (default 1s).
	Backoff time.Duration
	// UserAgent is sent with every request (default "dlc").
	UserAgent string
	// Status, if set, receives one line of news at a time: which location
	// is being tried, why a retry happens.
	Status func(msg string)
	// Progress, if set, is called as bytes arrive: done counts the bytes
	// of the file so far (resumed ones included), total is -1 when the
	// server does not say.
	Progress func(done, total int64)
}

func (d *Downloader) connectTimeout() time.Duration {
	return orDuration(d.ConnectTimeout, 30*time.Second)
}
func (d *Downloader) headerTimeout() time.Duration {
	return orDuration(d.HeaderTimeout, 60*time.Second)
}
func (d *Downloader) idleTimeout() time.Duration { return orDuration(d.IdleTimeout, 60*time.Second) }
func (d *Downloader) backoff() time.Duration     { return orDuration(d.Backoff, time.Second) }

func (d *Downloader) attempts() int {
	if d.Attempts > 0 {
		return d.Attempts
	}
	return 4
}

func orDuration(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}

func (d *Downloader) status(format string, args ...any) {
	if d.Status != nil {
		d.Status(fmt.Sprintf(format, args...))
	}
}

func (d *Downloader) client() *http.Client {
	if d.Client != nil {
		return d.Client
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: d.connectTimeout(), KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = d.connectTimeout()
	// The wait for headers and for body bytes is the watchdog's (attempt).
	// Ask for the bytes as they are: a transparently gunzipped body would
	// not match the archive's sha256 nor its Range offsets.
	t.DisableCompression = true
	d.Client = &http.Client{Transport: t}
	return d.Client
}

// DownloadError is a download that failed at every location.
type DownloadError struct {
	File     string
	Failures []string // "URL: why", one per location tried
	// NotFound is set when every location answered that it has no such
	// file (404, 410), as opposed to a network or server failure.
	NotFound bool
}

func (e *DownloadError) Error() string {
	if len(e.Failures) == 1 {
		return "cannot download " + e.Failures[0]
	}
	return fmt.Sprintf("cannot download %s from any of its %d locations: %s", e.File, len(e.Failures), strings.Join(e.Failures, "; "))
}

// statusError is an HTTP answer other than the file.
type statusError struct {
	code   int
	status string
}

func (e *statusError) Error() string { return "the server answered " + e.status }

// permanentError is a failure that trying the same location again cannot
// fix (no such file, a refusal, a file far larger than expected).
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// errStalled is the cause given to a request whose server went silent.
var errStalled = errors.New("stalled")

// Download fetches the file from the first of urls that serves it, into
// part. Bytes already in part are kept and the transfer resumes after
// them when the server supports Range requests (it starts over when not).
// On success part holds the whole file; on failure it holds what arrived,
// for the next call to resume. maxBytes caps the file's size: a server
// offering more is refused. A cancelled ctx stops at once and returns
// ctx's error.
func (d *Downloader) Download(ctx context.Context, urls []string, part string, maxBytes int64) error {
	file := part
	if len(urls) > 0 {
		file = baseName(urls[0])
	}
	de := &DownloadError{File: file, NotFound: true}
	defer func() {
		// An empty part is not worth keeping for a resume.
		if st, err := os.Stat(part); err == nil && st.Size() == 0 {
			os.Remove(part)
		}
	}()
	for _, u := range urls {
		err := d.fromURL(ctx, u, part, maxBytes)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var se *statusError
		if !errors.As(err, &se) || (se.code != http.StatusNotFound && se.code != http.StatusGone) {
			de.NotFound = false
		}
		de.Failures = append(de.Failures, redact(u)+": "+err.Error())
		if len(urls) > 1 {
			d.status("%s: %v", redact(u), err)
		}
	}
	return de
}

// fromURL tries one location until it succeeds, fails for good, or has
// used its attempts.
func (d *Downloader) fromURL(ctx context.Context, u, part string, maxBytes int64) error {
	failures := 0
	pause := d.backoff()
	for try := 1; ; try++ {
		progressed, err := d.attempt(ctx, u, part, maxBytes)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var pe *permanentError
		if errors.As(err, &pe) {
			return err
		}
		if progressed {
			// The transfer moved: resume at once, with the pause reset.
			pause = d.backoff()
			failures = 0
		} else {
			failures++
		}
		// A hard cap on all attempts, so a server that sends one byte per
		// connection cannot keep dlc busy forever.
		if failures >= d.attempts() || try >= 10*d.attempts() {
			return err
		}
		d.status("%s: %v; trying again in %s", redact(u), err, pause)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
		if !progressed {
			pause = min(2*pause, 30*time.Second)
		}
	}
}

// attempt is one request. It reports whether the part file grew past
// where it was (bytes that only replace what a server without Range
// support sent before do not count).
func (d *Downloader) attempt(parent context.Context, u, part string, maxBytes int64) (progressed bool, err error) {
	f, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return false, &permanentError{fmt.Errorf("cannot write %s: %w", part, pathErr(err))}
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = &permanentError{fmt.Errorf("cannot write %s: %w", part, cerr)}
		}
	}()
	offset, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return false, &permanentError{err}
	}
	had := offset

	// One watchdog covers the whole request: first the wait for the
	// headers, then each wait for more of the body. Whatever client is in
	// use, a silent server cannot hold dlc.
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	watchdog := time.AfterFunc(d.headerTimeout(), func() { cancel(errStalled) })
	defer watchdog.Stop()
	stallErr := func(err error, wait time.Duration) error {
		if context.Cause(ctx) == errStalled {
			return fmt.Errorf("the server sent nothing for %s", wait)
		}
		return err
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false, &permanentError{fmt.Errorf("not a valid URL: %w", err)}
	}
	req.Header.Set("User-Agent", orString(d.UserAgent, "dlc"))
	req.Header.Set("Accept-Encoding", "identity")
	if offset > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
		d.status("resuming %s at %s", redact(u), byteSize(offset))
	}
	resp, err := d.client().Do(req)
	if err != nil {
		if parent.Err() != nil {
			return false, parent.Err()
		}
		return false, stallErr(netErr(err, d), d.headerTimeout())
	}
	defer resp.Body.Close()

	total := int64(-1)
	switch resp.StatusCode {
	case http.StatusOK:
		if offset > 0 {
			// The server ignores Range: start over.
			if err := restart(f); err != nil {
				return false, err
			}
			offset = 0
		}
		total = resp.ContentLength
	case http.StatusPartialContent:
		start, size, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || start != offset {
			// Not the bytes asked for; the next attempt starts over.
			if err := restart(f); err != nil {
				return false, err
			}
			return false, fmt.Errorf("the server answered a resume with the wrong bytes (Content-Range %q)", resp.Header.Get("Content-Range"))
		}
		total = size
		if total < 0 && resp.ContentLength >= 0 {
			total = offset + resp.ContentLength
		}
	case http.StatusRequestedRangeNotSatisfiable:
		// Nothing after offset: part is complete already (an earlier run
		// stopped between downloading and checking), or is longer than
		// the file, and then it is not this file.
		if _, size, ok := parseContentRange(resp.Header.Get("Content-Range")); ok && size == offset {
			return false, nil
		}
		if err := restart(f); err != nil {
			return false, err
		}
		return false, errors.New("the partial download does not fit the server's file; starting over")
	default:
		se := &statusError{code: resp.StatusCode, status: resp.Status}
		if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusRequestTimeout &&
			resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusTooEarly {
			return false, &permanentError{se}
		}
		return false, se
	}
	if total > maxBytes {
		return false, &permanentError{fmt.Errorf("the server offers %s, more than the %s this file can be; refusing it", byteSize(total), byteSize(maxBytes))}
	}

	watchdog.Reset(d.idleTimeout())
	done := offset
	if d.Progress != nil {
		d.Progress(done, total)
	}
	w := bufio.NewWriterSize(f, 1<<16)
	buf := make([]byte, 32<<10)
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			watchdog.Reset(d.idleTimeout())
			if done+int64(n) > maxBytes {
				w.Flush()
				return true, &permanentError{fmt.Errorf("the server sent more than the %s this file can be; refusing it", byteSize(maxBytes))}
			}
			if _, err := w.Write(buf[:n]); err != nil {
				return true, &permanentError{fmt.Errorf("cannot write %s: %w", part, pathErr(err))}
			}
			done += int64(n)
			progressed = done > had
			if d.Progress != nil {
				d.Progress(done, total)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if err := w.Flush(); err != nil {
				return progressed, &permanentError{fmt.Errorf("cannot write %s: %w", part, pathErr(err))}
			}
			if parent.Err() != nil {
				return progressed, parent.Err()
			}
			if errors.Is(rerr, io.ErrUnexpectedEOF) {
				rerr = errors.New("the connection broke off")
			}
			return progressed, fmt.Errorf("%w after %s", stallErr(rerr, d.idleTimeout()), ofTotal(done, total))
		}
	}
	if err := w.Flush(); err != nil {
		return progressed, &permanentError{fmt.Errorf("cannot write %s: %w", part, pathErr(err))}
	}
	if total >= 0 && done != total {
		return progressed, fmt.Errorf("the connection broke off after %s", ofTotal(done, total))
	}
	return progressed, nil
}

// ofTotal says how far a transfer got: "1.2 MiB of 7.8 MiB".
func ofTotal(done, total int64) string {
	if total < 0 {
		return byteSize(done)
	}
	return byteSize(done) + " of " + byteSize(total)
}

// restart empties the partial file.
func restart(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return &permanentError{err}
	}
	_, err := f.Seek(0, io.SeekStart)
	return err
}

// parseContentRange reads "bytes START-END/SIZE" or "bytes */SIZE"; size is
// -1 when given as "*".
func parseContentRange(s string) (start, size int64, ok bool) {
	rest, found := strings.CutPrefix(strings.TrimSpace(s), "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, sz, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, false
	}
	size = -1
	if sz != "*" {
		v, err := strconv.ParseInt(sz, 10, 64)
		if err != nil || v < 0 {
			return 0, 0, false
		}
		size = v
	}
	if rng == "*" {
		return -1, size, true
	}
	a, _, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, false
	}
	start, err := strconv.ParseInt(a, 10, 64)
	if err != nil || start < 0 {
		return 0, 0, false
	}
	return start, size, true
}

// netErr turns a client error into its cause, worded for people.
func netErr(err error, d *Downloader) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("no answer within %s", d.connectTimeout())
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		err := fmt.Errorf("cannot resolve host %s (offline?)", dnsErr.Name)
		if dnsErr.IsNotFound {
			// The name does not exist (or there is no network at all):
			// asking again in a few seconds will not change that.
			return &permanentError{err}
		}
		return err
	}
	return err
}

// redact drops any user:password from a URL before it is printed.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.User == nil {
		return u
	}
	return p.Redacted()
}

func baseName(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	return p.Path[strings.LastIndexByte(p.Path, '/')+1:]
}

func orString(v, def string) string {
	if v != "" {
		return v
	}
	return def
}
