//go:build mpi && cgo

package dist

/*
#cgo pkg-config: ompi-c
#include <mpi.h>
#include <stdlib.h>

// The few calls dlc makes, wrapped so that Go never holds an MPI handle
// (a pointer in Open MPI, an int in MPICH): the requests and the tokens
// they send live in C memory, as MPI keeps them until completion.
enum { dlcTag = 1907 };

static int dlcInit(int *provided) {
	return MPI_Init_thread(NULL, NULL, MPI_THREAD_MULTIPLE, provided);
}

// The heartbeats go over a communicator of their own, so that they never
// match the check-in tokens.
static MPI_Comm dlcBeats;
static int dlcDupBeats(void) { return MPI_Comm_dup(MPI_COMM_WORLD, &dlcBeats); }
static int dlcSendBeat(int *tok, int to, MPI_Request *req) {
	return MPI_Isend(tok, 1, MPI_INT, to, dlcTag, dlcBeats, req);
}
static int dlcRecvBeat(int *tok, int from, MPI_Request *req) {
	return MPI_Irecv(tok, 1, MPI_INT, from, dlcTag, dlcBeats, req);
}
static void dlcDrop(MPI_Request *req) {
	if (*req == MPI_REQUEST_NULL) return;
	MPI_Cancel(req);
	MPI_Request_free(req);
}
static int dlcRankSize(int *rank, int *size) {
	int err = MPI_Comm_rank(MPI_COMM_WORLD, rank);
	if (err != MPI_SUCCESS) return err;
	return MPI_Comm_size(MPI_COMM_WORLD, size);
}
static MPI_Request *dlcRequests(int n) { return calloc(n, sizeof(MPI_Request)); }
static int dlcSendToken(int *tok, MPI_Request *req) {
	return MPI_Isend(tok, 1, MPI_INT, 0, dlcTag, MPI_COMM_WORLD, req);
}
static int dlcRecvToken(int *tok, int from, MPI_Request *req) {
	return MPI_Irecv(tok, 1, MPI_INT, from, dlcTag, MPI_COMM_WORLD, req);
}
static int dlcSendGo(int *tok, int to, MPI_Request *req) {
	return MPI_Isend(tok, 1, MPI_INT, to, dlcTag + 1, MPI_COMM_WORLD, req);
}
static int dlcRecvGo(int *tok, MPI_Request *req) {
	return MPI_Irecv(tok, 1, MPI_INT, 0, dlcTag + 1, MPI_COMM_WORLD, req);
}
static int dlcTest(MPI_Request *req, int *done) { return MPI_Test(req, done, MPI_STATUS_IGNORE); }
static int dlcWait(MPI_Request *req) { return MPI_Wait(req, MPI_STATUS_IGNORE); }
static int dlcSum(double *buf, int n) {
	return MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}
static void dlcAbort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }
static int dlcFinalize(void) { return MPI_Finalize(); }
*/
import "C"

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"
	"unsafe"
)

// Built says whether this dlc was built with MPI (build tag mpi).
const Built = true

