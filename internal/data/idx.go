package data

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
)

// The IDX format (LeCun's, for MNIST): a 4-byte magic number — two zero
// bytes, the element type, the number of dimensions — then each dimension
// as a big-endian uint32, then the elements in row-major order. dlc reads
// unsigned-byte IDX files (type 0x08), gzipped or plain, which is what
// MNIST and its look-alikes (Fashion-MNIST, KMNIST) ship.

// idxUByte is the IDX element type of unsigned bytes.
const idxUByte = 0x08

// MaxIDXBytes caps the data of one IDX file. MNIST's training images are
// 47 MB; the cap keeps a corrupt or hostile header from making dlc
// allocate without bound.
const MaxIDXBytes = 1 << 30

// MaxIDXImagePixels caps the pixels of one IDX image (1024 × 1024): each
// pixel is a feature column with a name, a scale and a row of first-layer
// weights, which cost 50 bytes or more apiece however few images the file
// holds (MNIST's are 28 × 28). Two images of 16384 × 16384 made 268
// million columns and ran out of memory naming them.
const MaxIDXImagePixels = 1 << 20

// IDXImages is a stack of greyscale images, one byte per pixel (0 = white
// background in MNIST, 255 = ink), row-major: image i is
// Pixels[i*Rows*Cols : (i+1)*Rows*Cols].
type IDXImages struct {
	Path       string
	Count      int
	Rows, Cols int
	Pixels     []uint8
}

// Image returns the pixels of image i (a slice of Pixels, not a copy).
func (im *IDXImages) Image(i int) []uint8 {
	n := im.Rows * im.Cols
	return im.Pixels[i*n : (i+1)*n : (i+1)*n]
}

// ReadIDXImages reads an IDX file of unsigned-byte images (3 dimensions:
// count, rows, columns), gzipped or not.
func ReadIDXImages(path string) (*IDXImages, error) {
	dims, data, err := readIDX(path, 3)
	if err != nil {
		return nil, err
	}
	return &IDXImages{Path: path, Count: dims[0], Rows: dims[1], Cols: dims[2], Pixels: data}, nil
}

// ReadIDXLabels reads an IDX file of unsigned-byte labels (1 dimension),
// gzipped or not.
func ReadIDXLabels(path string) ([]uint8, error) {
	_, data, err := readIDX(path, 1)
	return data, err
}

// ImageSet is a labelled stack of images: the images file and the labels
// file of one split, checked to hold the same number of examples.
type ImageSet struct {
	Images *IDXImages
	Labels []uint8
}

// Len returns the number of examples.
func (s *ImageSet) Len() int { return len(s.Labels) }

// LabelNames returns the labels as strings ("0" ... "9" for MNIST), the
// form the text pipeline uses for class names.
func (s *ImageSet) LabelNames() []string {
	var names [256]string
	out := make([]string, len(s.Labels))
	for i, l := range s.Labels {
		if names[l] == "" {
			names[l] = strconv.Itoa(int(l))
		}
		out[i] = names[l]
	}
	return out
}

// ReadImageSet reads an images file and its labels file (for a fetched
// dataset: Source.Split's Path and Labels).
func ReadImageSet(images, labels string) (*ImageSet, error) {
	im, err := ReadIDXImages(images)
	if err != nil {
		return nil, err
	}
	lab, err := ReadIDXLabels(labels)
	if err != nil {
		return nil, err
	}
	set := &ImageSet{Images: im, Labels: lab}
	if err := set.check(images, labels); err != nil {
		return nil, err
	}
	return set, nil
}

// check refuses images and labels files of different lengths.
func (s *ImageSet) check(images, labels string) error {
	if len(s.Labels) != s.Images.Count {
		return fmt.Errorf("%s holds %d images but %s holds %d labels; are they the same split?", images, s.Images.Count, labels, len(s.Labels))
	}
	return nil
}

// readIDX reads an unsigned-byte IDX file with ndim dimensions and returns
// the dimensions and the elements, having checked that the file holds
// exactly what its header announces.
func readIDX(path string, ndim int) ([]int, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, notExist("IDX file", path)
		}
		return nil, nil, fmt.Errorf("cannot read IDX file %s: %w", path, pathErr(err))
	}
	defer f.Close()
	return decodeIDX(f, readerSize(f), path, ndim)
}

