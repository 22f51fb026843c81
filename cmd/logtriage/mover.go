package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/worker"
)

// Index mover pacing: a full batch means more is waiting (go on at once);
// otherwise poll, so a write is in the index within about moverPoll.
const (
	moverBatch = 500
	moverPoll  = 200 * time.Millisecond
	moverRetry = 5 * time.Second
)

// startEmbeddingMover moves vectors PutCase left outside the similarity
// index into it (the PostgreSQL store with DeferIndexing), when the store
// can. Several serve processes may run it at once: each takes other rows.
// stop waits for a batch in progress to end.
func startEmbeddingMover(ctx context.Context, store triage.Store, log *slog.Logger) (stop func()) {
	m, ok := store.(triage.EmbeddingMover)
	if !ok {
		return func() {}
	}
	return startPeriodic(ctx, func(ctx context.Context) time.Duration {
		n, err := m.MoveEmbeddings(ctx, moverBatch)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("index mover: " + err.Error())
			return moverRetry
		case n == moverBatch:
			return 0
		}
		return moverPoll
	})
}

// startPeriodic runs fn in the background as worker.Periodic does; stop
// cancels it and waits for a run in progress to end.
func startPeriodic(ctx context.Context, fn func(context.Context) time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		worker.Periodic(ctx, fn)
	}()
	return func() { cancel(); <-done }
}
