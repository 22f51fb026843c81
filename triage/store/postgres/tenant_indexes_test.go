package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"github.com/logtriage/logtriage/triage"
)

// TestMaintainTenantIndexes runs the automatic own indexes at a small scale
// with lowered thresholds (50 vectors and 20% of the space): the big tenant
// gets its index and its queries use it, the small ones do not, a second pass
// changes nothing, a tenant between half the threshold and the threshold
// keeps its index (hysteresis) and loses it below half, and passes run by
// several stores at once build each index once.
func TestMaintainTenantIndexes(t *testing.T) {
	url := databaseURL(t)
	schema := freshSchema(t, url)
	ctx := context.Background()
	opts := Options{Schema: schema, ExactTenantRows: 10, TenantIndexMinRows: 50, TenantIndexMinShare: 0.2}
	s, err := Open(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e := hashEmbedder{"test-auto-index", 8}
	const big, mid, small = "big o'brien", "mid", "small" // a quote, to check the literal
	put := func(tenant string, from, n int) {
		t.Helper()
		for i := from; i < from+n; i++ {
			sig := fmt.Sprintf("%s signature %d", tenant, i)
			v, _ := e.Embed(ctx, []string{sig})
			c := &triage.Case{ID: fmt.Sprintf("%s-%03d", strings.Fields(tenant)[0], i), Tenant: tenant, Signature: sig, CreatedAt: time.Now()}
			if err := s.PutCase(ctx, c, &triage.Embedding{EmbedderID: e.id, Vector: v[0]}); err != nil {
				t.Fatal(err)
			}
		}
	}
	put(big, 0, 120)
	put(mid, 0, 30) // 30 rows, 17%: below both thresholds
	put(small, 0, 10)
	sp, _, err := s.lookupSpace(ctx, e.id)
	if err != nil {
		t.Fatal(err)
	}
	ownIndexes := func() map[string]bool {
		t.Helper()
		rows, err := s.pool.Query(ctx, `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND indexname LIKE $2`,
			schema, indexName(sp.id)+`\_t%`)
		if err != nil {
			t.Fatal(err)
		}
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, tenant := range []string{big, mid, small} {
			if i := slices.Index(names, tenantIndexName(sp.id, tenant)); i >= 0 {
				got[tenant] = true
				names = append(names[:i], names[i+1:]...)
			}
		}
		if len(names) > 0 {
			t.Errorf("unexpected indexes left: %v", names)
		}
		return got
	}
	maintain := func() triage.TenantIndexReport {
		t.Helper()
		rep, err := s.MaintainTenantIndexes(ctx)
		if err != nil {
			t.Fatalf("MaintainTenantIndexes: %v", err)
		}
		return rep
	}
	tenants := func(cs []triage.TenantIndexChange) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Tenant)
		}
		return out
	}

	rep := maintain()
	if got := tenants(rep.Built); len(got) != 1 || got[0] != big || len(rep.Dropped) != 0 || rep.Skipped {
		t.Fatalf("first pass: %+v; want the big tenant's index built, nothing else", rep)
	}
	if c := rep.Built[0]; c.Rows != 120 || c.Share < 0.74 || c.Share > 0.76 || c.Space != e.id {
		t.Errorf("built %+v: want 120 rows, share 0.75, space %s", c, e.id)
	}
	if got := ownIndexes(); !got[big] || got[mid] || got[small] {
		t.Errorf("own indexes after the first pass: %v; want the big tenant's only", got)
	}

	// The automatic plan picks the own index, and the planner uses it.
	size, err := s.tenantSize(ctx, sp.id, big)
	if err != nil || !size.ownIndex {
		t.Fatalf("big tenant's plan after the pass: %+v, %v; want its own index", size, err)
	}
	v, _ := e.Embed(ctx, []string{big + " signature 9"})
	if plan := explainPlan(t, s, sp, triage.SimilarQuery{Tenant: big, K: 3, Embedding: triage.Embedding{EmbedderID: e.id, Vector: v[0]}}, planOwnIndex); !strings.Contains(plan, tenantIndexName(sp.id, big)) {
		t.Errorf("the big tenant's query does not use its own index:\n%s", plan)
	}
	hits, err := s.Similar(ctx, triage.SimilarQuery{Tenant: big, K: 2, Embedding: triage.Embedding{EmbedderID: e.id, Vector: v[0]}})
	if err != nil || len(hits) == 0 || hits[0].CaseID != "big-009" {
		t.Errorf("Similar through the own index = %+v, %v; want big-009 first", hits, err)
	}

	if rep := maintain(); len(rep.Built)+len(rep.Dropped) != 0 || rep.Kept != 1 {
		t.Errorf("second pass: %+v; want nothing to do, one index kept", rep)
	}

	deleteCases := func(tenant string, keep int) {
		t.Helper()
		if _, err := s.pool.Exec(ctx, fmt.Sprintf(`DELETE FROM %s.cases WHERE tenant = $1 AND id >= $2`, s.schema),
			tenant, fmt.Sprintf("%s-%03d", strings.Fields(tenant)[0], keep)); err != nil {
			t.Fatal(err)
		}
	}
	// 40 rows of 80 (50%): below the build threshold, above half of it: kept.
	deleteCases(big, 40)
	if rep := maintain(); len(rep.Dropped) != 0 || rep.Kept != 1 {
		t.Errorf("pass at 40 rows: %+v; want the index kept (hysteresis)", rep)
	}
	// And a tenant at that size gets none: mid grows to 40 rows, 40% of 90.
	put(mid, 30, 10)
	if rep := maintain(); len(rep.Built) != 0 {
		t.Errorf("pass with mid at 40 rows: %+v; want no build below 50 rows", rep)
	}
	// 20 rows, under half the row threshold: dropped.
	deleteCases(big, 20)
	rep = maintain()
	if got := tenants(rep.Dropped); len(got) != 1 || got[0] != big {
		t.Errorf("pass at 20 rows: %+v; want the big tenant's index dropped", rep)
	}
	if got := ownIndexes(); len(got) != 0 {
		t.Errorf("own indexes after the drop: %v; want none", got)
	}
	if size, err := s.tenantSize(ctx, sp.id, big); err != nil || size.ownIndex {
		t.Errorf("big tenant's plan after the drop: %+v, %v; want the shared index", size, err)
	}

	// Several workers at once: mid grows to 90 rows (64%); each index is built once.
	put(mid, 40, 50)
	if s.pglite {
		t.Log("PGlite serves every connection from one session, where advisory locks do not exclude: the concurrent passes are checked on native PostgreSQL only")
		return
	}
	stores := make([]*Store, 4)
	for i := range stores {
		if stores[i], err = Open(ctx, url, opts); err != nil {
			t.Fatal(err)
		}
		defer stores[i].Close()
	}
	reps := make([]triage.TenantIndexReport, len(stores))
	errs := make([]error, len(stores))
	var wg sync.WaitGroup
	for i, st := range stores {
		wg.Go(func() { reps[i], errs[i] = st.MaintainTenantIndexes(ctx) })
	}
	wg.Wait()
	built := 0
	for i := range reps {
		if errs[i] != nil {
			t.Errorf("concurrent pass %d: %v", i, errs[i])
		}
		built += len(reps[i].Built)
	}
	if built != 1 {
		t.Errorf("concurrent passes built %d indexes: %+v; want mid's once", built, reps)
	}
	if got := ownIndexes(); !got[mid] || len(got) != 1 {
		t.Errorf("own indexes after the concurrent passes: %v; want mid's", got)
	}
}

