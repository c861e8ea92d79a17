package data

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// reutersModApteSource reads the same archive as the R52 and R8 benchmarks
// (one download serves all three).
var reutersModApteSource = &Source{
	Name:        "reuters-modapte",
	Description: `Reuters-21578 newswires, ModApte split, multi-label: every topic of each, the 90 topics in both splits`,
	License:     reutersLicense,
	Kind:        Text,
	MultiLabel:  true,
	URLs:        reutersURLs,
	Files:       []File{reutersFile},
	Classes:     90,
	Train:       7770,
	Test:        3019,
	Version:     1,
	Limits:      Limits{MaxBytes: 256 << 20, MaxFiles: 1000},
	Convert: func(files []string, dir string, lim Limits) (Counts, error) {
		return convertReutersModApte(files[0], dir, lim)
	},
}

// convertReutersModApte turns the Reuters-21578 archive into the ModApte
// multi-label benchmark of the literature (Yang and Liu 1999; the "90
// categories" of Joachims 1998 and of DocBERT, Adhikari et al. 2019):
//
//   - stories with LEWISSPLIT TRAIN or TEST and TOPICS="YES", their text
//     as the R52 converter makes it (convertReuters);
//   - the topics that have stories in both splits (90); each story keeps
//     those of its topics, and the stories left with none are dropped.
//
// The archive in ../shared/datasets gives 7,770 training and 3,019 test
// stories (the literature counts 7,769 training ones). Each line of
// train.jsonl and test.jsonl is {"text": ..., "labels": [...]}, the
// topics in the story's order.
func convertReutersModApte(archive, dir string, lim Limits) (Counts, error) {
	docs, err := readReutersDocs(archive, lim)
	if err != nil {
		return Counts{}, err
	}
	inTrain, inTest := map[string]bool{}, map[string]bool{}
	for _, d := range docs {
		for _, t := range d.topics {
			if d.split == "TRAIN" {
				inTrain[t] = true
			} else {
				inTest[t] = true
			}
		}
	}
	var c Counts
	var all [][]string
	for _, split := range []string{"train", "test"} {
		var texts []string
		var sets [][]string
		for _, d := range docs {
			if !strings.EqualFold(d.split, split) {
				continue
			}
			var set []string
			for _, t := range d.topics {
				if inTrain[t] && inTest[t] && !slices.Contains(set, t) {
					set = append(set, t)
				}
			}
			if len(set) > 0 {
				texts = append(texts, d.text)
				sets = append(sets, set)
				all = append(all, set)
			}
		}
		if len(texts) == 0 {
			return Counts{}, fmt.Errorf("the archive gave no %s stories; is it reuters21578.tar.gz?", split)
		}
		if err := writeSetsSplit(filepath.Join(dir, split+".jsonl"), texts, sets); err != nil {
			return Counts{}, err
		}
		if split == "train" {
			c.Train = len(texts)
		} else {
			c.Test = len(texts)
		}
	}
	c.Labels = sortedLabels(all...)
	return c, nil
}

// writeSetsSplit writes a multi-label JSONL split file.
func writeSetsSplit(path string, texts []string, sets [][]string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := WriteJSONLSets(f, texts, sets); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// WriteJSONLSets writes multi-label examples as JSONL, one
// {"text": ..., "labels": [...]} object per line; HTML characters are kept
// as they are, not \u-escaped.
func WriteJSONLSets(w io.Writer, texts []string, sets [][]string) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	type row struct {
		Text   string   `json:"text"`
		Labels []string `json:"labels"`
	}
	for i, t := range texts {
		labels := sets[i]
		if labels == nil {
			labels = []string{} // a list of none, not null
		}
		if err := enc.Encode(row{Text: t, Labels: labels}); err != nil {
			return err
		}
	}
	return bw.Flush()
}
