package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgvector/pgvector-go"

	"github.com/logtriage/logtriage/triage"
)

// skewedTenants assigns rows to 100 tenants as a multi-tenant support portal
// sees them: one tenant with 30% of the rows, ten with 4.5% each, and 89
// sharing the last quarter (about 0.28% each).
func skewedTenants(seed uint64) func(int) string {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	return func(int) string {
		switch u := rng.Float64(); {
		case u < 0.30:
			return "tenant-000"
		case u < 0.75:
			return fmt.Sprintf("tenant-%03d", 1+int((u-0.30)/0.045))
		default:
			return fmt.Sprintf("tenant-%03d", 11+rng.IntN(89))
		}
	}
}

// queryClass is one kind of production query.
type queryClass struct {
	name    string
	tenants func(rng *rand.Rand) (tenant string, all bool)
}

var queryClasses = []queryClass{
	{"all tenants", func(*rand.Rand) (string, bool) { return "", true }},
	{"tenant 30%", func(*rand.Rand) (string, bool) { return "tenant-000", false }},
	{"tenant 4.5%", func(r *rand.Rand) (string, bool) { return fmt.Sprintf("tenant-%03d", 1+r.IntN(10)), false }},
	{"tenant 0.28%", func(r *rand.Rand) (string, bool) { return fmt.Sprintf("tenant-%03d", 11+r.IntN(89)), false }},
}

