//go:build ignore

// gen writes the topics fixture: short Reuters-like newswire snippets in four
// classes of unequal size (earn > acq > crude > grain, as in Reuters), with
// shared words and some cross-topic words so that a small model makes a few
// mistakes and the confusion matrix has something to show.
//
//	go run gen.go   (in testdata/topics)
package main

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"strings"
)

var topics = []struct {
	label    string
	words    []string
	neighbor int // the topic whose words leak in
	train    int
	test     int
}{
	{"earn", []string{"profit", "dividend", "quarter", "net", "earnings", "revenue", "cts", "shr"}, 1, 80, 40},
	{"acq", []string{"acquire", "merger", "stake", "takeover", "shares", "bid", "buyout", "offer"}, 0, 60, 30},
	{"crude", []string{"oil", "barrel", "opec", "crude", "refinery", "pipeline", "output", "energy"}, 3, 40, 20},
	{"grain", []string{"wheat", "corn", "harvest", "tonnes", "export", "crop", "farm", "soybean"}, 2, 30, 15},
}

var shared = []string{"the", "said", "company", "market", "price", "year", "it", "a", "in", "of"}

func doc(rng *rand.Rand, t int) string {
	var w []string
	n := 4 + rng.IntN(4)
	for range n {
		w = append(w, topics[t].words[rng.IntN(len(topics[t].words))])
	}
	for range 2 + rng.IntN(3) {
		w = append(w, shared[rng.IntN(len(shared))])
	}
	// One text in five borrows heavily from the neighbouring topic.
	if rng.IntN(5) == 0 {
		nb := topics[topics[t].neighbor].words
		for range 2 + rng.IntN(4) {
			w = append(w, nb[rng.IntN(len(nb))])
		}
	}
	rng.Shuffle(len(w), func(i, j int) { w[i], w[j] = w[j], w[i] })
	s := strings.Join(w, " ")
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

func write(path string, rng *rand.Rand, count func(int) int) {
	f, err := os.Create(path)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	type ex struct{ t, i int }
	var order []ex
	for t := range topics {
		for i := range count(t) {
			order = append(order, ex{t, i})
		}
	}
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	enc := json.NewEncoder(f)
	for _, e := range order {
		if err := enc.Encode(map[string]string{"text": doc(rng, e.t), "label": topics[e.t].label}); err != nil {
			panic(err)
		}
	}
}

func main() {
	rng := rand.New(rand.NewPCG(7, 7))
	write("train.jsonl", rng, func(t int) int { return topics[t].train })
	write("test.jsonl", rng, func(t int) int { return topics[t].test })
}