// World returns this process's Comm: MPI's world when a launcher (mpirun,
// srun) started it among several processes, else One. MPI is initialized
// here, once.
//
// Why a binding of its own rather than a Go MPI package: dlc needs a
// dozen calls, most of them non-blocking with polling (MPI_Isend,
// MPI_Irecv, MPI_Test, MPI_Cancel) so that a collective can time out and
// a heartbeat can name the rank that died or stalled, and
// MPI_Init_thread with MPI_THREAD_MULTIPLE (the heartbeat runs beside the
// training, and Go moves a goroutine between threads); the maintained
// binding (cogentcore.org/lab/base/mpi) wraps the blocking calls only,
// calls MPI_Init, and logs errors rather than returning them.
func World() (Comm, error) {
	n, _ := launchedSize()
	if n <= 1 {
		return One{}, nil
	}
	// Open MPI's handlers of SIGSEGV, SIGBUS, SIGILL and SIGFPE would
	// replace Go's, which turns those signals into panics; and a rank
	// waiting in a collective spins, which on a machine it shares with
	// other ranks (or other work) takes the core they compute on, unless
	// it yields.
	for name, value := range map[string]string{"OMPI_MCA_opal_signal": "", "OMPI_MCA_mpi_yield_when_idle": "1"} {
		if _, set := os.LookupEnv(name); !set {
			os.Setenv(name, value)
		}
	}
	// Ranks sharing a machine share its cores: each computes on its share
	// of them (the results do not depend on it), unless GOMAXPROCS says.
	if local, err := strconv.Atoi(os.Getenv("OMPI_COMM_WORLD_LOCAL_SIZE")); err == nil && local > 1 && os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(max(1, runtime.NumCPU()/local))
	}
	var provided C.int
	if rc := C.dlcInit(&provided); rc != C.MPI_SUCCESS {
		return nil, fmt.Errorf("MPI_Init_thread failed with error %d", int(rc))
	}
	if provided < C.MPI_THREAD_MULTIPLE {
		C.dlcAbort(1)
		return nil, fmt.Errorf("this MPI gives thread support level %d, and dlc needs MPI_THREAD_MULTIPLE (its heartbeats go on beside the training, and Go runs a goroutine on any thread)", int(provided))
	}
	var rank, size C.int
	if rc := C.dlcRankSize(&rank, &size); rc != C.MPI_SUCCESS {
		C.dlcAbort(1)
		return nil, fmt.Errorf("MPI_Comm_rank failed with error %d", int(rc))
	}
	c := &mpiComm{rank: int(rank), size: int(size)}
	c.timeout.Store(int64(DefaultTimeout))
	c.reqs, c.goReqs = C.dlcRequests(C.int(c.size)), C.dlcRequests(C.int(c.size))
	c.tokens, c.goTokens = cInts(c.size), cInts(c.size)
	if rc := C.dlcDupBeats(); rc != C.MPI_SUCCESS {
		C.dlcAbort(1)
		return nil, fmt.Errorf("MPI_Comm_dup failed with error %d", int(rc))
	}
	c.beats = newHeartbeat(c)
	go c.beats.run()
	return c, nil
}

func cInts(n int) *C.int {
	return (*C.int)(C.calloc(C.size_t(n), C.size_t(unsafe.Sizeof(C.int(0)))))
}

func reqAt(reqs *C.MPI_Request, i int) *C.MPI_Request {
	return (*C.MPI_Request)(unsafe.Add(unsafe.Pointer(reqs), i*int(unsafe.Sizeof(*reqs))))
}

func intAt(p *C.int, i int) *C.int {
	return (*C.int)(unsafe.Add(unsafe.Pointer(p), i*int(unsafe.Sizeof(*p))))
}

// heartbeat is a goroutine beside the training that sends a beat to the
// ranks it watches every beat period and notes when it last heard from
// each: rank 0 and every other rank watch each other. A rank stopped
// (SIGSTOP, a machine that froze, a network cut) is silent wherever it
// stopped, in its own work or inside an MPI_Allreduce the others wait in
// with it, which no timeout around the collective can tell apart; a rank
// merely slow keeps beating. When a rank has been silent for the
// timeout, the watcher says which and ends its process: mpirun then ends
// the job. A rank that has finished says so with its last beat (-1),
// and is no longer watched.
type heartbeat struct {
	c        *mpiComm
	peers    []int
	sendReqs *C.MPI_Request // per peer
	recvReqs *C.MPI_Request
	sendToks *C.int
	recvToks *C.int
	heard    []time.Time
	done     []bool
	stop     chan struct{}
	stopped  chan struct{}
}

func newHeartbeat(c *mpiComm) *heartbeat {
	h := &heartbeat{c: c, stop: make(chan struct{}), stopped: make(chan struct{})}
	if c.rank == 0 {
		for r := 1; r < c.size; r++ {
			h.peers = append(h.peers, r)
		}
	} else {
		h.peers = []int{0}
	}
	n := len(h.peers)
	h.sendReqs, h.recvReqs = C.dlcRequests(C.int(n)), C.dlcRequests(C.int(n))
	h.sendToks, h.recvToks = cInts(n), cInts(n)
	h.heard, h.done = make([]time.Time, n), make([]bool, n)
	now := time.Now()
	for i, p := range h.peers {
		h.heard[i] = now
		*reqAt(h.sendReqs, i) = C.MPI_REQUEST_NULL
		C.dlcRecvBeat(intAt(h.recvToks, i), C.int(p), reqAt(h.recvReqs, i))
	}
	return h
}

// beatPeriod is how often a rank beats: often enough that a timeout of a
// few seconds cannot mistake a rank for silent.
func beatPeriod(timeout time.Duration) time.Duration {
	return max(10*time.Millisecond, min(time.Second, timeout/10))
}

