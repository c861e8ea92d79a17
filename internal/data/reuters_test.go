package data

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// sgmDoc is one <REUTERS> story in the distribution's markup.
func sgmDoc(attrs, topics, text string) string {
	var d strings.Builder
	fmt.Fprintf(&d, "<REUTERS %s>\n<DATE>26-FEB-1987 15:01:01.79</DATE>\n<TOPICS>", attrs)
	for _, t := range strings.Fields(topics) {
		fmt.Fprintf(&d, "<D>%s</D>", t)
	}
	fmt.Fprintf(&d, "</TOPICS>\n<PLACES><D>usa</D></PLACES>\n<UNKNOWN> \n&#5;&#5;&#5;C T\n</UNKNOWN>\n%s\n</REUTERS>\n", text)
	return d.String()
}

// reutersArchive builds a reuters21578.tar.gz whose 22 SGML files hold
// the given stories (in reut2-000.sgm) and nothing else.
func reutersArchive(t *testing.T, docs ...string) string {
	t.Helper()
	entries := []entry{{Name: "README.txt", Body: "readme"}}
	for i := range reutersSGMFiles {
		body := `<!DOCTYPE lewis SYSTEM "lewis.dtd">` + "\n"
		if i == 0 {
			body += strings.Join(docs, "")
		}
		entries = append(entries, entry{Name: fmt.Sprintf("reut2-%03d.sgm", i), Body: body})
	}
	return writeTemp(t, "reuters21578.tar.gz", makeTarGz(t, entries...))
}

