package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/logtriage/logtriage/triage/store/embedded"
	"github.com/logtriage/logtriage/triage/store/postgres"
)

// serve's index mover empties the waiting vectors of a deferring store,
// stops promptly, and is a no-op for the embedded store.
func TestEmbeddingMoverLoop(t *testing.T) {
	es, err := embedded.Open(t.TempDir(), embedded.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	startEmbeddingMover(context.Background(), es, slog.New(slog.DiscardHandler))()
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
	stop := startEmbeddingMover(ctx, s, slog.New(slog.DiscardHandler))
	deadline := time.Now().Add(30 * time.Second)
	for waiting() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the mover left vectors waiting for 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("the mover did not stop within 10s")
	}
}
