package worker

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// Periodic runs at once, follows the wait fn returns (0: again now), and
// returns when the context ends.
func TestPeriodic(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		Periodic(ctx, func(context.Context) time.Duration {
			if calls.Add(1) < 3 {
				return 0 // more waiting: run again at once
			}
			return time.Hour
		})
	}()
	deadline := time.Now().Add(5 * time.Second)
	for calls.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := calls.Load(); n != 3 {
		t.Fatalf("%d calls before the hour-long wait, want 3", n)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Periodic did not return after its context ended")
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("%d calls, want 3 (the hour-long wait never ended)", n)
	}
}
