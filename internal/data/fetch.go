package data

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// FetchOptions say where a dataset comes from and where it goes.
type FetchOptions struct {
	DataDir string // the cache; required
	// From is where the files come from instead of the registry's URLs: a
	// URL (of the file, or for a dataset of several files of the folder
	// holding them), a local file (a dataset of one file), or a local
	// folder holding the dataset's files by their names.
	From string
	// SHA256 accepts files whose digests are not the registry's: "HEX" for
	// a dataset of one file, "NAME=HEX" for any file (repeatable).
	SHA256 []string
	// Force fetches and converts again even when the dataset is there; a
	// kept download is downloaded again too.
	Force bool
	// Status, if set, receives one line of news at a time (downloading,
	// resuming, retrying, converting).
	Status func(msg string)
	// Progress, if set, is called as bytes of a file arrive (total is -1
	// when unknown).
	Progress func(file string, done, total int64)
	// Net downloads; its zero value has sensible timeouts and retries.
	// Its Status and Progress are set by Fetch.
	Net Downloader
}

// FetchResult says what Fetch did.
type FetchResult struct {
	Dir      string    // the dataset's folder
	Cached   bool      // it was already there; nothing was done
	Manifest *Manifest // what the folder holds (nil for a hand-made folder)
}

// ChecksumError is a file whose sha256 is not the expected one.
type ChecksumError struct {
	File string // where the file came from (a path or URL)
	Got  string
	Want string
	Flag string // the --sha256 value that would accept the file
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("%s has sha256 %s, not the expected %s; if you trust this file, run again with --sha256 %s", e.File, e.Got, e.Want, e.Flag)
}

// ArchivesDir is the folder of DataDir where downloads are kept: a file
// being downloaded as NAME.part (a later fetch resumes it), a verified one
// as NAME. Keeping verified downloads lets datasets made from the same
// file (reuters, reuters8) share one download, and lets a dataset whose
// conversion changed be converted again without the network. Delete the
// folder to reclaim the space.
const ArchivesDir = ".archives"

// Fetch obtains, verifies and converts a dataset into opts.DataDir/NAME.
// Nothing partial is ever left there: the conversion happens in a
// temporary folder renamed into place when complete, and a file whose
// sha256 is wrong, or an archive refused as unsafe, leaves nothing behind.
// Only a download broken off by the network is kept (as .part), so that
// the next fetch resumes it.
func Fetch(ctx context.Context, s *Source, opts FetchOptions) (res FetchResult, err error) {
	dir := s.Dir(opts.DataDir)
	want, err := expectedDigests(s, opts.SHA256)
	if err != nil {
		return res, err
	}
	if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
		return res, fmt.Errorf("cannot create data directory %s: %w", opts.DataDir, pathErr(err))
	}
	unlock, err := lockDir(ctx, opts.DataDir, func() {
		opts.status("waiting for another dlc fetching into %s", opts.DataDir)
	})
	if err != nil {
		return res, err
	}
	defer unlock()
	// Under the lock, what a killed fetch left (its temporary folder) is
	// no one's: clear it.
	stale, _ := filepath.Glob(filepath.Join(opts.DataDir, "."+s.Name+".tmp-*"))
	for _, p := range stale {
		os.RemoveAll(p)
	}
	// Checked under the lock: another dlc may have just fetched it.
	if !opts.Force && s.Fetched(opts.DataDir) {
		m, _ := ReadManifest(dir)
		return FetchResult{Dir: dir, Cached: true, Manifest: m}, nil
	}
	archives := filepath.Join(opts.DataDir, ArchivesDir)
	defer os.Remove(archives) // only when empty

	inputs := make([]string, len(s.Files))
	var downloaded []string // verified downloads, dropped if conversion fails
	defer func() {
		if err != nil {
			for _, p := range downloaded {
				os.Remove(p)
			}
		}
	}()
	for i, f := range s.Files {
		p, fresh, err := obtain(ctx, s, f, want[f.Name], opts)
		if err != nil {
			return res, err
		}
		inputs[i] = p
		if fresh {
			downloaded = append(downloaded, p)
		}
	}

	tmp, err := os.MkdirTemp(opts.DataDir, "."+s.Name+".tmp-")
	if err != nil {
		return res, fmt.Errorf("cannot create a folder in %s: %w", opts.DataDir, pathErr(err))
	}
	defer os.RemoveAll(tmp)
	opts.status("converting %s", s.Name)
	counts, err := s.Convert(inputs, tmp, s.limits())
	if err != nil {
		var ue *UnsafeArchiveError
		var tl *TooLargeError
		if errors.As(err, &ue) || errors.As(err, &tl) {
			return res, err
		}
		return res, fmt.Errorf("cannot convert %s: %w", s.Name, err)
	}
	// Conversion does not watch ctx; an interrupt during it still stops
	// the fetch here, before the dataset appears.
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if counts.Train != s.Train || counts.Test != s.Test || len(counts.Labels) != s.Classes {
		opts.status("note: %s gave %d train and %d test examples in %d classes; the registry expects %d, %d and %d (a different version of the files?)",
			s.Name, counts.Train, counts.Test, len(counts.Labels), s.Train, s.Test, s.Classes)
	}
	m := &Manifest{Name: s.Name, Kind: s.Kind, Version: s.Version, SHA256: want, Train: counts.Train, Test: counts.Test, Labels: counts.Labels}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return res, err
	}
	if err := os.WriteFile(filepath.Join(tmp, ManifestFile), append(b, '\n'), 0o644); err != nil {
		return res, fmt.Errorf("cannot write in %s: %w", opts.DataDir, pathErr(err))
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return res, err
	}
	if err := replaceDir(tmp, dir); err != nil {
		return res, err
	}
	return FetchResult{Dir: dir, Manifest: m}, nil
}

