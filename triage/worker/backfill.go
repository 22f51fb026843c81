package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/logtriage/logtriage/triage"
)

// BackfillOptions configure RunBackfill.
type BackfillOptions struct {
	Store    triage.Store    // must implement triage.ReembedStore
	Embedder triage.Embedder // the configured (remote) embedder
	// Every is the pause between passes (default 1m); Batch the most cases
	// a pass re-embeds (default 100, a pass that fills it runs again at once).
	Every  time.Duration
	Batch  int
	Logger *slog.Logger
	// Metrics, when set, counts re-embedded cases.
	Metrics *Metrics
}

// RunBackfill re-embeds, until ctx ends, the cases whose vector the
// fallback embedder made while the configured one was failing: each pass
// asks the store for the cases waiting for Embedder's space and embeds
// them; a pass that meets the endpoint still failing (its circuit open)
// stops at once and the next pass tries again.
func RunBackfill(ctx context.Context, o BackfillOptions) {
	if o.Every <= 0 {
		o.Every = time.Minute
	}
	if o.Batch <= 0 {
		o.Batch = 100
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if _, ok := o.Store.(triage.ReembedStore); !ok || o.Embedder == nil {
		o.Logger.Warn("backfill: the store cannot list cases to re-embed; cases embedded by the fallback stay in its space")
		return
	}
	Periodic(ctx, func(ctx context.Context) time.Duration {
		res, err := triage.Reembed(ctx, o.Store, o.Embedder, o.Batch)
		if o.Metrics != nil {
			o.Metrics.reembedded.Add(int64(res.Done))
		}
		if res.Done > 0 || err != nil {
			o.Logger.Info("backfill: re-embedded cases", "done", res.Done, "pending", res.Pending, "embedder", o.Embedder.ID(), "err", err)
		}
		next := o.Every
		if err == nil && res.Done == o.Batch {
			next = 0 // more may be waiting
		}
		return next
	})
}