// BenchmarkTenantSearch measures the production query, k-NN within one
// tenant, on LOGTRIAGE_BENCH_CASES (default 100000) cases of 100 tenants of
// skewed sizes, plus the all-tenants query: for each class, recall@10 of the
// index plan and of the automatic plan (exact for small tenants) against the
// exact top-N, with warm p50/p99 latencies of each, in one run. Then the p99
// of PutCase into the loaded space. LOGTRIAGE_BENCH_EF lists the
// hnsw.ef_search values to try (default "40,100,200"); LOGTRIAGE_BENCH_M and
// LOGTRIAGE_BENCH_EFC set the index build; LOGTRIAGE_BENCH_FULL=1 indexes
// float32 vectors instead of halfvec; LOGTRIAGE_BENCH_INDEX=ivfflat rebuilds
// the space with an IVFFlat index instead (LOGTRIAGE_BENCH_LISTS lists, the
// store's choice when unset) and tries LOGTRIAGE_BENCH_PROBES (default
// "10,20") instead of the ef_search values; LOGTRIAGE_BENCH_TENANT_INDEX=1 also
// builds the 30% tenant's own partial index and measures its queries.
//
//	LOGTRIAGE_TEST_DATABASE_URL=$(scripts/pgnative.sh start) \
//	  go test -run '^$' -bench TenantSearch -benchtime 1x -timeout 2h ./triage/store/postgres
func BenchmarkTenantSearch(b *testing.B) {
	url := databaseURL(b)
	n := benchCases(b)
	ctx := context.Background()
	schema := freshSchema(b, url)
	opts := Options{Schema: schema, IndexM: envInt(b, "LOGTRIAGE_BENCH_M", 0),
		IndexEFConstruction: envInt(b, "LOGTRIAGE_BENCH_EFC", 0), FullPrecisionIndex: os.Getenv("LOGTRIAGE_BENCH_FULL") == "1"}
	s, err := Open(ctx, url, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if !s.pglite {
		// The build's graph must fit in memory, or it spills and slows several-fold.
		if _, err := s.pool.Exec(ctx, "SET maintenance_work_mem = '2GB'"); err != nil {
			b.Fatal(err)
		}
	}
	// LOGTRIAGE_BENCH_CLUSTERS and _NOISE change the vectors' structure
	// (300 clusters, spread 0.6): fewer, wider clusters are harder for an
	// IVFFlat index, whose lists learn the clusters.
	gen := newClustered(1, envInt(b, "LOGTRIAGE_BENCH_CLUSTERS", 300))
	gen.noise = envFloat(b, "LOGTRIAGE_BENCH_NOISE", gen.noise)
	sp, err := s.ensureSpace(ctx, benchSpaceID, benchDims)
	if err != nil {
		b.Fatal(err)
	}
	// "ivfflat,hnsw": IVFFlat first, then the same queries after a rebuild to HNSW.
	ivf := strings.HasPrefix(os.Getenv("LOGTRIAGE_BENCH_INDEX"), IndexIVFFlat)
	load, build := loadScale(b, s, sp, gen, n, skewedTenants(7), !ivf)
	if ivf {
		// The space rebuilt as in `reembed --rebuild-index SPACE --index ivfflat`.
		s.opts.IndexKind, s.opts.IVFLists = IndexIVFFlat, envInt(b, "LOGTRIAGE_BENCH_LISTS", 0)
		start := time.Now()
		if err := s.RebuildIndex(ctx, benchSpaceID); err != nil {
			b.Fatal(err)
		}
		build = time.Since(start)
	}
	if sp.indexShape, err = s.readIndexShape(ctx, s.pool, sp.id); err != nil {
		b.Fatal(err)
	}
	s.remember(benchSpaceID, sp)
	var indexBytes int64
	if err := s.pool.QueryRow(ctx, "SELECT coalesce(pg_relation_size(to_regclass($1)), 0)", s.opts.Schema+"."+indexName(sp.id)).Scan(&indexBytes); err != nil {
		b.Fatal(err)
	}
	index := fmt.Sprintf("HNSW, m %d, ef_construction %d", s.opts.IndexM, s.opts.IndexEFConstruction)
	if sp.ivfLists > 0 {
		index = fmt.Sprintf("IVFFlat, %d lists", sp.ivfLists)
	}
	b.Logf("cases %d: load %.1fs (%.0f cases/s), index build %.1fs (%s, halfvec %v, %.0f MB)",
		n, load.Seconds(), float64(n)/load.Seconds(), build.Seconds(), index, sp.halfvec, float64(indexBytes)/1e6)

	rng := rand.New(rand.NewPCG(11, 12))
	nq := envInt(b, "LOGTRIAGE_BENCH_QUERIES", benchQueries)
	var runs []classRun
	for _, qc := range queryClasses {
		if !benchClass(qc.name) {
			continue
		}
		qs := make([]triage.SimilarQuery, nq)
		for i := range qs {
			tenant, all := qc.tenants(rng)
			qs[i] = triage.SimilarQuery{Tenant: tenant, AllTenants: all, K: benchK, MinSimilarity: -1,
				Embedding: triage.Embedding{EmbedderID: benchSpaceID, Vector: gen.next()}}
		}
		warm(b, s, qs, planExact)
		exactLat, exact := runQueries(b, s, qs, planExact)
		b.Logf("%-13s exact top-N      p50 %6.2fms p99 %6.2fms", qc.name, ms(pct(exactLat, 50)), ms(pct(exactLat, 99)))
		runs = append(runs, classRun{qc.name, qs, exact})
		// The knob of the space's index: ef_search for HNSW, probes for IVFFlat.
		knob, values := "ef", envInts(b, "LOGTRIAGE_BENCH_EF", []int{40, 100, 200})
		if ivf {
			knob, values = "probes", envInts(b, "LOGTRIAGE_BENCH_PROBES", []int{10, 20})
		}
		for _, v := range values {
			if ivf {
				s.opts.IVFProbes = v
			} else {
				s.opts.EFSearch = v
			}
			for _, p := range []plan{planIndex, planAuto} {
				if p == planAuto && qs[0].AllTenants {
					continue
				}
				name := map[plan]string{planIndex: "index", planAuto: "auto"}[p]
				measurePlan(b, s, runs[len(runs)-1], p, fmt.Sprintf("%-5s %s %d", name, knob, v))
			}
		}
		s.opts.IVFProbes = 0
	}

	if ivf && strings.HasSuffix(os.Getenv("LOGTRIAGE_BENCH_INDEX"), ","+IndexHNSW) {
		s.opts.IndexKind = IndexHNSW
		start := time.Now()
		if err := s.RebuildIndex(ctx, benchSpaceID); err != nil {
			b.Fatal(err)
		}
		b.Logf("rebuilt as HNSW (m %d, ef_construction %d) in %.1fs", s.opts.IndexM, s.opts.IndexEFConstruction, time.Since(start).Seconds())
		for _, r := range runs {
			for _, ef := range envInts(b, "LOGTRIAGE_BENCH_EF", []int{40, 100, 200}) {
				s.opts.EFSearch = ef
				measurePlan(b, s, r, planIndex, fmt.Sprintf("HNSW  ef %d", ef))
			}
		}
	}
	switch os.Getenv("LOGTRIAGE_BENCH_TENANT_INDEX") {
	case "1":
		ownIndex(b, s, gen)
	case "auto":
		autoTenantIndexes(b, s, runs)
	}

	putCases(b, s, gen, n)
	moverThroughput(b, s, gen, n)

	if share := envFloat(b, "LOGTRIAGE_BENCH_PURGE", 0.2); share > 0 {
		purgeEffect(b, s, gen, n, share)
	}
	for b.Loop() {
	}
}

// purgeEffect deletes the oldest share of the cases (LOGTRIAGE_BENCH_PURGE,
// a fifth by default; 0 skips), as a retention purge does, and measures the
// all-tenants query before and after VACUUM: HNSW marks deleted tuples and
// skips them until vacuum repairs the graph (every graph the rows were in:
// the shared one and the tenants' own). The VACUUM is given 30 minutes.
func purgeEffect(b *testing.B, s *Store, gen *clustered, n int, share float64) {
	ctx := context.Background()
	qs := make([]triage.SimilarQuery, benchQueries)
	for i := range qs {
		qs[i] = triage.SimilarQuery{AllTenants: true, K: benchK, MinSimilarity: -1,
			Embedding: triage.Embedding{EmbedderID: benchSpaceID, Vector: gen.next()}}
	}
	s.opts.EFSearch = defaultEFSearch
	cutoff := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(float64(n)*share) * time.Second)
	start := time.Now()
	tag, err := s.pool.Exec(ctx, fmt.Sprintf("DELETE FROM %s.cases WHERE created_at < $1", s.schema), cutoff)
	if err != nil {
		b.Fatal(err)
	}
	del := time.Since(start)
	measure := func(when string) {
		_, exact := runQueries(b, s, qs, planExact)
		warm(b, s, qs, planIndex)
		lat, got := runQueries(b, s, qs, planIndex)
		b.Logf("purge: %-22s all tenants index ef %d p50 %6.2fms p99 %6.2fms recall@%d %.3f",
			when, s.opts.EFSearch, ms(pct(lat, 50)), ms(pct(lat, 99)), benchK, recallAt(exact, got))
	}
	b.Logf("purge: deleted %d cases (their embeddings cascade) in %.1fs", tag.RowsAffected(), del.Seconds())
	measure("after delete, no vacuum")
	// A plain VACUUM (what autovacuum runs) skips the indexes while few
	// pages hold dead rows (PostgreSQL 14+); INDEX_CLEANUP ON is the repair
	// that comes once enough have gathered, timed on its own.
	for _, vacuum := range []string{"VACUUM", "VACUUM (INDEX_CLEANUP ON)"} {
		start = time.Now()
		vacCtx, cancel := context.WithTimeout(ctx, 30*time.Minute)
		_, err := s.pool.Exec(vacCtx, fmt.Sprintf("%s %s.embeddings", vacuum, s.schema))
		cancel()
		if err != nil {
			if vacCtx.Err() != nil {
				b.Logf("purge: %s embeddings not finished after %.0fs; stopped", vacuum, time.Since(start).Seconds())
				return
			}
			b.Fatal(err)
		}
		b.Logf("purge: %s embeddings %.1fs", vacuum, time.Since(start).Seconds())
	}
	measure("after vacuum")
}

