package dist

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// The processes of a Local run all end with the sum of their vectors,
// added in rank order, and the Averager divides it by their number.
func TestLocalSumsAndAverages(t *testing.T) {
	comms := Local(3)
	got := make([][]float64, 3)
	var wg sync.WaitGroup
	for r, c := range comms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := []float64{float64(r), 1, 0.1 * float64(r+1)}
			if err := c.SumAll(v, "a test"); err != nil {
				t.Error(err)
			}
			w := []float64{float64(3 * r)}
			if err := (Averager{Comm: c}).Average(w); err != nil {
				t.Error(err)
			}
			got[r] = append(v, w...)
		}()
	}
	wg.Wait()
	third := 0.0
	for r := range 3 {
		third += 0.1 * float64(r+1) // in rank order, as the sum adds
	}
	want := []float64{3, 3, third, 3}
	for r, g := range got {
		if !slices.Equal(g, want) {
			t.Errorf("rank %d: %v, want %v", r, g, want)
		}
	}
}

// A process that does not come is named by every one waiting for it,
// after the timeout; the run stays broken.
func TestLocalTimeoutNamesTheRank(t *testing.T) {
	comms := Local(3)
	comms[0].SetTimeout(50 * time.Millisecond)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for _, r := range []int{0, 2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[r] = comms[r].SumAll([]float64{1}, "the average of the weights")
		}()
	}
	wg.Wait()
	for _, r := range []int{0, 2} {
		var te *TimeoutError
		if !errors.As(errs[r], &te) || te.Rank != 1 {
			t.Fatalf("rank %d: %v, want a timeout naming rank 1", r, errs[r])
		}
		if want := "rank 1 of 3 did not reach the average of the weights within 50ms (training.distributed.timeout): it died or stalled, so the run stops and writes no model"; errs[r].Error() != want {
			t.Errorf("rank %d: %q, want %q", r, errs[r], want)
		}
	}
	if err := comms[1].SumAll([]float64{1}, "late"); err == nil {
		t.Error("a broken run summed")
	}
	comms[2].Abort(3)
	if code, ok := Aborted(comms[0]); !ok || code != 3 {
		t.Errorf("Aborted = %d, %v, want 3, true", code, ok)
	}
}

// One process sums nothing: its vector is the sum.
func TestOne(t *testing.T) {
	v := []float64{1.5, -2}
	if err := (Averager{Comm: One{}}).Average(v); err != nil || !slices.Equal(v, []float64{1.5, -2}) {
		t.Errorf("One averaged to %v, %v", v, err)
	}
}
