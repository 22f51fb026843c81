package worker

import (
	"context"
	"time"
)

// Periodic runs fn at once, then again after the wait fn returns, until ctx
// ends. fn decides its own pace: the interval, or 0 when more work is
// waiting. serve's background passes (sweeper, backfill, tenant indexes)
// share it.
func Periodic(ctx context.Context, fn func(context.Context) time.Duration) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		t.Reset(fn(ctx))
	}
}
