package data

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// FetchOptions say where a dataset comes from and where it goes.
type FetchOptions struct {
	DataDir string // the cache; required
	From    string // a URL or a local archive; default the registry's URL
	SHA256  string // accept an archive with this digest instead of the registry's
	Force   bool   // fetch and convert again even when cached
	// Progress, if set, is called as bytes of the archive arrive (total is
	// -1 when unknown).
	Progress func(done, total int64)
	Client   *http.Client // default http.DefaultClient
}

// FetchResult says what Fetch did.
type FetchResult struct {
	Dir    string // the dataset's folder
	Cached bool   // it was already there; nothing was done
}

// ChecksumError is an archive whose sha256 is not the expected one.
type ChecksumError struct {
	Archive, Got, Want string
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("%s has sha256 %s, not the expected %s; if you trust this file, run again with --sha256 %s", e.Archive, e.Got, e.Want, e.Got)
}

// Fetch obtains, verifies and converts a dataset into opts.DataDir/NAME.
// Nothing partial is ever left there: the conversion happens in a temporary
// folder renamed into place when complete.
func Fetch(ctx context.Context, s *Source, opts FetchOptions) (FetchResult, error) {
	dir := filepath.Join(opts.DataDir, s.Name)
	if !opts.Force && s.Fetched(opts.DataDir) {
		return FetchResult{Dir: dir, Cached: true}, nil
	}
	want := strings.ToLower(opts.SHA256)
	if want == "" {
		want = s.SHA256
	} else if len(want) != 64 || strings.Trim(want, "0123456789abcdef") != "" {
		return FetchResult{}, fmt.Errorf("--sha256 %q is not a sha256 digest (64 hexadecimal digits)", opts.SHA256)
	}
	if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
		return FetchResult{}, fmt.Errorf("cannot create data directory %s: %w", opts.DataDir, pathErr(err))
	}
	from := opts.From
	if from == "" {
		from = s.URL
	}
	archive, cleanup, err := obtain(ctx, from, opts)
	if err != nil {
		return FetchResult{}, err
	}
	defer cleanup()
	if err := verify(archive, from, want); err != nil {
		return FetchResult{}, err
	}
	tmp, err := os.MkdirTemp(opts.DataDir, "."+s.Name+".tmp-")
	if err != nil {
		return FetchResult{}, fmt.Errorf("cannot create a folder in %s: %w", opts.DataDir, pathErr(err))
	}
	defer os.RemoveAll(tmp)
	if err := s.Convert(archive, tmp); err != nil {
		return FetchResult{}, fmt.Errorf("cannot convert %s: %w", from, err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return FetchResult{}, err
	}
	if err := replaceDir(tmp, dir); err != nil {
		return FetchResult{}, err
	}
	return FetchResult{Dir: dir}, nil
}

// replaceDir moves the complete folder tmp to dir, replacing what was there.
func replaceDir(tmp, dir string) error {
	if _, err := os.Stat(dir); err == nil {
		old := tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return fmt.Errorf("cannot replace %s: %w", dir, pathErr(err))
		}
		defer os.RemoveAll(old)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("cannot create %s: %w", dir, pathErr(err))
	}
	return nil
}

// obtain returns a local path of the archive: from itself when it is a file,
// downloaded into the data directory when it is a URL.
func obtain(ctx context.Context, from string, opts FetchOptions) (string, func(), error) {
	u, err := url.Parse(from)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		if _, err := os.Stat(from); err != nil {
			return "", nil, fmt.Errorf("cannot read archive %s: %w", from, pathErr(err))
		}
		return from, func() {}, nil
	}
	client := opts.Client
	if client == nil {
		client = http.DefaultClient
	}
	f, err := os.CreateTemp(opts.DataDir, ".download-*")
	if err != nil {
		return "", nil, fmt.Errorf("cannot create a file in %s: %w", opts.DataDir, pathErr(err))
	}
	cleanup := func() { f.Close(); os.Remove(f.Name()) }
	if err := download(ctx, client, from, f, opts.Progress); err != nil {
		cleanup()
		return "", nil, err
	}
	if err := f.Close(); err != nil {
		cleanup()
		return "", nil, err
	}
	return f.Name(), cleanup, nil
}

func download(ctx context.Context, client *http.Client, from string, w io.Writer, progress func(done, total int64)) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, from, nil)
	if err != nil {
		return fmt.Errorf("cannot download %s: %w", from, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("cannot download %s: %w; use --from FILE for an archive already on disk", from, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("cannot download %s: the server answered %s", from, resp.Status)
	}
	var r io.Reader = resp.Body
	if progress != nil {
		r = &progressReader{r: r, total: resp.ContentLength, fn: progress}
	}
	if _, err := io.Copy(w, r); err != nil {
		return fmt.Errorf("download of %s broke off: %w", from, err)
	}
	return nil
}

type progressReader struct {
	r     io.Reader
	done  int64
	total int64
	fn    func(done, total int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	p.fn(p.done, p.total)
	return n, err
}

// verify checks the sha256 of the archive at path before anything reads it.
func verify(path, from, want string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cannot read archive %s: %w", from, pathErr(err))
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("cannot read archive %s: %w", from, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return &ChecksumError{Archive: from, Got: got, Want: want}
	}
	return nil
}
