// Package option is the error a component (gd, vectorize, mlp) returns for
// an option value it cannot take. It names the option as a config spells it
// within its section, so that the config layer can point at the key and the
// line it was set at without restating the component's rule.
package option

import "fmt"

// Error is an invalid option value: Name is the option ("rho", "max_tokens",
// "schedule.decay_rate", "layers[0].activation"), Msg the rest of the
// sentence ("must be between 0 and 1, not 2").
type Error struct {
	Name, Msg string
}

func (e *Error) Error() string { return e.Name + " " + e.Msg }

// Errorf returns an *Error about the option name.
func Errorf(name, format string, args ...any) error {
	return &Error{Name: name, Msg: fmt.Sprintf(format, args...)}
}

// OneOf returns nil when v is one of allowed, else an *Error that lists
// them.
func OneOf[T ~string](name string, v T, allowed []T) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return Errorf(name, "%q is not one of %v", string(v), allowed)
}
