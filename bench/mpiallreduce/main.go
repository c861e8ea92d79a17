//go:build mpi && cgo

// Command mpiallreduce times dlc's sum over MPI (internal/dist) for the
// weights of a model of each size given, as the average of training
// exchanges them: run it under mpirun (bench/mpi.sh does).
//
//	mpirun -np 2 mpiallreduce 10000x16 437000x32
package main

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dlc-dev/dlc/internal/dist"
)

func main() {
	c, err := dist.World()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer c.Close()
	for _, arg := range os.Args[1:] {
		rows, cols, ok := strings.Cut(arg, "x")
		r, err1 := strconv.Atoi(rows)
		k, err2 := strconv.Atoi(cols)
		if !ok || err1 != nil || err2 != nil {
			fmt.Fprintf(os.Stderr, "%s is not ROWSxCOLS\n", arg)
			c.Abort(2)
			return
		}
		buf := make([]float64, r*k)
		for i := range buf {
			buf[i] = float64(i % 7)
		}
		var times []float64
		for range 5 {
			start := time.Now()
			if err := c.SumAll(buf, "the bench's vector"); err != nil {
				fmt.Fprintln(os.Stderr, err)
				c.Abort(1)
			}
			times = append(times, time.Since(start).Seconds())
		}
		slices.Sort(times)
		if c.Rank() == 0 {
			fmt.Printf("%s\t%d doubles\t%.1f MB\tmedian %.4f s\tmin %.4f s\n", arg, len(buf), float64(len(buf))*8/1e6, times[2], times[0])
		}
	}
}
