//go:build !mpi || !cgo

package dist

import "fmt"

// Built says whether this dlc was built with MPI (build tag mpi).
const Built = false

// World returns this process's Comm: One, since this build has no MPI. A
// process that a launcher started among several is refused: each would
// train alone on all the data and write the same model file.
func World() (Comm, error) {
	if n, name := launchedSize(); n > 1 {
		return nil, fmt.Errorf("this dlc was built without MPI, and %s=%d says it was started as one of %d processes, which would each train alone on all the data: build it with go build -tags mpi (see the README's \"Training on several machines\"), or start one process", name, n, n)
	}
	return One{}, nil
}
