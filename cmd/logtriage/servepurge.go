package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/triage/retention"
	"github.com/logtriage/logtriage/triage/worker"
)

func loadRetention(path string) (retention.Policy, error) {
	if path == "" {
		return retention.DefaultPolicy(), nil
	}
	return retention.Load(path)
}

// startPurgeLoop purges at start and then every interval, in the background:
// deletes go in batches, so the workers' writes interleave with them.
func startPurgeLoop(ctx context.Context, every time.Duration, policy retention.Policy, store *keyedStore, keys serviceKeys, js jetstream.JetStream, rec audit.Recorder, log *slog.Logger) (stop func(), err error) {
	payloads := worker.NewPayloads(js)
	o := retention.Options{Policy: policy, Store: store.Store, Payloads: payloads,
		Actor: audit.Actor{Kind: audit.ActorService, Name: "logtriage-serve-purge"}}
	o.Recorder = rec // serve's audit chain: purge and tenant.deleted events join the tenant's trail
	p, err := retention.New(o)
	if err != nil {
		return nil, err
	}
	// Before any upload is served: what a restore brought back of a deleted tenant goes again.
	again, err := reDeleteTombstoned(ctx, keys, p, store.Store, payloads)
	if err != nil {
		return nil, err
	}
	for _, t := range again {
		log.Warn("deleted tenant found in restored data: removed it again", "tenant", t)
	}
	if every <= 0 {
		log.Info("retention purge disabled (--purge-every 0): run logtriage purge")
		return func() {}, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			rep, err := p.Purge(ctx, false)
			raw, cases, statuses, auditEvents := rep.Totals()
			if err != nil && ctx.Err() == nil {
				log.Error("retention purge: "+err.Error(), "raw_uploads", raw, "cases", cases)
			} else if raw+cases+statuses+auditEvents > 0 {
				log.Info("retention purge", "raw_uploads", raw, "cases", cases, "statuses", statuses, "audit_events", auditEvents, "tenants", len(rep.Tenants))
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	log.Info("retention purge scheduled", "every", every, "raw", policy.Default.Raw, "cases", policy.Default.Cases)
	return func() { cancel(); wg.Wait() }, nil
}
