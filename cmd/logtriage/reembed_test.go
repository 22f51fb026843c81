package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/embed"
	"github.com/logtriage/logtriage/triage/store/embedded"
	"github.com/logtriage/logtriage/triage/store/postgres"
)

// TestReembedCommand moves a store's cases from the local embedder's default
// space into a 64-dimension one, then lists, rebuilds and drops spaces.
func TestReembedCommand(t *testing.T) {
	url := os.Getenv("LOGTRIAGE_TEST_DATABASE_URL")
	if url == "" {
		t.Skip("no PostgreSQL: run ./scripts/test.sh or set LOGTRIAGE_TEST_DATABASE_URL")
	}
	ctx := context.Background()
	schema := fmt.Sprintf("lt_reembed_%d", time.Now().UnixNano()%1e9)
	t.Cleanup(func() { _ = postgres.DropSchema(context.Background(), url, schema) })
	s, err := postgres.Open(ctx, url, postgres.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	seedStore(t, s, "")
	s.Close()
	oldLocal, _ := embed.NewLocal(embed.LocalOptions{})
	newLocal, _ := embed.NewLocal(embed.LocalOptions{Dimensions: 64})
	t.Setenv("LOGTRIAGE_EMBEDDER", "local")
	t.Setenv("LOGTRIAGE_EMBEDDING_DIMENSIONS", "64")

	cli := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(ctx, append([]string{"reembed", "--database-url", url, "--schema", schema}, args...), nil, &out, &errOut)
		return code, out.String(), errOut.String()
	}
	if code, out, errOut := cli(); code != 0 || !strings.Contains(out, "embedded 4 cases into "+newLocal.ID()) {
		t.Fatalf("reembed: exit %d, %q, %q", code, out, errOut)
	}
	if code, out, _ := cli(); code != 0 || !strings.Contains(out, "embedded 0 cases") {
		t.Errorf("second reembed: exit %d, %q; want nothing left to embed", code, out)
	}
	code, out, errOut := cli("--list", "--format", "json")
	var spaces []postgres.SpaceStats
	if code != 0 || json.Unmarshal([]byte(out), &spaces) != nil || len(spaces) != 2 {
		t.Fatalf("--list: exit %d, %q, %q", code, out, errOut)
	}
	for _, sp := range spaces {
		if sp.Vectors != 4 || !sp.Halfvec {
			t.Errorf("space %+v: want 4 vectors in a halfvec index", sp)
		}
	}
	if code, out, errOut := cli("--rebuild-index", newLocal.ID(), "--m", "12"); code != 0 || !strings.Contains(out, "rebuilt") {
		t.Errorf("--rebuild-index: exit %d, %q, %q", code, out, errOut)
	}
	// To IVFFlat and back: --list names the index and its lists.
	if code, out, errOut := cli("--rebuild-index", newLocal.ID(), "--index", "ivfflat", "--lists", "2"); code != 0 || !strings.Contains(out, "rebuilt") {
		t.Errorf("--rebuild-index --index ivfflat: exit %d, %q, %q", code, out, errOut)
	}
	if code, out, errOut := cli("--list"); code != 0 || !strings.Contains(out, "ivfflat(2 lists) halfvec") {
		t.Errorf("--list after the IVFFlat rebuild: exit %d, %q, %q", code, out, errOut)
	}
	if code, out, errOut := cli("--rebuild-index", newLocal.ID()); code != 0 || !strings.Contains(out, "rebuilt") {
		t.Errorf("--rebuild-index back to HNSW: exit %d, %q, %q", code, out, errOut)
	}
	if code, out, errOut := cli("--list"); code != 0 || !strings.Contains(out, "hnsw halfvec") || strings.Contains(out, "ivfflat") {
		t.Errorf("--list after rebuilding to HNSW: exit %d, %q, %q", code, out, errOut)
	}
	for _, bad := range [][]string{
		{"--rebuild-index", newLocal.ID(), "--index", "annoy"},
		{"--rebuild-index", newLocal.ID(), "--lists", "5"},
		{"--rebuild-index", newLocal.ID(), "--tenant", "acme", "--index", "ivfflat"},
		{"--list", "--index", "ivfflat"},
		{"--rebuild-index", newLocal.ID(), "--index", "ivfflat", "--m", "32"},
	} {
		if code, _, errOut := cli(bad...); code != 2 || errOut == "" {
			t.Errorf("reembed %v: exit %d, %q; want a usage error", bad, code, errOut)
		}
	}
	if code, out, errOut := cli("--rebuild-index", newLocal.ID(), "--tenant", "acme"); code != 0 || !strings.Contains(out, "tenant acme") {
		t.Errorf("--rebuild-index --tenant: exit %d, %q, %q", code, out, errOut)
	}
	// The automatic pass drops an own index of a tenant far below the
	// thresholds (a handful of cases against 2,000): this one, built by hand.
	code, out, errOut = cli("--tenant-indexes", "--format", "json")
	var rep struct {
		Skipped bool
		Dropped []struct{ Space, Tenant string }
		Built   []struct{ Tenant string }
	}
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Skipped || len(rep.Built) != 0 ||
		len(rep.Dropped) != 1 || rep.Dropped[0].Tenant != "acme" || rep.Dropped[0].Space != newLocal.ID() {
		t.Errorf("--tenant-indexes: exit %d, %q, %q; want acme's index in %s dropped", code, out, errOut, newLocal.ID())
	}
	if code, out, errOut := cli("--tenant-indexes"); code != 0 || !strings.Contains(out, "0 built, 0 dropped, 0 kept") {
		t.Errorf("second --tenant-indexes: exit %d, %q, %q; want nothing to do", code, out, errOut)
	}
	if code, _, errOut := cli("--tenant-indexes", "--list"); code != 2 || !strings.Contains(errOut, "exclude each other") {
		t.Errorf("--tenant-indexes with --list: exit %d, %q; want a usage error", code, errOut)
	}
	if code, out, errOut := cli("--rebuild-index", newLocal.ID(), "--tenant", "acme"); code != 0 || !strings.Contains(out, "tenant acme") {
		t.Errorf("--rebuild-index --tenant again: exit %d, %q, %q", code, out, errOut)
	}
	if code, out, errOut := cli("--drop-space", newLocal.ID(), "--tenant", "acme"); code != 0 || !strings.Contains(out, "tenant acme") {
		t.Errorf("--drop-space --tenant: exit %d, %q, %q", code, out, errOut)
	}
	if code, _, errOut := cli("--tenant", "acme"); code != 2 || !strings.Contains(errOut, "goes with") {
		t.Errorf("--tenant alone: exit %d, %q; want a usage error", code, errOut)
	}
	if code, out, errOut := cli("--drop-space", oldLocal.ID()); code != 0 || !strings.Contains(out, "4 vectors") {
		t.Errorf("--drop-space: exit %d, %q, %q", code, out, errOut)
	}
	if code, _, errOut := cli("--drop-space", oldLocal.ID()); code != 2 || !strings.Contains(errOut, "not found") {
		t.Errorf("dropping a missing space: exit %d, %q; want 2 and not found", code, errOut)
	}
	if code, _, errOut := cli("--list", "--drop-space", "x"); code != 2 || !strings.Contains(errOut, "exclude each other") {
		t.Errorf("two actions: exit %d, %q; want a usage error", code, errOut)
	}
}

