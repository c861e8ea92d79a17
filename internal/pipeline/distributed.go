package pipeline

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/dist"
	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/model"
)

// A run of several processes (mpirun -np N dlc train, Hooks.Comm) is data
// parallel, as Vowpal Wabbit's cluster mode:
//
//   - every process reads the whole training data and fits the vectorizer
//     on it, which is deterministic, so their vocabularies are the same
//     without sending one (checked: agree, below); the rows of the
//     examples not its own are the memory it spends on that;
//   - the examples are dealt to the processes like cards, from a
//     permutation seeded with training.seed: process r trains on the
//     r-th, (N+r)-th, ... of them, in the order of the data. Cutting the
//     file into N byte ranges instead (data.Shard) would give each
//     process one label of a file sorted by label, as IMDB's is;
//   - every process starts from the same weights (training.seed), trains
//     on its share, and the processes average their weights every
//     training.distributed.sync_every updates and at the end of every
//     epoch (gd.Sync); the epoch's loss and accuracy are those of all the
//     examples, and early stopping decides alike on every process;
//   - the calibration network is trained so too, on the shares of the
//     examples it trains on, and scores the held-out ones on every process;
//   - rank 0 scores the test split and writes the model; the others stop.
//
// Same N, same seed, same model file. Process r > 0 shuffles and drops
// units from seeds of its own; process 0 from training.seed's, so a run
// of one process is exactly what it is without MPI.

// distributed is one process's part in a run of several (nil: one).
type distributed struct {
	comm       dist.Comm
	rank, size int
	cfg        *config.Config
}

// newDistributed returns the part of h.Comm's process, nil when there is
// none or it is alone, refusing what several processes cannot do.
func newDistributed(cfg *config.Config, h Hooks, from *model.Model) (*distributed, error) {
	if h.Comm == nil || h.Comm.Size() <= 1 {
		return nil, nil
	}
	switch {
	case cfg.Training.Streaming:
		return nil, cfg.Errorf("training.streaming", "a run of several processes (mpirun) trains in memory, each on its share of the examples, and training.streaming is set: remove it, or train one process")
	case cfg.Model.Ensemble > 1:
		return nil, cfg.Errorf("model.ensemble", "a run of several processes (mpirun) trains one network, and model.ensemble asks for %d: remove it, or train one process", cfg.Model.Ensemble)
	case cfg.Checkpoint.Dir != "" || (h.Checkpoint != nil && h.Checkpoint.Resume != nil):
		return nil, cfg.Errorf("checkpoint.dir", "a run of several processes (mpirun) saves no checkpoints and resumes none yet; train without --checkpoint and --resume")
	}
	d := &distributed{comm: h.Comm, rank: h.Comm.Rank(), size: h.Comm.Size(), cfg: cfg}
	d.comm.SetTimeout(time.Duration(cfg.Training.Distributed.Timeout * float64(time.Second)))
	return d, nil
}

// share returns the examples this process trains on, of those of rows
// (nil: all n of them), in their order.
func (d *distributed) share(rows []int, n int) []int {
	if rows != nil {
		n = len(rows)
	}
	perm := rand.New(rand.NewPCG(uint64(d.cfg.Training.Seed), 0x5a4d0)).Perm(n)
	var mine []int
	for i := d.rank; i < n; i += d.size {
		mine = append(mine, perm[i])
	}
	slices.Sort(mine)
	if rows != nil {
		for i, p := range mine {
			mine[i] = rows[p]
		}
	}
	return mine
}

// sync is how gd keeps the processes together when they train on the
// shares of n examples.
func (d *distributed) sync(n int) *gd.Sync {
	t := d.cfg.Training.Distributed
	return &gd.Sync{Averager: dist.Averager{Comm: d.comm, What: "the average of the weights"},
		Every: t.SyncEvery, Examples: n / d.size, Optimizer: t.AverageOptimizer}
}

// training returns the loop's config for this process: its own shuffling
// seed (rank 0 keeps training.seed's).
func (d *distributed) training(c gd.Config) gd.Config {
	c.Seed ^= uint64(d.rank) * 0x9e3779b97f4a7c15
	return c
}

// dropoutStream is the stream of this process's dropout source.
func (d *distributed) dropoutStream() uint64 {
	return 0xd20b0a7 + uint64(d.rank)
}

// agree checks that every process read the same training data and
// fitted the same vectorizer and network, before they average anything:
// rank 0's values are summed with the others' zeros, which every process
// compares with its own, and the ranks that differ are summed in turn.
func (d *distributed) agree(data, vectorizer string, examples, params int) error {
	var vals []float64
	for _, h := range []string{data, vectorizer} {
		b, _ := hex.DecodeString(h)
		b = append(b, make([]byte, 8)...)
		v := binary.LittleEndian.Uint64(b[:8])
		for k := range 4 { // 16 bits a number: exact in any sum
			vals = append(vals, float64(v>>(16*k)&0xffff))
		}
	}
	vals = append(vals, float64(examples), float64(params))
	mine := slices.Clone(vals)
	if d.rank != 0 {
		clear(vals)
	}
	what := "the check that the ranks read the same data"
	if err := d.comm.SumAll(vals, what); err != nil {
		return err
	}
	differ := make([]float64, d.size)
	if !slices.Equal(vals, mine) {
		differ[d.rank] = 1
	}
	if err := d.comm.SumAll(differ, what); err != nil {
		return err
	}
	for r, v := range differ {
		if v != 0 {
			return fmt.Errorf("rank %d read other training data than rank 0, or fitted another vocabulary or network: every rank must read the same data.train with the same config and dlc", r)
		}
	}
	return nil
}

// record is what the model file says of the run.
func (d *distributed) record() *model.DistributedRecord {
	t := d.cfg.Training.Distributed
	return &model.DistributedRecord{Processes: d.size, SyncEvery: t.SyncEvery, AverageOptimizer: t.AverageOptimizer}
}