func (h *heartbeat) run() {
	defer close(h.stopped)
	for {
		timeout := time.Duration(h.c.timeout.Load())
		select {
		case <-h.stop:
			h.send(-1)
			for i := range h.peers {
				C.dlcDrop(reqAt(h.recvReqs, i))
			}
			return
		case <-time.After(beatPeriod(timeout)):
		}
		h.send(1)
		now := time.Now()
		for i, p := range h.peers {
			var got C.int
			for !h.done[i] {
				if C.dlcTest(reqAt(h.recvReqs, i), &got); got == 0 {
					break
				}
				h.heard[i] = now
				if *intAt(h.recvToks, i) < 0 {
					h.done[i] = true
					break
				}
				C.dlcRecvBeat(intAt(h.recvToks, i), C.int(p), reqAt(h.recvReqs, i))
			}
			if !h.done[i] && now.Sub(h.heard[i]) > timeout {
				fmt.Fprintf(os.Stderr, "dlc: rank %d: rank %d of %d has not been heard from for %s (training.distributed.timeout): it died or stalled, so the run stops and writes no model\n", h.c.rank, p, h.c.size, timeout)
				os.Exit(1) // mpirun sees a rank fail, and ends the others
			}
		}
	}
}

// send beats to every peer whose last beat has gone (one not yet taken
// is beat enough).
func (h *heartbeat) send(v int) {
	for i, p := range h.peers {
		req := reqAt(h.sendReqs, i)
		if *req != C.MPI_REQUEST_NULL {
			var sent C.int
			if C.dlcTest(req, &sent); sent == 0 {
				if v > 0 {
					continue
				}
				C.dlcDrop(req)
			}
		}
		*intAt(h.sendToks, i) = C.int(v)
		C.dlcSendBeat(intAt(h.sendToks, i), C.int(p), req)
	}
}

// mpiComm is MPI_COMM_WORLD, used by one goroutine, and its heartbeat.
type mpiComm struct {
	rank, size int
	timeout    atomic.Int64   // a time.Duration
	round      int            // SumAll calls made, sent as the token
	reqs       *C.MPI_Request // one per rank: the check-in
	tokens     *C.int
	goReqs     *C.MPI_Request // one per rank: rank 0's go
	goTokens   *C.int
	beats      *heartbeat
}

func (c *mpiComm) Rank() int                  { return c.rank }
func (c *mpiComm) Size() int                  { return c.size }
func (c *mpiComm) SetTimeout(d time.Duration) { c.timeout.Store(int64(d)) }
func (c *mpiComm) Abort(code int)             { C.dlcAbort(C.int(code)) }

func (c *mpiComm) Close() error {
	close(c.beats.stop)
	<-c.beats.stopped
	if rc := C.dlcFinalize(); rc != C.MPI_SUCCESS {
		return fmt.Errorf("MPI_Finalize failed with error %d", int(rc))
	}
	return nil
}

func (c *mpiComm) req(r int) *C.MPI_Request { return reqAt(c.reqs, r) }
func (c *mpiComm) token(r int) *C.int       { return intAt(c.tokens, r) }

// SumAll implements Comm. MPI_Allreduce waits for ever for a process that
// stalls, and a blocking call cannot be timed out from Go, so the ranks
// first check in: each sends rank 0 a token, which rank 0 waits for by
// polling (MPI_Test, sleeping between tests), up to the timeout, and so
// knows which rank did not come; then rank 0 sends each a go, which they
// wait for so too. Only then is the sum made, by the blocking
// MPI_Allreduce (Open MPI's tuned algorithms; its non-blocking one
// advances only while polled), all ranks entering it together: a rank
// that waited inside it for one still computing would spin, taking a
// core from the ranks that compute beside it. A watchdog ends the
// process, naming what hung, if the sum has not returned after twice the
// timeout; a rank that dies or stalls during it is told by the
// heartbeats.
func (c *mpiComm) SumAll(buf []float64, what string) error {
	c.round++
	if c.rank == 0 {
		if err := c.checkIn(what); err != nil {
			return err
		}
	} else {
		*c.token(0) = C.int(c.round)
		if rc := C.dlcSendToken(c.token(0), c.req(0)); rc != C.MPI_SUCCESS {
			return fmt.Errorf("MPI_Isend failed with error %d", int(rc))
		}
		if err := c.awaitGo(what); err != nil {
			return err
		}
	}
	// Rank 0 has seen every rank come; a rank other than 0 knows only
	// that it came itself, and waits for rank 0 as long again.
	// The heartbeats tell a rank stalled in the sum; the watchdog is for
	// a sum that hangs with every rank alive.
	wait := c.lateAfter()
	hung := fmt.Sprintf("%s did not complete within %s after every rank reached it, though every rank is alive; the run stops and writes no model", what, wait)
	if c.rank != 0 {
		hung = (&TimeoutError{Rank: 0, Size: c.size, What: what, Timeout: wait}).Error()
	}
	dog := time.AfterFunc(wait, func() {
		fmt.Fprintf(os.Stderr, "dlc: rank %d: %s\n", c.rank, hung)
		os.Exit(1) // mpirun sees a rank fail, and ends the others
	})
	defer dog.Stop()
	const chunk = 1 << 28 // MPI counts are C ints
	for lo := 0; lo < len(buf); lo += chunk {
		part := buf[lo:min(len(buf), lo+chunk)]
		if rc := C.dlcSum((*C.double)(unsafe.Pointer(&part[0])), C.int(len(part))); rc != C.MPI_SUCCESS {
			return fmt.Errorf("MPI_Allreduce failed with error %d", int(rc))
		}
	}
	if c.rank != 0 {
		// The token was received before rank 0 said go.
		C.dlcWait(c.req(0))
	} else {
		for r := 1; r < c.size; r++ {
			C.dlcWait(reqAt(c.goReqs, r)) // taken before the sum began
		}
	}
	return nil
}