func TestConvertReutersFollowsTheBenchmarksRules(t *testing.T) {
	train := `TOPICS="YES" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="1" NEWID="%d"`
	test := `TOPICS="YES" LEWISSPLIT="TEST" CGISPLIT="PUBLISHED-TESTSET" OLDID="1" NEWID="%d"`
	archive := reutersArchive(t,
		sgmDoc(fmt.Sprintf(train, 1), "cocoa", "<TEXT>&#2;\n<TITLE>BAHIA COCOA &lt;REVIEW&gt;</TITLE>\n<DATELINE>SALVADOR, Feb 26 - </DATELINE><BODY>Showers &amp; sun\ncontinued.\n Reuter\n&#3;</BODY></TEXT>"),
		sgmDoc(fmt.Sprintf(test, 2), "cocoa", "<TEXT>&#2;\n<TITLE>CAF\xc9 PRICES</TITLE>\n<BODY>M\xfcller said 160&#127;mln.\n&#3;</BODY></TEXT>"),
		// The stories dropped: not TOPICS="YES", not in the ModApte split,
		// no topic, two topics.
		sgmDoc(`TOPICS="NO" LEWISSPLIT="TRAIN" NEWID="3"`, "cocoa", "<TEXT><TITLE>NO</TITLE><BODY>x</BODY></TEXT>"),
		sgmDoc(`TOPICS="YES" LEWISSPLIT="NOT-USED" NEWID="4"`, "cocoa", "<TEXT><TITLE>UNUSED</TITLE><BODY>x</BODY></TEXT>"),
		sgmDoc(fmt.Sprintf(train, 5), "", "<TEXT><TITLE>NONE</TITLE><BODY>x</BODY></TEXT>"),
		sgmDoc(fmt.Sprintf(train, 6), "grain wheat", "<TEXT><TITLE>TWO</TITLE><BODY>x</BODY></TEXT>"),
		// An UNPROC story: no TITLE/BODY, the raw <TEXT> is the story.
		sgmDoc(fmt.Sprintf(train, 7), "earn", "<TEXT TYPE=\"UNPROC\">&#2;\n Qtly div 12 cts vs 12 cts prior\n Reuter\n&#3;</TEXT>"),
		// A title-only story (TYPE="BRIEF").
		sgmDoc(fmt.Sprintf(test, 8), "earn", "<TEXT TYPE=\"BRIEF\">&#2;\n<TITLE>******XYZ CORP SETS DIVIDEND</TITLE>\n&#3;\n</TEXT>"),
		// A topic only in train: not among the topics of both splits.
		sgmDoc(fmt.Sprintf(train, 9), "wool", "<TEXT><TITLE>WOOL</TITLE><BODY>sheep</BODY></TEXT>"),
		// An empty story is dropped.
		sgmDoc(fmt.Sprintf(test, 10), "earn", "<TEXT>&#2;\n&#3;</TEXT>"),
	)

	dir := t.TempDir()
	c, err := convertReuters(archive, dir, Limits{MaxBytes: 1 << 20, MaxFiles: 100}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Train != 2 || c.Test != 2 || !slices.Equal(c.Labels, []string{"cocoa", "earn"}) {
		t.Errorf("counts %+v, want 2 train, 2 test, labels cocoa and earn", c)
	}
	tr, err := Read(filepath.Join(dir, "train.jsonl"), Fields{})
	if err != nil {
		t.Fatal(err)
	}
	te, err := Read(filepath.Join(dir, "test.jsonl"), Fields{})
	if err != nil {
		t.Fatal(err)
	}
	wantTrain := []string{
		"BAHIA COCOA <REVIEW> Showers & sun\ncontinued.\n Reuter",
		"Qtly div 12 cts vs 12 cts prior\n Reuter",
	}
	wantTest := []string{
		"CAFÉ PRICES Müller said 160 mln.", // Latin-1 read as such; &#127; is a space
		"******XYZ CORP SETS DIVIDEND",
	}
	if !slices.Equal(tr.Texts, wantTrain) || !slices.Equal(tr.Labels, []string{"cocoa", "earn"}) {
		t.Errorf("train:\n%q %q\nwant\n%q", tr.Texts, tr.Labels, wantTrain)
	}
	if !slices.Equal(te.Texts, wantTest) || !slices.Equal(te.Labels, []string{"cocoa", "earn"}) {
		t.Errorf("test:\n%q %q\nwant\n%q", te.Texts, te.Labels, wantTest)
	}

	// With a topic list (R8's way), the topics are those, whatever the
	// splits hold.
	dir = t.TempDir()
	c, err = convertReuters(archive, dir, Limits{MaxBytes: 1 << 20, MaxFiles: 100}, []string{"earn", "wool"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Train != 2 || c.Test != 1 || !slices.Equal(c.Labels, []string{"earn", "wool"}) {
		t.Errorf("with topics: %+v", c)
	}
}

func TestConvertReutersRefusesOtherArchives(t *testing.T) {
	archive := writeTemp(t, "r.tar.gz", makeTarGz(t, entry{Name: "reut2-000.sgm", Body: sgmDoc(`TOPICS="YES" LEWISSPLIT="TRAIN"`, "earn", "<TITLE>x</TITLE>")}))
	_, err := convertReuters(archive, t.TempDir(), Limits{MaxBytes: 1 << 20, MaxFiles: 100}, nil)
	if err == nil || err.Error() != "the archive holds 1 of the 22 reut2-NNN.sgm files; is it reuters21578.tar.gz?" {
		t.Errorf("got %v", err)
	}
	archive = writeTemp(t, "big.tar.gz", makeTarGz(t, entry{Name: "reut2-000.sgm", Size: 40 << 20}))
	_, err = convertReuters(archive, t.TempDir(), Limits{MaxBytes: 1 << 30, MaxFiles: 100}, nil)
	if err == nil || err.Error() != "reut2-000.sgm is 40.0 MiB, larger than any Reuters file (limit 32.0 MiB)" {
		t.Errorf("got %v", err)
	}
}

// FuzzReutersSGML: no SGML makes the parser panic or loop, and every story
// it keeps is what the converters promise: a TRAIN or TEST split, topics
// (not empty), a non-empty text of valid UTF-8 (the files are Latin-1).
func FuzzReutersSGML(f *testing.F) {
	f.Add([]byte(`<REUTERS TOPICS="YES" LEWISSPLIT="TRAIN" NEWID="1"><TOPICS><D>earn</D></TOPICS><TEXT><TITLE>A &amp; B</TITLE><BODY>Profit up &#3; 10 pct.</BODY></TEXT></REUTERS>`))
	f.Add([]byte(`<REUTERS TOPICS="YES" LEWISSPLIT="TEST" NEWID="2"><TOPICS><D>acq</D></TOPICS><TEXT TYPE="UNPROC">raw text</TEXT></REUTERS>`))
	f.Add([]byte(`<REUTERS TOPICS="YES" LEWISSPLIT="TRAIN"><TOPICS><D>a</D><D>b</D></TOPICS><BODY>two topics</BODY></REUTERS><REUTERS`))
	f.Add([]byte("<REUTERS TOPICS=\"YES\" LEWISSPLIT=\"TRAIN\"><TOPICS><D>\xe9t\xe9</D></TOPICS><BODY>caf\xe9</BODY></REUTERS>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, d := range appendReutersDocs(nil, b) {
			switch {
			case d.split != "TRAIN" && d.split != "TEST":
				t.Fatalf("split %q", d.split)
			case len(d.topics) == 0:
				t.Fatal("a story without a topic")
			case slices.ContainsFunc(d.topics, func(s string) bool { return s == "" || !utf8.ValidString(s) }):
				t.Fatalf("topics %q", d.topics)
			case strings.TrimSpace(d.text) == "" || !utf8.ValidString(d.text):
				t.Fatalf("text %q", d.text)
			}
		}
	})
}

// The ModApte multi-label split: every story of TOPICS="YES" in TRAIN or
// TEST keeps those of its topics found in both splits, and is dropped when
// none is left; one story stays one example whatever its number of topics.
func TestConvertReutersModApte(t *testing.T) {
	train := `TOPICS="YES" LEWISSPLIT="TRAIN" NEWID="%d"`
	test := `TOPICS="YES" LEWISSPLIT="TEST" NEWID="%d"`
	archive := reutersArchive(t,
		sgmDoc(fmt.Sprintf(train, 1), "grain wheat", "<TEXT><TITLE>WHEAT</TITLE><BODY>harvest</BODY></TEXT>"),
		sgmDoc(fmt.Sprintf(train, 2), "earn", "<TEXT><TITLE>PROFIT</TITLE><BODY>up</BODY></TEXT>"),
		sgmDoc(fmt.Sprintf(train, 3), "wool earn", "<TEXT><TITLE>WOOL AND PROFIT</TITLE><BODY>x</BODY></TEXT>"), // wool: train only
		sgmDoc(fmt.Sprintf(train, 4), "wool", "<TEXT><TITLE>WOOL</TITLE><BODY>sheep</BODY></TEXT>"),             // none left
		sgmDoc(fmt.Sprintf(train, 5), "", "<TEXT><TITLE>NONE</TITLE><BODY>x</BODY></TEXT>"),
		sgmDoc(`TOPICS="NO" LEWISSPLIT="TRAIN" NEWID="6"`, "earn", "<TEXT><TITLE>NO</TITLE><BODY>x</BODY></TEXT>"),
		sgmDoc(fmt.Sprintf(test, 7), "wheat grain earn", "<TEXT><TITLE>ALL</TITLE><BODY>three</BODY></TEXT>"),
		sgmDoc(fmt.Sprintf(test, 8), "cocoa", "<TEXT><TITLE>COCOA</TITLE><BODY>test only</BODY></TEXT>"),
	)
	dir := t.TempDir()
	c, err := convertReutersModApte(archive, dir, Limits{MaxBytes: 1 << 20, MaxFiles: 100})
	if err != nil {
		t.Fatal(err)
	}
	if c.Train != 3 || c.Test != 1 || !slices.Equal(c.Labels, []string{"earn", "grain", "wheat"}) {
		t.Errorf("counts %+v, want 3 train, 1 test, labels earn, grain, wheat", c)
	}
	tr, err := Read(filepath.Join(dir, "train.jsonl"), Fields{Label: "labels", Multi: true})
	if err != nil {
		t.Fatal(err)
	}
	te, err := Read(filepath.Join(dir, "test.jsonl"), Fields{Label: "labels", Multi: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tr.Texts, []string{"WHEAT harvest", "PROFIT up", "WOOL AND PROFIT x"}) || fmt.Sprint(tr.LabelSets) != "[[grain wheat] [earn] [earn]]" {
		t.Errorf("train %q %q", tr.Texts, tr.LabelSets)
	}
	if !slices.Equal(te.Texts, []string{"ALL three"}) || fmt.Sprint(te.LabelSets) != "[[wheat grain earn]]" {
		t.Errorf("test %q %q", te.Texts, te.LabelSets)
	}
}
