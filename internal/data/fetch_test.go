package data

import (
	"archive/tar"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// archiveServer serves files by name and counts requests.
type archiveServer struct {
	*httptest.Server
	files map[string][]byte
	calls atomic.Int32
}

func newArchiveServer(t *testing.T, files map[string][]byte) *archiveServer {
	s := &archiveServer{files: files}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		b, ok := s.files[strings.TrimPrefix(r.URL.Path, "/d/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		serve(b)(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// tinyIMDB is a registry entry like imdb's, served by srv, with the tiny
// archive's digest.
func tinyIMDB(name string, srv *archiveServer, archive []byte) *Source {
	return &Source{
		Name: name, Kind: Text, URLs: []string{srv.URL + "/d/"},
		Files:   []File{{Name: "aclImdb_v1.tar.gz", SHA256: sha256Hex(archive), Size: int64(len(archive))}},
		Classes: 2, Train: 4, Test: 4, Version: 1,
		Limits:  Limits{MaxBytes: 1 << 20, MaxFiles: 100},
		Convert: convertIMDB,
	}
}

func fetchOptions(dataDir string) FetchOptions {
	return FetchOptions{DataDir: dataDir, Net: *fastDownloader()}
}

func TestFetchDownloadsVerifiesAndConverts(t *testing.T) {
	archive := imdbArchive(t)
	srv := newArchiveServer(t, map[string][]byte{"aclImdb_v1.tar.gz": archive})
	src := tinyIMDB("tiny", srv, archive)
	dataDir := filepath.Join(t.TempDir(), "datasets") // created by Fetch
	opts := fetchOptions(dataDir)
	var news []string
	opts.Status = func(m string) { news = append(news, m) }

	res, err := Fetch(context.Background(), src, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Cached || res.Dir != filepath.Join(dataDir, "tiny") {
		t.Errorf("result %+v", res)
	}
	if m := res.Manifest; m.Train != 4 || m.Test != 4 || !slices.Equal(m.Labels, []string{"neg", "pos"}) || m.SHA256["aclImdb_v1.tar.gz"] != sha256Hex(archive) {
		t.Errorf("manifest %+v", m)
	}
	want := []string{
		".archives/", ".archives/aclImdb_v1.tar.gz",
		"tiny/", "tiny/dataset.json", "tiny/test.jsonl", "tiny/train.jsonl",
	}
	if got := tree(t, dataDir); !slices.Equal(got, want) {
		t.Errorf("data dir holds %q, want %q", got, want)
	}
	ds, err := Read(filepath.Join(dataDir, "tiny", "train.jsonl"), Fields{})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Texts[0] != `train neg review 9 <br />with "quotes" & ünïcode` || !slices.Equal(ds.Labels, []string{"neg", "neg", "pos", "pos"}) {
		t.Errorf("train.jsonl starts with %q, labels %q", ds.Texts[0], ds.Labels)
	}
	if !strings.Contains(strings.Join(news, "\n"), "downloading aclImdb_v1.tar.gz (") {
		t.Errorf("news %q", news)
	}

	// Fetched: nothing is done, not even a request.
	calls := srv.calls.Load()
	res, err = Fetch(context.Background(), src, opts)
	if err != nil || !res.Cached || srv.calls.Load() != calls {
		t.Errorf("second fetch: %+v, %v, %d new requests", res, err, srv.calls.Load()-calls)
	}

	// Another dataset made from the same file uses the kept download.
	other := tinyIMDB("tiny2", srv, archive)
	if _, err := Fetch(context.Background(), other, opts); err != nil {
		t.Fatal(err)
	}
	if srv.calls.Load() != calls {
		t.Errorf("the shared file was downloaded again")
	}

	// --force downloads again and replaces the folder.
	opts.Force = true
	if res, err = Fetch(context.Background(), src, opts); err != nil || res.Cached {
		t.Fatalf("forced fetch: %+v, %v", res, err)
	}
	if srv.calls.Load() == calls {
		t.Errorf("--force did not download again")
	}
	want = append(want, "tiny2/", "tiny2/dataset.json", "tiny2/test.jsonl", "tiny2/train.jsonl")
	if got := tree(t, dataDir); !slices.Equal(got, want) {
		t.Errorf("after --force the data dir holds %q, want %q", got, want)
	}
}

// TestFetchWrongSHA256LeavesNothing: a file that is not the expected one
// is refused with one sentence giving its digest and the flag that
// accepts it, and nothing of it stays in the data directory.
func TestFetchWrongSHA256LeavesNothing(t *testing.T) {
	archive := imdbArchive(t)
	srv := newArchiveServer(t, map[string][]byte{"aclImdb_v1.tar.gz": archive})
	src := tinyIMDB("tiny", srv, archive)
	src.Files[0].SHA256 = strings.Repeat("ab", 32)
	dataDir := t.TempDir()
	got := sha256Hex(archive)

	_, err := Fetch(context.Background(), src, fetchOptions(dataDir))
	want := srv.URL + "/d/aclImdb_v1.tar.gz has sha256 " + got + ", not the expected " + strings.Repeat("ab", 32) +
		"; if you trust this file, run again with --sha256 " + got
	if err == nil || err.Error() != want {
		t.Fatalf("got  %v\nwant %s", err, want)
	}
	if left := tree(t, dataDir); len(left) != 0 {
		t.Errorf("a refused download left %q", left)
	}

	// The same from a file on disk.
	file := writeTemp(t, "copy.tar.gz", archive)
	opts := fetchOptions(dataDir)
	opts.From = file
	_, err = Fetch(context.Background(), src, opts)
	if want := file + " has sha256 " + got; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("got %v", err)
	}
	if left := tree(t, dataDir); len(left) != 0 {
		t.Errorf("a refused file left %q", left)
	}

	// --sha256 accepts it, upper case too; a malformed one is a clear error.
	opts.SHA256 = []string{strings.ToUpper(got)}
	if _, err := Fetch(context.Background(), src, opts); err != nil {
		t.Fatal(err)
	}
	opts.SHA256 = []string{"abc"}
	if _, err := Fetch(context.Background(), src, opts); err == nil || err.Error() != `--sha256 "abc" is not a sha256 digest (64 hexadecimal digits)` {
		t.Errorf("got %v", err)
	}
}

// TestFetchRefusesUnsafeArchives: an archive whose sha256 was accepted but
// that holds a "../" entry or is a decompression bomb is refused as a
// whole, and leaves nothing in the data directory, not even the download.
func TestFetchRefusesUnsafeArchives(t *testing.T) {
	for _, c := range []struct {
		name  string
		extra entry
		want  string
	}{
		{"dotdot", entry{Name: "aclImdb/../../evil.txt", Body: "pwned"}, `its entry "aclImdb/../../evil.txt" climbs out of the target folder with ..`},
		{"symlink", entry{Name: "aclImdb/link", Type: tar.TypeSymlink, Link: "../../../etc/passwd"}, `its entry "aclImdb/link" is a link leading out of the target folder (../../../etc/passwd)`},
		{"bomb", entry{Name: "aclImdb/train/zeros.bin", Size: 8 << 20}, `it unpacks to more than 1.0 MiB (a decompression bomb, or not the dataset's archive)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			archive := imdbArchive(t, c.extra)
			srv := newArchiveServer(t, map[string][]byte{"aclImdb_v1.tar.gz": archive})
			src := tinyIMDB("tiny", srv, archive)
			dataDir := t.TempDir()
			_, err := Fetch(context.Background(), src, fetchOptions(dataDir))
			if err == nil || !strings.HasPrefix(err.Error(), "refusing ") || !strings.HasSuffix(err.Error(), c.want) {
				t.Fatalf("got %v\nwant refusing ...: %s", err, c.want)
			}
			if left := tree(t, dataDir); len(left) != 0 {
				t.Errorf("a refused archive left %q", left)
			}
		})
	}
}

func TestFetchSeveralFiles(t *testing.T) {
	files := map[string][]byte{}
	src := &Source{Name: "digits", Kind: Images, Classes: 3, Train: 4, Test: 2, Version: 1, Layout: map[string]Split{
		"train": {Path: "tr-img", Labels: "tr-lab"},
		"test":  {Path: "te-img", Labels: "te-lab"},
	}}
	for name, b := range map[string][]byte{
		"tr-img": idxBytes(3, []int{4, 2, 2}, make([]byte, 16)),
		"tr-lab": idxBytes(1, []int{4}, []byte{0, 1, 2, 1}),
		"te-img": idxBytes(3, []int{2, 2, 2}, make([]byte, 8)),
		"te-lab": idxBytes(1, []int{2}, []byte{2, 0}),
	} {
		files[name] = gzipBytes(b)
		src.Files = append(src.Files, File{Name: name, SHA256: sha256Hex(files[name]), Size: int64(len(files[name]))})
	}
	slices.SortFunc(src.Files, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	src.Convert = idxConverter(src.Layout)
	srv := newArchiveServer(t, files)

	// --from URL is the folder holding the files.
	dataDir := t.TempDir()
	opts := fetchOptions(dataDir)
	opts.From = srv.URL + "/d"
	res, err := Fetch(context.Background(), src, opts)
	if err != nil {
		t.Fatal(err)
	}
	if m := res.Manifest; m.Train != 4 || m.Test != 2 || !slices.Equal(m.Labels, []string{"0", "1", "2"}) {
		t.Errorf("manifest %+v", m)
	}
	sp := src.Split(dataDir, "train")
	set, err := ReadImageSet(sp.Path, sp.Labels)
	if err != nil || set.Len() != 4 || set.Images.Rows != 2 {
		t.Errorf("train split: %v, %+v", err, set)
	}

	// --from DIR holds the files by name.
	local := t.TempDir()
	for name, b := range files {
		os.WriteFile(filepath.Join(local, name), b, 0o644)
	}
	opts = fetchOptions(t.TempDir())
	opts.From = local
	if _, err := Fetch(context.Background(), src, opts); err != nil {
		t.Fatal(err)
	}
	// A file of a multi-file dataset, a folder that misses one, and a
	// bare --sha256 are errors that say what to give instead.
	opts.Force = true
	opts.From = filepath.Join(local, "tr-img")
	if _, err := Fetch(context.Background(), src, opts); err == nil || err.Error() != "digits is 4 files (te-img, te-lab, tr-img, tr-lab); --from takes the folder that holds them, not one file" {
		t.Errorf("got %v", err)
	}
	os.Remove(filepath.Join(local, "te-lab"))
	opts.From = local
	if _, err := Fetch(context.Background(), src, opts); err == nil || err.Error() != local+" has no te-lab; --from DIR must hold digits's files: te-img, te-lab, tr-img, tr-lab" {
		t.Errorf("got %v", err)
	}
	opts.SHA256 = []string{strings.Repeat("0", 64)}
	if _, err := Fetch(context.Background(), src, opts); err == nil || !strings.HasPrefix(err.Error(), "--sha256 0000") || !strings.HasSuffix(err.Error(), ": digits has 4 files; say which one, as --sha256 NAME=HEX with NAME one of te-img, te-lab, tr-img, tr-lab") {
		t.Errorf("got %v", err)
	}

	// A wrong file names the flag that accepts that file.
	os.WriteFile(filepath.Join(local, "te-lab"), gzipBytes(idxBytes(1, []int{2}, []byte{1, 1})), 0o644)
	opts.SHA256 = nil
	_, err = Fetch(context.Background(), src, opts)
	var ce *ChecksumError
	if !errors.As(err, &ce) || !strings.HasSuffix(err.Error(), "run again with --sha256 te-lab="+ce.Got) {
		t.Errorf("got %v", err)
	}
	opts.SHA256 = []string{"te-lab=" + ce.Got}
	if _, err := Fetch(context.Background(), src, opts); err != nil {
		t.Errorf("--sha256 te-lab=HEX: %v", err)
	}
}

func TestFetchNotFoundSuggestsFrom(t *testing.T) {
	archive := imdbArchive(t)
	srv := newArchiveServer(t, nil)
	src := tinyIMDB("tiny", srv, archive)
	dataDir := t.TempDir()
	_, err := Fetch(context.Background(), src, fetchOptions(dataDir))
	want := "cannot download " + srv.URL + "/d/aclImdb_v1.tar.gz: the server answered 404 Not Found; with a copy of it on disk, use dlc fetch tiny --from FILE"
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	if left := tree(t, dataDir); len(left) != 0 {
		t.Errorf("a failed download left %q", left)
	}
}

// An interrupted download keeps its .part for the next fetch to resume,
// but no dataset folder.
func TestFetchInterruptedKeepsOnlyThePart(t *testing.T) {
	archive := payload(200 << 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cutAfter(archive, 50<<10)(w, r)
	}))
	defer srv.Close()
	src := &Source{Name: "x", URLs: []string{srv.URL + "/"}, Files: []File{{Name: "x.tar.gz", SHA256: sha256Hex(archive), Size: int64(len(archive))}},
		Convert: func([]string, string, Limits) (Counts, error) { return Counts{}, nil }}
	dataDir := t.TempDir()
	opts := fetchOptions(dataDir)
	opts.Net.Attempts = 1
	var news []string
	opts.Status = func(m string) { news = append(news, m) }
	if _, err := Fetch(context.Background(), src, opts); err == nil {
		t.Fatal("a broken download succeeded")
	}
	want := "the 50.0 KiB of x.tar.gz downloaded so far are kept in " + filepath.Join(dataDir, ".archives", "x.tar.gz.part") + "; the next fetch resumes there"
	if !slices.Contains(news, want) {
		t.Errorf("news %q\nlacks %q", news, want)
	}
	if got := tree(t, dataDir); !slices.Equal(got, []string{".archives/", ".archives/x.tar.gz.part"}) {
		t.Errorf("data dir holds %q", got)
	}
	if src.Fetched(dataDir) {
		t.Error("the dataset counts as fetched")
	}
}

// A conversion that fails leaves no dataset folder, no temporary folder,
// and (the file being useless) no kept download.
func TestFetchFailedConversionLeavesNothing(t *testing.T) {
	archive := makeTarGz(t, entry{Name: "other/file.txt", Body: "not imdb"})
	srv := newArchiveServer(t, map[string][]byte{"aclImdb_v1.tar.gz": archive})
	src := tinyIMDB("tiny", srv, archive)
	dataDir := t.TempDir()
	_, err := Fetch(context.Background(), src, fetchOptions(dataDir))
	if err == nil || err.Error() != "cannot convert tiny: the archive has no aclImdb/train/pos or neg reviews; is it aclImdb_v1.tar.gz?" {
		t.Errorf("got %v", err)
	}
	if left := tree(t, dataDir); len(left) != 0 {
		t.Errorf("a failed conversion left %q", left)
	}
}

// A dataset converted by another version of the conversion is stale: it
// does not count as fetched, so the next fetch converts it again.
func TestFetchedChecksTheConversionVersion(t *testing.T) {
	archive := imdbArchive(t)
	srv := newArchiveServer(t, map[string][]byte{"aclImdb_v1.tar.gz": archive})
	src := tinyIMDB("tiny", srv, archive)
	dataDir := t.TempDir()
	if _, err := Fetch(context.Background(), src, fetchOptions(dataDir)); err != nil {
		t.Fatal(err)
	}
	if !src.Fetched(dataDir) {
		t.Fatal("not fetched after Fetch")
	}
	newer := *src
	newer.Version = 2
	if newer.Fetched(dataDir) {
		t.Error("a dataset from conversion version 1 counts as fetched for version 2")
	}
	calls := srv.calls.Load()
	res, err := Fetch(context.Background(), &newer, fetchOptions(dataDir))
	if err != nil || res.Cached || res.Manifest.Version != 2 || srv.calls.Load() != calls {
		t.Errorf("refetch: %+v, %v; %d requests (the kept download should do)", res, err, srv.calls.Load()-calls)
	}
	// A folder without a manifest (made by hand) is trusted.
	os.Remove(filepath.Join(dataDir, "tiny", ManifestFile))
	if !src.Fetched(dataDir) {
		t.Error("a complete folder without a manifest does not count as fetched")
	}
	os.Remove(filepath.Join(dataDir, "tiny", "test.jsonl"))
	if src.Fetched(dataDir) {
		t.Error("a folder without test.jsonl counts as fetched")
	}
}

// Two fetches into one data directory at once: the lock makes the second
// wait and then find the dataset there.
func TestFetchConcurrentFetchesDownloadOnce(t *testing.T) {
	archive := imdbArchive(t)
	slow := make(chan struct{})
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		<-slow
		serve(archive)(w, r)
	}))
	defer srv.Close()
	src := &Source{Name: "tiny", Kind: Text, URLs: []string{srv.URL + "/"},
		Files:   []File{{Name: "aclImdb_v1.tar.gz", SHA256: sha256Hex(archive), Size: int64(len(archive))}},
		Classes: 2, Train: 4, Test: 4, Version: 1, Convert: convertIMDB}
	dataDir := t.TempDir()
	results := make(chan FetchResult, 2)
	errs := make(chan error, 2)
	var waited atomic.Bool
	for range 2 {
		go func() {
			opts := fetchOptions(dataDir)
			opts.Status = func(m string) {
				if strings.HasPrefix(m, "waiting for another dlc") {
					waited.Store(true)
				}
			}
			res, err := Fetch(context.Background(), src, opts)
			results <- res
			errs <- err
		}()
	}
	time.Sleep(300 * time.Millisecond)
	close(slow)
	var cached int
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		if (<-results).Cached {
			cached++
		}
	}
	if calls.Load() != 1 || cached != 1 || !waited.Load() {
		t.Errorf("%d downloads, %d cached results, waited %v; want 1, 1, true", calls.Load(), cached, waited.Load())
	}
}

// What a killed fetch leaves (its temporary folder) is cleared by the
// next fetch of that dataset; a file:// --from is a local path.
func TestFetchClearsWhatAKilledFetchLeft(t *testing.T) {
	archive := imdbArchive(t)
	srv := newArchiveServer(t, map[string][]byte{"aclImdb_v1.tar.gz": archive})
	src := tinyIMDB("tiny", srv, archive)
	dataDir := t.TempDir()
	os.MkdirAll(filepath.Join(dataDir, ".tiny.tmp-123", "half"), 0o755)
	os.WriteFile(filepath.Join(dataDir, ".tiny.tmp-123", "train.jsonl"), []byte("{"), 0o644)
	opts := fetchOptions(dataDir)
	opts.From = "file://" + filepath.ToSlash(writeTemp(t, "a.tar.gz", archive))
	if _, err := Fetch(context.Background(), src, opts); err != nil {
		t.Fatal(err)
	}
	if got := tree(t, dataDir); !slices.Equal(got, []string{"tiny/", "tiny/dataset.json", "tiny/test.jsonl", "tiny/train.jsonl"}) {
		t.Errorf("data dir holds %q", got)
	}
	if srv.calls.Load() != 0 {
		t.Errorf("a file:// --from was downloaded")
	}
}

// A kept download accepted with --sha256 for one dataset is not used for
// another without it, nor deleted: the error says how to use it.
func TestFetchKeptDownloadWithAnotherDigest(t *testing.T) {
	archive := imdbArchive(t)
	srv := newArchiveServer(t, map[string][]byte{"aclImdb_v1.tar.gz": archive})
	first := tinyIMDB("first", srv, archive)
	first.Files[0].SHA256 = strings.Repeat("0", 64) // the registry's digest is another
	dataDir := t.TempDir()
	opts := fetchOptions(dataDir)
	opts.SHA256 = []string{sha256Hex(archive)}
	if _, err := Fetch(context.Background(), first, opts); err != nil {
		t.Fatal(err)
	}
	srv.files = nil // the site is gone
	second := *first
	second.Name = "second"
	_, err := Fetch(context.Background(), &second, fetchOptions(dataDir))
	kept := filepath.Join(dataDir, ".archives", "aclImdb_v1.tar.gz")
	want := "; to use the copy downloaded before (" + kept + "), run again with --sha256 " + sha256Hex(archive)
	if err == nil || !strings.HasPrefix(err.Error(), "cannot download ") || !strings.HasSuffix(err.Error(), want) {
		t.Fatalf("got %v\nwant ...%s", err, want)
	}
	if _, err := os.Stat(kept); err != nil {
		t.Errorf("the kept download was deleted: %v", err)
	}
	opts = fetchOptions(dataDir)
	opts.SHA256 = []string{sha256Hex(archive)}
	if _, err := Fetch(context.Background(), &second, opts); err != nil {
		t.Errorf("with --sha256: %v", err)
	}
}
