package data

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Limits bound what unpacking an archive may cost, so that a hostile or
// broken archive (a decompression bomb: a few kB that unpack to terabytes)
// is refused instead of filling the disk or the memory.
type Limits struct {
	// MaxBytes caps the total unpacked size of the archive's files.
	MaxBytes int64
	// MaxFiles caps the number of entries (an inode bomb is many empty files).
	MaxFiles int
}

// DefaultLimits are generous for the lecture's datasets (the largest,
// aclImdb with its unsup/ folder, unpacks to about 0.5 GB in 100,000 files)
// and far below what would hurt a laptop.
var DefaultLimits = Limits{MaxBytes: 2 << 30, MaxFiles: 500_000}

// UnsafeArchiveError is an archive entry that would write outside the
// target folder or is otherwise not allowed (a device file, a link that
// leads out).
type UnsafeArchiveError struct {
	Archive, Entry, Why string
}

func (e *UnsafeArchiveError) Error() string {
	return fmt.Sprintf("refusing %s: its entry %q %s", e.Archive, e.Entry, e.Why)
}

// TooLargeError is an archive that unpacks to more than the Limits allow.
type TooLargeError struct {
	Archive string
	Limit   int64
	Files   bool // the file count, not the size, is over the limit
}

func (e *TooLargeError) Error() string {
	if e.Files {
		return fmt.Sprintf("refusing %s: it holds more than %d entries (a decompression bomb, or not the dataset's archive)", e.Archive, e.Limit)
	}
	return fmt.Sprintf("refusing %s: it unpacks to more than %s (a decompression bomb, or not the dataset's archive)", e.Archive, byteSize(e.Limit))
}

// checkName validates an entry name of an archive: a relative path with
// forward slashes that stays in the target folder. Any ".." element is
// refused, even one that would stay inside, as are backslashes (a "..\"
// name escapes on Windows).
func checkName(archive, name string) error {
	bad := func(why string) error { return &UnsafeArchiveError{Archive: archive, Entry: name, Why: why} }
	switch {
	case name == "":
		return bad("has an empty name")
	case strings.ContainsRune(name, '\\'):
		return bad("contains a backslash")
	case strings.ContainsRune(name, 0):
		return bad("contains a NUL byte")
	case path.IsAbs(name) || filepath.IsAbs(name) || (len(name) > 1 && name[1] == ':'):
		return bad("is an absolute path")
	}
	for _, el := range strings.Split(name, "/") {
		if el == ".." {
			return bad("climbs out of the target folder with ..")
		}
	}
	if !filepath.IsLocal(filepath.FromSlash(strings.TrimSuffix(name, "/"))) && strings.Trim(name, "./") != "" {
		return bad("is not a path inside the target folder")
	}
	return nil
}

// checkLink validates where a link entry points. A symbolic link's target
// is relative to the link's folder; a hard link's is relative to the
// archive's root. Either must stay inside the target folder.
func checkLink(archive, name, target string, symbolic bool) error {
	bad := func(why string) error {
		return &UnsafeArchiveError{Archive: archive, Entry: name, Why: why + " (" + target + ")"}
	}
	if target == "" {
		return bad("is a link to nothing")
	}
	if path.IsAbs(target) || filepath.IsAbs(target) || strings.ContainsRune(target, '\\') {
		return bad("is a link to an absolute path")
	}
	resolved := target
	if symbolic {
		resolved = path.Join(path.Dir(name), target)
	}
	if !filepath.IsLocal(filepath.FromSlash(resolved)) {
		return bad("is a link leading out of the target folder")
	}
	return nil
}

// tarEntry is one validated entry of a tar archive. For regular files, R
// reads its content.
type tarEntry struct {
	Header *tar.Header
	Name   string // cleaned, slash-separated, without a trailing slash
	R      io.Reader
}

