package engine

import (
	"errors"
	"fmt"
	"testing"
)

// The engine's error sentinels are constants (no caller can reassign them), with their
// messages, and errors.Is finds them through wrapping and not in one another.
func TestErrorSentinels(t *testing.T) {
	all := []struct {
		err  error
		text string
	}{
		{ErrInFlight, "a request for this role is already on its way"},
		{ErrCancelled, "cancelled: nothing was sent"},
		{ErrNoDialog, "no input dialog available"},
		{ErrNotFavourite, "not a favourite"},
	}
	for i, s := range all {
		if s.err.Error() != s.text {
			t.Errorf("%q, want %q", s.err.Error(), s.text)
		}
		wrapped := &Failure{Msg: "x", Err: fmt.Errorf("y: %w", s.err)}
		if !errors.Is(wrapped, s.err) {
			t.Errorf("errors.Is does not find %q wrapped", s.text)
		}
		for j, o := range all {
			if i != j && errors.Is(wrapped, o.err) {
				t.Errorf("%q is taken for %q", s.text, o.text)
			}
		}
	}
}