// decodeIDX reads an IDX file of size bytes (-1 when unknown), gzipped or
// not, from r.
func decodeIDX(r0 io.Reader, size int64, path string, ndim int) ([]int, []byte, error) {
	br := bufio.NewReaderSize(r0, 1<<16)
	var r io.Reader = br
	// room is how much data the file can hold: for a plain file, its size
	// less the header; for a gzipped one, what gunzip lets it decompress to.
	room, gzipped := int64(-1), false
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		z, err := gunzip(br, size, path, idxCost)
		if err != nil {
			return nil, nil, err
		}
		r, gzipped = z, true
		if size >= 0 {
			room = gzipLimit(size)/idxCost.perByte - int64(4+4*ndim)
		}
	} else if size >= 0 {
		room = size - int64(4+4*ndim)
	}
	return parseIDX(r, path, ndim, room, gzipped, size)
}

// parseIDX reads IDX content from r; room is how much data the file can
// hold (-1: unknown), gzipped and fileSize (-1: unknown) say what it is.
func parseIDX(r io.Reader, path string, ndim int, room int64, gzipped bool, fileSize int64) ([]int, []byte, error) {
	bad := func(format string, args ...any) error {
		return &LineError{Path: path, Msg: fmt.Sprintf(format, args...)}
	}
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		if le := passOn(err); le != nil {
			return nil, nil, le
		}
		return nil, nil, bad("is not an IDX file: it is shorter than the 4-byte magic number")
	}
	if head[0] != 0 || head[1] != 0 {
		return nil, nil, bad("is not an IDX file: its magic number is %02x%02x%02x%02x, not 0000TTDD", head[0], head[1], head[2], head[3])
	}
	if head[2] != idxUByte {
		return nil, nil, bad("holds IDX elements of type 0x%02x; dlc reads unsigned bytes (0x08), as MNIST has", head[2])
	}
	if int(head[3]) != ndim {
		what := "images need 3 (count, rows, columns)"
		if ndim == 1 {
			what = "labels need 1"
		}
		return nil, nil, bad("has %d dimensions; %s", head[3], what)
	}
	dims := make([]int, ndim)
	size := int64(1)
	for i := range dims {
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			if le := passOn(err); le != nil {
				return nil, nil, le
			}
			return nil, nil, bad("is cut short in its header (dimension %d of %d)", i+1, ndim)
		}
		d := binary.BigEndian.Uint32(b[:])
		if d == 0 {
			return nil, nil, bad("has a dimension of size 0; it holds no data")
		}
		dims[i] = int(d)
		size *= int64(d)
		if size > MaxIDXBytes {
			return nil, nil, bad("announces more than %s of data (dimensions %v...); that is not a dataset dlc can hold", byteSize(MaxIDXBytes), dims[:i+1])
		}
	}
	// What the header announces is checked against what the file can hold
	// before anything is allocated.
	switch {
	case ndim == 3 && int64(dims[1])*int64(dims[2]) > MaxIDXImagePixels:
		return nil, nil, bad("holds images of %d × %d pixels; dlc reads images of at most %d pixels (1024 × 1024), as each pixel is an input of the network: scale them down", dims[1], dims[2], MaxIDXImagePixels)
	case room >= 0 && size > room && !gzipped:
		return nil, nil, bad("is cut short: its header announces %d bytes of data (dimensions %v) but it holds %d", size, dims, max(0, room))
	case room >= 0 && size > room:
		return nil, nil, bad("announces %s of data (dimensions %v), more than dlc reads of %s gzipped (%s%s); if the file is genuine, gunzip it and give dlc the uncompressed file",
			byteSize(size), dims, byteSize(fileSize), gzipRule(), idxCost.rule())
	}
	// A plain file holds what its header announces: read it in one piece.
	// Otherwise (gzip, or a size unknown) grow the buffer as data arrives,
	// from at most 8 times the compressed size (MNIST's images decompress
	// 4.7 times: one piece too), so that a file whose header claims more
	// than it holds costs what it holds.
	first := size
	if gzipped || room < 0 {
		first = min(size, max(1<<20, 8*fileSize))
	}
	data := make([]byte, first)
	got := 0
	for {
		k, err := io.ReadFull(r, data[got:])
		got += k
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, nil, bad("is cut short: its header announces %d bytes of data (dimensions %v) but it holds %d", size, dims, got)
		}
		if le := passOn(err); le != nil {
			return nil, nil, le
		}
		if err != nil {
			return nil, nil, bad("cannot be read: %v", err)
		}
		if int64(got) == size {
			break
		}
		grow := int(min(size-int64(got), int64(got)))
		data = slices.Grow(data, grow)[:got+grow]
	}
	// Reading on to the end also makes gzip check its CRC.
	var extra [1]byte
	switch k, err := io.ReadFull(r, extra[:]); {
	case k > 0:
		return nil, nil, bad("has data after the %d bytes its header announces (dimensions %v); is it the right file?", size, dims)
	case passOn(err) != nil:
		return nil, nil, err
	case err != io.EOF:
		return nil, nil, bad("cannot be read: %v", err)
	}
	return dims, data, nil
}