// walkTarGz reads a gzipped tar archive entry by entry, validating every
// entry before fn sees it: names that leave the folder, links that lead
// out, device files and sizes over the limits end the walk with an error,
// whether or not fn wants the entry. This is what lets converters stream
// an archive without unpacking it and still refuse a hostile one.
func walkTarGz(archive string, lim Limits, fn func(e tarEntry) error) error {
	f, err := os.Open(archive)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", archive, pathErr(err))
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s is not a gzip archive: %w", archive, err)
	}
	defer z.Close()
	// The tar reader only reads what the headers announce, and they are
	// counted below; the cap on the raw stream also bounds headers and
	// padding, so that no gzip stream, however long, is read to the end.
	raw := &capReader{r: z, left: lim.MaxBytes + int64(lim.MaxFiles)*1024 + 1<<20}
	tr := tar.NewReader(raw)
	var total int64
	files := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if raw.over {
				return &TooLargeError{Archive: archive, Limit: lim.MaxBytes}
			}
			return fmt.Errorf("%s is a broken tar archive: %w", archive, err)
		}
		files++
		if files > lim.MaxFiles {
			return &TooLargeError{Archive: archive, Limit: int64(lim.MaxFiles), Files: true}
		}
		if err := checkName(archive, h.Name); err != nil {
			return err
		}
		name := path.Clean(strings.TrimSuffix(h.Name, "/"))
		switch h.Typeflag {
		case tar.TypeReg:
			if h.Size < 0 {
				return fmt.Errorf("%s is a broken tar archive: entry %q has a negative size", archive, h.Name)
			}
			total += h.Size
			if total > lim.MaxBytes {
				return &TooLargeError{Archive: archive, Limit: lim.MaxBytes}
			}
		case tar.TypeDir:
		case tar.TypeSymlink:
			if err := checkLink(archive, name, h.Linkname, true); err != nil {
				return err
			}
		case tar.TypeLink:
			if err := checkName(archive, h.Linkname); err != nil {
				return &UnsafeArchiveError{Archive: archive, Entry: h.Name, Why: "is a hard link leading out of the target folder (" + h.Linkname + ")"}
			}
		case tar.TypeXGlobalHeader:
			continue
		default:
			return &UnsafeArchiveError{Archive: archive, Entry: h.Name, Why: fmt.Sprintf("is a special file (tar type %q), which no dataset holds", h.Typeflag)}
		}
		if err := fn(tarEntry{Header: h, Name: name, R: tr}); err != nil {
			if raw.over {
				return &TooLargeError{Archive: archive, Limit: lim.MaxBytes}
			}
			return err
		}
	}
}

// capReader reads at most left bytes and then fails, remembering that it
// did, so the caller can name the real cause (a bomb, not a broken file).
type capReader struct {
	r    io.Reader
	left int64
	over bool
}

var errOverCap = errors.New("unpacked size over the limit")

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		c.over = true
		return 0, errOverCap
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// ExtractTarGz unpacks a gzipped tar archive into dir, which must exist
// and should be a fresh temporary folder (rename it into place when this
// returns nil). Nothing is written outside dir: entry names with "..",
// absolute names, and links leading out are refused, files are created
// through an os.Root so that no link inside dir can redirect a write, and
// the total size is capped by lim. Modes are not copied: files are 0644,
// folders 0755.
func ExtractTarGz(archive, dir string, lim Limits) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("cannot unpack into %s: %w", dir, pathErr(err))
	}
	defer root.Close()
	var links []string
	err = walkTarGz(archive, lim, func(e tarEntry) error {
		switch e.Header.Typeflag {
		case tar.TypeDir:
			return wrapWrite(archive, e.Name, root.MkdirAll(e.Name, 0o755))
		case tar.TypeSymlink:
			links = append(links, e.Name)
			return wrapWrite(archive, e.Name, placeLink(root, e.Name, func() error { return root.Symlink(e.Header.Linkname, e.Name) }))
		case tar.TypeLink:
			old := path.Clean(e.Header.Linkname)
			return wrapWrite(archive, e.Name, placeLink(root, e.Name, func() error { return root.Link(old, e.Name) }))
		}
		return wrapWrite(archive, e.Name, writeEntry(root, e.Name, e.R, e.Header.Size))
	})
	if err != nil {
		return err
	}
	return checkLinksInside(archive, dir, links)
}

// ExtractZip unpacks a zip archive into dir under the same rules as
// ExtractTarGz. The sizes a zip announces are not trusted: what is
// actually decompressed is counted.
func ExtractZip(archive, dir string, lim Limits) error {
	zr, err := zip.OpenReader(archive)
	if err != nil {
		return fmt.Errorf("%s is not a zip archive: %w", archive, err)
	}
	defer zr.Close()
	if len(zr.File) > lim.MaxFiles {
		return &TooLargeError{Archive: archive, Limit: int64(lim.MaxFiles), Files: true}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("cannot unpack into %s: %w", dir, pathErr(err))
	}
	defer root.Close()
	left := lim.MaxBytes
	var links []string
	for _, zf := range zr.File {
		if err := checkName(archive, zf.Name); err != nil {
			return err
		}
		name := path.Clean(strings.TrimSuffix(zf.Name, "/"))
		mode := zf.Mode()
		switch {
		case mode.IsDir():
			if err := wrapWrite(archive, name, root.MkdirAll(name, 0o755)); err != nil {
				return err
			}
			continue
		case mode&fs.ModeSymlink != 0:
			target, err := readZipEntry(zf, 4096)
			if err != nil {
				return fmt.Errorf("%s is a broken zip archive: %w", archive, err)
			}
			if err := checkLink(archive, name, string(target), true); err != nil {
				return err
			}
			links = append(links, name)
			if err := wrapWrite(archive, name, placeLink(root, name, func() error { return root.Symlink(string(target), name) })); err != nil {
				return err
			}
			continue
		case !mode.IsRegular():
			return &UnsafeArchiveError{Archive: archive, Entry: zf.Name, Why: "is a special file, which no dataset holds"}
		}
		if zf.UncompressedSize64 > uint64(left) {
			return &TooLargeError{Archive: archive, Limit: lim.MaxBytes}
		}
		rc, err := zf.Open()
		if err != nil {
			return fmt.Errorf("%s is a broken zip archive: %w", archive, err)
		}
		cr := &capReader{r: rc, left: left}
		err = writeEntry(root, name, cr, -1)
		rc.Close()
		if cr.over {
			return &TooLargeError{Archive: archive, Limit: lim.MaxBytes}
		}
		if err := wrapWrite(archive, name, err); err != nil {
			return err
		}
		left = cr.left
	}
	return checkLinksInside(archive, dir, links)
}