// TestTenantIndexLockSkips: a pass finding another session at work skips.
func TestTenantIndexLockSkips(t *testing.T) {
	url := databaseURL(t)
	ctx := context.Background()
	s := openTest(t, url, freshSchema(t, url))
	defer s.Close()
	if s.pglite {
		t.Skip("PGlite serves every connection from one session: advisory locks do not exclude there; run on native PostgreSQL (scripts/pgnative.sh start)")
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(hashtext($1))", s.tenantIndexLockKey()); err != nil {
		t.Fatal(err)
	}
	if rep, err := s.MaintainTenantIndexes(ctx); err != nil || !rep.Skipped {
		t.Errorf("pass while another session holds the lock = %+v, %v; want skipped", rep, err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock(hashtext($1))", s.tenantIndexLockKey()); err != nil {
		t.Fatal(err)
	}
	if rep, err := s.MaintainTenantIndexes(ctx); err != nil || rep.Skipped {
		t.Errorf("pass after the lock is released = %+v, %v; want it to run", rep, err)
	}
}

// explainPlan is the planner's plan for one of the store's k-NN plans, with
// sequential and bitmap scans off: at a test's few rows a scan is cheaper,
// and the question is whether the planner can match the partial index.
func explainPlan(t *testing.T, s *Store, sp space, q triage.SimilarQuery, p plan) string {
	t.Helper()
	var plan []string
	withIndexForced(t, s, sp, q, p, func(tx pgx.Tx, sql string, args []any) error {
		rows, err := tx.Query(context.Background(), "EXPLAIN "+sql, args...)
		if err != nil {
			return err
		}
		plan, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	return strings.Join(plan, "\n")
}

// withIndexForced runs fn with one of the store's k-NN plans' SQL inside a
// transaction holding the plan's SET LOCALs, sequential and bitmap scans
// off (at a test's few rows the planner would rather scan).
func withIndexForced(t *testing.T, s *Store, sp space, q triage.SimilarQuery, p plan, fn func(tx pgx.Tx, sql string, args []any) error) {
	t.Helper()
	ctx := context.Background()
	sql, args, sets := s.similarQuery(sp, q, q.K, p)
	args[0] = pgvector.NewVector(q.Embedding.Vector)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, set := range append(sets, "SET LOCAL enable_seqscan = off", "SET LOCAL enable_bitmapscan = off") {
			if _, err := tx.Exec(ctx, set); err != nil {
				return err
			}
		}
		return fn(tx, sql, args)
	})
	if err != nil {
		t.Fatal(err)
	}
}
