package gd

import (
	"math"

	"github.com/dlc-dev/dlc/internal/option"
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
	// above 0 and at most 1) or the slope of inverse_time (at least 0).
	DecayRate float64
	// DecaySteps is s, the number of updates the decay is measured in; at
	// least 1 for any schedule but constant.
	DecaySteps int
}

// Validate reports a schedule that cannot run, as an *option.Error named
// as the config names it ("schedule.decay_rate"). The steps come first: a
// rate means nothing until it is known what it is measured in.
func (s Schedule) Validate() error {
	switch s.Name {
	case "", Constant:
		return nil
	case Step, Exponential, InverseTime:
	default:
		return option.OneOf("schedule.name", s.Name, ScheduleNames)
	}
	if s.DecaySteps < 1 {
		return option.Errorf("schedule.decay_steps", "must be at least 1 for schedule %s, not %d", s.Name, s.DecaySteps)
	}
	if s.Name == InverseTime {
		if !(s.DecayRate >= 0) || math.IsInf(s.DecayRate, 0) {
			return option.Errorf("schedule.decay_rate", "must be at least 0 for schedule %s, not %v", s.Name, s.DecayRate)
		}
	} else if !(s.DecayRate > 0 && s.DecayRate <= 1) {
		return option.Errorf("schedule.decay_rate", "must be above 0 and at most 1 for schedule %s, not %v", s.Name, s.DecayRate)
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