// ownIndex builds the 30% tenant's own partial index and measures its
// queries through it against the exact answers.
func ownIndex(b *testing.B, s *Store, gen *clustered) {
	ctx := context.Background()
	start := time.Now()
	if err := s.TenantIndex(ctx, benchSpaceID, "tenant-000"); err != nil {
		b.Fatal(err)
	}
	b.Logf("tenant 30%%    own index built in %.1fs", time.Since(start).Seconds())
	qs := make([]triage.SimilarQuery, envInt(b, "LOGTRIAGE_BENCH_QUERIES", benchQueries))
	for i := range qs {
		qs[i] = triage.SimilarQuery{Tenant: "tenant-000", K: benchK, MinSimilarity: -1,
			Embedding: triage.Embedding{EmbedderID: benchSpaceID, Vector: gen.next()}}
	}
	_, exact := runQueries(b, s, qs, planExact)
	for _, ef := range envInts(b, "LOGTRIAGE_BENCH_EF", []int{40, 100, 200}) {
		s.opts.EFSearch = ef
		warm(b, s, qs, planOwnIndex)
		lat, got := runQueries(b, s, qs, planOwnIndex)
		b.Logf("%-13s own   ef %-4d    p50 %6.2fms p99 %6.2fms recall@%d %.3f",
			"tenant 30%", ef, ms(pct(lat, 50)), ms(pct(lat, 99)), benchK, recallAt(exact, got))
	}
}

