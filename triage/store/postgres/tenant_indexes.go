package postgres

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/logtriage/logtriage/triage"
)

// Tenants' own indexes. A tenant that holds a large share of a space is
// searched through a partial HNSW index of its rows only (planOwnIndex):
// behind a tenant filter the shared graph loses recall (0.90 for a 30%
// tenant at 1M vectors, at any ef_search) and tail latency (p99 22 ms for a
// 4.5% tenant), where a graph of its own rows does as well as an unfiltered
// search. MaintainTenantIndexes keeps the set of own indexes in step with the
// tenants' sizes; TenantIndex and DropTenantIndex are the operator's manual
// steps. All three build and drop CONCURRENTLY, so writes never wait, and run
// under one advisory lock per schema, so two of them never work on the same
// index at once. Figures: docs/storage.md (BenchmarkTenantSearch).

var _ triage.TenantIndexMaintainer = (*Store)(nil)

const (
	// A tenant gets its own index when it holds at least this many vectors
	// of a space and this share of them. Chosen on the 1M-vector benchmark
	// (docs/storage.md, runs B and D): over the shared graph, tenants of
	// 0.28% (2,800 rows), 4.5% and 30% all miss p99 10 ms or recall 0.95;
	// with own indexes every one of them meets both. Above the exact plan's
	// 1,000 rows, then, a tenant is better off with its own graph; the row
	// floor at twice that leaves a margin for the hysteresis below, and the
	// share floor bounds a space to at most 500 own indexes (each holds its
	// tenant's vectors a second time, costs that tenant's writes a second
	// graph insert, and is one more partial index for the planner to skip).
	defaultTenantIndexMinRows  = 2000
	defaultTenantIndexMinShare = 0.002
	// tenantIndexHysteresis: an own index is dropped only when its tenant
	// falls below this fraction of either threshold, so a tenant hovering
	// at the threshold (a purge, a busy week) is not rebuilt and dropped in turn.
	tenantIndexHysteresis = 0.5
)

// tenantIndexLockKey names the advisory lock of a schema's own-index work.
func (s *Store) tenantIndexLockKey() string { return "logtriage.tenant_indexes." + s.opts.Schema }

// withTenantIndexLock runs fn holding the schema's advisory lock for
// own-index work, on a connection of its own (a session lock belongs to one
// connection; fn's statements run on the pool, and a session idle outside a
// transaction delays no concurrent index build). With wait false it returns
// false at once when another session holds the lock.
func (s *Store) withTenantIndexLock(ctx context.Context, wait bool, fn func() error) (bool, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return false, classify("store", err)
	}
	defer conn.Release()
	got := true
	if wait {
		_, err = conn.Exec(ctx, "SELECT pg_advisory_lock(hashtext($1))", s.tenantIndexLockKey())
	} else {
		err = conn.QueryRow(ctx, "SELECT pg_try_advisory_lock(hashtext($1))", s.tenantIndexLockKey()).Scan(&got)
	}
	if err != nil {
		return false, classify("store", err)
	}
	if !got {
		return false, nil
	}
	defer func() {
		// Unlocked even when ctx ended; a connection that cannot unlock is
		// closed, which releases the lock with its session.
		if _, err := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(hashtext($1))", s.tenantIndexLockKey()); err != nil {
			conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	return true, fn()
}

// TenantIndex builds (or rebuilds) one tenant's own partial HNSW index in a
// space, concurrently, whatever the tenant's size. Queries of that tenant use
// it once it is valid (within a minute: the plan cache). It waits while
// another process maintains the own indexes. MaintainTenantIndexes drops an
// index built here when the tenant is far below its thresholds.
func (s *Store) TenantIndex(ctx context.Context, embedderID, tenant string) error {
	if tenant == "" || strings.ContainsRune(tenant, 0) {
		return triage.Invalidf("store", "tenant index: a tenant name without NUL is required")
	}
	sp, err := s.existingSpace(ctx, embedderID)
	if err != nil {
		return err
	}
	_, err = s.withTenantIndexLock(ctx, true, func() error { return s.buildTenantIndex(ctx, sp, tenant) })
	return err
}

