package embedded

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logtriage/logtriage/internal/keyring"
	"github.com/logtriage/logtriage/triage"
)

// BenchmarkExpire100k purges 100k expired cases (sealed, with embeddings)
// from a store that keeps 10k live ones, while 4 writers put new cases as
// the worker does (durable, fsync). It reports the purge's wall time
// (purge_s, compaction included) and the writers' p99 PutCase latency during
// the purge against the same writers' p99 just before it (p99_ratio):
//
//	go test -run '^$' -bench Expire100k -benchtime 1x ./triage/store/embedded/
func BenchmarkExpire100k(b *testing.B) {
	const expired, live = 100_000, 10_000
	for range b.N {
		b.StopTimer()
		dir := b.TempDir()
		ks, err := keyring.OpenDirStore(filepath.Join(b.TempDir(), "keys"))
		if err != nil {
			b.Fatal(err)
		}
		m, _ := keyring.NewMaster(keyring.Random(keyring.KeySize))
		kr := keyring.New(m, ks)
		old := time.Now().Add(-200 * 24 * time.Hour)
		// Filled without fsync (setup), then reopened durable for the measurement.
		s, err := Open(dir, Options{NoSync: true, Sealer: kr})
		if err != nil {
			b.Fatal(err)
		}
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for i := w; i < expired+live; i += 4 {
					created := old
					if i >= expired {
						created = time.Now()
					}
					if err := s.PutCase(context.Background(), benchCase("acme", fmt.Sprintf("c%06d", i), created), benchEmbedding(i)); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		s.Close()
		if s, err = Open(dir, Options{Sealer: kr}); err != nil {
			b.Fatal(err)
		}

		var phase atomic.Int32 // 0 before the purge, 1 during, 2 after
		var mu sync.Mutex
		lat := [2][]time.Duration{}
		stop := make(chan struct{})
		var writers sync.WaitGroup
		for w := range 4 {
			writers.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					p := phase.Load()
					t0 := time.Now()
					if err := s.PutCase(context.Background(), benchCase("globex", fmt.Sprintf("w%d-%d", w, i), time.Now()), benchEmbedding(i)); err != nil {
						b.Error(err)
						return
					}
					if d := time.Since(t0); p < 2 && phase.Load() == p {
						mu.Lock()
						lat[p] = append(lat[p], d)
						mu.Unlock()
					}
				}
			})
		}
		time.Sleep(2 * time.Second) // the writers' latency without a purge
		phase.Store(1)
		b.StartTimer()
		start := time.Now()
		gone, err := s.ExpireCases(context.Background(), "acme", time.Now().Add(-180*24*time.Hour), false)
		took := time.Since(start)
		b.StopTimer()
		phase.Store(2)
		close(stop)
		writers.Wait()
		if err != nil || len(gone) != expired {
			b.Fatalf("purged %d, %v", len(gone), err)
		}
		if n, _ := s.ListCases(context.Background(), triage.CaseFilter{Tenant: "acme", Limit: 2 * live}); len(n) != live {
			b.Fatalf("%d live cases left, want %d", len(n), live)
		}
		s.Close()
		p99 := func(ds []time.Duration) time.Duration {
			slices.Sort(ds)
			return ds[min(len(ds)-1, len(ds)*99/100)]
		}
		b.ReportMetric(took.Seconds(), "purge_s")
		b.ReportMetric(float64(p99(lat[0]).Microseconds())/1000, "p99_ms_before")
		b.ReportMetric(float64(p99(lat[1]).Microseconds())/1000, "p99_ms_during")
		b.ReportMetric(float64(p99(lat[1]))/float64(p99(lat[0])), "p99_ratio")
		b.ReportMetric(float64(len(lat[1])), "puts_during")
	}
}

func benchCase(tenant, id string, created time.Time) *triage.Case {
	return &triage.Case{ID: id, Tenant: tenant, Queue: "db-oncall", Status: triage.StatusTriaged,
		Upload:    triage.Upload{ID: "up-" + id, Name: "app.log"},
		Summary:   "connection pool exhausted on " + id,
		RootCause: "pool size below the concurrent request peak",
		KeyLines:  []string{strings.Repeat("ERROR pool exhausted user=[EMAIL:3f2a9c1e] ", 8), "at db.Acquire(pool.go:88)"},
		Findings:  []triage.FindingSummary{{Type: "email", Category: "pii", Count: 3, Fingerprints: []string{"3f2a9c1e"}}},
		CreatedAt: created}
}

func benchEmbedding(i int) *triage.Embedding {
	v := make([]float32, 64)
	for j := range v {
		v[j] = float32((i*31+j*7)%97) / 97
	}
	v[0] += 1
	return &triage.Embedding{EmbedderID: "bench", Vector: v}
}
