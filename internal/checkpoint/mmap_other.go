//go:build !linux

package checkpoint

import (
	"errors"
	"os"
)

// mappable says files can be mapped in memory here: elsewhere than on
// Linux, checkpoints are written with Write (see Mapper).
const mappable = false

type fileID struct{}

var errUnmappable = errors.New("files are not mapped in memory here")

func idOf(*os.File) (fileID, error)         { return fileID{}, errUnmappable }
func linked(*os.File) bool                  { return false }
func mapFile(*os.File, int) ([]byte, error) { return nil, errUnmappable }
func unmap([]byte) error                    { return errUnmappable }

func populate([]byte) {}