// DropTenantIndex removes a tenant's own index; its queries go back to the
// space's index (or the exact plan).
func (s *Store) DropTenantIndex(ctx context.Context, embedderID, tenant string) error {
	sp, err := s.existingSpace(ctx, embedderID)
	if err != nil {
		return err
	}
	_, err = s.withTenantIndexLock(ctx, true, func() error { return s.dropTenantIndex(ctx, sp.id, tenant, tenantIndexName(sp.id, tenant)) })
	return err
}

func (s *Store) existingSpace(ctx context.Context, embedderID string) (space, error) {
	sp, ok, err := s.lookupSpace(ctx, embedderID)
	if err != nil {
		return space{}, err
	}
	if !ok {
		return space{}, fmt.Errorf("space %s: %w", embedderID, triage.ErrNotFound)
	}
	return sp, nil
}

// buildTenantIndex is the one way an own index is made: built under a
// temporary name beside any older one, then swapped in, so the tenant's
// queries always have an index. The caller holds the lock.
func (s *Store) buildTenantIndex(ctx context.Context, sp space, tenant string) error {
	name := tenantIndexName(sp.id, tenant)
	next := name + "_next"
	// An interrupted build leaves an invalid _next index: start over.
	if _, err := s.pool.Exec(ctx, s.dropIndexSQL(next)); err != nil {
		return classify("store", err)
	}
	if _, err := s.pool.Exec(ctx, s.concurrently(s.createIndexSQLFor(sp, next, tenant))); err != nil {
		return classify("store", err)
	}
	if err := s.swapIndex(ctx, next, name); err != nil {
		return err
	}
	s.forgetTenantSize(sp.id, tenant)
	return nil
}

// dropTenantIndex drops one own index by name (tenant, when known, to clear
// the plan cache). The caller holds the lock.
func (s *Store) dropTenantIndex(ctx context.Context, spaceID int, tenant, name string) error {
	if _, err := s.pool.Exec(ctx, s.dropIndexSQL(name)); err != nil {
		return classify("store", err)
	}
	if tenant != "" {
		s.forgetTenantSize(spaceID, tenant)
	}
	return nil
}

func (s *Store) forgetTenantSize(spaceID int, tenant string) {
	s.sizes.mu.Lock()
	delete(s.sizes.m, tenantSpace{spaceID, tenant})
	s.sizes.mu.Unlock()
}

// tenantIndexThresholds are the options with their defaults applied.
func (s *Store) tenantIndexThresholds() (minRows int64, minShare float64) {
	minRows, minShare = int64(s.opts.TenantIndexMinRows), s.opts.TenantIndexMinShare
	if minRows == 0 {
		minRows = defaultTenantIndexMinRows
	}
	if minShare <= 0 {
		minShare = defaultTenantIndexMinShare
	}
	return minRows, minShare
}

// MaintainTenantIndexes gives every tenant at or above both thresholds
// (Options.TenantIndexMinRows vectors and TenantIndexMinShare of its space)
// its own index in that space, largest tenants first, and drops the own
// indexes of tenants below half of either threshold (or gone). Between the
// two the index stays as it is. A pass that finds another process at work
// returns Skipped. A space whose shared index is missing (a re-embedding
// still loading it) is left alone. Canceled, it stops between indexes; an
// interrupted build is cleaned up by the next pass.
func (s *Store) MaintainTenantIndexes(ctx context.Context) (triage.TenantIndexReport, error) {
	var rep triage.TenantIndexReport
	if s.opts.TenantIndexMinRows < 0 {
		return rep, nil // disabled
	}
	got, err := s.withTenantIndexLock(ctx, false, func() error {
		rows, err := s.pool.Query(ctx, fmt.Sprintf(`SELECT id, embedder_id, dims FROM %s.embedding_spaces ORDER BY id`, s.schema))
		if err != nil {
			return err
		}
		type named struct {
			space
			embedderID string
		}
		spaces, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (named, error) {
			var n named
			return n, r.Scan(&n.id, &n.embedderID, &n.dims)
		})
		if err != nil {
			return err
		}
		for _, sp := range spaces {
			if err := s.maintainSpace(ctx, sp.space, sp.embedderID, &rep); err != nil {
				return fmt.Errorf("space %s: %w", sp.embedderID, err)
			}
		}
		return nil
	})
	rep.Skipped = !got && err == nil
	return rep, classify("store", err)
}

