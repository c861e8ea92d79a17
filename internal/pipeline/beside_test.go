package pipeline

import (
	"bytes"
	"context"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/testenv"
)

// TestCalibrationBesideIsAfter: calibration's networks trained beside the
// model's (beside.go) give the model file byte for byte, and tell the
// Calibrating hook the same networks in the same order after the model's
// last epoch, as trained after it — with one held-out part and with
// cross-fitting, on plain features and on features weighted by the labels
// (each network then weighs the rows again without its held-out part).
func TestCalibrationBesideIsAfter(t *testing.T) {
	dir := filepath.Join(testenv.Root(t), "testdata", "topics")
	if runtime.GOMAXPROCS(0) < 2 { // calibrateBeside wants two cores
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	}
	defer func(was func() bool) { machineBusy = was }(machineBusy)
	machineBusy = func() bool { return false } // whatever else runs now
	for _, tc := range []struct{ folds, weighting string }{{"0", "none"}, {"3", "none"}, {"0", "nb"}, {"3", "nb"}} {
		folds := tc.folds
		var files [2][]byte
		var events [2][]string
		for k, limit := range []int{0, 1 << 40} {
			defer func(was int) { besideMaxBytes = was }(besideMaxBytes)
			besideMaxBytes = limit
			cfg, err := config.Load(filepath.Join(dir, "topics.yaml"), []string{"data.train=" + filepath.Join(dir, "train.jsonl"), "calibration.folds=" + folds, "vectorizer.weighting=" + tc.weighting})
			if err != nil {
				t.Fatal(err)
			}
			d, err := Read(context.Background(), cfg, "")
			if err != nil {
				t.Fatal(err)
			}
			plan, err := Build(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got := calibrateBeside(plan, 1000, true, 0); got != (limit > 0) {
				t.Fatalf("folds %s, limit %d: calibrateBeside says %v", folds, limit, got)
			}
			machineBusy = func() bool { return true }
			if calibrateBeside(plan, 1000, true, 0) {
				t.Fatalf("folds %s, limit %d: calibrateBeside says yes on a busy machine", folds, limit)
			}
			machineBusy = func() bool { return false }
			h := Hooks{
				Epoch: func(*gd.EpochStats) error {
					events[k] = append(events[k], "epoch")
					return nil
				},
				Calibrating: func(p *CalibrationPart) {
					events[k] = append(events[k], "calibrating "+string(rune('0'+p.Part))+"/"+string(rune('0'+p.Parts)))
				},
			}
			m, res, err := Train(context.Background(), cfg, d, h)
			if err != nil {
				t.Fatal(err)
			}
			if m.Calibration == nil {
				t.Fatalf("folds %s, weighting %s: the model is not calibrated (%s)", folds, tc.weighting, res.Uncalibrated)
			}
			files[k] = encodeModel(t, m)
		}
		if !bytes.Equal(files[0], files[1]) {
			t.Errorf("folds %s, weighting %s: the model with calibration trained beside differs from the one trained after", folds, tc.weighting)
		}
		if !slices.Equal(events[0], events[1]) {
			t.Errorf("folds %s, weighting %s: hooks after %v, beside %v", folds, tc.weighting, events[0], events[1])
		}
	}
}
