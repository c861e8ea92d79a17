package vectorize

import (
	_ "embed"
	"slices"
	"strings"
)

// stopwordsEnglish is the English list, one word per line; the file says
// where the words come from.
//
//go:embed stopwords_english.txt
var stopwordsEnglish string

// englishStopWords is the set Tokenizer.StopWords "english" drops.
var englishStopWords = parseWordList(stopwordsEnglish)

// maxStopWordLen bounds the byte length of a stop word (a test checks
// it): longer tokens skip the lookup.
const maxStopWordLen = 16

// parseWordList reads one word per line, skipping blank lines and # comments.
func parseWordList(s string) map[string]struct{} {
	set := map[string]struct{}{}
	for line := range strings.SplitSeq(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		set[line] = struct{}{}
	}
	return set
}

// StopWords returns the words of a stop-word list ("english"), sorted; nil
// for "none".
func StopWords(list string) []string {
	if list != EnglishStopWords {
		return nil
	}
	out := make([]string, 0, len(englishStopWords))
	for w := range englishStopWords {
		out = append(out, w)
	}
	slices.Sort(out)
	return out
}
