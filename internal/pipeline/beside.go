package pipeline

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/dlc-dev/dlc/internal/calibrate"
	"github.com/dlc-dev/dlc/internal/parallel"
)

// Calibration's networks are trained afresh on part of the examples: they
// do not depend on the model's network, only on the config, the seed and
// the data. Where nothing else forbids it they therefore train beside the
// model's network instead of after it (calibrateBeside), each training
// taking what the other leaves of the cores. Their arithmetic is the same
// (every kernel gives bits that do not depend on how many cores run it),
// so the calibration, and the model file, are byte for byte those of the
// calibration trained after the model; the hooks hear of the calibration
// networks where they would have, once the model's training is done. On
// MNIST, whose sibling network is about half of training, this keeps both
// cores busy through the serial parts of each step.

// besideMaxBytes bounds the training state (weights, gradient, optimizer
// state, and the rows a network trained on features weighted by the
// labels holds) of a calibration network trained beside the model's:
// above it, the two at once would raise the peak memory too far, and it
// trains after. MNIST's network holds 407k parameters (10 MB of state),
// the IMDB notebook's 160k (4 MB), the R52 recipe's 2.6M (62 MB; its peak
// rises from 130 to 166 MiB beside, under the 258 MiB of the LinearSVC it
// is timed against) and the R8 recipe's 2.2M with Adam's two moments and
// its reweighed rows (73 MB); the IMDB recipe's 14M (over 400 MB) trains
// after. A variable so that tests can make every calibration train after.
var besideMaxBytes = 96 << 20

// calibrateBeside says whether calibration's networks may train beside
// the model's: on more than one core, for a single-label model trained
// in one process, saving no checkpoints (whose calibrating stage starts
// after training), and a network whose training state, with rowBytes for
// the reweighed copy of the rows it trains on (features weighted by the
// labels; 0 for none), is within besideMaxBytes.
//
// Nor while the machine is busy with other programs (machineBusy): there
// each training got less than a core, and the whole run took longer than
// with the calibration after the model (R52 1.39×, R8 1.57× the wall time
// at a load average of 7-12 on 2 cores, for 0.8-0.9× the CPU).
func calibrateBeside(plan *Plan, params int, single bool, rowBytes int) bool {
	if !plan.Config.CalibrationOptions().Enabled() || !single || runtime.GOMAXPROCS(0) < 2 {
		return false
	}
	return params*8*(1+plan.trainSlots())+rowBytes <= besideMaxBytes && !machineBusy()
}

// machineBusy says whether other programs keep the cores busy: a 1-minute
// load average of at least one more than the cores this process may use
// (on a machine where nothing else runs, a run's own load stays near the
// cores it uses). Where the load average cannot be read, it says no. A
// variable so that tests can say either. The answer changes only how fast
// calibration is done, never what it computes.
var machineBusy = func() bool {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return false
	}
	load, err := strconv.ParseFloat(f[0], 64)
	return err == nil && load >= float64(runtime.GOMAXPROCS(0)+1)
}

// besideCalibration is a calibration being fitted on its own goroutine
// while the model's network trains.
type besideCalibration struct {
	cancel context.CancelFunc
	alone  func() // parallel.SideBySide's release
	done   chan struct{}
	cal    *calibrate.Calibrator
	err    error

	// The caller's Calibrating hook is told of each network in order,
	// once the model's training is done (tell): until then the parts are
	// kept in waiting.
	mu      sync.Mutex
	hook    func(*CalibrationPart)
	live    bool
	waiting []*CalibrationPart
}

// startBeside starts fit on its own goroutine, with a context that stop
// cancels and hooks whose Calibrating waits for tell. Until alone (or
// wait, or stop) is called, every parallel list runs on its caller's
// goroutine (parallel.SideBySide): the two trainings take a core each,
// with no step waiting for a helper the other training holds.
func startBeside(ctx context.Context, h Hooks, fit func(context.Context, Hooks) (*calibrate.Calibrator, error)) *besideCalibration {
	b := &besideCalibration{done: make(chan struct{}), hook: h.Calibrating, alone: parallel.SideBySide()}
	ctx, b.cancel = context.WithCancel(ctx)
	hk := h
	hk.Calibrating = b.calibrating
	go func() {
		defer close(b.done)
		b.cal, b.err = fit(ctx, hk)
	}()
	return b
}

func (b *besideCalibration) calibrating(p *CalibrationPart) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.hook == nil {
		return
	}
	if !b.live {
		c := *p
		b.waiting = append(b.waiting, &c)
		return
	}
	b.hook(p)
}

// tell hands the hook the networks started so far, and from now on each
// as it starts.
func (b *besideCalibration) tell() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.live = true
	if b.hook != nil {
		for _, p := range b.waiting {
			b.hook(p)
		}
	}
	b.waiting = nil
}

// wait tells the hook (tell) and returns what fit returned, once it has.
func (b *besideCalibration) wait() (*calibrate.Calibrator, error) {
	b.alone() // the model's training is done: its cores are free
	b.tell()
	<-b.done
	return b.cal, b.err
}

// stop cancels the calibration and waits for its goroutine; nil does
// nothing.
func (b *besideCalibration) stop() {
	if b == nil {
		return
	}
	b.cancel()
	b.alone()
	<-b.done
}
