package checkpoint

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/dlc-dev/dlc/internal/atomicfile"
)

// A checkpoint folder holds ckpt-NNNNNNNNN.dlcc files, numbered in the
// order they were written; anything else in it is left alone.
const (
	prefix = "ckpt-"
	suffix = ".dlcc"
)

// Name is the file name of checkpoint number seq.
func Name(seq int) string { return fmt.Sprintf("%s%09d%s", prefix, seq, suffix) }

// seqOf returns the number of a checkpoint file's name.
func seqOf(name string) (int, bool) {
	if !strings.HasPrefix(name, prefix) || !strings.HasSuffix(name, suffix) {
		return 0, false
	}
	n, err := strconv.Atoi(name[len(prefix) : len(name)-len(suffix)])
	return n, err == nil && n >= 0
}

// Encode writes c as a checkpoint file.
func Encode(w io.Writer, c *Checkpoint) error {
	m, a := pack(c)
	return encode(w, checkpointFormat, m, a)
}

// Decode reads a checkpoint file of size bytes. Its errors read as a
// predicate ("is torn or corrupt: ..."), for Read to prefix with the path.
// A checkpoint that names the file of the model's network (MainFile)
// comes without its weights (MainParams nil): Read reads them.
func Decode(r io.Reader, size int64) (*Checkpoint, error) {
	m := &meta{Checkpoint: &Checkpoint{}}
	a, version, err := decode(r, size, checkpointFormat, m)
	if err != nil {
		return nil, err
	}
	return unpack(m, a, version)
}

// Write writes c into dir as checkpoint number c.Seq, atomically (a
// reader, or a run resumed after a crash, sees the whole file or none of
// it), creating dir when it does not exist, and returns the file's path
// and a function that waits for the file to reach the disk (see
// atomicfile.WriteUnsynced: a checkpoint of the IMDB recipe is 224 MB, and
// training need not wait for the disk; until sync returns, a crash of the
// machine may leave the file torn, which Newest detects and passes over).
// When Prune left a spare file in dir, Write writes over one (see
// atomicfile.WriteOver).
func Write(dir string, c *Checkpoint) (path string, sync func() error, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, fmt.Errorf("cannot create the checkpoint folder: %w", err)
	}
	path = filepath.Join(dir, Name(c.Seq))
	// Encode buffers its small writes itself; its arrays go to the file
	// as they are, without a copy through another buffer.
	write := func(w io.Writer) error { return Encode(w, c) }
	spare := ""
	for _, name := range spareNames {
		if st, serr := os.Lstat(filepath.Join(dir, name)); serr == nil && st.Mode().IsRegular() {
			spare = filepath.Join(dir, name)
			break
		}
	}
	if spare != "" {
		sync, err = atomicfile.WriteOver(spare, path, 0o644, write)
	} else {
		sync, err = atomicfile.WriteUnsynced(path, 0o644, write)
	}
	if err != nil {
		return "", nil, fmt.Errorf("cannot write checkpoint %s: %w", path, err)
	}
	return path, sync, nil
}

// spareNames are the old checkpoints Prune keeps for Write to write over:
// named as a checkpoint's temporary file, which no reader takes for a
// checkpoint and RemoveStale removes. Two: a run keeps the keep newest
// checkpoints and the newest fsynced one, which is one more file while it
// is older than those; when a newer one is fsynced, a file that would be
// removed then becomes the second spare, and so the file a checkpoint is
// written to never needs fresh pages once keep + 2 files are there (a fresh file of the IMDB recipe cost 0.5-1 s of system
// time; one written over, 40-60 ms).
var spareNames = [2]string{"." + prefix + "000000000" + suffix + ".tmp-spare", "." + prefix + "000000000" + suffix + ".tmp-spare2"}

// Read reads and verifies the checkpoint file at path.
func Read(path string) (*Checkpoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read checkpoint %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cannot read checkpoint %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("checkpoint %s is not a regular file", path)
	}
	c, err := Decode(f, st.Size())
	if err == nil && c.MainFile != "" {
		c.MainParams, err = readNetwork(filepath.Dir(path), c.MainFile, c.MainSHA256)
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s %w", path, err)
	}
	return c, nil
}

// IsCorrupt reports whether err is Read's error for a torn or corrupt
// file.
func IsCorrupt(err error) bool { return errors.Is(err, errCorrupt) }

// Entry is a checkpoint file of a folder.
type Entry struct {
	Seq  int
	Path string
}

// readFolder returns the entries of the checkpoint folder dir; a folder
// that does not exist has none.
func readFolder(dir string) ([]os.DirEntry, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the checkpoint folder: %w", err)
	}
	return ents, nil
}

