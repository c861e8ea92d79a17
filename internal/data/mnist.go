package data

import (
	"fmt"
	"path/filepath"
	"strconv"
)

// mnistSource is LeCun, Cortes and Burges' handwritten digits, kept as the
// four gzipped IDX files the site serves (Keras' mnist.load_data() and
// torchvision read the same files); ReadImageSet reads a split.
var mnistSource = &Source{
	Name:        "mnist",
	Description: "MNIST handwritten digits 0-9, 28x28 greyscale images (LeCun, Cortes and Burges)",
	License:     "CC BY-SA 3.0 (LeCun and Cortes)",
	Kind:        Images,
	URLs: []string{
		"https://ossci-datasets.s3.amazonaws.com/mnist/",      // PyTorch's mirror
		"https://storage.googleapis.com/cvdf-datasets/mnist/", // TensorFlow's mirror
		"http://yann.lecun.com/exdb/mnist/",                   // the original, often refusing
	},
	Files: []File{
		{Name: "train-images-idx3-ubyte.gz", SHA256: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", Size: 9912422},
		{Name: "train-labels-idx1-ubyte.gz", SHA256: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", Size: 28881},
		{Name: "t10k-images-idx3-ubyte.gz", SHA256: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", Size: 1648877},
		{Name: "t10k-labels-idx1-ubyte.gz", SHA256: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", Size: 4542},
	},
	Classes: 10,
	Train:   60000,
	Test:    10000,
	Version: 1,
	Layout:  mnistLayout,
	Convert: idxConverter(mnistLayout),
}

var mnistLayout = map[string]Split{
	"train": {Path: "train-images-idx3-ubyte.gz", Labels: "train-labels-idx1-ubyte.gz"},
	"test":  {Path: "t10k-images-idx3-ubyte.gz", Labels: "t10k-labels-idx1-ubyte.gz"},
}

// idxConverter returns the conversion of an image dataset whose files are
// IDX files named as in layout: it keeps them as they are, copied into dir
// under their own names, and reads each split once, so that a file that is
// not what its name says is refused now rather than at training time.
func idxConverter(layout map[string]Split) func(files []string, dir string, lim Limits) (Counts, error) {
	return func(files []string, dir string, lim Limits) (Counts, error) {
		return convertIDX(layout, files, dir)
	}
}

func convertIDX(layout map[string]Split, files []string, dir string) (Counts, error) {
	for _, f := range files {
		if err := copyFile(f, filepath.Join(dir, filepath.Base(f))); err != nil {
			return Counts{}, fmt.Errorf("cannot copy %s: %w", f, pathErr(err))
		}
	}
	var c Counts
	seen := map[uint8]bool{}
	for _, split := range []string{"train", "test"} {
		l := layout[split]
		set, err := ReadImageSet(filepath.Join(dir, l.Path), filepath.Join(dir, l.Labels))
		if err != nil {
			return Counts{}, err
		}
		for _, y := range set.Labels {
			seen[y] = true
		}
		if split == "train" {
			c.Train = set.Len()
		} else {
			c.Test = set.Len()
		}
	}
	for y := range 256 {
		if seen[uint8(y)] {
			c.Labels = append(c.Labels, strconv.Itoa(y))
		}
	}
	// Sorted as strings, like every dataset's labels ("10" before "2").
	c.Labels = sortedLabels(c.Labels)
	return c, nil
}
