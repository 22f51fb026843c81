package postgres

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"github.com/logtriage/logtriage/triage"
)

// hashEmbedder is a deterministic embedder for tests: a text's vector comes
// from its hash, so equal texts get equal vectors in every run.
type hashEmbedder struct {
	id   string
	dims int
}

var _ triage.Embedder = hashEmbedder{}

func (h hashEmbedder) ID() string      { return h.id }
func (h hashEmbedder) Dimensions() int { return h.dims }
func (h hashEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		v := make([]float32, h.dims)
		var norm float64
		for d := range v {
			f := fnv.New64a()
			fmt.Fprintf(f, "%s|%d", t, d)
			v[d] = float32(f.Sum64()%2001)/1000 - 1
			norm += float64(v[d]) * float64(v[d])
		}
		for d := range v {
			v[d] /= float32(math.Sqrt(norm))
		}
		out[i] = v
	}
	return out, nil
}

func TestReembedRebuildDrop(t *testing.T) {
	url := databaseURL(t)
	s := openTest(t, url, freshSchema(t, url))
	defer s.Close()
	ctx := context.Background()
	oldE, newE := hashEmbedder{"test-old", 8}, hashEmbedder{"test-new", 12}

	put := func(i int) {
		t.Helper()
		sig := fmt.Sprintf("error connection pool exhausted variant %d", i)
		vec, _ := oldE.Embed(ctx, []string{sig})
		c := &triage.Case{ID: fmt.Sprintf("c%02d", i), Tenant: "acme", Signature: sig, CreatedAt: time.Now()}
		if err := s.PutCase(ctx, c, &triage.Embedding{EmbedderID: oldE.id, Vector: vec[0]}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 30 {
		put(i)
	}
	// A case without a signature has nothing to embed.
	if err := s.PutCase(ctx, &triage.Case{ID: "nosig", Tenant: "acme", CreatedAt: time.Now()}, nil); err != nil {
		t.Fatal(err)
	}

	var progress []int
	n, err := s.Reembed(ctx, newE, ReembedOptions{Batch: 7, Progress: func(d int) { progress = append(progress, d) }})
	if err != nil || n != 30 {
		t.Fatalf("Reembed = %d, %v; want 30 cases", n, err)
	}
	if len(progress) != 5 || progress[4] != 30 {
		t.Errorf("progress %v: want 5 batches of at most 7 ending at 30", progress)
	}
	query := func(e hashEmbedder, text string) []triage.SimilarCase {
		t.Helper()
		v, _ := e.Embed(ctx, []string{text})
		hits, err := s.Similar(ctx, triage.SimilarQuery{Tenant: "acme", K: 3, Embedding: triage.Embedding{EmbedderID: e.id, Vector: v[0]}})
		if err != nil {
			t.Fatal(err)
		}
		return hits
	}
	sig7 := "error connection pool exhausted variant 7"
	for _, e := range []hashEmbedder{oldE, newE} {
		if hits := query(e, sig7); len(hits) == 0 || hits[0].CaseID != "c07" || hits[0].Similarity < 0.999 {
			t.Errorf("space %s: nearest to c07's signature = %+v, want c07 itself", e.id, hits)
		}
	}
	if got, err := s.GetEmbedding(ctx, "acme", "c07"); err != nil || got.EmbedderID != oldE.id {
		t.Errorf("GetEmbedding during the re-embedding = %s, %v; want the old space until it is dropped", got.EmbedderID, err)
	}
	if n, err := s.Reembed(ctx, newE, ReembedOptions{}); err != nil || n != 0 {
		t.Errorf("second Reembed = %d, %v; want 0 (resumable: nothing missing)", n, err)
	}
	put(30) // a worker still on the old embedder
	if n, err := s.Reembed(ctx, newE, ReembedOptions{}); err != nil || n != 1 {
		t.Errorf("Reembed after a new case = %d, %v; want 1", n, err)
	}

	s.opts.IndexM = 8
	if err := s.RebuildIndex(ctx, newE.id); err != nil {
		t.Fatalf("RebuildIndex: %v", err)
	}
	var def string
	if err := s.pool.QueryRow(ctx, `SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname LIKE 'embeddings_hnsw_%'
		AND indexdef LIKE '%m=''8''%'`, s.opts.Schema).Scan(&def); err != nil {
		t.Errorf("the rebuilt index does not carry the new m: %v", err)
	}
	if hits := query(newE, sig7); len(hits) == 0 || hits[0].CaseID != "c07" {
		t.Errorf("after the rebuild: %+v", hits)
	}

	dropped, err := s.DropSpace(ctx, oldE.id)
	if err != nil || dropped != 31 {
		t.Fatalf("DropSpace = %d, %v; want 31 vectors", dropped, err)
	}
	if got, err := s.GetEmbedding(ctx, "acme", "c07"); err != nil || got.EmbedderID != newE.id {
		t.Errorf("GetEmbedding after the drop = %s, %v; want the new space", got.EmbedderID, err)
	}
	if hits := query(oldE, sig7); len(hits) != 0 {
		t.Errorf("the dropped space still answers: %+v", hits)
	}
	stats, err := s.Spaces(ctx)
	if err != nil || len(stats) != 1 || stats[0].EmbedderID != newE.id || stats[0].Vectors != 31 || !stats[0].Halfvec {
		t.Errorf("Spaces = %+v, %v", stats, err)
	}
}

// TestTenantOwnIndex: a tenant with its own partial index is searched
// through it (the planner matches it), a small tenant exactly, and dropping
// the space drops the tenant's index too.
func TestTenantOwnIndex(t *testing.T) {
	url := databaseURL(t)
	schema := freshSchema(t, url)
	ctx := context.Background()
	s, err := Open(ctx, url, Options{Schema: schema, ExactTenantRows: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e := hashEmbedder{"test-tenants", 8}
	for i := range 40 {
		tenant := "big o'brien" // a quote, to check the literal
		if i%8 == 0 {
			tenant = "small"
		}
		sig := fmt.Sprintf("signature %d", i)
		v, _ := e.Embed(ctx, []string{sig})
		if err := s.PutCase(ctx, &triage.Case{ID: fmt.Sprintf("t%02d", i), Tenant: tenant, Signature: sig, CreatedAt: time.Now()},
			&triage.Embedding{EmbedderID: e.id, Vector: v[0]}); err != nil {
			t.Fatal(err)
		}
	}
	sp, _, err := s.lookupSpace(ctx, e.id)
	if err != nil {
		t.Fatal(err)
	}
	size := func(tenant string) tenantSize {
		t.Helper()
		s.sizes.mu.Lock()
		s.sizes.m = nil // no cached answer
		s.sizes.mu.Unlock()
		got, err := s.tenantSize(ctx, sp.id, tenant)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := size("small"); !got.small || got.ownIndex {
		t.Errorf("small tenant: %+v, want small, no own index", got)
	}
	if got := size("big o'brien"); got.small || got.ownIndex {
		t.Errorf("big tenant before TenantIndex: %+v, want neither", got)
	}
	if err := s.TenantIndex(ctx, e.id, "big o'brien"); err != nil {
		t.Fatalf("TenantIndex: %v", err)
	}
	if got := size("big o'brien"); !got.ownIndex {
		t.Errorf("big tenant after TenantIndex: %+v, want its own index", got)
	}
	q := triage.SimilarQuery{Tenant: "big o'brien", K: 3, Embedding: triage.Embedding{EmbedderID: e.id, Vector: make([]float32, 8)}}
	sql, args, sets := s.similarQuery(sp, q, 3, planOwnIndex)
	var plan []string
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, set := range append(sets, "SET LOCAL enable_seqscan = off", "SET LOCAL enable_bitmapscan = off") {
			if _, err := tx.Exec(ctx, set); err != nil {
				return err
			}
		}
		v, _ := e.Embed(ctx, []string{"x"})
		args[0] = pgvector.NewVector(v[0])
		rows, err := tx.Query(ctx, "EXPLAIN "+sql, args...)
		if err != nil {
			return err
		}
		plan, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if joined := strings.Join(plan, "\n"); !strings.Contains(joined, tenantIndexName(sp.id, "big o'brien")) {
		t.Errorf("the tenant's query does not use its own index:\n%s", joined)
	}
	v, _ := e.Embed(ctx, []string{"signature 9"})
	hits, err := s.Similar(ctx, triage.SimilarQuery{Tenant: "big o'brien", K: 2, Embedding: triage.Embedding{EmbedderID: e.id, Vector: v[0]}})
	if err != nil || len(hits) == 0 || hits[0].CaseID != "t09" {
		t.Errorf("Similar through the tenant's index = %+v, %v; want t09 first", hits, err)
	}
	hits, err = s.Similar(ctx, triage.SimilarQuery{Tenant: "small", K: 10, MinSimilarity: -1, Embedding: triage.Embedding{EmbedderID: e.id, Vector: v[0]}})
	if err != nil || len(hits) != 5 {
		t.Errorf("Similar of the small tenant = %d hits, %v; want its 5 cases", len(hits), err)
	}
	if _, err := s.DropSpace(ctx, e.id); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM pg_indexes WHERE schemaname = $1 AND indexname LIKE 'embeddings_hnsw_%'`, schema).Scan(&left); err != nil || left != 0 {
		t.Errorf("indexes left after DropSpace: %d, %v", left, err)
	}
}
