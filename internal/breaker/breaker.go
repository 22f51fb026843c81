// Package breaker is a circuit breaker for the LLM endpoints: after a run of
// failed requests it sends callers straight to their fallback instead of
// letting each one wait out timeouts and retries, and now and then lets one
// request through as a probe to find out whether the endpoint is back.
//
// The classifier, the LLM PII pass and the embeddings client share one
// Breaker per endpoint, so a failure seen by any of them spares the others.
// A nil *Breaker allows everything and records nothing.
package breaker

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// State is the circuit's state.
type State int32

const (
	Closed   State = iota // requests go to the endpoint
	Open                  // requests fail at once; a probe is due after OpenFor
	HalfOpen              // one probe is out; everyone else still fails at once
)

func (s State) String() string {
	switch s {
	case Open:
		return "open"
	case HalfOpen:
		return "half_open"
	default:
		return "closed"
	}
}

// ErrOpen is what Allow returns while the circuit is open (wrapped with
// when the next probe is due).
var ErrOpen = errors.New("circuit open")

// Outcome is what one request told about the endpoint.
type Outcome int

const (
	// Success: the endpoint answered (even with an answer the caller rejects).
	Success Outcome = iota
	// Failure: the endpoint is failing: a timeout, a refused connection,
	// 429 or 5xx — what a retry might fix.
	Failure
	// Ignore: the request says nothing about the endpoint (the caller gave
	// up, the request was refused before it was sent).
	Ignore
)

// Options configure a Breaker.
type Options struct {
	// Name appears in errors and metrics, e.g. the endpoint's host.
	Name string
	// Threshold is how many failures in a row open the circuit (default 5).
	Threshold int
	// OpenFor is how long the circuit stays open before a probe (default 30s).
	// A probe that has not reported after OpenFor is presumed lost and
	// another caller probes.
	OpenFor time.Duration
	// Now is the clock (default time.Now); tests move it.
	Now func() time.Time
}

// Breaker is safe for concurrent use.
type Breaker struct {
	opts Options

	mu        sync.Mutex
	state     State
	failures  int       // in a row, while closed
	openedAt  time.Time // when the circuit last opened
	probeAt   time.Time // when the probe in flight was let through
	lastError string

	opened, rejected, probes atomic.Uint64
}

// New returns a closed Breaker.
func New(opts Options) *Breaker {
	if opts.Threshold <= 0 {
		opts.Threshold = 5
	}
	if opts.OpenFor <= 0 {
		opts.OpenFor = 30 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Breaker{opts: opts}
}

// Allow reports whether a request may go to the endpoint now: nil while
// closed, nil for the one caller that becomes the probe once OpenFor has
// passed, else an error wrapping ErrOpen. A caller that was allowed must
// Record the outcome.
func (b *Breaker) Allow() error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.opts.Now()
	switch b.state {
	case Closed:
		return nil
	case Open:
		if now.Sub(b.openedAt) >= b.opts.OpenFor {
			b.state, b.probeAt = HalfOpen, now
			b.probes.Add(1)
			return nil
		}
	case HalfOpen:
		if now.Sub(b.probeAt) >= b.opts.OpenFor { // the probe was lost
			b.probeAt = now
			b.probes.Add(1)
			return nil
		}
	}
	b.rejected.Add(1)
	next := b.openedAt.Add(b.opts.OpenFor)
	if b.state == HalfOpen {
		next = b.probeAt.Add(b.opts.OpenFor)
	}
	return fmt.Errorf("%w: %s failing (%s); next probe in %s", ErrOpen, b.name(), b.lastError, max(next.Sub(now), 0).Round(time.Millisecond))
}

// Record reports what an allowed request found. why is a short, safe
// description of a failure (it shows in the errors of rejected calls).
func (b *Breaker) Record(o Outcome, why string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch o {
	case Success:
		b.state, b.failures = Closed, 0
	case Failure:
		b.lastError = why
		switch b.state {
		case Closed:
			b.failures++
			if b.failures >= b.opts.Threshold {
				b.trip()
			}
		case HalfOpen:
			b.trip()
		}
	case Ignore:
		if b.state == HalfOpen {
			// The probe told nothing: let the next caller probe.
			b.probeAt = time.Time{}
		}
	}
}

func (b *Breaker) trip() {
	b.state, b.openedAt, b.failures = Open, b.opts.Now(), 0
	b.opened.Add(1)
}

func (b *Breaker) name() string {
	if b.opts.Name == "" {
		return "endpoint"
	}
	return b.opts.Name
}

// Stats is a snapshot for readiness and metrics.
type Stats struct {
	Name      string
	State     State
	Opened    uint64 // times the circuit opened
	Rejected  uint64 // requests sent to their fallback without trying
	Probes    uint64 // probes let through
	LastError string // the last failure seen
}

// Stats returns the current state and counters.
func (b *Breaker) Stats() Stats {
	if b == nil {
		return Stats{}
	}
	b.mu.Lock()
	st, last := b.state, b.lastError
	b.mu.Unlock()
	return Stats{Name: b.name(), State: st, Opened: b.opened.Load(), Rejected: b.rejected.Load(),
		Probes: b.probes.Load(), LastError: last}
}
