package data

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"math"
	"slices"
)

// Examples are labelled data in the form a vectorizer reads: texts for the
// text modes, a numeric table or a stack of images for the dense mode.
// Exactly one of Texts, Streamed, Table and Images holds the inputs.
// Labels is nil when the source has none (text to predict).
//
// Multi-label examples (read with Fields.Multi) have LabelSets instead of
// Labels: each example's labels, in file order, possibly none.
type Examples struct {
	Path      string
	Texts     []string
	Streamed  *Streamed
	Table     *Table
	Images    *IDXImages
	Labels    []string
	LabelSets [][]string
}

// Streamed stands for texts that were handed on as they were read
// (ReadEach) instead of being kept: 66 MB of IMDB reviews need not stay in
// memory once a vectorizer has counted them.
type Streamed struct {
	N   int    // texts
	Sum string // their Fingerprint, taken as they went by
	// Value is what the reader's consumer made of the texts (a
	// vectorizer's counts), for whoever reads them in its place.
	Value any
}

// Len returns the number of examples.
func (e *Examples) Len() int {
	switch {
	case e.Table != nil:
		return e.Table.Len()
	case e.Images != nil:
		return e.Images.Count
	case e.Streamed != nil:
		return e.Streamed.N
	}
	return len(e.Texts)
}

// IsText reports whether the examples are texts, kept or streamed.
func (e *Examples) IsText() bool { return e.Table == nil && e.Images == nil }

// Where names example i for a message: its file line when known.
func (e *Examples) Where(i int) string {
	switch {
	case e.Table != nil:
		return fmt.Sprintf("%s:%d", e.Path, e.Table.Lines[i])
	case e.Images != nil:
		return fmt.Sprintf("%s: image %d", e.Path, i+1)
	}
	return fmt.Sprintf("%s: example %d", e.Path, i+1)
}

// Classes returns the sorted distinct labels (of every example's set, for
// multi-label examples).
func (e *Examples) Classes() []string {
	names := slices.Clone(e.Labels)
	for _, set := range e.LabelSets {
		names = append(names, set...)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// Subset returns the examples idx of e, in that order, named path. Texts
// must have been kept: streamed ones are gone.
func (e *Examples) Subset(idx []int, path string) *Examples {
	if e.Streamed != nil {
		panic("data: Subset of streamed texts")
	}
	out := &Examples{Path: path}
	if e.LabelSets != nil {
		out.LabelSets = make([][]string, len(idx))
	} else {
		out.Labels = make([]string, len(idx))
	}
	switch {
	case e.Table != nil:
		out.Table = e.Table.Subset(idx, path)
	case e.Images != nil:
		out.Images = e.Images.Subset(idx)
	default:
		out.Texts = make([]string, len(idx))
	}
	for i, j := range idx {
		if out.Texts != nil {
			out.Texts[i] = e.Texts[j]
		}
		if out.LabelSets != nil {
			out.LabelSets[i] = e.LabelSets[j]
		} else {
			out.Labels[i] = e.Labels[j]
		}
	}
	return out
}

// Fingerprint is the sha256 of the examples and their labels that a model
// records of its training data. Model files hold it: the bytes hashed for
// each kind of input must never change.
func (e *Examples) Fingerprint() string {
	if e.Streamed != nil {
		return e.Streamed.Sum
	}
	h := sha256.New()
	switch {
	case e.Images != nil:
		im := e.Images
		fmt.Fprintf(h, "images %d %d %d\n", im.Count, im.Rows, im.Cols)
		h.Write(im.Pixels)
		for _, l := range e.Labels {
			fmt.Fprintf(h, "%d:%s", len(l), l)
		}
	case e.Table != nil:
		for _, c := range e.Table.Columns {
			fmt.Fprintf(h, "%d:%s", len(c), c)
		}
		var b [8]byte
		for i := range e.Table.Len() {
			for _, x := range e.Table.Row(i) {
				binary.LittleEndian.PutUint64(b[:], math.Float64bits(x))
				h.Write(b[:])
			}
			fmt.Fprintf(h, "%d:%s", len(e.Labels[i]), e.Labels[i])
		}
	case e.LabelSets != nil:
		// A tag no single-label fingerprint starts with, then each text as
		// its length and bytes, its number of labels, and each label so.
		io.WriteString(h, "multilabel\n")
		var n [8]byte
		put := func(v int) {
			binary.LittleEndian.PutUint64(n[:], uint64(v))
			h.Write(n[:])
		}
		for i, t := range e.Texts {
			put(len(t))
			io.WriteString(h, t)
			put(len(e.LabelSets[i]))
			for _, l := range e.LabelSets[i] {
				put(len(l))
				io.WriteString(h, l)
			}
		}
	default:
		var tf textFingerprint
		tf.h = h
		for i, t := range e.Texts {
			tf.add(t, e.Labels[i])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// textFingerprint hashes texts and labels as Fingerprint does: each text
// and label as its length (8 bytes, little-endian), then its bytes.
type textFingerprint struct {
	h   hash.Hash
	buf []byte
}

// add hashes a text and its label. They are copied into one reused buffer
// first: io.WriteString to a sha256 hash allocates a copy of each text.
func (f *textFingerprint) add(text, label string) {
	b := f.buf[:0]
	for _, s := range [2]string{text, label} {
		b = binary.LittleEndian.AppendUint64(b, uint64(len(s)))
		b = append(b, s...)
	}
	f.h.Write(b)
	f.buf = b
}
