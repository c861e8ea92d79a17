package main

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dlc-dev/dlc/internal/checkpoint"
	"github.com/dlc-dev/dlc/internal/testenv"
)

// TestKillAndResume kills dlc train with SIGKILL at random moments of its
// training (the model's, the calibration network's, scoring the test
// split), resumes it with dlc train --resume, and holds the model file
// written to the uninterrupted run's, byte for byte. Six configs on the
// real data, four kills each: the IMDB notebook; the R52 recipe (dropout
// 0.3, Adagrad); the sgd method (one example per update); Adam (its lazy
// path's row counters and put-off moves) and lazyadam; early stopping on a
// validation split. In each config's second kill the newest
// checkpoint is also cut in half by hand: the resume must say so, fall
// back to the one before, and still end byte for byte.
//
// DLC_KILL_ROUNDS=N kills N times per config; DLC_KILL_FULL=1 trains the
// R52 recipe its full 15 epochs (bench/kill_resume.sh sets both);
// DLC_KILL_SEED=S repeats a run's moments.
func TestKillAndResume(t *testing.T) {
	testenv.Long(t)
	if _, err := exec.LookPath("dlc"); err != nil {
		t.Skip("dlc is not on PATH (TestMain installs it)")
	}
	dataDir := fetchedData(t, "imdb")
	fetchedData(t, "reuters")
	rounds := envInt(t, "DLC_KILL_ROUNDS", 4)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("DLC_KILL_SEED"); s != "" {
		seed = uint64(envInt(t, "DLC_KILL_SEED", 0))
	}
	t.Logf("DLC_KILL_SEED=%d", seed)
	rng := rand.New(rand.NewPCG(seed, 16))
	r52Epochs := "training.epochs=4"
	if os.Getenv("DLC_KILL_FULL") == "1" {
		r52Epochs = "training.epochs=15"
	}
	root := testenv.Root(t)
	for _, c := range []struct {
		name, config string
		sets         []string
	}{
		{"imdb notebook", "imdb.yaml", []string{"checkpoint.every_updates=23"}},
		{"r52 recipe", "reuters.yaml", []string{r52Epochs, "checkpoint.every_updates=97"}},
		{"sgd method", "reuters-notebook.yaml", []string{"training.method=sgd", "optimizer.name=sgd", "optimizer.learning_rate=0.01", "training.epochs=1", "checkpoint.every_updates=701"}},
		{"adam", "reuters-notebook.yaml", []string{"optimizer.name=adam", "checkpoint.every_updates=7"}},
		{"lazyadam", "reuters-notebook.yaml", []string{"optimizer.name=lazyadam", "training.epochs=4", "checkpoint.every_updates=11"}},
		{"early stopping", "imdb.yaml", []string{"data.validation_split=0.2", "training.early_stopping.monitor=val_loss",
			"training.early_stopping.patience=1", "training.epochs=10", "checkpoint.every_updates=31"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			args := []string{"train", "--config", filepath.Join(root, "configs", c.config), "--data-dir", dataDir}
			for _, s := range c.sets {
				args = append(args, "--set", s)
			}
			ref := filepath.Join(dir, "ref.dlc")
			window := trainUntil(t, append(args, "--out", ref), -1)
			want, err := os.ReadFile(ref)
			if err != nil {
				t.Fatal(err)
			}
			for round := range rounds {
				ck := filepath.Join(dir, fmt.Sprintf("ck%d", round))
				out := filepath.Join(dir, fmt.Sprintf("got%d.dlc", round))
				at := time.Duration(rng.Float64() * float64(window))
				trainUntil(t, append(args, "--checkpoint", ck, "--out", out), at)
				list, _ := checkpoint.List(ck)
				torn := ""
				if round == 1 && len(list) >= 2 {
					torn = list[len(list)-1].Path
					fi, _ := os.Stat(torn)
					if err := os.Truncate(torn, fi.Size()/2); err != nil {
						t.Fatal(err)
					}
				}
				var stderr string
				if len(list) == 0 {
					// Killed before the first checkpoint: a restart
					// from the start, as a job's retry would do.
					t.Logf("kill %d at %v: before the first checkpoint; starting afresh", round+1, at)
					_, stderr = mustRunErr(t, append(args, "--checkpoint", ck, "--out", out)...)
				} else {
					_, stderr = mustRunErr(t, "train", "--resume", ck, "--data-dir", dataDir)
					t.Logf("kill %d at %v of %v: %s", round+1, at.Round(time.Millisecond), window.Round(time.Millisecond), firstLine(stderr, "resuming from"))
				}
				if torn != "" && !strings.Contains(stderr, filepath.Base(torn)+" is torn or corrupt") {
					t.Errorf("resume after %s was cut in half did not say so:\n%s", torn, stderr)
				}
				got, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("kill %d at %v: the resumed run's model file differs from the uninterrupted run's\n%s", round+1, at, stderr)
				}
			}
		})
	}
}

// trainUntil runs dlc with args and, when at ≥ 0, kills it with SIGKILL
// at after training began (the first line on stderr); it returns how
// long the run took from that line to its end.
func trainUntil(t *testing.T, args []string, at time.Duration) time.Duration {
	t.Helper()
	cmd := exec.Command("dlc", args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stderr)
	var all strings.Builder
	started := time.Time{}
	for lines.Scan() {
		all.WriteString(lines.Text() + "\n")
		if strings.Contains(lines.Text(), "training examples") {
			started = time.Now()
			break
		}
	}
	if started.IsZero() {
		cmd.Wait()
		t.Fatalf("dlc %s never began training:\n%s", strings.Join(args, " "), all.String())
	}
	var timer *time.Timer
	if at >= 0 {
		timer = time.AfterFunc(at, func() { cmd.Process.Signal(syscall.SIGKILL) })
	}
	drained := make(chan struct{})
	go func() {
		for lines.Scan() {
		}
		close(drained)
	}()
	<-drained // the pipe closes when dlc ends: Wait must come after
	err = cmd.Wait()
	took := time.Since(started)
	if timer != nil {
		timer.Stop()
		return took
	}
	if err != nil {
		t.Fatalf("dlc %s: %v\n%s", strings.Join(args, " "), err, all.String())
	}
	return took
}

// mustRunErr runs dlc as a process and returns its stdout and stderr,
// failing the test when it does not succeed.
func mustRunErr(t *testing.T, args ...string) (string, string) {
	t.Helper()
	var out, errs bytes.Buffer
	cmd := exec.Command("dlc", args...)
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Run(); err != nil {
		t.Fatalf("dlc %s: %v\n%s", strings.Join(args, " "), err, errs.String())
	}
	return out.String(), errs.String()
}

func firstLine(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, prefix) {
			return l
		}
	}
	return "(no line " + strconv.Quote(prefix) + ")"
}

func envInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q is not a count", name, s)
	}
	return n
}
