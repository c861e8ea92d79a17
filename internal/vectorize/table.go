package vectorize

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// The vectorizer's hash tables: tokens (byte strings) to dense ids, and
// n-grams as (prefix gram, last token) pairs to dense ids. They replace Go
// maps on the hot paths because they take the token as a reused byte slice,
// store every key once in one arena (no string per gram, so counting two
// million bigrams does not make two million allocations), and keep short
// keys in the slot itself so that a probe reads one cache line.
//
// Ids are given in insertion order, so what a table holds never depends on
// its hash function or layout; only speed does.

// fnv1a64 is the 64-bit FNV-1a hash (offset basis and prime from the
// specification, http://www.isthe.com/chongo/tech/comp/fnv/): the fixed,
// documented hash of the hashing trick.
const (
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
)

// fnvAdd continues an FNV-1a hash over b.
func fnvAdd(h uint64, b []byte) uint64 {
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime64
	}
	return h
}

// HashGram returns the 64-bit FNV-1a hash of a gram's UTF-8 bytes (tokens
// joined by one space); with hashing on, its feature is HashGram(g) mod the
// number of buckets.
func HashGram(gram string) uint64 {
	return fnvAdd(fnvOffset64, []byte(gram))
}

// mix64 is the finaliser of MurmurHash3: it spreads every input bit over
// the output, so slot indices can come from the top bits.
func mix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// hashBytes is the tables' own hash of a token: eight bytes at a time, then
// mixed. It is not the hashing trick's hash and may change freely. For a
// token of up to 8 bytes it also returns the bytes packed in a word.
func hashBytes(b []byte) (h, word uint64) {
	h = uint64(len(b)) * 0x9e3779b97f4a7c15
	for len(b) >= 8 {
		w := binary.LittleEndian.Uint64(b)
		if len(b) == 8 {
			word = w
		}
		h = (h ^ w) * 0xbf58476d1ce4e5b9
		h ^= h >> 31
		b = b[8:]
	}
	if len(b) > 0 {
		for i, c := range b {
			word |= uint64(c) << (8 * i)
		}
		h ^= word
	}
	return mix64(h), word
}

// hashShort is hashBytes of a token of n < 8 bytes whose bytes word holds
// packed (as hashBytes returns it): its value without the loop, for the
// callers that pack a short token by one masked load.
func hashShort(n int, word uint64) uint64 {
	return mix64(uint64(n)*0x9e3779b97f4a7c15 ^ word)
}

// strSlot is one slot of a strTable. A string of up to 8 bytes (most
// words) is held in the slot itself, so that finding it compares two
// integers and reads nothing else; a longer one is compared in the arena.
type strSlot struct {
	word uint64 // the bytes, packed little-endian; for longer strings the arena offset
	id   uint32 // id+1; 0 marks a free slot
	len  uint32
}

// strTable maps byte strings to ids 0, 1, 2, ... in insertion order.
type strTable struct {
	slots []strSlot
	shift uint // 64 - log2(len(slots)), a power of two
	arena []byte
	ends  []int // ends[id] is where string id ends in arena
}

// maxArena bounds the bytes of a strTable's distinct strings, which slots
// address with 32 bits.
const maxArena = math.MaxUint32

func newStrTable(capacity int) *strTable {
	t := &strTable{}
	t.resize(capacity)
	return t
}

// Len returns the number of strings.
func (t *strTable) Len() int { return len(t.ends) }

// bytes returns string id, aliasing the arena.
func (t *strTable) bytes(id int32) []byte {
	lo := 0
	if id > 0 {
		lo = t.ends[id-1]
	}
	return t.arena[lo:t.ends[id]]
}

// find returns the slot of b: its own when present, else the free slot
// where it would go.
func (t *strTable) find(b []byte, h, word uint64) (*strSlot, bool) {
	mask := uint64(len(t.slots) - 1)
	n := uint32(len(b))
	for i := h >> t.shift; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.id == 0 {
			return s, false
		}
		if s.len == n {
			if n <= 8 {
				if s.word == word {
					return s, true
				}
			} else if string(t.arena[s.word:s.word+uint64(n)]) == string(b) {
				return s, true
			}
		}
	}
}

// lookup returns the id of b, or -1.
func (t *strTable) lookup(b []byte) int32 {
	h, word := hashBytes(b)
	return t.lookupHashed(b, h, word)
}