// maintainSpace is one space's pass of MaintainTenantIndexes.
func (s *Store) maintainSpace(ctx context.Context, sp space, embedderID string, rep *triage.TenantIndexReport) error {
	minRows, minShare := s.tenantIndexThresholds()
	// One index-only walk of the (space_id, tenant) b-tree; hourly, so its
	// few hundred milliseconds at a million vectors do not matter.
	rows, err := s.pool.Query(ctx, fmt.Sprintf(`SELECT tenant, count(*) FROM %s.embeddings WHERE space_id = $1 GROUP BY tenant`, s.schema), sp.id)
	if err != nil {
		return err
	}
	type tenantRows struct {
		tenant string
		rows   int64
	}
	counts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (tenantRows, error) {
		var c tenantRows
		return c, r.Scan(&c.tenant, &c.rows)
	})
	if err != nil {
		return err
	}
	var total int64
	byIndex := map[string]tenantRows{}
	for _, c := range counts {
		total += c.rows
		byIndex[tenantIndexName(sp.id, c.tenant)] = c
	}
	// The space's own indexes: the shared one and the tenants' ones.
	rows, err = s.pool.Query(ctx, `SELECT c.relname, x.indisvalid FROM pg_index x
		JOIN pg_class c ON c.oid = x.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND (c.relname = $2 OR c.relname LIKE $3)`,
		s.opts.Schema, indexName(sp.id), indexName(sp.id)+`\_t%`)
	if err != nil {
		return err
	}
	type index struct {
		name  string
		valid bool
	}
	indexes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (index, error) {
		var ix index
		return ix, r.Scan(&ix.name, &ix.valid)
	})
	if err != nil {
		return err
	}
	has := map[string]bool{} // own index name -> valid
	shared := false
	for _, ix := range indexes {
		if ix.name == indexName(sp.id) {
			shared = ix.valid
			continue
		}
		has[ix.name] = ix.valid
	}
	if !shared {
		return nil
	}
	sp.indexShape, err = s.readIndexShape(ctx, s.pool, sp.id)
	if err != nil {
		return err
	}
	change := func(c tenantRows, start time.Time) triage.TenantIndexChange {
		return triage.TenantIndexChange{Space: embedderID, Tenant: c.tenant, Rows: c.rows,
			Share: float64(c.rows) / float64(max(total, 1)), Took: time.Since(start)}
	}
	// Drops first: what a purge took away frees its index before new ones are built.
	for _, name := range slices.Sorted(maps.Keys(has)) {
		if strings.HasSuffix(name, "_next") || !has[name] {
			// Left by an interrupted build (builds run under the lock we hold);
			// an invalid index still costs every write. The builds below make
			// it again if the tenant qualifies.
			if err := s.dropTenantIndex(ctx, sp.id, "", name); err != nil {
				return err
			}
			delete(has, name)
			continue
		}
		c, known := byIndex[name]
		share := float64(c.rows) / float64(max(total, 1))
		if known && float64(c.rows) >= tenantIndexHysteresis*float64(minRows) && share >= tenantIndexHysteresis*minShare {
			continue
		}
		start := time.Now()
		if err := s.dropTenantIndex(ctx, sp.id, c.tenant, name); err != nil {
			return err
		}
		delete(has, name)
		if !known {
			c.tenant = "(no vectors left)"
		}
		rep.Dropped = append(rep.Dropped, change(c, start))
	}
	// Builds, largest tenant first: the one the shared graph serves worst.
	slices.SortFunc(counts, func(a, b tenantRows) int {
		return cmp.Or(cmp.Compare(b.rows, a.rows), strings.Compare(a.tenant, b.tenant))
	})
	for _, c := range counts {
		name := tenantIndexName(sp.id, c.tenant)
		if _, ok := has[name]; ok {
			rep.Kept++
			continue
		}
		if c.rows < minRows || float64(c.rows)/float64(max(total, 1)) < minShare || strings.ContainsRune(c.tenant, 0) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		start := time.Now()
		if err := s.buildTenantIndex(ctx, sp, c.tenant); err != nil {
			return err
		}
		rep.Built = append(rep.Built, change(c, start))
	}
	return nil
}
