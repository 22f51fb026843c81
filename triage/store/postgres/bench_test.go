package postgres

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"github.com/logtriage/logtriage/triage"
)

// benchSpace is the local embedder's size; the space name is the bench's own.
const (
	benchDims    = 256
	benchSpaceID = "bench-clustered-256"
	benchQueries = 200
	benchK       = 10
)

// clustered draws unit vectors around a fixed set of centres, as incident
// embeddings are: many uploads of a few hundred kinds of failure.
type clustered struct {
	rng     *rand.Rand
	centres [][]float32
	noise   float64 // the spread around a centre, against the centres' unit length
}

func newClustered(seed uint64, centres int) *clustered {
	c := &clustered{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), noise: 0.6}
	for range centres {
		c.centres = append(c.centres, c.gaussian(1))
	}
	return c
}

func (c *clustered) gaussian(sigma float64) []float32 {
	v := make([]float32, benchDims)
	for i := range v {
		v[i] = float32(c.rng.NormFloat64() * sigma)
	}
	return unitVec(v)
}

func (c *clustered) next() []float32 {
	centre := c.centres[c.rng.IntN(len(c.centres))]
	noise := c.gaussian(1)
	v := make([]float32, benchDims)
	for i := range v {
		v[i] = centre[i] + float32(c.noise)*noise[i]
	}
	return unitVec(v)
}

func unitVec(v []float32) []float32 {
	var sq float64
	for _, x := range v {
		sq += float64(x) * float64(x)
	}
	inv := float32(1 / math.Sqrt(sq))
	for i := range v {
		v[i] *= inv
	}
	return v
}

func benchCases(b *testing.B) int {
	n := 100000
	if v := os.Getenv("LOGTRIAGE_BENCH_CASES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < benchQueries {
			b.Fatalf("LOGTRIAGE_BENCH_CASES=%q: want a number >= %d", v, benchQueries)
		}
	}
	return n
}

