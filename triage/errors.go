package triage

import (
	"errors"
	"fmt"
)

// ErrorKind decides what the worker does with a failed upload.
type ErrorKind int

const (
	KindInternal  ErrorKind = iota // a bug or an unexpected state: nak without delay, count, alert
	KindTransient                  // a dependency is down or slow: retry with delay
	KindInvalid                    // the upload itself is bad: dead-letter with the reason, never retry
)

func (k ErrorKind) String() string {
	switch k {
	case KindTransient:
		return "transient"
	case KindInvalid:
		return "invalid"
	default:
		return "internal"
	}
}

// Error wraps an error with the kind that decides its handling.
type Error struct {
	Kind ErrorKind
	Op   string // the step that failed, e.g. "open", "classify", "persist"
	Err  error
}

func (e *Error) Error() string {
	if e.Op == "" {
		return e.Kind.String() + ": " + e.Err.Error()
	}
	return e.Op + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Transient marks err as retryable.
func Transient(op string, err error) error { return wrap(KindTransient, op, err) }

// Invalid marks err as caused by the input; the upload is dead-lettered with this reason.
func Invalid(op string, err error) error { return wrap(KindInvalid, op, err) }

// Internal marks err as a bug or unexpected state.
func Internal(op string, err error) error { return wrap(KindInternal, op, err) }

// Invalidf is Invalid with a formatted message.
func Invalidf(op, format string, args ...any) error {
	return wrap(KindInvalid, op, fmt.Errorf(format, args...))
}

func wrap(k ErrorKind, op string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: k, Op: op, Err: err}
}

// KindOf reports the kind of err; unmarked errors are internal.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// ErrNotFound is returned by stores for a missing case or status (or one of another tenant).
var ErrNotFound = errors.New("not found")
