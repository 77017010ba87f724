package engine

import (
	"errors"
	"time"
)

// sentinel is the type of the engine's error constants: no caller can reassign them (as pim's
// and store's); errors.Is compares them as values.
type sentinel string

func (e sentinel) Error() string { return string(e) }

// ErrInFlight: a request for this role is already on its way; nothing more was sent.
const ErrInFlight = sentinel("a request for this role is already on its way")

// ErrCancelled: the user cancelled a question (justification, ticket); nothing was sent.
const ErrCancelled = sentinel("cancelled: nothing was sent")

// InputError is bad input caught before any request was sent: an unknown role, a duration
// over the policy maximum, a justification or ticket the policy requires and nobody gave.
// The command line exits 2 on it.
type InputError struct {
	Msg string
	// Field is what was missing (FieldJustification, FieldTicket), when that was the problem.
	Field Field
	// Max is the policy maximum when the asked duration was too long.
	Max time.Duration
}

func (e *InputError) Error() string { return e.Msg }

// IsInput reports whether err is bad input caught before any request (exit 2 on the command line).
func IsInput(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

// Failure is an error with its sentence for people (Msg) and the cause kept for errors.Is.
type Failure struct {
	Msg string
	Err error
}

func (f *Failure) Error() string { return f.Msg }
func (f *Failure) Unwrap() error { return f.Err }
