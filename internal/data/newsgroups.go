package data

import (
	"archive/tar"
	"fmt"
	"io"
	"strings"
)

// newsgroupsSource is the "bydate" version of 20 Newsgroups, the archive
// scikit-learn's fetch_20newsgroups downloads: Usenet posts from 20 groups,
// split by date into train (11,314) and test (7,532), duplicates and some
// headers removed by its curator.
var newsgroupsSource = &Source{
	Name:        "20newsgroups",
	Description: `20 Newsgroups "bydate": Usenet posts from 20 newsgroups, split by date (Lang 1995; Rennie)`,
	License:     "free for research; cite Lang, NewsWeeder (ICML 1995)",
	Kind:        Text,
	URLs: []string{
		"http://qwone.com/~jason/20Newsgroups/",
		"https://people.csail.mit.edu/jrennie/20Newsgroups/",
	},
	Files: []File{{
		Name:   "20news-bydate.tar.gz",
		SHA256: "8f1b2514ca22a5ade8fbb9cfa5727df95fa587f4c87b786e15c759fa66d95610", // as in scikit-learn
		Size:   14464277,                                                           // about; the site says 14 MB
	}},
	Classes: 20,
	Train:   11314,
	Test:    7532,
	Version: 1,
	Limits:  Limits{MaxBytes: 256 << 20, MaxFiles: 50_000},
	Convert: convertNewsgroups,
}

// maxPost caps one post; the longest bydate post is under 200 kB.
const maxPost = 4 << 20

// convertNewsgroups streams 20news-bydate.tar.gz: every file
// 20news-bydate-{train,test}/GROUP/ID is one post, labelled with its group.
// The posts are Latin-1 (as scikit-learn reads them) and are written as
// UTF-8, whole: headers, quotes and signatures are kept, as
// fetch_20newsgroups does by default. Posts come in group order, then
// file-name order (scikit-learn's load_files order).
func convertNewsgroups(files []string, dir string, lim Limits) (Counts, error) {
	splits := map[string][]archiveDoc{}
	err := walkTarGz(files[0], lim, func(e tarEntry) error {
		if e.Header.Typeflag != tar.TypeReg {
			return nil
		}
		parts := strings.Split(e.Name, "/")
		if len(parts) != 3 || (parts[0] != "20news-bydate-train" && parts[0] != "20news-bydate-test") || parts[1] == "" {
			return nil
		}
		if e.Header.Size > maxPost {
			return fmt.Errorf("%s is %s, larger than any post (limit %s)", e.Name, byteSize(e.Header.Size), byteSize(maxPost))
		}
		b, err := io.ReadAll(e.R)
		if err != nil {
			return fmt.Errorf("broken tar archive at %s: %w", e.Name, err)
		}
		split := strings.TrimPrefix(parts[0], "20news-bydate-")
		splits[split] = append(splits[split], archiveDoc{label: parts[1], name: parts[2], text: latin1(b)})
		return nil
	})
	if err != nil {
		return Counts{}, err
	}
	return writeArchiveSplits(dir, splits, func(split string) error {
		return fmt.Errorf("the archive has no 20news-bydate-%s/GROUP/ posts; is it 20news-bydate.tar.gz?", split)
	})
}
