package breaker

import (
	"errors"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestBreakerStates(t *testing.T) {
	type step struct {
		advance time.Duration
		record  *Outcome // nil: only Allow
		allowed bool     // what Allow says before the record
		state   State    // after the step
	}
	f, s, ig := Failure, Success, Ignore
	tests := []struct {
		name  string
		steps []step
	}{
		{"stays closed below the threshold", []step{
			{0, &f, true, Closed}, {0, &f, true, Closed}, {0, &s, true, Closed}, {0, &f, true, Closed}, {0, &f, true, Closed},
		}},
		{"opens after three failures in a row and rejects", []step{
			{0, &f, true, Closed}, {0, &f, true, Closed}, {0, &f, true, Open},
			{time.Second, nil, false, Open}, {8 * time.Second, nil, false, Open},
		}},
		{"a successful probe closes it", []step{
			{0, &f, true, Closed}, {0, &f, true, Closed}, {0, &f, true, Open},
			{10 * time.Second, &s, true, Closed}, {0, &f, true, Closed},
		}},
		{"a failed probe opens it again for a full period", []step{
			{0, &f, true, Closed}, {0, &f, true, Closed}, {0, &f, true, Open},
			{10 * time.Second, &f, true, Open}, {9 * time.Second, nil, false, Open}, {time.Second, &s, true, Closed},
		}},
		{"an ignored probe lets the next caller probe", []step{
			{0, &f, true, Closed}, {0, &f, true, Closed}, {0, &f, true, Open},
			{10 * time.Second, &ig, true, HalfOpen}, {0, &s, true, Closed},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{t: time.Unix(1e9, 0)}
			b := New(Options{Name: "llm", Threshold: 3, OpenFor: 10 * time.Second, Now: c.now})
			for i, st := range tc.steps {
				c.add(st.advance)
				err := b.Allow()
				if (err == nil) != st.allowed {
					t.Fatalf("step %d: Allow = %v, want allowed=%v", i, err, st.allowed)
				}
				if err != nil && !errors.Is(err, ErrOpen) {
					t.Fatalf("step %d: %v does not wrap ErrOpen", i, err)
				}
				if st.record != nil {
					b.Record(*st.record, "HTTP 500")
				}
				if got := b.Stats().State; got != st.state {
					t.Fatalf("step %d: state %s, want %s", i, got, st.state)
				}
			}
		})
	}
}

func TestOneProbeAtATime(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	b := New(Options{Threshold: 1, OpenFor: time.Second, Now: c.now})
	b.Allow()
	b.Record(Failure, "connection refused")
	c.add(time.Second)
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for range 8 {
		wg.Go(func() {
			if b.Allow() == nil {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if allowed != 1 {
		t.Fatalf("%d callers let through half-open, want 1 probe", allowed)
	}
	// A probe that never reports is presumed lost after OpenFor.
	c.add(time.Second)
	if err := b.Allow(); err != nil {
		t.Fatalf("after a lost probe: %v", err)
	}
	st := b.Stats()
	if st.Probes != 2 || st.Opened != 1 || st.Rejected != 7 || st.LastError != "connection refused" {
		t.Errorf("stats %+v, want 2 probes, 1 opening, 7 rejected, the last error", st)
	}
}

func TestErrorSaysWhenTheNextProbeIsDue(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	b := New(Options{Name: "api.example", Threshold: 1, OpenFor: 30 * time.Second, Now: c.now})
	b.Allow()
	b.Record(Failure, "HTTP 429")
	c.add(12 * time.Second)
	err := b.Allow()
	want := "circuit open: api.example failing (HTTP 429); next probe in 18s"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestNilBreakerAllowsEverything(t *testing.T) {
	var b *Breaker
	if err := b.Allow(); err != nil {
		t.Fatal(err)
	}
	b.Record(Failure, "x")
	if st := b.Stats(); st.State != Closed {
		t.Errorf("nil breaker state %s", st.State)
	}
}