// awaitGo is a rank other than 0 waiting for rank 0's go, by polling, for
// twice the timeout (rank 0 may wait the timeout for another rank, and
// then stops the run, naming it).
func (c *mpiComm) awaitGo(what string) error {
	if rc := C.dlcRecvGo(intAt(c.goTokens, 0), reqAt(c.goReqs, 0)); rc != C.MPI_SUCCESS {
		return fmt.Errorf("MPI_Irecv failed with error %d", int(rc))
	}
	wait := 2*c.lateAfter() + 5*time.Second
	deadline := time.Now().Add(wait)
	pause := 10 * time.Microsecond
	for {
		var done C.int
		if rc := C.dlcTest(reqAt(c.goReqs, 0), &done); rc != C.MPI_SUCCESS {
			return fmt.Errorf("MPI_Test failed with error %d", int(rc))
		}
		if done != 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return &TimeoutError{Rank: 0, Size: c.size, What: what, Timeout: wait}
		}
		time.Sleep(pause)
		pause = min(2*pause, 2*time.Millisecond)
	}
}

// lateFactor is how many timeouts a rank that is alive (its heartbeats
// come) may be late to a sum before the run stops: ranks reading the data
// or computing on a loaded machine can drift far apart, and a rank dead
// or stalled is told by its silence within one timeout.
const lateFactor = 10

// lateAfter is how late a rank that is alive may be to a sum.
func (c *mpiComm) lateAfter() time.Duration {
	return lateFactor * time.Duration(c.timeout.Load())
}

// checkIn is rank 0 waiting for every other rank's token of this round.
func (c *mpiComm) checkIn(what string) error {
	for r := 1; r < c.size; r++ {
		if rc := C.dlcRecvToken(c.token(r), C.int(r), c.req(r)); rc != C.MPI_SUCCESS {
			return fmt.Errorf("MPI_Irecv failed with error %d", int(rc))
		}
	}
	pending := c.size - 1
	came := make([]bool, c.size)
	timeout := c.lateAfter()
	deadline := time.Now().Add(timeout)
	pause := 10 * time.Microsecond
	for {
		for r := 1; r < c.size; r++ {
			if came[r] {
				continue
			}
			var done C.int
			if rc := C.dlcTest(c.req(r), &done); rc != C.MPI_SUCCESS {
				return fmt.Errorf("MPI_Test failed with error %d", int(rc))
			}
			if done != 0 {
				if got := int(*c.token(r)); got != c.round {
					return fmt.Errorf("rank %d came to sum number %d where rank 0 is at number %d: the ranks do not run the same training (same dlc, config and data on all of them?)", r, got, c.round)
				}
				came[r] = true
				pending--
			}
		}
		if pending == 0 {
			for r := 1; r < c.size; r++ {
				*intAt(c.goTokens, r) = C.int(c.round)
				if rc := C.dlcSendGo(intAt(c.goTokens, r), C.int(r), reqAt(c.goReqs, r)); rc != C.MPI_SUCCESS {
					return fmt.Errorf("MPI_Isend failed with error %d", int(rc))
				}
			}
			return nil
		}
		if time.Now().After(deadline) {
			for r := 1; r < c.size; r++ {
				if !came[r] {
					return &TimeoutError{Rank: r, Size: c.size, What: what, Timeout: timeout}
				}
			}
		}
		time.Sleep(pause)
		pause = min(2*pause, 2*time.Millisecond)
	}
}
