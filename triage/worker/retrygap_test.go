package worker

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/logtriage/logtriage/triage"
)

// The gaps between deliveries after transient errors are what RetryGap
// says: the nak delay plus the consumer's backoff entry minus its ack wait
// (measured against a real server with short timings).
func TestRetryGapsAreWhatRetryGapSays(t *testing.T) {
	ackWait := 300 * time.Millisecond
	backoff := []time.Duration{ackWait, 900 * time.Millisecond, 1500 * time.Millisecond}
	e := newEnvWith(t, Topology{AckWait: ackWait, MaxDeliver: 4, Backoff: backoff})
	var mu sync.Mutex
	var seen []time.Time
	p := &recordingPipeline{real: e.pipeline(nil), fail: 3, seen: func() { mu.Lock(); seen = append(seen, time.Now()); mu.Unlock() }}
	delay := func(n uint64) time.Duration { return time.Duration(n) * 100 * time.Millisecond }
	e.startWorker(p, func(o *Options) { o.RetryDelay = delay })
	r := e.submit("acme", "gaps.log", []byte("ERROR x\n"))
	if out := e.outcome(r.Event.UploadID); out.Status != triage.StatusTriaged {
		t.Fatalf("outcome %+v", out)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 4 {
		t.Fatalf("%d deliveries, want 4", len(seen))
	}
	for n := 1; n < len(seen); n++ {
		want := RetryGap(delay(uint64(n)), uint64(n), ackWait, backoff)
		got := seen[n].Sub(seen[n-1])
		if got < want-20*time.Millisecond || got > want+400*time.Millisecond {
			t.Errorf("gap after delivery %d: %s, want about %s", n, got.Round(time.Millisecond), want)
		}
	}
	// The defaults: the gaps issue 11 observed.
	def := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute}
	for n, want := range []time.Duration{2 * time.Second, 34 * time.Second, 98 * time.Second, 286 * time.Second} {
		if got := RetryGap(defaultRetryDelay(uint64(n+1)), uint64(n+1), 30*time.Second, def); got != want {
			t.Errorf("default gap after delivery %d = %s, want %s", n+1, got, want)
		}
	}
}

// recordingPipeline notes each run and fails the first fail of them with a
// transient error.
type recordingPipeline struct {
	real Pipeline
	fail int
	seen func()
	mu   sync.Mutex
}

func (r *recordingPipeline) Run(ctx context.Context, in triage.Input) (*triage.Case, *triage.Embedding, error) {
	r.seen()
	r.mu.Lock()
	fail := r.fail > 0
	r.fail--
	r.mu.Unlock()
	if fail {
		return nil, nil, triage.Transient("store", errors.New("store unavailable"))
	}
	return r.real.Run(ctx, in)
}
