package config

import (
	"slices"
	"testing"
)

func TestUnknownEnv(t *testing.T) {
	got := UnknownEnv([]string{"DLC_TRAINING_EPOCHZ=3", "DLC_DATA=/x", "DLC_TRAINING_EPOCHS=2", "PATH=/bin", "DLC_WHATEVER_ELSE=1"})
	want := []string{
		"DLC_TRAINING_EPOCHZ is not a variable dlc reads; did you mean DLC_TRAINING_EPOCHS?",
		"DLC_WHATEVER_ELSE is not a variable dlc reads; config keys are DLC_ and the key in capitals, dots as underscores (DLC_TRAINING_EPOCHS)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("UnknownEnv = %q, want %q", got, want)
	}
}
