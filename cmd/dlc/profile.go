package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// profiles are the --cpuprofile and --memprofile files of one command: the
// whole process as go tool pprof reads it, for finding where a run spends
// its time and its memory on real data (go test's profiles cover only a
// benchmark's loop).
type profiles struct {
	CPU, Mem string
	cpu      *os.File
}

// start begins the CPU profile when one is asked for.
func (p *profiles) start() error {
	if p.CPU == "" {
		return nil
	}
	f, err := os.Create(p.CPU)
	if err != nil {
		return fmt.Errorf("cannot write the CPU profile: %v; give --cpuprofile a path in a writable folder", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		os.Remove(p.CPU)
		return fmt.Errorf("cannot start the CPU profile: %v", err)
	}
	p.cpu = f
	return nil
}

// stop ends the CPU profile and writes the allocation profile (every
// allocation since the process started, with -sample_index=alloc_space
// the bytes, and inuse_space what was live at the last GC).
func (p *profiles) stop() error {
	var errs []error
	if p.cpu != nil {
		pprof.StopCPUProfile()
		errs = append(errs, p.cpu.Close())
		p.cpu = nil
	}
	if p.Mem != "" {
		f, err := os.Create(p.Mem)
		if err != nil {
			return fmt.Errorf("cannot write the memory profile: %v; give --memprofile a path in a writable folder", err)
		}
		runtime.GC() // the in-use figures are those of the last collection
		errs = append(errs, pprof.Lookup("allocs").WriteTo(f, 0), f.Close())
	}
	return errors.Join(errs...)
}
