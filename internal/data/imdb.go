package data

import (
	"archive/tar"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

var imdbSource = &Source{
	Name:        "imdb",
	Description: "Large Movie Review Dataset: IMDB movie reviews labelled pos/neg (Maas et al., 2011)",
	License:     "free for research; cite Maas et al. (ACL 2011)",
	Kind:        Text,
	URLs: []string{
		"https://ai.stanford.edu/~amaas/data/sentiment/",
		"http://ai.stanford.edu/~amaas/data/sentiment/",
	},
	Files: []File{{
		Name:   "aclImdb_v1.tar.gz",
		SHA256: "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe",
		Size:   84125825,
	}},
	Classes: 2,
	Train:   25000,
	Test:    25000,
	Version: 1,
	// aclImdb with unsup/ unpacks to about 0.5 GB in 100,000 files.
	Limits:  Limits{MaxBytes: 1 << 30, MaxFiles: 200_000},
	Convert: convertIMDB,
}

// maxReview caps one review file, so a hostile archive cannot make the
// converter hold gigabytes; the largest real review is 14 kB.
const maxReview = 1 << 20

// archiveDoc is one labelled text of a dataset archive (a review, a post);
// id or name (whichever the dataset has) orders the texts of a label.
type archiveDoc struct {
	label, text string
	id          int
	name        string
}

// writeArchiveSplits writes splits["train"] and splits["test"] as
// train.jsonl and test.jsonl, each in label order, then id or name order,
// so that the files are the same whatever the archive's order, and counts
// them. missing is the error for a split without texts.
func writeArchiveSplits(dir string, splits map[string][]archiveDoc, missing func(split string) error) (Counts, error) {
	var c Counts
	var all [][]string
	for _, split := range []string{"train", "test"} {
		docs := splits[split]
		if len(docs) == 0 {
			return Counts{}, missing(split)
		}
		sort.Slice(docs, func(i, j int) bool {
			a, b := docs[i], docs[j]
			if a.label != b.label {
				return a.label < b.label
			}
			if a.id != b.id {
				return a.id < b.id
			}
			return a.name < b.name
		})
		texts, labels := make([]string, len(docs)), make([]string, len(docs))
		for i, d := range docs {
			texts[i], labels[i] = d.text, d.label
		}
		if err := writeSplit(filepath.Join(dir, split+".jsonl"), texts, labels); err != nil {
			return Counts{}, err
		}
		all = append(all, labels)
	}
	c.Train, c.Test = len(splits["train"]), len(splits["test"])
	c.Labels = sortedLabels(all...)
	return c, nil
}

// convertIMDB streams aclImdb_v1.tar.gz and writes train.jsonl and test.jsonl
// without unpacking 100,000 small files. Only aclImdb/{train,test}/{pos,neg}/
// ID_RATING.txt entries are read (unsup and the bag-of-words files are not);
// reviews are ordered by label, then numeric id, so the output is the same
// whatever the archive's order. Every entry is still checked (walkTarGz): an
// archive with an unsafe entry or over the limits is refused as a whole.
func convertIMDB(files []string, dir string, lim Limits) (Counts, error) {
	archive := files[0]
	splits := map[string][]archiveDoc{}
	err := walkTarGz(archive, lim, func(e tarEntry) error {
		h := e.Header
		if h.Typeflag != tar.TypeReg {
			return nil
		}
		parts := strings.Split(e.Name, "/")
		if len(parts) != 4 || parts[0] != "aclImdb" || (parts[1] != "train" && parts[1] != "test") || (parts[2] != "pos" && parts[2] != "neg") {
			return nil
		}
		idText, _, ok := strings.Cut(strings.TrimSuffix(parts[3], ".txt"), "_")
		id, err := strconv.Atoi(idText)
		if !ok || err != nil || !strings.HasSuffix(parts[3], ".txt") {
			return nil
		}
		if h.Size > maxReview {
			return fmt.Errorf("%s is %d bytes, larger than any review (limit %d)", h.Name, h.Size, maxReview)
		}
		b, err := io.ReadAll(e.R)
		if err != nil {
			return fmt.Errorf("broken tar archive at %s: %w", h.Name, err)
		}
		splits[parts[1]] = append(splits[parts[1]], archiveDoc{id: id, label: parts[2], text: string(b)})
		return nil
	})
	if err != nil {
		return Counts{}, err
	}
	return writeArchiveSplits(dir, splits, func(split string) error {
		return fmt.Errorf("the archive has no aclImdb/%s/pos or neg reviews; is it aclImdb_v1.tar.gz?", split)
	})
}
