package data

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Images (MNIST's IDX files) go through the dense vectorizer: an image is a
// row of pixel values, one feature column per pixel, named pixel0 ...
// pixel783 row by row as in the Kaggle CSV of MNIST, so that a model reads
// the same digits from either.

// IsIDX reports whether path names an IDX file: MNIST's
// train-images-idx3-ubyte (or its labels' -idx1-ubyte) or a .idx, .idx1 or
// .idx3 file, each optionally gzipped. The reader then says whether it
// holds images.
func IsIDX(path string) bool {
	name := strings.TrimSuffix(strings.ToLower(filepath.Base(path)), ".gz")
	for _, end := range []string{"idx3-ubyte", "idx1-ubyte", ".idx", ".idx1", ".idx3"} {
		if strings.HasSuffix(name, end) {
			return true
		}
	}
	return false
}

// LabelsBeside returns the labels file of an IDX images file, named as
// MNIST names it: train-images-idx3-ubyte.gz → train-labels-idx1-ubyte.gz
// (also without .gz, or gzipped where the images are not).
func LabelsBeside(images string) (string, error) {
	dir, base := filepath.Split(images)
	i := strings.LastIndex(strings.ToLower(base), "images")
	if i < 0 {
		return "", fmt.Errorf("cannot tell which file holds the labels of the IDX images %s: name the files as MNIST does (train-images-idx3-ubyte.gz, whose labels are in train-labels-idx1-ubyte.gz)", images)
	}
	name := base[:i] + "labels" + base[i+len("images"):]
	name = strings.Replace(strings.Replace(name, "idx3", "idx1", 1), "IDX3", "IDX1", 1)
	plain := strings.TrimSuffix(strings.TrimSuffix(name, ".gz"), ".GZ")
	for _, c := range []string{name, plain, plain + ".gz"} {
		if _, err := os.Stat(filepath.Join(dir, c)); err == nil {
			return filepath.Join(dir, c), nil
		}
	}
	return "", fmt.Errorf("the labels of the IDX images %s should be in %s, which does not exist", images, filepath.Join(dir, name))
}

// PixelColumns names the n pixels of an image, as feature columns.
func PixelColumns(n int) []string {
	cols := make([]string, n)
	for i := range cols {
		cols[i] = "pixel" + strconv.Itoa(i)
	}
	return cols
}

// ReadImages reads labelled IDX images as examples whose labels are the
// digits' names ("0" ... "9"); labels "" finds the labels file beside the
// images (LabelsBeside).
func ReadImages(images, labels string) (*Examples, error) {
	// The images first: a labels file given in their place is then
	// reported as such.
	im, err := ReadIDXImages(images)
	if err != nil {
		return nil, err
	}
	if labels == "" {
		if labels, err = LabelsBeside(images); err != nil {
			return nil, err
		}
	}
	lab, err := ReadIDXLabels(labels)
	if err != nil {
		return nil, err
	}
	set := ImageSet{Images: im, Labels: lab}
	if err := set.check(images, labels); err != nil {
		return nil, err
	}
	return &Examples{Path: images, Images: im, Labels: set.LabelNames()}, nil
}

// Subset returns the images idx of im, in that order.
func (im *IDXImages) Subset(idx []int) *IDXImages {
	n := im.Rows * im.Cols
	out := &IDXImages{Path: im.Path, Count: len(idx), Rows: im.Rows, Cols: im.Cols, Pixels: make([]uint8, 0, len(idx)*n)}
	for _, i := range idx {
		out.Pixels = append(out.Pixels, im.Image(i)...)
	}
	return out
}
