package embedded

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/triage"
)

// BenchmarkAuditRecordLatency is what recording adds to an API read: one
// durable (fsynced) audit event per read, against the read itself (GetCase)
// measured in the same run. Latencies are per operation; p50 and p99 are
// reported. "parallel" runs 8 readers of 8 tenants at once, as a busy portal
// would, and shows the group commit sharing fsyncs.
func BenchmarkAuditRecordLatency(b *testing.B) {
	b.Run("fsync", func(b *testing.B) { benchRecordLatency(b, Options{}) })
	// Without fsync: what the chain itself costs (hash, encode, write),
	// apart from the disk's flush latency.
	b.Run("nosync", func(b *testing.B) { benchRecordLatency(b, Options{NoSync: true}) })
}

func benchRecordLatency(b *testing.B, opts Options) {
	dir := b.TempDir()
	s, err := Open(dir, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	for i := 0; i < 8; i++ {
		c := &triage.Case{ID: fmt.Sprintf("c-%d", i), Tenant: fmt.Sprintf("t-%d", i), Summary: "connection refused", CreatedAt: time.Now()}
		if err := s.PutCase(ctx, c, nil); err != nil {
			b.Fatal(err)
		}
	}
	chain := audit.NewChain(s, nil, audit.Options{})
	read := func(i int) error {
		_, err := s.GetCase(ctx, fmt.Sprintf("t-%d", i%8), fmt.Sprintf("c-%d", i%8))
		return err
	}
	record := func(i int) error {
		_, err := chain.Record(ctx, audit.Event{Tenant: fmt.Sprintf("t-%d", i%8),
			Actor:  audit.Actor{Kind: audit.ActorUser, Name: "dana", Role: "agent"},
			Action: audit.ActionCaseViewed, Resource: fmt.Sprintf("case/c-%d", i%8), Reason: "TICKET-1",
			SourceAddr: "192.0.2.1", RequestID: fmt.Sprintf("req-%d", i)})
		return err
	}
	for _, tc := range []struct {
		name    string
		op      func(int) error
		workers int
	}{
		{"Baseline_GetCase", read, 1},
		{"Record", record, 1},
		{"Baseline_GetCase/parallel8", read, 8},
		{"Record/parallel8", record, 8},
		// 8 readers of one tenant: its chain takes one event at a time, so
		// they queue behind each other's fsync.
		{"Record/parallel8_one_tenant", func(i int) error { return record(8 * i) }, 8},
	} {
		b.Run(tc.name, func(b *testing.B) {
			lat := make([][]time.Duration, tc.workers)
			var wg sync.WaitGroup
			per := max(b.N/tc.workers, 1)
			b.ResetTimer()
			for w := 0; w < tc.workers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < per; i++ {
						t0 := time.Now()
						if err := tc.op(w + i*tc.workers); err != nil {
							b.Error(err)
							return
						}
						lat[w] = append(lat[w], time.Since(t0))
					}
				}()
			}
			wg.Wait()
			all := slices.Concat(lat...)
			slices.Sort(all)
			if len(all) == 0 {
				return
			}
			b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-us")
			b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-us")
		})
	}
}