// lookupHashed is lookup of b hashed by hashBytes.
func (t *strTable) lookupHashed(b []byte, h, word uint64) int32 {
	s, _ := t.find(b, h, word)
	return int32(s.id) - 1
}

// insert returns the id of b, adding it when new.
func (t *strTable) insert(b []byte) int32 {
	h, word := hashBytes(b)
	return t.insertHashed(b, h, word)
}

// insertHashed is insert of b hashed by hashBytes.
func (t *strTable) insertHashed(b []byte, h, word uint64) int32 {
	s, ok := t.find(b, h, word)
	if ok {
		return int32(s.id - 1)
	}
	if len(t.arena)+len(b) > maxArena || len(t.ends) >= math.MaxInt32-1 {
		panic("vectorize: more than 4 GiB or 2^31 distinct tokens")
	}
	id := int32(len(t.ends))
	if len(b) > 8 {
		word = uint64(len(t.arena))
	}
	*s = strSlot{word: word, id: uint32(id + 1), len: uint32(len(b))}
	t.arena = append(t.arena, b...)
	t.ends = append(t.ends, len(t.arena))
	if 2*len(t.ends) > len(t.slots) {
		t.resize(len(t.slots))
	}
	return id
}

func (t *strTable) resize(capacity int) {
	// A growing table doubles when half full; a table made for a known
	// number of strings (a vocabulary) may be up to 3/4 full, which keeps
	// more of it in cache.
	size := 16
	for 3*size < 4*capacity+1 {
		size *= 2
	}
	t.slots = make([]strSlot, size)
	t.shift = uint(64 - bits.TrailingZeros(uint(size)))
	for id := range int32(len(t.ends)) {
		b := t.bytes(id)
		h, word := hashBytes(b)
		s, _ := t.find(b, h, word)
		if len(b) > 8 {
			word = uint64(t.ends[id] - len(b))
		}
		*s = strSlot{word: word, id: uint32(id + 1), len: uint32(len(b))}
	}
}

// pairSlot is one slot of a pairTable: the key itself, so a probe reads
// one cache line, and id+1 (0 is a free slot).
type pairSlot struct {
	key uint64
	id  uint32
}

// pairTable maps (prefix gram, token) pairs to ids 0, 1, 2, ... in
// insertion order: the n-grams of order 2 and up, each the extension of a
// shorter gram by one token.
type pairTable struct {
	slots []pairSlot
	shift uint
	keys  []uint64 // keys[id] = prefix<<32 | token
}

func newPairTable(capacity int) *pairTable {
	t := &pairTable{}
	t.resize(capacity)
	return t
}

func pairKey(prefix, tok int32) uint64 { return uint64(uint32(prefix))<<32 | uint64(uint32(tok)) }

// Len returns the number of pairs.
func (t *pairTable) Len() int { return len(t.keys) }

func (t *pairTable) find(key uint64) (*pairSlot, bool) {
	mask := uint64(len(t.slots) - 1)
	for i := mix64(key) >> t.shift; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.id == 0 {
			return s, false
		}
		if s.key == key {
			return s, true
		}
	}
}

// lookup returns the id of the pair, or -1.
func (t *pairTable) lookup(prefix, tok int32) int32 {
	s, _ := t.find(pairKey(prefix, tok))
	return int32(s.id) - 1
}

// insert returns the id of the pair and whether it was added.
func (t *pairTable) insert(prefix, tok int32) (int32, bool) {
	key := pairKey(prefix, tok)
	s, ok := t.find(key)
	if ok {
		return int32(s.id - 1), false
	}
	if len(t.keys) >= math.MaxInt32-1 {
		panic("vectorize: more than 2^31 distinct n-grams")
	}
	id := int32(len(t.keys))
	*s = pairSlot{key: key, id: uint32(id + 1)}
	t.keys = append(t.keys, key)
	if 2*len(t.keys) > len(t.slots) {
		t.resize(2 * len(t.slots))
	}
	return id, true
}

func (t *pairTable) resize(capacity int) {
	size := 16
	for size < 2*capacity {
		size *= 2
	}
	t.slots = make([]pairSlot, size)
	t.shift = uint(64 - bits.TrailingZeros(uint(size)))
	for id, key := range t.keys {
		s, _ := t.find(key)
		*s = pairSlot{key: key, id: uint32(id + 1)}
	}
}
