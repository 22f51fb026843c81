package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/store/embedded"
	"github.com/logtriage/logtriage/triage/store/postgres"
	"github.com/logtriage/logtriage/triage/worker"
)

// serve's index mover empties the waiting vectors of a deferring store,
// stops promptly, and is a no-op for the embedded store.
func TestEmbeddingMoverLoop(t *testing.T) {
	es, err := embedded.Open(t.TempDir(), embedded.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	startEmbeddingMover(context.Background(), es, moverOptions{log: slog.New(slog.DiscardHandler)})()
	es.Close()

	url := os.Getenv("LOGTRIAGE_TEST_DATABASE_URL")
	if url == "" {
		t.Skip("no PostgreSQL: run ./scripts/test.sh or set LOGTRIAGE_TEST_DATABASE_URL")
	}
	ctx := context.Background()
	schema := fmt.Sprintf("lt_mover_%d", time.Now().UnixNano()%1e9)
	t.Cleanup(func() { _ = postgres.DropSchema(context.Background(), url, schema) })
	s, err := postgres.Open(ctx, url, postgres.Options{Schema: schema, DeferIndexing: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	seedStore(t, s, "")
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	waiting := func() int {
		t.Helper()
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+schema+".embeddings_pending").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := waiting(); n != 4 {
		t.Fatalf("%d vectors waiting before the mover, want the 4 seeded", n)
	}
	metrics := worker.NewMetrics()
	stop := startEmbeddingMover(ctx, s, moverOptions{movers: 2, metrics: metrics, log: slog.New(slog.DiscardHandler)})
	deadline := time.Now().Add(30 * time.Second)
	for waiting() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the mover left vectors waiting for 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The metrics follow the mover: what it moved, and nothing left waiting.
	var scrape bytes.Buffer
	for {
		scrape.Reset()
		metrics.WritePrometheus(&scrape, nil)
		if strings.Contains(scrape.String(), "logtriage_index_moved_total 4\n") &&
			strings.Contains(scrape.String(), "logtriage_index_waiting_vectors 0\n") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the mover's metrics never showed 4 moved and none waiting:\n%s", scrape.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(scrape.String(), "logtriage_index_waiting_oldest_seconds 0\n") {
		t.Errorf("nothing waits, yet the oldest-wait gauge is not 0:\n%s", scrape.String())
	}
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("the mover did not stop within 10s")
	}
}

// A store without deferred indexing shows no mover series; once a mover
// reports, the waiting vectors and the oldest one's age are exported.
func TestIndexMoverMetrics(t *testing.T) {
	m := worker.NewMetrics()
	var scrape bytes.Buffer
	m.WritePrometheus(&scrape, nil)
	if strings.Contains(scrape.String(), "logtriage_index_") {
		t.Fatalf("index mover series before any mover reported:\n%s", scrape.String())
	}
	m.RecordIndexMove(100, triage.IndexBacklog{Vectors: 250, Oldest: time.Now().Add(-90 * time.Second)})
	m.RecordIndexMove(40, triage.IndexBacklog{Vectors: 210, Oldest: time.Now().Add(-30 * time.Second)})
	scrape.Reset()
	m.WritePrometheus(&scrape, nil)
	text := scrape.String()
	for _, want := range []string{"logtriage_index_moved_total 140\n", "logtriage_index_waiting_vectors 210\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("scrape lacks %q:\n%s", want, text)
		}
	}
	var age float64
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, "logtriage_index_waiting_oldest_seconds "); ok {
			fmt.Sscan(v, &age)
		}
	}
	if age < 30 || age > 60 {
		t.Errorf("oldest wait %.1fs, want about 30s (the last pass's oldest)", age)
	}
}

// The log says once that the movers fell behind, and once that they caught up.
func TestMoverLagLogging(t *testing.T) {
	var logs bytes.Buffer
	opts := moverOptions{log: slog.New(slog.NewTextHandler(&logs, nil))}
	var lagging atomic.Bool
	now := time.Now()
	steps := []struct {
		backlog triage.IndexBacklog
		want    string // the new log line's message, or "" for none
	}{
		{triage.IndexBacklog{Vectors: 10, Oldest: now.Add(-time.Second)}, ""},
		{triage.IndexBacklog{Vectors: 9000, Oldest: now.Add(-2 * moverLagWarn)}, "falling behind"},
		{triage.IndexBacklog{Vectors: 8000, Oldest: now.Add(-3 * moverLagWarn)}, ""},
		{triage.IndexBacklog{}, "caught up"},
		{triage.IndexBacklog{}, ""},
	}
	for i, st := range steps {
		before := logs.Len()
		reportMoverBacklog(opts, 1, st.backlog, &lagging)
		line := logs.String()[before:]
		if (st.want == "") != (line == "") || !strings.Contains(line, st.want) {
			t.Errorf("step %d: logged %q, want a line with %q", i, line, st.want)
		}
	}
}
