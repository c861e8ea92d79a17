package gd

import (
	"fmt"
	"math"
)

// The learning-rate schedules' config names.
const (
	Constant    = "constant"     // η
	Step        = "step"         // η · r^⌊t/s⌋ (staircase exponential decay)
	Exponential = "exponential"  // η · r^(t/s) (Keras' ExponentialDecay)
	InverseTime = "inverse_time" // η / (1 + r·t/s) (Keras' InverseTimeDecay)
)

// ScheduleNames lists the schedules.
var ScheduleNames = []string{Constant, Step, Exponential, InverseTime}

// Schedule gives the learning rate of step t (t = updates made before it,
// from 0, as Keras' schedules count). The zero value is constant.
type Schedule struct {
	Name string // "" means constant
	// DecayRate is r: the factor per DecaySteps updates (step, exponential;
	// between 0 and 1) or the slope of inverse_time (above 0).
	DecayRate float64
	// DecaySteps is s, the number of updates the decay is measured in.
	DecaySteps int
}

// Validate reports a schedule that cannot run.
func (s Schedule) Validate() error {
	switch s.Name {
	case "", Constant:
		return nil
	case Step, Exponential:
		if !(s.DecayRate > 0 && s.DecayRate <= 1) {
			return fmt.Errorf("schedule %s needs a decay_rate above 0 and at most 1, not %v", s.Name, s.DecayRate)
		}
	case InverseTime:
		if !(s.DecayRate >= 0) || math.IsInf(s.DecayRate, 0) {
			return fmt.Errorf("schedule inverse_time needs a decay_rate of at least 0, not %v", s.DecayRate)
		}
	default:
		return fmt.Errorf("schedule %q is not one of %v", s.Name, ScheduleNames)
	}
	if s.DecaySteps < 1 {
		return fmt.Errorf("schedule %s needs decay_steps of at least 1, not %d", s.Name, s.DecaySteps)
	}
	return nil
}

// Rate returns the learning rate of step t for the initial rate lr.
func (s Schedule) Rate(lr float64, t int) float64 {
	p := float64(t) / float64(max(1, s.DecaySteps))
	switch s.Name {
	case Step:
		return lr * math.Pow(s.DecayRate, math.Floor(p))
	case Exponential:
		return lr * math.Pow(s.DecayRate, p)
	case InverseTime:
		return lr / (1 + s.DecayRate*p)
	}
	return lr
}
