package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// Images (MNIST's IDX files) go through the dense vectorizer: an image is a
// row of pixel values, one feature column per pixel, named pixel0 ...
// pixel783 row by row as in the Kaggle CSV of MNIST, so that a model reads
// the same digits from either.

// isIDX reports whether path names an IDX file: MNIST's
// train-images-idx3-ubyte (or its labels' -idx1-ubyte) or a .idx, .idx1 or
// .idx3 file, each optionally gzipped. The reader then says whether it
// holds images.
func isIDX(path string) bool {
	name := strings.TrimSuffix(strings.ToLower(filepath.Base(path)), ".gz")
	for _, end := range []string{"idx3-ubyte", "idx1-ubyte", ".idx", ".idx1", ".idx3"} {
		if strings.HasSuffix(name, end) {
			return true
		}
	}
	return false
}

// labelsBeside returns the labels file of an IDX images file, named as
// MNIST names it: train-images-idx3-ubyte.gz → train-labels-idx1-ubyte.gz
// (also without .gz, or gzipped where the images are not).
func labelsBeside(images string) (string, error) {
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

// pixelColumns names n pixels.
func pixelColumns(n int) []string {
	cols := make([]string, n)
	for i := range cols {
		cols[i] = "pixel" + strconv.Itoa(i)
	}
	return cols
}

// readImages reads labelled IDX images; labels "" finds the labels file
// beside the images (labelsBeside).
func readImages(images, labels string) (*examples, error) {
	// The images first: a labels file given in their place is then
	// reported as such.
	im, err := data.ReadIDXImages(images)
	if err != nil {
		return nil, err
	}
	if labels == "" {
		if labels, err = labelsBeside(images); err != nil {
			return nil, err
		}
	}
	lab, err := data.ReadIDXLabels(labels)
	if err != nil {
		return nil, err
	}
	if len(lab) != im.Count {
		return nil, fmt.Errorf("%s holds %d images but %s holds %d labels; are they the same split?", images, im.Count, labels, len(lab))
	}
	set := data.ImageSet{Images: im, Labels: lab}
	return &examples{Path: images, Images: im, Labels: set.LabelNames()}, nil
}

// checkImageConfig refuses a config that cannot read images, naming the key.
func checkImageConfig(cfg *config.Config, path string) error {
	if cfg.Vectorizer.Mode != string(vectorize.Dense) {
		return cfg.Errorf("vectorizer.mode", "%s holds IDX images, which vectorizer.mode dense reads (a row of pixel values per image), not %s; set vectorizer.mode: dense with vectorizer.scale: fixed and vectorizer.divisor: 255", path, cfg.Vectorizer.Mode)
	}
	if len(cfg.Data.Features) > 0 {
		return cfg.Errorf("data.features", "data.features selects columns of a CSV file; %s holds IDX images, whose every pixel is a feature: remove data.features", path)
	}
	return nil
}

// readSplit reads a training or test split for readData: IDX images when
// labels names their labels file (a fetched image dataset, whose config
// readData has checked), else what readExamples reads.
func readSplit(cfg *config.Config, path, labels string) (*examples, error) {
	if labels == "" {
		return readExamples(cfg, path)
	}
	return readImages(path, labels)
}

// checkImagesFit refuses images whose pixel count is not the model's input
// width.
func checkImagesFit(m *model.Model, im *data.IDXImages) error {
	if n, want := im.Rows*im.Cols, m.Vectorizer.Features(); n != want {
		return fmt.Errorf("%s holds %d×%d images (%d pixels), but the model reads %d values", im.Path, im.Rows, im.Cols, n, want)
	}
	return nil
}

// subsetImages returns images idx of im.
func subsetImages(im *data.IDXImages, idx []int) *data.IDXImages {
	n := im.Rows * im.Cols
	out := &data.IDXImages{Path: im.Path, Count: len(idx), Rows: im.Rows, Cols: im.Cols, Pixels: make([]uint8, 0, len(idx)*n)}
	for _, i := range idx {
		out.Pixels = append(out.Pixels, im.Image(i)...)
	}
	return out
}

// imagesFingerprint is the sha256 of labelled images recorded in a model.
func imagesFingerprint(im *data.IDXImages, labels []string) string {
	h := sha256.New()
	fmt.Fprintf(h, "images %d %d %d\n", im.Count, im.Rows, im.Cols)
	h.Write(im.Pixels)
	for _, l := range labels {
		fmt.Fprintf(h, "%d:%s", len(l), l)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// images answers every image of an IDX file, in blocks.
func (a *answerer) images(path string) error {
	p := a.p
	if p.m.Vectorizer.Mode != vectorize.Dense {
		return fmt.Errorf("--input %s holds IDX images, but %s reads text; images need a model trained on pixels (vectorizer.mode dense)", path, a.o.Model)
	}
	im, err := data.ReadIDXImages(path)
	if err != nil {
		return err
	}
	if err := checkImagesFit(p.m, im); err != nil {
		return err
	}
	n := im.Rows * im.Cols
	for lo := 0; lo < im.Count; lo += predictBlock {
		hi := min(im.Count, lo+predictBlock)
		if err := a.rows(p.m.Vectorizer.TransformBytes(im.Pixels[lo*n : hi*n])); err != nil {
			return err
		}
	}
	return a.w.Flush()
}