// TestTenantIndexLoop: serve's hook runs the own-index pass at once: an own
// index of a tenant far below the thresholds, built by hand, is dropped
// without waiting an hour; stop returns. A store without own indexes (the
// embedded one) gets no loop.
func TestTenantIndexLoop(t *testing.T) {
	url := os.Getenv("LOGTRIAGE_TEST_DATABASE_URL")
	if url == "" {
		t.Skip("no PostgreSQL: run ./scripts/test.sh or set LOGTRIAGE_TEST_DATABASE_URL")
	}
	ctx := context.Background()
	schema := fmt.Sprintf("lt_tiloop_%d", time.Now().UnixNano()%1e9)
	t.Cleanup(func() { _ = postgres.DropSchema(context.Background(), url, schema) })
	s, err := postgres.Open(ctx, url, postgres.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	seedStore(t, s, "")
	local, _ := embed.NewLocal(embed.LocalOptions{})
	if err := s.TenantIndex(ctx, local.ID(), "acme"); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	ownIndexes := func() int {
		t.Helper()
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_indexes WHERE schemaname = $1 AND indexname LIKE 'embeddings\_hnsw\_%\_t%'`, schema).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := ownIndexes(); n != 1 {
		t.Fatalf("own indexes before the loop: %d, want the one built by hand", n)
	}
	stop := startTenantIndexLoop(ctx, s, time.Hour, slog.New(slog.DiscardHandler))
	deadline := time.Now().Add(30 * time.Second)
	for ownIndexes() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the loop's first pass did not drop the small tenant's index within 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("stop did not return")
	}
	emb, err := embedded.Open(filepath.Join(t.TempDir(), "store"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()
	if _, ok := triage.Store(emb).(triage.TenantIndexMaintainer); ok {
		t.Error("the embedded store claims own indexes")
	}
	startTenantIndexLoop(ctx, emb, time.Hour, slog.New(slog.DiscardHandler))() // no loop: stop returns at once
}
