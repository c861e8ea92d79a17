package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/dlc-dev/dlc/internal/data"
)

// shardOptions are --shard i/n and --shards N, alike on predict and
// vectorize: which share of a file this process reads, so that the
// engines users run (Spark, Hadoop Streaming, Kubernetes Indexed Jobs,
// mpirun, GNU parallel) can split one input over many dlc processes.
type shardOptions struct {
	Spec  string
	Count int
	// env reads the environment (os.Getenv; tests swap it).
	env func(string) string
}

// The environment variables a shard is taken from when --shard is not
// given: Open MPI's rank and size (mpirun as a launcher), and a
// Kubernetes Indexed Job's index, whose count --shards gives (a pod is not
// told the Job's completions).
const (
	envMPIRank  = "OMPI_COMM_WORLD_RANK"
	envMPISize  = "OMPI_COMM_WORLD_SIZE"
	envJobIndex = "JOB_COMPLETION_INDEX"
)

// AddFlags binds --shard and --shards to f.
func (s *shardOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&s.Spec, "shard", "", "read shard i (from 0) of n of the input file: contiguous line-aligned byte ranges (default: "+envMPIRank+"/"+envMPISize+" under mpirun)")
	f.IntVar(&s.Count, "shards", 0, "the number of shards, with the shard's index from "+envJobIndex+" (a Kubernetes Indexed Job) or "+envMPIRank)
}

// resolve returns the shard to read and, when it came from the
// environment, where from ("" when from --shard or the whole input).
func (s *shardOptions) resolve() (data.Shard, string, error) {
	env := s.env
	if env == nil {
		env = os.Getenv
	}
	if s.Spec != "" {
		if s.Count != 0 {
			return data.Shard{}, "", usageErrorf("give --shard i/n or --shards N, not both")
		}
		sh, err := data.ParseShard(s.Spec)
		if err != nil {
			return data.Shard{}, "", usageErrorf("--shard %s %v", s.Spec, err)
		}
		return sh, "", nil
	}
	index := func(name string) (int, bool, error) {
		v := env(name)
		if v == "" {
			return 0, false, nil
		}
		i, err := strconv.Atoi(v)
		if err != nil || i < 0 {
			return 0, true, usageErrorf("%s=%q is not a shard index (a whole number from 0); unset it or give --shard i/n", name, v)
		}
		return i, true, nil
	}
	if s.Count != 0 {
		if s.Count < 1 {
			return data.Shard{}, "", usageErrorf("--shards must be at least 1, not %d", s.Count)
		}
		for _, name := range []string{envJobIndex, envMPIRank} {
			i, ok, err := index(name)
			if err != nil {
				return data.Shard{}, "", err
			}
			if ok {
				sh, err := data.NewShard(i, s.Count)
				if err != nil {
					return data.Shard{}, "", usageErrorf("%s=%d with --shards %d %v", name, i, s.Count, err)
				}
				return sh, fmt.Sprintf("%s=%d, --shards %d", name, i, s.Count), nil
			}
		}
		return data.Shard{}, "", usageErrorf("--shards %d takes the shard's index from %s (a Kubernetes Indexed Job) or %s (mpirun), and neither is set; give --shard i/%d", s.Count, envJobIndex, envMPIRank, s.Count)
	}
	rank, okRank, err := index(envMPIRank)
	if err != nil {
		return data.Shard{}, "", err
	}
	size, okSize, err := index(envMPISize)
	if err != nil || !okRank || !okSize {
		return data.Shard{}, "", err
	}
	sh, err := data.NewShard(rank, size)
	if err != nil {
		return data.Shard{}, "", usageErrorf("%s=%d of %s=%d %v", envMPIRank, rank, envMPISize, size, err)
	}
	return sh, fmt.Sprintf("%s=%d, %s=%d", envMPIRank, rank, envMPISize, size), nil
}
