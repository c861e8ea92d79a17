package vectorize

import "encoding/binary"

// textTokens holds the tokens of one text, each with its table hash, so
// that a text's hash-table probes run back to back after it is tokenized.
// Probing each token as the tokenizer cuts it puts the tokenizer's work
// between two probes, and the processor then overlaps few of their cache
// misses; probes in a short loop of their own are independent loads it
// overlaps by the dozen. The tables of a large vocabulary (81,000 IMDB
// words: 4 MiB of slots, plus the counts) are far larger than the cache, so
// these misses are most of what counting and encoding cost.
type textTokens struct {
	buf  []byte   // the tokens' bytes, back to back
	toks [][]byte // the tokens, in buf (or, rarely, where a token outgrew it)
	hash []uint64 // hashBytes of each token
	word []uint64 // and its packed bytes
	ids  []int32  // what the caller maps each token to
}

// fill tokenizes text.
func (b *textTokens) fill(t Tokenizer, text string) {
	// Tokens take at most the text's bytes, but for the few letters whose
	// lower case is longer (a token that outgrows buf gets an array of
	// its own from append and stays valid).
	if cap(b.buf) < len(text) {
		b.buf = make([]byte, 0, len(text)+len(text)/8+64)
	}
	b.toks, b.hash, b.word = b.toks[:0], b.hash[:0], b.word[:0]
	t.each(text, b.buf[:0], true, func(tok []byte) {
		h, w := hashToken(tok)
		b.toks = append(b.toks, tok[:len(tok):len(tok)])
		b.hash = append(b.hash, h)
		b.word = append(b.word, w)
	})
}

// insert gives each token its id in s, adding the new ones in the order
// of the text, and returns the ids.
func (b *textTokens) insert(s *strTable) []int32 {
	ids := b.ids[:0]
	for i, tok := range b.toks {
		ids = append(ids, s.insertHashed(tok, b.hash[i], b.word[i]))
	}
	b.ids = ids
	return ids
}

// lookup returns each token's id in s, -1 for the absent ones.
func (b *textTokens) lookup(s *strTable) []int32 {
	ids := b.ids[:0]
	for i, tok := range b.toks {
		ids = append(ids, s.lookupHashed(tok, b.hash[i], b.word[i]))
	}
	b.ids = ids
	return ids
}

// hashToken is hashBytes of a token the tokenizer cut in a buffer with room
// after it: a token of under 8 bytes is packed by one 8-byte load, masked
// to its length, instead of byte by byte. The bytes past the token are
// only read, never used, so the hash and word are hashBytes's exactly.
func hashToken(tok []byte) (h, word uint64) {
	n := len(tok)
	if n >= 8 || cap(tok) < 8 {
		return hashBytes(tok)
	}
	word = binary.LittleEndian.Uint64(tok[:8]) & (1<<(8*uint(n)) - 1)
	return hashShort(n, word), word
}
