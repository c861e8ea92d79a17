package data

import (
	"archive/tar"
	"fmt"
	"html"
	"io"
	"maps"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// reutersFile is Reuters-21578 Distribution 1.0 as the UCI KDD archive
// serves it: 22 SGML files of 1,000 stories each (the last 578).
var reutersFile = File{
	Name:   "reuters21578.tar.gz",
	SHA256: "3bae43c9b14e387f76a61b6d82bf98a4fb5d3ef99ef7e7075ff2ccbcf59f9d30",
	Size:   8150158, // of a rebuilt copy with the same content; UCI lists it as 8.2 MB
}

var reutersURLs = []string{
	"https://kdd.ics.uci.edu/databases/reuters21578/",
	"https://archive.ics.uci.edu/ml/machine-learning-databases/reuters21578-mld/",
}

const reutersLicense = "free for research; cite Lewis, Reuters-21578 Distribution 1.0 (1997)"

var reutersSource = &Source{
	Name:        "reuters",
	Description: `Reuters-21578 newswires, ModApte split, one topic each, the 52 topics in both splits ("R52")`,
	License:     reutersLicense,
	Kind:        Text,
	URLs:        reutersURLs,
	Files:       []File{reutersFile},
	Classes:     52,
	Train:       6532,
	Test:        2568,
	Version:     1,
	Limits:      Limits{MaxBytes: 256 << 20, MaxFiles: 1000},
	Convert: func(files []string, dir string, lim Limits) (Counts, error) {
		return convertReuters(files[0], dir, lim, nil)
	},
}

// reuters8Topics are the 8 most frequent single-topic classes ("R8").
var reuters8Topics = []string{"acq", "crude", "earn", "grain", "interest", "money-fx", "ship", "trade"}

var reuters8Source = &Source{
	Name:        "reuters8",
	Description: `Reuters-21578 newswires, ModApte split, one topic each, the 8 largest topics ("R8")`,
	License:     reutersLicense,
	Kind:        Text,
	URLs:        reutersURLs,
	Files:       []File{reutersFile},
	Classes:     8,
	Train:       5485,
	Test:        2189,
	Version:     1,
	Limits:      Limits{MaxBytes: 256 << 20, MaxFiles: 1000},
	Convert: func(files []string, dir string, lim Limits) (Counts, error) {
		return convertReuters(files[0], dir, lim, reuters8Topics)
	},
}

// reutersSGMFiles is how many reut2-NNN.sgm files the distribution has.
const reutersSGMFiles = 22

// maxSGM caps one SGML file; the largest is 1.5 MB.
const maxSGM = 32 << 20

// reutersDoc is one story kept for a split.
type reutersDoc struct {
	split  string // TRAIN or TEST
	topics []string
	text   string
}

var (
	reutersSGMName = regexp.MustCompile(`^reut2-\d{3}\.sgm$`)
)

// convertReuters turns the Reuters-21578 archive into the ModApte
// single-topic benchmark ("R52", or with topics given, those topics: "R8"),
// exactly as ../shared/BENCHMARKS.md describes and the literature counts
// (Cardoso-Cachopo's R8/R52):
//
//   - stories with LEWISSPLIT TRAIN or TEST and TOPICS="YES", and exactly
//     one topic among their <TOPICS><D>...</D></TOPICS>;
//   - text = TITLE + " " + BODY, SGML entities unescaped (the &#N; control
//     characters become spaces), trimmed; the 48 <TEXT TYPE="UNPROC">
//     stories, which have no TITLE/BODY markup, use their raw <TEXT>;
//   - the files are Latin-1 (reut2-017.sgm has a byte that is not UTF-8)
//     and come out as UTF-8;
//   - without topics: the topics that have stories in both splits (52).
//
// Stories keep the distribution's order (file, then NEWID order).
func convertReuters(archive, dir string, lim Limits, topics []string) (Counts, error) {
	all, err := readReutersDocs(archive, lim)
	if err != nil {
		return Counts{}, err
	}
	var docs []reutersDoc
	for _, d := range all {
		if len(d.topics) == 1 {
			docs = append(docs, d)
		}
	}

	keep := map[string]bool{}
	if topics != nil {
		for _, t := range topics {
			keep[t] = true
		}
	} else {
		inTrain, inTest := map[string]bool{}, map[string]bool{}
		for _, d := range docs {
			if d.split == "TRAIN" {
				inTrain[d.topics[0]] = true
			} else {
				inTest[d.topics[0]] = true
			}
		}
		for t := range inTrain {
			if inTest[t] {
				keep[t] = true
			}
		}
	}
	var c Counts
	var labelSets [][]string
	for _, split := range []string{"train", "test"} {
		var texts, labels []string
		for _, d := range docs {
			if strings.EqualFold(d.split, split) && keep[d.topics[0]] {
				texts = append(texts, d.text)
				labels = append(labels, d.topics[0])
			}
		}
		if len(texts) == 0 {
			return Counts{}, fmt.Errorf("the archive gave no %s stories; is it reuters21578.tar.gz?", split)
		}
		if err := writeSplit(filepath.Join(dir, split+".jsonl"), texts, labels); err != nil {
			return Counts{}, err
		}
		labelSets = append(labelSets, labels)
		if split == "train" {
			c.Train = len(texts)
		} else {
			c.Test = len(texts)
		}
	}
	c.Labels = sortedLabels(labelSets...)
	return c, nil
}

// readReutersDocs reads the ModApte stories of the archive (LEWISSPLIT
// TRAIN or TEST, TOPICS="YES"), with however many topics each has, in the
// distribution's order.
func readReutersDocs(archive string, lim Limits) ([]reutersDoc, error) {
	// Parsed as they stream past, so only the stories are held, not the
	// files; put in file order afterwards.
	perFile := map[string][]reutersDoc{}
	err := walkTarGz(archive, lim, func(e tarEntry) error {
		base := path.Base(e.Name)
		if e.Header.Typeflag != tar.TypeReg || !reutersSGMName.MatchString(base) {
			return nil
		}
		if e.Header.Size > maxSGM {
			return fmt.Errorf("%s is %s, larger than any Reuters file (limit %s)", e.Name, byteSize(e.Header.Size), byteSize(maxSGM))
		}
		if _, dup := perFile[base]; dup {
			return fmt.Errorf("the archive holds %s twice", base)
		}
		b, err := io.ReadAll(e.R)
		if err != nil {
			return fmt.Errorf("broken tar archive at %s: %w", e.Name, err)
		}
		perFile[base] = appendReutersDocs([]reutersDoc{}, b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(perFile) != reutersSGMFiles {
		return nil, fmt.Errorf("the archive holds %d of the %d reut2-NNN.sgm files; is it reuters21578.tar.gz?", len(perFile), reutersSGMFiles)
	}
	var docs []reutersDoc
	for _, n := range slices.Sorted(maps.Keys(perFile)) {
		docs = append(docs, perFile[n]...)
	}
	return docs, nil
}

// appendReutersDocs parses one SGML file (Latin-1) and appends its
// ModApte stories that have a topic. The SGML is regular enough that finding
// tags by their text is exact: <REUTERS ...> ... </REUTERS>, and inside
// <TOPICS>, <TITLE>, <BODY> and <TEXT TYPE="UNPROC">, none nested in
// itself.
func appendReutersDocs(docs []reutersDoc, b []byte) []reutersDoc {
	s := latin1(b)
	for {
		i := strings.Index(s, "<REUTERS")
		if i < 0 {
			return docs
		}
		s = s[i+len("<REUTERS"):]
		j := strings.IndexByte(s, '>')
		if j < 0 {
			return docs
		}
		attrs := s[:j]
		s = s[j+1:]
		k := strings.Index(s, "</REUTERS>")
		if k < 0 {
			return docs
		}
		body := s[:k]
		s = s[k+len("</REUTERS>"):]

		var split, hasTopics string
		sgmlAttrs(attrs, func(k, v string) {
			switch k {
			case "LEWISSPLIT":
				split = v
			case "TOPICS":
				hasTopics = v
			}
		})
		if hasTopics != "YES" || (split != "TRAIN" && split != "TEST") {
			continue
		}
		var topics []string
		t := sgmlElement(body, "<TOPICS>", "</TOPICS>")
		for {
			v, rest, ok := nextElement(t, "<D>", "</D>")
			if !ok {
				break
			}
			// An empty <D></D> is no topic (the distribution has none;
			// a label must not be empty).
			if v = strings.TrimSpace(v); v != "" {
				topics = append(topics, v)
			}
			t = rest
		}
		if len(topics) == 0 {
			continue
		}
		title := strings.TrimSpace(unescapeSGML(sgmlElement(body, "<TITLE>", "</TITLE>")))
		text := strings.TrimSpace(unescapeSGML(sgmlElement(body, "<BODY>", "</BODY>")))
		full := strings.TrimSpace(title + " " + text)
		if full == "" {
			full = strings.TrimSpace(unescapeSGML(sgmlElement(body, `<TEXT TYPE="UNPROC">`, "</TEXT>")))
		}
		if full == "" {
			continue
		}
		docs = append(docs, reutersDoc{split: split, topics: topics, text: full})
	}
}

// sgmlAttrs calls f with each KEY="VALUE" attribute of a start tag's
// text, in order.
func sgmlAttrs(s string, f func(k, v string)) {
	for {
		eq := strings.Index(s, `="`)
		if eq < 0 {
			return
		}
		k := eq
		for k > 0 && isWordByte(s[k-1]) {
			k--
		}
		rest := s[eq+2:]
		end := strings.IndexByte(rest, '"')
		if end < 0 {
			return
		}
		if k < eq {
			f(s[k:eq], rest[:end])
		}
		s = rest[end+1:]
	}
}

func isWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// sgmlElement returns the content of the first open...close element in s,
// or "" when there is none.
func sgmlElement(s, open, close string) string {
	v, _, _ := nextElement(s, open, close)
	return v
}

func nextElement(s, open, close string) (content, rest string, ok bool) {
	i := strings.Index(s, open)
	if i < 0 {
		return "", s, false
	}
	s = s[i+len(open):]
	j := strings.Index(s, close)
	if j < 0 {
		return "", s, false
	}
	return s[:j], s[j+len(close):], true
}

// unescapeSGML decodes entities (&lt; &amp; &#3; ...) and turns the
// control characters the numeric ones stand for into spaces: &#2; and
// &#3; mark the start and end of a story, &#127; sits between words.
func unescapeSGML(s string) string {
	return strings.Map(func(r rune) rune {
		if r <= 0x1f && r != '\t' && r != '\n' || r == 0x7f {
			return ' '
		}
		return r
	}, html.UnescapeString(s))
}

// latin1 decodes ISO 8859-1 bytes into a UTF-8 string: each byte is the
// code point of the same value.
func latin1(b []byte) string {
	out := make([]byte, 0, len(b)+len(b)/16)
	for _, c := range b {
		out = utf8.AppendRune(out, rune(c))
	}
	return string(out)
}
