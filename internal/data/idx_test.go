package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// idxBytes builds an unsigned-byte IDX file.
func idxBytes(ndim int, dims []int, data []byte) []byte {
	b := []byte{0, 0, idxUByte, byte(ndim)}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	return append(b, data...)
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func TestReadIDXImagesAndLabels(t *testing.T) {
	pixels := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11} // 2 images of 2x3
	for _, gz := range []bool{false, true} {
		img := idxBytes(3, []int{2, 2, 3}, pixels)
		lab := idxBytes(1, []int{2}, []byte{7, 3})
		if gz {
			img, lab = gzipBytes(img), gzipBytes(lab)
		}
		dir := t.TempDir()
		ip, lp := filepath.Join(dir, "img"), filepath.Join(dir, "lab")
		os.WriteFile(ip, img, 0o644)
		os.WriteFile(lp, lab, 0o644)
		set, err := ReadImageSet(ip, lp)
		if err != nil {
			t.Fatal(err)
		}
		im := set.Images
		if im.Count != 2 || im.Rows != 2 || im.Cols != 3 || !bytes.Equal(im.Pixels, pixels) {
			t.Errorf("gzip %v: read %+v", gz, im)
		}
		if !bytes.Equal(im.Image(1), pixels[6:]) {
			t.Errorf("image 1 is %v", im.Image(1))
		}
		if !slices.Equal(set.LabelNames(), []string{"7", "3"}) || set.Len() != 2 {
			t.Errorf("labels %v", set.LabelNames())
		}
	}
}

// TestReadIDXErrors: every fault is one sentence naming the file and what
// is wrong with it.
func TestReadIDXErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	cases := []struct {
		name   string
		b      []byte
		images bool
		want   string
	}{
		{"short", []byte{0, 0}, true, "is not an IDX file: it is shorter than the 4-byte magic number"},
		{"magic", []byte("PK\x03\x04rest"), true, "is not an IDX file: its magic number is 504b0304, not 0000TTDD"},
		{"type", []byte{0, 0, 0x0d, 3}, true, "holds IDX elements of type 0x0d; dlc reads unsigned bytes (0x08), as MNIST has"},
		{"labels as images", idxBytes(1, []int{2}, []byte{1, 2}), true, "has 1 dimensions; images need 3 (count, rows, columns)"},
		{"images as labels", idxBytes(3, []int{1, 1, 1}, []byte{1}), false, "has 3 dimensions; labels need 1"},
		{"header cut", []byte{0, 0, 8, 3, 0, 0, 0, 1, 0, 0}, true, "is cut short in its header (dimension 2 of 3)"},
		{"zero", idxBytes(3, []int{0, 28, 28}, nil), true, "has a dimension of size 0; it holds no data"},
		{"truncated", idxBytes(3, []int{10, 28, 28}, make([]byte, 100)), true, "is cut short: its header announces 7840 bytes of data (dimensions [10 28 28]) but it holds 100"},
		{"extra", idxBytes(1, []int{2}, []byte{1, 2, 3}), false, "has data after the 2 bytes its header announces (dimensions [2]); is it the right file?"},
		{"huge", idxBytes(3, []int{1 << 20, 1 << 10, 1 << 10}, nil), true, "announces more than 1.0 GiB of data (dimensions [1048576 1024 1024]...); that is not a dataset dlc can hold"},
		{"bad gzip", []byte{0x1f, 0x8b, 0, 0}, true, "is not a valid gzip file: unexpected EOF"},
	}
	for _, c := range cases {
		p := write(c.name, c.b)
		var err error
		if c.images {
			_, err = ReadIDXImages(p)
		} else {
			_, err = ReadIDXLabels(p)
		}
		if want := p + ": " + c.want; err == nil || err.Error() != want {
			t.Errorf("%s:\n got %v\nwant %s", c.name, err, want)
		}
	}

	// A gzip stream whose checksum is wrong is caught, though the IDX
	// content is complete.
	gz := gzipBytes(idxBytes(1, []int{3}, []byte{1, 2, 3}))
	gz[len(gz)-8] ^= 0xff // the CRC-32
	p := write("crc", gz)
	if _, err := ReadIDXLabels(p); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("a bad gzip checksum: got %v", err)
	}

	if _, err := ReadIDXLabels(filepath.Join(dir, "missing")); err == nil || err.Error() != "IDX file "+filepath.Join(dir, "missing")+" does not exist" {
		t.Errorf("missing file: %v", err)
	}
	img := write("img", idxBytes(3, []int{3, 1, 1}, []byte{1, 2, 3}))
	lab := write("lab", idxBytes(1, []int{2}, []byte{1, 2}))
	if _, err := ReadImageSet(img, lab); err == nil || err.Error() != img+" holds 3 images but "+lab+" holds 2 labels; are they the same split?" {
		t.Errorf("count mismatch: %v", err)
	}
	var le *LineError
	if _, err := ReadIDXImages(write("x", []byte("xx"))); !errors.As(err, &le) {
		t.Errorf("IDX errors should be LineErrors naming the file: %T", err)
	}
}

// A header that claims a lot over a short file costs what the file holds:
// the reader grows its buffer as data arrives.
func TestReadIDXDoesNotTrustTheHeadersSize(t *testing.T) {
	p := filepath.Join(t.TempDir(), "liar")
	os.WriteFile(p, gzipBytes(idxBytes(3, []int{1000, 1000, 1000}, make([]byte, 10))), 0o644)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ReadIDXImages(p)
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("a 10-byte file passed for 1,000 images of 1000x1000")
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 100<<20 {
		t.Errorf("reading a 1 GB header over 10 bytes allocated %d MiB", grew>>20)
	}
}

func FuzzReadIDX(f *testing.F) {
	f.Add(idxBytes(3, []int{2, 2, 2}, make([]byte, 8)))
	f.Add(idxBytes(1, []int{3}, []byte{1, 2, 3}))
	f.Add(gzipBytes(idxBytes(3, []int{1, 28, 28}, make([]byte, 784))))
	f.Add([]byte{0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, ndim := range []int{1, 3} {
			dims, data, err := decodeIDX(bytes.NewReader(b), -1, "f", ndim)
			if err != nil {
				continue
			}
			n := 1
			for _, d := range dims {
				n *= d
			}
			if len(dims) != ndim || len(data) != n {
				t.Fatalf("dims %v with %d bytes", dims, len(data))
			}
		}
	})
}