func (o *FetchOptions) status(format string, args ...any) {
	if o.Status != nil {
		o.Status(fmt.Sprintf(format, args...))
	}
}

// expectedDigests returns the sha256 each file must have: the registry's,
// or the one --sha256 gives.
func expectedDigests(s *Source, flags []string) (map[string]string, error) {
	want := make(map[string]string, len(s.Files))
	for _, f := range s.Files {
		want[f.Name] = f.SHA256
	}
	for _, v := range flags {
		name, hexDigest, named := strings.Cut(v, "=")
		if !named {
			if len(s.Files) != 1 {
				return nil, fmt.Errorf("--sha256 %s: %s has %d files; say which one, as --sha256 NAME=HEX with NAME one of %s", v, s.Name, len(s.Files), fileNames(s))
			}
			name, hexDigest = s.Files[0].Name, v
		}
		if _, ok := want[name]; !ok {
			return nil, fmt.Errorf("--sha256 %s: %s has no file %q; its files are %s", v, s.Name, name, fileNames(s))
		}
		hexDigest = strings.ToLower(hexDigest)
		if len(hexDigest) != 64 || strings.Trim(hexDigest, "0123456789abcdef") != "" {
			return nil, fmt.Errorf("--sha256 %q is not a sha256 digest (64 hexadecimal digits)", v)
		}
		want[name] = hexDigest
	}
	return want, nil
}

