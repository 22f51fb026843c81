package main

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/worker"
)

// Index mover pacing: a full batch means more is waiting (go on at once);
// otherwise poll, so a write is in the index within about moverPoll. A
// batch is one statement holding its cases' rows, so it stays small enough
// (about a second of graph inserts) not to keep a re-put waiting long.
const (
	moverBatch = 100
	moverPoll  = 200 * time.Millisecond
	moverRetry = 5 * time.Second
	// moverLagWarn: a vector waiting longer than this means the movers do
	// not keep up with the writes (searches still see it, by exact scan).
	moverLagWarn = time.Minute
)

type moverOptions struct {
	movers  int // concurrent movers in this process; below 1 means 1
	metrics *worker.Metrics
	log     *slog.Logger
}

// startEmbeddingMover moves vectors PutCase left outside the similarity
// index into it (the PostgreSQL store with DeferIndexing), when the store
// can. Several movers, in this process or others, may run at once: each
// takes other rows, and each graph insert runs in its own database session.
// stop waits for the batches in progress to end.
func startEmbeddingMover(ctx context.Context, store triage.Store, opts moverOptions) (stop func()) {
	m, ok := store.(triage.EmbeddingMover)
	if !ok {
		return func() {}
	}
	var lagging atomic.Bool
	pass := func(ctx context.Context) time.Duration {
		n, err := m.MoveEmbeddings(ctx, moverBatch)
		if err == nil {
			var backlog triage.IndexBacklog
			if backlog, err = m.IndexBacklog(ctx); err == nil {
				reportMoverBacklog(opts, n, backlog, &lagging)
			}
		}
		switch {
		case err != nil && ctx.Err() == nil:
			opts.log.Warn("index mover: " + err.Error())
			return moverRetry
		case n == moverBatch:
			return 0
		}
		return moverPoll
	}
	stops := make([]func(), max(1, opts.movers))
	for i := range stops {
		stops[i] = startPeriodic(ctx, pass)
	}
	return func() {
		for _, stop := range stops {
			stop()
		}
	}
}

// reportMoverBacklog records a pass in the metrics and says once, in the
// log, when the movers fall behind and when they catch up.
func reportMoverBacklog(opts moverOptions, moved int, backlog triage.IndexBacklog, lagging *atomic.Bool) {
	if opts.metrics != nil {
		opts.metrics.RecordIndexMove(moved, backlog)
	}
	behind := !backlog.Oldest.IsZero() && time.Since(backlog.Oldest) > moverLagWarn
	if lagging.Swap(behind) == behind {
		return
	}
	if behind {
		opts.log.Warn("index mover: falling behind the writes; new cases are found by exact scan until moved (add --index-movers or serve processes)",
			"waiting", backlog.Vectors, "oldest", time.Since(backlog.Oldest).Round(time.Second).String())
		return
	}
	opts.log.Info("index mover: caught up", "waiting", backlog.Vectors)
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
