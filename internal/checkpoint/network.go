package checkpoint

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/dlc-dev/dlc/internal/atomicfile"
)

// While a run calibrates, every checkpoint needs the model's finished
// network, which no longer changes: 112 MB of the IMDB recipe's 336 MB
// calibrating checkpoint. It is written once into its own file of the
// folder, net-<the first 16 hex digits of its SHA-256>.dlcn (the
// checkpoint file's layout, with the header's format networkFormat and
// one array), and each calibrating checkpoint names it by its SHA-256
// (Checkpoint.MainFile, MainSHA256). Read reads it with the checkpoint;
// a network file missing, torn, or holding other weights makes the
// checkpoints naming it torn, and Newest passes over them. Prune removes
// the network files no checkpoint left names.
const (
	netPrefix = "net-"
	netSuffix = ".dlcn"
)

// networkMeta is a network file's metadata.
type networkMeta struct {
	SHA256 string `json:"sha256"`
}

// NetworkSum is the SHA-256 (hex) of params as the file holds them
// (little-endian).
func NetworkSum(params []float64) string {
	h := sha256.New()
	if littleEndian {
		h.Write(f64Bytes(params))
	} else {
		writeWords(h, nil, len(params), f64Word(params))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// networkName is the name of the network file of weights whose SHA-256
// is sum.
func networkName(sum string) string { return netPrefix + sum[:16] + netSuffix }

// validNetworkRef reports whether name and sum are what a checkpoint
// written by WriteNetwork names: a SHA-256 in lowercase hex, and the file
// name made of it (never a path).
func validNetworkRef(name, sum string) bool {
	if len(sum) != 2*sha256.Size || strings.ToLower(sum) != sum {
		return false
	}
	if _, err := hex.DecodeString(sum); err != nil {
		return false
	}
	return name == networkName(sum)
}

// WriteNetwork makes sure dir holds the network file of params: when a
// whole one of the same weights is there already (a resumed run's) it is
// kept, otherwise it is written and synced (every checkpoint that names
// it depends on it, and it is written once). It returns the file's name
// and the weights' SHA-256, for Checkpoint.MainFile and MainSHA256.
func WriteNetwork(dir string, params []float64) (name, sum string, err error) {
	sum = NetworkSum(params)
	name = networkName(sum)
	if _, err := readNetwork(dir, name, sum); err == nil {
		return name, sum, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("cannot create the checkpoint folder: %w", err)
	}
	a := newArrays()
	a.putF64("params", params)
	path := filepath.Join(dir, name)
	err = atomicfile.Write(path, 0o644, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		if err := encode(bw, networkFormat, networkMeta{SHA256: sum}, a); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return "", "", fmt.Errorf("cannot write the model's network into the checkpoint folder: %w", err)
	}
	return name, sum, nil
}

// readNetwork reads the network file name of dir, which must hold the
// weights whose SHA-256 is sum; its errors are corruption (errCorrupt) of
// the checkpoint that names it.
func readNetwork(dir, name, sum string) ([]float64, error) {
	fail := func(err error) ([]float64, error) {
		return nil, fmt.Errorf("%w: the file of its model's network, %s, %v", errCorrupt, name, err)
	}
	if !validNetworkRef(name, sum) {
		return fail(errors.New("is not a network file's name"))
	}
	f, err := os.Open(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return fail(errors.New("is missing"))
	}
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	if !st.Mode().IsRegular() {
		return fail(errors.New("is not a regular file"))
	}
	var m networkMeta
	a, _, err := decode(f, st.Size(), networkFormat, &m)
	if err != nil {
		return fail(err)
	}
	params, ok := a.f64["params"]
	if !ok || len(a.list) != 1 {
		return fail(errors.New("does not hold one array of weights"))
	}
	if m.SHA256 != sum || NetworkSum(params) != sum {
		return fail(errors.New("holds other weights"))
	}
	return params, nil
}

// mainFileOf returns the network file the checkpoint file at path names,
// from its header alone (not checked against its checksum: for pruning,
// where a checkpoint too torn to tell names nothing, since it cannot be
// resumed from).
func mainFileOf(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ""
	}
	br := bufio.NewReader(f)
	var head [16]byte
	if _, err := io.ReadFull(br, head[:]); err != nil || string(head[:8]) != magic {
		return ""
	}
	hl := binary.LittleEndian.Uint64(head[8:])
	if hl > maxHeader || hl > uint64(st.Size()) {
		return ""
	}
	hb := make([]byte, hl)
	if _, err := io.ReadFull(br, hb); err != nil {
		return ""
	}
	var h struct {
		Meta struct {
			MainFile string `json:"main_file"`
		} `json:"meta"`
	}
	if json.Unmarshal(hb, &h) != nil {
		return ""
	}
	return h.Meta.MainFile
}

// pruneNetworks removes the network files of dir that no checkpoint file
// of dir names.
func pruneNetworks(dir string) error {
	ents, err := readFolder(dir)
	if err != nil {
		return err
	}
	var nets []string
	for _, e := range ents {
		if n := e.Name(); strings.HasPrefix(n, netPrefix) && strings.HasSuffix(n, netSuffix) && e.Type().IsRegular() {
			nets = append(nets, n)
		}
	}
	if len(nets) == 0 {
		return nil
	}
	list, err := List(dir)
	if err != nil {
		return err
	}
	named := map[string]bool{}
	for _, e := range list {
		named[mainFileOf(e.Path)] = true
	}
	for _, n := range nets {
		if named[n] {
			continue
		}
		if err := os.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("cannot remove the old network file %s: %w", filepath.Join(dir, n), err)
		}
	}
	return nil
}