func fileNames(s *Source) string {
	names := make([]string, len(s.Files))
	for i, f := range s.Files {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

// obtain returns a local, verified copy of the file f. fresh is set when
// it was downloaded by this call.
func obtain(ctx context.Context, s *Source, f File, want string, opts FetchOptions) (path string, fresh bool, err error) {
	from := opts.From
	if u, err := url.Parse(from); err == nil && u.Scheme == "file" {
		from = filepath.FromSlash(u.Path)
	}
	// sha256Flag is the --sha256 value that accepts digest for this file
	// (NAME=digest when the dataset has several files).
	sha256Flag := func(digest string) string {
		if len(s.Files) > 1 {
			return f.Name + "=" + digest
		}
		return digest
	}
	checksumErr := func(origin, got string) error {
		return &ChecksumError{File: origin, Got: got, Want: want, Flag: sha256Flag(got)}
	}
	if from != "" && !isURL(from) {
		p := from
		st, err := os.Stat(from)
		switch {
		case err != nil:
			return "", false, fmt.Errorf("cannot read %s: %w", from, pathErr(err))
		case st.IsDir():
			p = filepath.Join(from, f.Name)
			if _, err := os.Stat(p); err != nil {
				return "", false, fmt.Errorf("%s has no %s; --from DIR must hold %s's files: %s", from, f.Name, s.Name, fileNames(s))
			}
		case len(s.Files) > 1:
			return "", false, fmt.Errorf("%s is %d files (%s); --from takes the folder that holds them, not one file", s.Name, len(s.Files), fileNames(s))
		}
		got, err := fileSHA256(p)
		if err != nil {
			return "", false, err
		}
		if got != want {
			return "", false, checksumErr(p, got)
		}
		return p, false, nil
	}

	urls := make([]string, 0, len(s.URLs))
	switch {
	case from != "" && len(s.Files) == 1:
		urls = append(urls, from)
	case from != "":
		urls = append(urls, joinURL(from, f.Name))
	default:
		for _, base := range s.URLs {
			urls = append(urls, joinURL(base, f.Name))
		}
	}
	archives := filepath.Join(opts.DataDir, ArchivesDir)
	if err := os.MkdirAll(archives, 0o755); err != nil {
		return "", false, fmt.Errorf("cannot create %s: %w", archives, pathErr(err))
	}
	kept := filepath.Join(archives, f.Name)
	part := kept + ".part"
	// A kept copy is replaced only once a new download is verified: it may
	// be a file the user accepted with --sha256 for another dataset.
	keptDigest := ""
	if opts.Force {
		os.Remove(part)
	} else if _, err := os.Stat(kept); err == nil {
		got, err := fileSHA256(kept)
		if err != nil {
			return "", false, err
		}
		if got == want {
			opts.status("using %s, downloaded before", kept)
			return kept, false, nil
		}
		keptDigest = got
		opts.status("%s, downloaded before, has sha256 %s, not the expected %s; downloading the file again", kept, got, want)
	}

	d := opts.Net
	d.Status = opts.Status
	if opts.Progress != nil {
		d.Progress = func(done, total int64) { opts.Progress(f.Name, done, total) }
	}
	maxBytes := max(2*f.Size, 64<<20)
	for round := 0; ; round++ {
		resumed := fileSize(part) > 0
		opts.status("downloading %s (%s) from %s", f.Name, byteSize(f.Size), redact(urls[0]))
		if err := d.Download(ctx, urls, part, maxBytes); err != nil {
			if n := fileSize(part); n > 0 {
				opts.status("the %s of %s downloaded so far are kept in %s; the next fetch resumes there", byteSize(n), f.Name, part)
			}
			var de *DownloadError
			switch {
			case errors.As(err, &de) && keptDigest != "":
				return "", false, fmt.Errorf("%w; to use the copy downloaded before (%s), run again with --sha256 %s", err, kept, sha256Flag(keptDigest))
			case errors.As(err, &de) && from == "":
				return "", false, fmt.Errorf("%w; with a copy of it on disk, use dlc fetch %s --from FILE", err, s.Name)
			}
			return "", false, err
		}
		got, err := fileSHA256(part)
		if err != nil {
			return "", false, err
		}
		if got == want {
			break
		}
		os.Remove(part)
		if !resumed || round > 0 {
			return "", false, checksumErr(redact(urls[0]), got)
		}
		// The kept part may be of another version of the file: once more,
		// from the start.
		opts.status("%s does not match its sha256 after resuming; downloading it again from the start", f.Name)
	}
	if err := os.Rename(part, kept); err != nil {
		return "", false, fmt.Errorf("cannot keep %s: %w", kept, pathErr(err))
	}
	return kept, true, nil
}

func isURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// joinURL appends a file name to a folder URL.
func joinURL(base, name string) string {
	if strings.HasSuffix(base, "/") {
		return base + name
	}
	return base + "/" + name
}

func fileSize(p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return st.Size()
}

// fileSHA256 returns the hex sha256 of the file at p.
func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", fmt.Errorf("cannot read %s: %w", p, pathErr(err))
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("cannot read %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// replaceDir moves the complete folder tmp to dir, replacing what was there.
func replaceDir(tmp, dir string) error {
	if _, err := os.Lstat(dir); err == nil {
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

// writeSplit writes a JSONL split file.
func writeSplit(path string, texts, labels []string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := WriteJSONL(f, texts, labels); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// sortedLabels returns the distinct labels, sorted.
func sortedLabels(sets ...[]string) []string {
	var all []string
	for _, s := range sets {
		all = append(all, s...)
	}
	slices.Sort(all)
	return slices.Compact(all)
}

// copyFile copies src to the new file dst.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
