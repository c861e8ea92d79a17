//go:build mpi && cgo

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dlc-dev/dlc/internal/testenv"
)

// mpirun returns a command running args under mpirun -np n, or skips the
// test when Open MPI's mpirun is not installed.
func mpirun(t *testing.T, dir string, n int, args ...string) *exec.Cmd {
	t.Helper()
	path, err := exec.LookPath("mpirun")
	if err != nil {
		t.Skip("mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev)")
	}
	if _, err := exec.LookPath("dlc"); err != nil {
		t.Skip("dlc is not on PATH (TestMain installs it)")
	}
	cmd := exec.Command(path, append([]string{"-np", strconv.Itoa(n), "--oversubscribe", "dlc"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
	return cmd
}

// tinyDir copies the tiny task into a fresh folder.
func tinyDir(t *testing.T) string {
	dir := t.TempDir()
	for _, f := range []string{"train.jsonl", "test.jsonl", "tiny.yaml"} {
		b, err := os.ReadFile(filepath.Join(testenv.Root(t), "testdata", "tiny", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Two runs of mpirun -np 2 write the same model file; every line of each
// rank's stderr says its rank; only rank 0 writes and reports.
func TestMPITrainTwiceSameBytes(t *testing.T) {
	dir := tinyDir(t)
	var models [][]byte
	for i, out := range []string{"a.dlc", "b.dlc"} {
		cmd := mpirun(t, dir, 2, "train", "--config", "tiny.yaml", "--set", "training.distributed.sync_every=3", "--out", out)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("mpirun: %v\n%s", err, stderr.String())
		}
		for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
			if !regexp.MustCompile(`^\[rank [01]/2\] `).MatchString(line) {
				t.Errorf("a line of stderr without its rank: %q", line)
			}
		}
		if i == 0 && !strings.Contains(stderr.String(), "[rank 1/2] 2 processes: this one trains on 100 of the 200 examples, averaging the weights with the others every 3 updates and at the end of every epoch") {
			t.Errorf("rank 1 did not say what it trains on:\n%s", stderr.String())
		}
		if n := strings.Count(stdout.String(), "model written to"); n != 1 {
			t.Errorf("%d ranks said they wrote the model:\n%s", n, stdout.String())
		}
		b, err := os.ReadFile(filepath.Join(dir, out))
		if err != nil {
			t.Fatal(err)
		}
		models = append(models, b)
	}
	if !bytes.Equal(models[0], models[1]) {
		t.Error("two runs of mpirun -np 2 wrote different model files")
	}
	inspect, err := exec.Command("dlc", "inspect", filepath.Join(dir, "a.dlc")).Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "processes      2, each trained on its share of the examples, averaging their weights every 3 updates and at the end of every epoch\n"; !strings.Contains(string(inspect), want) {
		t.Errorf("dlc inspect does not say %q:\n%s", want, inspect)
	}
}

// A rank killed (SIGKILL) or stopped (SIGSTOP) in the middle of training
// ends the run within 30 s, with a sentence naming it, a non-zero exit,
// and the model file that was there before left whole.
func TestMPIRankDiesOrStalls(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGSTOP} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := tinyDir(t)
			before := []byte("the model of an earlier run")
			out := filepath.Join(dir, "m.dlc")
			if err := os.WriteFile(out, before, 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := mpirun(t, dir, 4, "train", "--config", "tiny.yaml", "--set", "training.epochs=100000",
				"--set", "training.distributed.timeout=3", "--set", "calibration.method=none", "--out", "m.dlc")
			var stderr lockedBuffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Wait for training: rank 2's second epoch.
			deadline := time.Now().Add(60 * time.Second)
			for !strings.Contains(stderr.String(), "[rank 2/4] epoch 2/") {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("training did not start:\n%s", stderr.String())
				}
				time.Sleep(50 * time.Millisecond)
			}
			pid := rankPID(t, cmd.Process.Pid, 2)
			start := time.Now()
			syscall.Kill(pid, sig)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			var err error
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				syscall.Kill(pid, syscall.SIGKILL)
				cmd.Process.Kill()
				t.Fatalf("the run went on 30 s after rank 2 got %v", sig)
			}
			t.Logf("the run ended %.1f s after rank 2 got %v", time.Since(start).Seconds(), sig)
			syscall.Kill(pid, syscall.SIGKILL) // a stopped rank is not always reaped
			if err == nil {
				t.Error("mpirun exited 0")
			}
			named := regexp.MustCompile(`rank 2 of 4 (did not reach|has not been heard from)|process rank 2 with PID \d+ on node \S+ exited on signal 9`)
			if !named.MatchString(stderr.String()) {
				t.Errorf("no sentence names rank 2:\n%s", tail(stderr.String(), 20))
			}
			if got, _ := os.ReadFile(out); !bytes.Equal(got, before) {
				t.Error("the earlier model file was replaced")
			}
		})
	}
}

// rankPID finds the dlc process of rank r among mpirun's children.
func rankPID(t *testing.T, mpirunPID, r int) int {
	t.Helper()
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(env, []byte("OMPI_COMM_WORLD_RANK="+strconv.Itoa(r)+"\x00")) {
			continue
		}
		stat, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if fields := strings.Fields(string(stat)); len(fields) > 3 && fields[3] == strconv.Itoa(mpirunPID) {
			pid, _ := strconv.Atoi(e.Name())
			return pid
		}
	}
	t.Fatalf("no process of rank %d under mpirun %d", r, mpirunPID)
	return 0
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// lockedBuffer is a bytes.Buffer that one goroutine writes while another
// reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