// BenchmarkScale loads LOGTRIAGE_BENCH_CASES (default 100000) synthetic
// cases with COPY, builds the HNSW index, then runs the same k-NN queries
// exactly (no index) and through the index: latency percentiles of both,
// and the index's recall@10 against the exact answers, in one run. The
// timed loop is the HNSW query.
//
//	LOGTRIAGE_TEST_DATABASE_URL=... go test -run '^$' -bench Scale -benchtime 200x ./triage/store/postgres
func BenchmarkScale(b *testing.B) {
	url := databaseURL(b)
	n := benchCases(b)
	ctx := context.Background()
	schema := freshSchema(b, url)
	s := openTest(b, url, schema)
	defer s.Close()

	gen := newClustered(1, 300)
	sp, err := s.ensureSpace(ctx, benchSpaceID, benchDims)
	if err != nil {
		b.Fatal(err)
	}
	load, build := loadScale(b, s, sp, gen, n, func(i int) string { return fmt.Sprintf("tenant-%03d", i%100) }, true)
	b.Logf("cases %d: load %.1fs (%.0f cases/s; COPY, or batched INSERT on PGlite), HNSW build %.1fs", n, load.Seconds(), float64(n)/load.Seconds(), build.Seconds())

	queries := make([]triage.SimilarQuery, benchQueries)
	for i := range queries {
		queries[i] = triage.SimilarQuery{AllTenants: true, K: benchK, MinSimilarity: -1,
			Embedding: triage.Embedding{EmbedderID: benchSpaceID, Vector: gen.next()}}
	}
	exactLat, exact := runQueries(b, s, queries, planExact)
	hnswLat, approx := runQueries(b, s, queries, planIndex)
	var found, want int
	for i := range queries {
		ids := map[string]bool{}
		for _, h := range exact[i] {
			ids[h.CaseID] = true
		}
		want += len(exact[i])
		for _, h := range approx[i] {
			if ids[h.CaseID] {
				found++
			}
		}
	}
	recall := float64(found) / float64(max(want, 1))
	b.Logf("k-NN k=%d over %d queries: exact p50 %.1fms p99 %.1fms; HNSW (ef_search %d) p50 %.1fms p99 %.1fms; speed-up at p50 %.1fx; HNSW recall@%d %.3f",
		benchK, benchQueries, ms(pct(exactLat, 50)), ms(pct(exactLat, 99)), s.opts.EFSearch,
		ms(pct(hnswLat, 50)), ms(pct(hnswLat, 99)), ms(pct(exactLat, 50))/ms(pct(hnswLat, 50)), benchK, recall)

	i := 0
	for b.Loop() {
		if _, err := s.Similar(ctx, queries[i%len(queries)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	// After the loop: b.Loop resets what was reported before it.
	b.ReportMetric(float64(n)/load.Seconds(), "cases/s-load")
	b.ReportMetric(ms(pct(exactLat, 50)), "exact-p50-ms")
	b.ReportMetric(ms(pct(exactLat, 99)), "exact-p99-ms")
	b.ReportMetric(ms(pct(hnswLat, 50)), "hnsw-p50-ms")
	b.ReportMetric(ms(pct(hnswLat, 99)), "hnsw-p99-ms")
	b.ReportMetric(recall, "hnsw-recall@10")
}

// loadScale copies n cases and their embeddings in batches, one transaction
// each, with the space's index dropped, then builds the index: the way a
// bulk import (or a re-embedding into a new space) should run.
func loadScale(b *testing.B, s *Store, sp space, gen *clustered, n int, tenantOf func(int) string, buildHNSW bool) (load, build time.Duration) {
	ctx := context.Background()
	index := fmt.Sprintf("%s.embeddings_hnsw_%d", s.schema, sp.id)
	if _, err := s.pool.Exec(ctx, "DROP INDEX "+index); err != nil {
		b.Fatal(err)
	}
	const batch = 5000
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	start := time.Now()
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		caseRows := make([][]any, 0, hi-lo)
		embRows := make([][]any, 0, hi-lo)
		for i := lo; i < hi; i++ {
			id := fmt.Sprintf("bench-%07d", i)
			tenant := tenantOf(i)
			created := base.Add(time.Duration(i) * time.Second)
			doc := fmt.Sprintf(`{"id":%q,"tenant":%q,"queue":"database","summary":"synthetic case %d","created_at":%q}`,
				id, tenant, i, created.Format(time.RFC3339Nano))
			caseRows = append(caseRows, []any{id, tenant, "database", created, created, doc})
			embRows = append(embRows, []any{id, tenant, sp.id, sp.dims, pgvector.NewVector(gen.next()), created})
		}
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if s.pglite {
				return insertUnnest(ctx, tx, s, caseRows, embRows)
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{s.opts.Schema, "cases"},
				[]string{"id", "tenant", "queue", "created_at", "updated_at", "doc"}, pgx.CopyFromRows(caseRows)); err != nil {
				return err
			}
			_, err := tx.CopyFrom(ctx, pgx.Identifier{s.opts.Schema, "embeddings"},
				[]string{"case_id", "tenant", "space_id", "dims", "embedding", "created_at"}, pgx.CopyFromRows(embRows))
			return err
		})
		if err != nil {
			b.Fatalf("copy rows %d..%d: %v", lo, hi, err)
		}
	}
	load = time.Since(start)
	start = time.Now()
	if buildHNSW {
		if _, err := s.pool.Exec(ctx, s.createIndexSQL(sp, "")); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.pool.Exec(ctx, "ANALYZE "+s.schema+".embeddings"); err != nil {
		b.Fatal(err)
	}
	return load, time.Since(start)
}

// insertUnnest is the batch insert for PGlite, whose socket server loses
// protocol sync on COPY: one INSERT per table, the batch passed as arrays.
func insertUnnest(ctx context.Context, tx pgx.Tx, s *Store, caseRows, embRows [][]any) error {
	cols := func(rows [][]any, i int) []string {
		out := make([]string, len(rows))
		for r, row := range rows {
			switch v := row[i].(type) {
			case time.Time:
				out[r] = v.Format(time.RFC3339Nano)
			case pgvector.Vector:
				out[r] = vectorText(v.Slice())
			default:
				out[r] = fmt.Sprint(v)
			}
		}
		return out
	}
	_, err := tx.Exec(ctx, `INSERT INTO `+s.schema+`.cases (id, tenant, queue, created_at, updated_at, doc)
		SELECT id, tenant, queue, created::timestamptz, created::timestamptz, doc::jsonb
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS t(id, tenant, queue, created, doc)`,
		cols(caseRows, 0), cols(caseRows, 1), cols(caseRows, 2), cols(caseRows, 3), cols(caseRows, 5))
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO `+s.schema+`.embeddings (case_id, tenant, space_id, dims, embedding, created_at)
		SELECT id, tenant, space::integer, dims::integer, v::vector, created::timestamptz
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS t(id, tenant, space, dims, v, created)`,
		cols(embRows, 0), cols(embRows, 1), cols(embRows, 2), cols(embRows, 3), cols(embRows, 4), cols(embRows, 5))
	return err
}

func vectorText(v []float32) string {
	b := make([]byte, 0, len(v)*10)
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, float64(x), 'g', -1, 32)
	}
	return string(append(b, ']'))
}

func runQueries(b *testing.B, s *Store, qs []triage.SimilarQuery, p plan) ([]time.Duration, [][]triage.SimilarCase) {
	lat := make([]time.Duration, len(qs))
	res := make([][]triage.SimilarCase, len(qs))
	for i, q := range qs {
		start := time.Now()
		hits, err := s.similar(context.Background(), q, p)
		if err != nil {
			b.Fatal(err)
		}
		lat[i], res[i] = time.Since(start), hits
	}
	return lat, res
}

func pct(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkPutCase is the write path of one triaged case: the upsert, its
// findings, its embedding and the audit row in one transaction.
func BenchmarkPutCase(b *testing.B) {
	url := databaseURL(b)
	s := openTest(b, url, freshSchema(b, url))
	defer s.Close()
	gen := newClustered(2, 50)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		c := &triage.Case{ID: fmt.Sprintf("put-%d", i), Tenant: "acme", Queue: "database", CreatedAt: time.Now(),
			Findings: []triage.FindingSummary{{Type: "email", Category: "pii", Count: 2, Fingerprints: []string{"fp1", "fp2"}}}}
		if err := s.PutCase(ctx, c, &triage.Embedding{EmbedderID: benchSpaceID, Vector: gen.next()}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