// Unpack unpacks archive (.tar.gz or .tgz, .zip, or a single-file .gz)
// into dest, which must not exist yet, under the rules of ExtractTarGz. It
// unpacks into a temporary folder beside dest and renames it into place
// only when complete: on any error dest does not exist and nothing is
// left behind. A .gz becomes the one file dest/NAME (NAME without .gz).
func Unpack(archive, dest string, lim Limits) (err error) {
	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("cannot unpack %s into %s: it exists already", archive, dest)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".tmp-")
	if err != nil {
		return fmt.Errorf("cannot unpack %s: %w", archive, pathErr(err))
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	name := strings.ToLower(filepath.Base(archive))
	switch {
	case strings.HasSuffix(name, ".tar.gz") || strings.HasSuffix(name, ".tgz"):
		err = ExtractTarGz(archive, tmp, lim)
	case strings.HasSuffix(name, ".zip"):
		err = ExtractZip(archive, tmp, lim)
	case strings.HasSuffix(name, ".gz"):
		err = Gunzip(archive, filepath.Join(tmp, filepath.Base(archive[:len(archive)-3])), lim.MaxBytes)
	default:
		err = fmt.Errorf("cannot unpack %s: dlc unpacks .tar.gz, .tgz, .zip and .gz files", archive)
	}
	if err != nil {
		return err
	}
	if err = os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err = os.Rename(tmp, dest); err != nil {
		return fmt.Errorf("cannot unpack into %s: %w", dest, pathErr(err))
	}
	return nil
}

// Gunzip decompresses the gzip file src into the new file dst, refusing
// more than maxBytes of output. dst is written atomically: on any error it
// does not exist.
func Gunzip(src, dst string, maxBytes int64) (err error) {
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", src, pathErr(err))
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s is not a gzip file: %w", src, err)
	}
	defer z.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", dst, pathErr(err))
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	cr := &capReader{r: z, left: maxBytes}
	if _, err = io.Copy(tmp, cr); err != nil {
		if cr.over {
			return &TooLargeError{Archive: src, Limit: maxBytes}
		}
		return fmt.Errorf("%s is a broken gzip file: %w", src, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", dst, err)
	}
	if err = os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("cannot write %s: %w", dst, pathErr(err))
	}
	return nil
}

// writeEntry creates the file name under root with r's content. An entry
// that was already there (tar archives may hold a path twice) is replaced,
// never written through: it is removed first and the new file created
// exclusively. size, when not -1, is the number of bytes r must deliver.
func writeEntry(root *os.Root, name string, r io.Reader, size int64) error {
	if dir := path.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if err := root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && size >= 0 && n != size {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// placeLink makes room for a link at name and creates it with mk.
func placeLink(root *os.Root, name string, mk func() error) error {
	if dir := path.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if err := root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return mk()
}

// checkLinksInside resolves every symbolic link unpacked into dir, now
// that all entries exist. Each link's target was checked lexically when it
// was made, but links can combine (a -> b/.., b -> .) to point above dir;
// only resolving them on disk tells. A link that leads out, or to nothing,
// fails the extraction.
func checkLinksInside(archive, dir string, links []string) error {
	if len(links) == 0 {
		return nil
	}
	base, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return err
	}
	for _, l := range links {
		target, err := filepath.EvalSymlinks(filepath.Join(dir, filepath.FromSlash(l)))
		if err != nil {
			return &UnsafeArchiveError{Archive: archive, Entry: l, Why: "is a link to nothing inside the archive"}
		}
		rel, err := filepath.Rel(base, target)
		if err != nil || !filepath.IsLocal(rel) && rel != "." {
			return &UnsafeArchiveError{Archive: archive, Entry: l, Why: "is a link leading out of the target folder"}
		}
	}
	return nil
}

func readZipEntry(zf *zip.File, max int64) ([]byte, error) {
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("entry %q is too long for a link", zf.Name)
	}
	return b, nil
}

// wrapWrite names the archive and entry in an error from writing it. An
// os.Root refusing a path is reported as the unsafe entry it is.
func wrapWrite(archive, entry string, err error) error {
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	var le *os.LinkError
	if errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "escapes") ||
		errors.As(err, &le) && strings.Contains(le.Err.Error(), "escapes") {
		return &UnsafeArchiveError{Archive: archive, Entry: entry, Why: "would be written through a link leading out of the target folder"}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s is a broken archive: entry %q is cut short", archive, entry)
	}
	return fmt.Errorf("cannot unpack %q of %s: %w", entry, archive, pathErr(err))
}

// byteSize formats a byte count for people: 7.8 MiB.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
