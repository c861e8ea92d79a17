package option

import (
	"errors"
	"fmt"
	"testing"
)

func TestError(t *testing.T) {
	err := fmt.Errorf("optimizer %w", Errorf("rho", "must be between 0 and 1, not %v", 2.0))
	if got, want := err.Error(), "optimizer rho must be between 0 and 1, not 2"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	var e *Error
	if !errors.As(err, &e) || e.Name != "rho" || e.Msg != "must be between 0 and 1, not 2" {
		t.Errorf("unwrapped %+v", e)
	}
}

func TestOneOf(t *testing.T) {
	type mode string
	allowed := []mode{"batch", "minibatch"}
	if err := OneOf("method", mode("batch"), allowed); err != nil {
		t.Error(err)
	}
	if err := OneOf("method", mode("full"), allowed); err == nil || err.Error() != `method "full" is not one of [batch minibatch]` {
		t.Errorf("got %v", err)
	}
}
