package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/logtriage/logtriage/triage"
)

// SweepOptions configure SweepOrphans.
type SweepOptions struct {
	JS    jetstream.JetStream
	Store triage.Store
	// Grace is how old an object or chunk must be before it can be an
	// orphan (default 1h): a submit in progress has chunks and no metadata
	// yet, then an object and no event yet.
	Grace time.Duration
	Now   func() time.Time // default time.Now
}

// SweepResult counts what a sweep deleted.
type SweepResult struct {
	Objects   int    // complete objects whose upload event never came
	ChunkSets int    // Puts that never finished
	Chunks    uint64 // chunk messages of those
	Skipped   string // why objects were left alone this time
}

// SweepOrphans deletes what a killed `submit` leaves in the payload bucket:
//   - chunks of a Put that never wrote its metadata (the client cleans up
//     after an error, not after a kill): chunk subjects whose nuid no object
//     has, last written more than Grace ago;
//   - complete objects whose event was never published: older than Grace,
//     with no status in the store (every event a worker took sets one),
//     while the worker's consumer has nothing pending or in flight (so no
//     event for them is waiting either). With a backlog, objects are left
//     for a later sweep.
//
// Objects with an event are never touched; the bucket's 7-day age limit
// removes those.
func SweepOrphans(ctx context.Context, o SweepOptions) (SweepResult, error) {
	var res SweepResult
	if o.Grace <= 0 {
		o.Grace = time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	cutoff := o.Now().Add(-o.Grace)
	obs, err := o.JS.ObjectStore(ctx, PayloadBucket)
	if err != nil {
		return res, fmt.Errorf("sweep: payload bucket: %w", err)
	}
	stream, err := o.JS.Stream(ctx, payloadStream)
	if err != nil {
		return res, fmt.Errorf("sweep: payload stream: %w", err)
	}
	objects, err := obs.List(ctx)
	if err != nil && !errors.Is(err, jetstream.ErrNoObjectsFound) {
		return res, fmt.Errorf("sweep: list objects: %w", err)
	}
	live := map[string]bool{}
	for _, info := range objects {
		live[info.NUID] = true
	}

	// Chunks without an object.
	info, err := stream.Info(ctx, jetstream.WithSubjectFilter(payloadChunkSubject+">"))
	if err != nil {
		return res, fmt.Errorf("sweep: payload stream info: %w", err)
	}
	for subject, n := range info.State.Subjects {
		if live[strings.TrimPrefix(subject, payloadChunkSubject)] {
			continue
		}
		last, err := stream.GetLastMsgForSubject(ctx, subject)
		if err != nil || last.Time.After(cutoff) {
			continue // gone meanwhile, or a Put still running
		}
		if err := stream.Purge(ctx, jetstream.WithPurgeSubject(subject)); err != nil {
			return res, fmt.Errorf("sweep: purge %s: %w", subject, err)
		}
		res.ChunkSets++
		res.Chunks += n
	}

	// Objects without an event.
	var candidates []*jetstream.ObjectInfo
	for _, info := range objects {
		if info.ModTime.Before(cutoff) {
			candidates = append(candidates, info)
		}
	}
	if len(candidates) == 0 {
		return res, nil
	}
	cons, err := o.JS.Consumer(ctx, UploadsStream, WorkerConsumer)
	if err != nil {
		return res, fmt.Errorf("sweep: consumer %s: %w", WorkerConsumer, err)
	}
	ci, err := cons.Info(ctx)
	if err != nil {
		return res, fmt.Errorf("sweep: consumer %s: %w", WorkerConsumer, err)
	}
	if ci.NumPending > 0 || ci.NumAckPending > 0 {
		res.Skipped = fmt.Sprintf("%d upload event(s) pending, %d in flight: objects left for a later sweep", ci.NumPending, ci.NumAckPending)
		return res, nil
	}
	for _, info := range candidates {
		tenant := info.Headers.Get(HeaderTenant)
		if tenant != "" {
			_, err := o.Store.GetStatus(ctx, tenant, info.Name)
			if err == nil {
				continue // an event reached a worker
			}
			if !errors.Is(err, triage.ErrNotFound) {
				return res, fmt.Errorf("sweep: status of %s: %w", info.Name, err)
			}
		}
		if err := obs.Delete(ctx, info.Name); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
			return res, fmt.Errorf("sweep: delete object %s: %w", info.Name, err)
		}
		res.Objects++
	}
	return res, nil
}

// RunSweeper sweeps at once and then every interval (default 1h) until ctx ends.
func RunSweeper(ctx context.Context, o SweepOptions, every time.Duration, log *slog.Logger) {
	if every <= 0 {
		every = time.Hour
	}
	if log == nil {
		log = slog.Default()
	}
	Periodic(ctx, func(ctx context.Context) time.Duration {
		res, err := SweepOrphans(ctx, o)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("sweep: orphaned payloads", "err", err)
		case res.Objects > 0 || res.ChunkSets > 0:
			log.Info("sweep: deleted orphaned payloads", "objects", res.Objects, "chunk_sets", res.ChunkSets, "chunks", res.Chunks)
		case res.Skipped != "":
			log.Info("sweep: " + res.Skipped)
		}
		return every
	})
}