// benchClass: LOGTRIAGE_BENCH_CLASSES (comma-separated prefixes of the
// class names, e.g. "all,tenant 30") limits the query classes run; all when unset.
func benchClass(name string) bool {
	v := os.Getenv("LOGTRIAGE_BENCH_CLASSES")
	if v == "" {
		return true
	}
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" && strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// classRun is one query class's queries and their exact answers.
type classRun struct {
	name  string
	qs    []triage.SimilarQuery
	exact [][]triage.SimilarCase
}

// autoTenantIndexes runs the automatic own-index pass with the store's
// default thresholds (timed, as serve would run it on this space), then
// measures the automatic plan of the tenant classes again: their queries now
// go through their own indexes, against the same exact answers.
func autoTenantIndexes(b *testing.B, s *Store, runs []classRun) {
	ctx := context.Background()
	// LOGTRIAGE_BENCH_TENANT_MIN_ROWS and _MIN_SHARE try other thresholds than the defaults.
	s.opts.TenantIndexMinRows = envInt(b, "LOGTRIAGE_BENCH_TENANT_MIN_ROWS", s.opts.TenantIndexMinRows)
	s.opts.TenantIndexMinShare = envFloat(b, "LOGTRIAGE_BENCH_TENANT_MIN_SHARE", s.opts.TenantIndexMinShare)
	start := time.Now()
	rep, err := s.MaintainTenantIndexes(ctx)
	if err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	for _, c := range rep.Built {
		b.Logf("auto index    %s: %d rows (%.1f%%) built in %.1fs", c.Tenant, c.Rows, 100*c.Share, c.Took.Seconds())
	}
	b.Logf("auto index    pass: %d built, %d dropped in %.1fs", len(rep.Built), len(rep.Dropped), took.Seconds())
	for _, r := range runs {
		// The all-tenants query again: does it pay for the partial indexes beside its own?
		for _, ef := range envInts(b, "LOGTRIAGE_BENCH_EF", []int{40, 100, 200}) {
			s.opts.EFSearch = ef
			measurePlan(b, s, r, planAuto, fmt.Sprintf("auto+own ef %d", ef))
		}
	}
}

// putCases measures PutCase into the loaded space (the write path with the
// HNSW index maintained) against, interleaved in the same run, the same
// statements sent one round trip each (PutCase before it batched them),
// timed statement by statement: where a write's time goes. A put goes to the
// 30% tenant (the shared graph and, with automatic indexes, its own) and to
// a 0.28% tenant (the shared graph only).
func putCases(b *testing.B, s *Store, gen *clustered, n int) {
	ctx := context.Background()
	sp, ok, err := s.lookupSpace(ctx, benchSpaceID)
	if err != nil || !ok {
		b.Fatalf("space: %v", err)
	}
	steps := []string{"begin", "upsert case", "delete findings", "upsert embedding", "audit", "commit"}
	stepLat := make([][]time.Duration, len(steps))
	var sequential, batched, small, deferred, deferredSmall []time.Duration
	// The index mover runs beside the deferred puts, as in serve: its graph
	// inserts compete with the writes for the same two cores.
	moverCtx, stopMover := context.WithCancel(ctx)
	moverDone := make(chan int)
	go func() {
		moved := 0
		for moverCtx.Err() == nil {
			n, err := s.MoveEmbeddings(moverCtx, 500)
			moved += n
			if err != nil || n < 500 {
				select {
				case <-moverCtx.Done():
				case <-time.After(200 * time.Millisecond):
				}
			}
		}
		moverDone <- moved
	}()
	put := func(id, tenant string) time.Duration {
		c := &triage.Case{ID: id, Tenant: tenant, Queue: "database", CreatedAt: time.Now()}
		start := time.Now()
		if err := s.PutCase(ctx, c, &triage.Embedding{EmbedderID: benchSpaceID, Vector: gen.next()}); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	deferredPut := func(id, tenant string) time.Duration {
		s.opts.DeferIndexing = true
		defer func() { s.opts.DeferIndexing = false }()
		return put(id, tenant)
	}
	for i := range envInt(b, "LOGTRIAGE_BENCH_PUTS", 500) {
		c := &triage.Case{ID: fmt.Sprintf("seq-%d", i), Tenant: "tenant-000", Queue: "database", CreatedAt: time.Now()}
		doc, err := marshalDoc(c)
		if err != nil {
			b.Fatal(err)
		}
		now := time.Now().UTC()
		vec := pgvector.NewVector(gen.next())
		begin := time.Now()
		at := begin
		lap := func(step int) {
			stepLat[step] = append(stepLat[step], time.Since(at))
			at = time.Now()
		}
		tx, err := s.pool.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		lap(0)
		var id string
		if err := tx.QueryRow(ctx, s.q.upsertCase, c.ID, c.Tenant, "", c.Queue, "", "", 0.0, "", "", c.CreatedAt, now, doc, nil).Scan(&id); err != nil {
			b.Fatal(err)
		}
		lap(1)
		if _, err := tx.Exec(ctx, s.q.deleteFindings, c.ID); err != nil {
			b.Fatal(err)
		}
		lap(2)
		if _, err := tx.Exec(ctx, s.q.upsertEmbedding, c.ID, c.Tenant, sp.id, sp.dims, vec, now); err != nil {
			b.Fatal(err)
		}
		lap(3)
		details := auditDetails("status", "", "queue", c.Queue, "embedder_id", benchSpaceID)
		if _, err := tx.Exec(ctx, s.q.insertAudit, now, "case.put", c.Tenant, c.ID, "", details); err != nil {
			b.Fatal(err)
		}
		lap(4)
		if err := tx.Commit(ctx); err != nil {
			b.Fatal(err)
		}
		lap(5)
		sequential = append(sequential, time.Since(begin))
		batched = append(batched, put(fmt.Sprintf("put-%d", i), "tenant-000"))
		small = append(small, put(fmt.Sprintf("small-%d", i), "tenant-050"))
		deferred = append(deferred, deferredPut(fmt.Sprintf("def-%d", i), "tenant-000"))
		deferredSmall = append(deferredSmall, deferredPut(fmt.Sprintf("defsmall-%d", i), "tenant-050"))
	}
	// Drain: how long until every deferred vector is in the graphs.
	drainStart := time.Now()
	var waiting int
	for {
		if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM "+s.schema+".embeddings_pending").Scan(&waiting); err != nil {
			b.Fatal(err)
		}
		if waiting == 0 || time.Since(drainStart) > 5*time.Minute {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	stopMover()
	moved := <-moverDone
	for i, name := range steps {
		b.Logf("PutCase step %-17s into %d vectors: p50 %6.3fms p99 %6.3fms", name, n, ms(pct(stepLat[i], 50)), ms(pct(stepLat[i], 99)))
	}
	b.Logf("PutCase tenant 30%%, one round trip per statement: p50 %.2fms p99 %.2fms", ms(pct(sequential, 50)), ms(pct(sequential, 99)))
	b.Logf("PutCase tenant 30%%, batched (PutCase):             p50 %.2fms p99 %.2fms (p50 ratio %.2f, p99 ratio %.2f)",
		ms(pct(batched, 50)), ms(pct(batched, 99)), float64(pct(batched, 50))/float64(pct(sequential, 50)), float64(pct(batched, 99))/float64(pct(sequential, 99)))
	b.Logf("PutCase tenant 0.28%%, batched (PutCase):            p50 %.2fms p99 %.2fms", ms(pct(small, 50)), ms(pct(small, 99)))
	b.Logf("PutCase tenant 30%%, deferred indexing:              p50 %.2fms p99 %.2fms (p50 ratio %.2f, p99 ratio %.2f against batched)",
		ms(pct(deferred, 50)), ms(pct(deferred, 99)), float64(pct(deferred, 50))/float64(pct(batched, 50)), float64(pct(deferred, 99))/float64(pct(batched, 99)))
	b.Logf("PutCase tenant 0.28%%, deferred indexing:             p50 %.2fms p99 %.2fms", ms(pct(deferredSmall, 50)), ms(pct(deferredSmall, 99)))
	b.Logf("index mover: moved %d vectors; %d still waiting %.1fs after the last put", moved, waiting, time.Since(drainStart).Seconds())
}

// moverThroughput measures how fast index movers drain a backlog into the
// loaded space: LOGTRIAGE_BENCH_MOVE (default 1000, 0 skips) deferred
// writes, then the movers alone, for each batch size and number of
// concurrent movers (each its own session), against one mover at the
// batch serve used before (500) in the same run.
func moverThroughput(b *testing.B, s *Store, gen *clustered, n int) {
	count := envInt(b, "LOGTRIAGE_BENCH_MOVE", 1000)
	if count == 0 {
		return
	}
	ctx := context.Background()
	s.opts.DeferIndexing = true
	defer func() { s.opts.DeferIndexing = false }()
	var base float64
	for round, cfg := range []struct{ batch, movers int }{{500, 1}, {100, 1}, {100, 2}} {
		for i := range count {
			tenant := "tenant-000"
			if i%3 != 0 {
				tenant = fmt.Sprintf("tenant-%03d", 1+i%99)
			}
			c := &triage.Case{ID: fmt.Sprintf("move-%d-%d", round, i), Tenant: tenant, Queue: "database", CreatedAt: time.Now()}
			if err := s.PutCase(ctx, c, &triage.Embedding{EmbedderID: benchSpaceID, Vector: gen.next()}); err != nil {
				b.Fatal(err)
			}
		}
		start := time.Now()
		errs := make(chan error, cfg.movers)
		for range cfg.movers {
			go func() {
				for {
					moved, err := s.MoveEmbeddings(ctx, cfg.batch)
					if err != nil || moved == 0 {
						errs <- err
						return
					}
				}
			}()
		}
		for range cfg.movers {
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
		}
		rate := float64(count) / time.Since(start).Seconds()
		if round == 0 {
			base = rate
		}
		b.Logf("index mover into %d vectors, batch %d, %d mover(s): %d vectors in %.1fs, %.0f vectors/s (ratio %.2f against batch 500, 1 mover)",
			n, cfg.batch, cfg.movers, count, time.Since(start).Seconds(), rate, rate/base)
	}
}

// measurePlan runs a class's queries through plan p, warm, and logs their
// latencies and recall against the class's exact answers.
func measurePlan(b *testing.B, s *Store, r classRun, p plan, label string) {
	warm(b, s, r.qs, p)
	lat, got := runQueries(b, s, r.qs, p)
	b.Logf("%-13s %-18s p50 %6.2fms p99 %6.2fms recall@%d %.3f",
		r.name, label, ms(pct(lat, 50)), ms(pct(lat, 99)), benchK, recallAt(r.exact, got))
}

func warm(b *testing.B, s *Store, qs []triage.SimilarQuery, p plan) { runQueries(b, s, qs, p) }

func recallAt(exact, got [][]triage.SimilarCase) float64 {
	var found, want int
	for i := range exact {
		ids := map[string]bool{}
		for _, h := range exact[i] {
			ids[h.CaseID] = true
		}
		want += len(exact[i])
		for _, h := range got[i] {
			if ids[h.CaseID] {
				found++
			}
		}
	}
	return float64(found) / float64(max(want, 1))
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		b.Fatalf("%s=%q: want a number", name, v)
	}
	return n
}

func envFloat(b *testing.B, name string, def float64) float64 {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		b.Fatalf("%s=%q: want a number", name, v)
	}
	return f
}

func envInts(b *testing.B, name string, def []int) []int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			b.Fatalf("%s=%q: want numbers separated by commas", name, v)
		}
		out = append(out, n)
	}
	return out
}