// List returns the checkpoint files of dir, oldest first; a folder that
// does not exist has none.
func List(dir string) ([]Entry, error) {
	ents, err := readFolder(dir)
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, e := range ents {
		if n, ok := seqOf(e.Name()); ok && e.Type().IsRegular() {
			out = append(out, Entry{n, filepath.Join(dir, e.Name())})
		}
	}
	slices.SortFunc(out, func(a, b Entry) int { return a.Seq - b.Seq })
	return out, nil
}

// Skipped is a checkpoint file Newest passed over, and why.
type Skipped struct {
	Path string
	Err  error
}

// ErrNone is Newest's error for a folder without a checkpoint.
var ErrNone = errors.New("no checkpoint")

// Newest reads the newest checkpoint of dir that is whole, passing over
// (and reporting) the newer ones that are torn or corrupt. It returns
// ErrNone (wrapped) when dir holds no checkpoint at all, and the first
// error that is not corruption (an unreadable file, a newer format) as
// it is.
func Newest(dir string) (*Checkpoint, string, []Skipped, error) {
	list, err := List(dir)
	if err != nil {
		return nil, "", nil, err
	}
	var skipped []Skipped
	for i := len(list) - 1; i >= 0; i-- {
		c, err := Read(list[i].Path)
		if err == nil {
			return c, list[i].Path, skipped, nil
		}
		if !IsCorrupt(err) {
			return nil, "", skipped, err
		}
		skipped = append(skipped, Skipped{list[i].Path, err})
	}
	if len(skipped) > 0 {
		return nil, "", skipped, fmt.Errorf("every checkpoint in %s is torn or corrupt", dir)
	}
	return nil, "", nil, fmt.Errorf("%w in %s", ErrNone, dir)
}

// NextSeq is the number the next checkpoint written into dir takes: one
// above every file there, whole or not, so that the newest is always the
// last written.
func NextSeq(dir string) (int, error) {
	list, err := List(dir)
	if err != nil || len(list) == 0 {
		return 1, err
	}
	return list[len(list)-1].Seq + 1, nil
}

// RemoveStale removes the temporary files of checkpoints (and network
// files) whose writing was cut off (a SIGKILL mid-write leaves
// ".ckpt-N.dlcc.tmp-*" behind):
// for a run about to write into dir, which is the only writer there.
func RemoveStale(dir string) error {
	ents, err := readFolder(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		name := e.Name()
		base, _, ok := strings.Cut(name, ".tmp-")
		ours := strings.HasPrefix(base, "."+prefix) && strings.HasSuffix(base, suffix) || strings.HasPrefix(base, "."+netPrefix) && strings.HasSuffix(base, netSuffix)
		if ok && ours && e.Type().IsRegular() {
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("cannot remove %s: %w", filepath.Join(dir, name), err)
			}
		}
	}
	return nil
}

// Prune removes all but the keep newest checkpoint files of dir (keep ≥ 1)
// and the one numbered pin (0: none), which a run keeps as the newest
// that is known to be on the disk, and then the network files (see
// WriteNetwork) no checkpoint left names. With recycle, the newest of those it
// would remove become the spare files the next Writes write over, up to
// two (RemoveSpare removes them).
func Prune(dir string, keep, pin int, recycle bool) error {
	if err := pruneCheckpoints(dir, keep, pin, recycle); err != nil {
		return err
	}
	return pruneNetworks(dir)
}

func pruneCheckpoints(dir string, keep, pin int, recycle bool) error {
	list, err := List(dir)
	if err != nil {
		return err
	}
	var free []string // the spares' names not taken
	for _, name := range spareNames {
		if _, err := os.Lstat(filepath.Join(dir, name)); err != nil {
			free = append(free, filepath.Join(dir, name))
		}
	}
	if !recycle {
		free = nil
	}
	old := list[:max(0, len(list)-max(keep, 1))]
	for i := len(old) - 1; i >= 0; i-- {
		e := old[i]
		if e.Seq == pin {
			continue
		}
		if len(free) > 0 {
			spare := free[0]
			free = free[1:]
			if os.Rename(e.Path, spare) == nil {
				continue
			}
		}
		if err := os.Remove(e.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("cannot remove the old checkpoint %s: %w", e.Path, err)
		}
	}
	return nil
}

// RemoveSpare removes the spare files Prune left in dir, if any.
func RemoveSpare(dir string) error {
	for _, name := range spareNames {
		err := os.Remove(filepath.Join(dir, name))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("cannot remove %s: %w", filepath.Join(dir, name), err)
		}
	}
	return nil
}
