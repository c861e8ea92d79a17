package model

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"sort"
)

// Tensor is one named array of a safetensors file, its bytes little-endian.
type Tensor struct {
	Name  string
	DType string // "F64", "I32" or "U8"
	Shape []int
	Data  []byte
}

var dtypeSize = map[string]int{"F64": 8, "F32": 4, "I64": 8, "I32": 4, "U8": 1}

// maxHeader caps the JSON header so a corrupt length cannot make the reader
// allocate gigabytes.
const maxHeader = 256 << 20

type tensorInfo struct {
	DType       string `json:"dtype"`
	Shape       []int  `json:"shape"`
	DataOffsets [2]int `json:"data_offsets"`
}

// encodeSafetensors lays out a safetensors file: an 8-byte little-endian
// header length, a JSON header (keys sorted, padded with spaces to 8 bytes),
// then the tensors' bytes back to back in the given order.
func encodeSafetensors(meta map[string]string, tensors []Tensor) ([]byte, error) {
	header := map[string]any{"__metadata__": meta}
	off := 0
	for _, t := range tensors {
		if _, dup := header[t.Name]; dup {
			return nil, fmt.Errorf("model: duplicate tensor %q", t.Name)
		}
		header[t.Name] = tensorInfo{DType: t.DType, Shape: t.Shape, DataOffsets: [2]int{off, off + len(t.Data)}}
		off += len(t.Data)
	}
	h, err := json.Marshal(header)
	if err != nil {
		return nil, err
	}
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	var buf bytes.Buffer
	buf.Grow(8 + len(h) + off)
	binary.Write(&buf, binary.LittleEndian, uint64(len(h)))
	buf.Write(h)
	for _, t := range tensors {
		buf.Write(t.Data)
	}
	return buf.Bytes(), nil
}

// decodeSafetensors parses and bounds-checks a safetensors file held in b.
// Every offset and shape is checked against the file before use, so a
// corrupt or hostile file is an error, never a panic or a huge allocation.
func decodeSafetensors(b []byte) (map[string]string, map[string]Tensor, error) {
	if len(b) < 8 {
		return nil, nil, fmt.Errorf("is too short to be a model file (%d bytes)", len(b))
	}
	n := binary.LittleEndian.Uint64(b[:8])
	if n > maxHeader || n > uint64(len(b)-8) {
		return nil, nil, fmt.Errorf("is not a model file (header length %d does not fit in %d bytes)", n, len(b))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &raw); err != nil {
		return nil, nil, fmt.Errorf("is not a model file (its header is not JSON: %v)", err)
	}
	data := b[8+n:]
	meta := map[string]string{}
	if m, ok := raw["__metadata__"]; ok {
		if err := json.Unmarshal(m, &meta); err != nil {
			return nil, nil, fmt.Errorf("has a malformed __metadata__: %v", err)
		}
	}
	tensors := map[string]Tensor{}
	type span struct{ lo, hi int }
	var spans []span
	for name, msg := range raw {
		if name == "__metadata__" {
			continue
		}
		var ti tensorInfo
		if err := json.Unmarshal(msg, &ti); err != nil {
			return nil, nil, fmt.Errorf("has a malformed entry for tensor %q: %v", name, err)
		}
		size, ok := dtypeSize[ti.DType]
		if !ok {
			return nil, nil, fmt.Errorf("tensor %q has unsupported dtype %q", name, ti.DType)
		}
		elems := 1
		for _, d := range ti.Shape {
			if d < 0 || (d > 0 && elems > math.MaxInt32/d) {
				return nil, nil, fmt.Errorf("tensor %q has an impossible shape %v", name, ti.Shape)
			}
			elems *= d
		}
		lo, hi := ti.DataOffsets[0], ti.DataOffsets[1]
		if lo < 0 || hi < lo || hi > len(data) || hi-lo != elems*size {
			return nil, nil, fmt.Errorf("tensor %q claims bytes %d-%d, which do not match its shape %v or the file size; the file is truncated or corrupt", name, lo, hi, ti.Shape)
		}
		spans = append(spans, span{lo, hi})
		tensors[name] = Tensor{Name: name, DType: ti.DType, Shape: ti.Shape, Data: data[lo:hi]}
	}
	// By start, then end: an empty tensor (a hashing vectorizer's vocabulary)
	// shares its start with the next one and must come first.
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].lo != spans[j].lo {
			return spans[i].lo < spans[j].lo
		}
		return spans[i].hi < spans[j].hi
	})
	end := 0
	for _, s := range spans {
		if s.lo != end {
			return nil, nil, fmt.Errorf("has tensors that overlap or leave gaps; the file is corrupt")
		}
		end = s.hi
	}
	if end != len(data) {
		return nil, nil, fmt.Errorf("has %d trailing bytes after its tensors; the file is corrupt", len(data)-end)
	}
	return meta, tensors, nil
}

// F64 encodes float64s as a tensor.
func F64(name string, shape []int, v []float64) Tensor {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
	return Tensor{Name: name, DType: "F64", Shape: shape, Data: b}
}

// I32 encodes int32s as a tensor.
func I32(name string, shape []int, v []int32) Tensor {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(x))
	}
	return Tensor{Name: name, DType: "I32", Shape: shape, Data: b}
}

// Float64s decodes an F64 tensor.
func (t Tensor) Float64s() ([]float64, error) {
	if t.DType != "F64" {
		return nil, fmt.Errorf("tensor %q is %s, not F64", t.Name, t.DType)
	}
	v := make([]float64, len(t.Data)/8)
	for i := range v {
		v[i] = math.Float64frombits(binary.LittleEndian.Uint64(t.Data[8*i:]))
	}
	return v, nil
}

// Int32s decodes an I32 tensor.
func (t Tensor) Int32s() ([]int32, error) {
	if t.DType != "I32" {
		return nil, fmt.Errorf("tensor %q is %s, not I32", t.Name, t.DType)
	}
	v := make([]int32, len(t.Data)/4)
	for i := range v {
		v[i] = int32(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	return v, nil
}
