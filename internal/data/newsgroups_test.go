package data

import (
	"archive/tar"
	"path/filepath"
	"slices"
	"testing"
)

func TestConvertNewsgroups(t *testing.T) {
	archive := writeTemp(t, "20news-bydate.tar.gz", makeTarGz(t,
		entry{Name: "20news-bydate-train/", Type: tar.TypeDir},
		entry{Name: "20news-bydate-train/sci.space/61", Body: "From: a@b\nSubject: orbit\n\nM\xfcller's launch"},
		entry{Name: "20news-bydate-train/sci.space/104", Body: "second"},
		entry{Name: "20news-bydate-train/alt.atheism/5", Body: "third"},
		entry{Name: "20news-bydate-test/sci.space/9", Body: "test post"},
		entry{Name: "20news-bydate-test/alt.atheism/1", Body: "another"},
		entry{Name: "20news-bydate-test/README", Body: "not a post"},
	))
	dir := t.TempDir()
	c, err := convertNewsgroups([]string{archive}, dir, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if c.Train != 3 || c.Test != 2 || !slices.Equal(c.Labels, []string{"alt.atheism", "sci.space"}) {
		t.Errorf("counts %+v", c)
	}
	tr, err := Read(filepath.Join(dir, "train.jsonl"), Fields{})
	if err != nil {
		t.Fatal(err)
	}
	// Group order, then file-name order; Latin-1 read as such, headers kept.
	want := []string{"third", "second", "From: a@b\nSubject: orbit\n\nMüller's launch"}
	if !slices.Equal(tr.Texts, want) || !slices.Equal(tr.Labels, []string{"alt.atheism", "sci.space", "sci.space"}) {
		t.Errorf("train %q %q", tr.Texts, tr.Labels)
	}

	_, err = convertNewsgroups([]string{writeTemp(t, "x.tar.gz", makeTarGz(t, entry{Name: "20news-bydate-train/g/1", Body: "x"}))}, t.TempDir(), DefaultLimits)
	if err == nil || err.Error() != "the archive has no 20news-bydate-test/GROUP/ posts; is it 20news-bydate.tar.gz?" {
		t.Errorf("got %v", err)
	}
}
