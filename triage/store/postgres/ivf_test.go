package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/logtriage/logtriage/triage"
)

// A space rebuilt with an IVFFlat index answers through it (the planner
// uses it, queries set its probes: scanning every list gives the exact
// answers, for all tenants and for one), takes new vectors, reports its
// kind and lists, and can be rebuilt back to HNSW.
func TestIVFFlatIndex(t *testing.T) {
	url := databaseURL(t)
	ctx := context.Background()
	s := openTestWith(t, url, Options{Schema: freshSchema(t, url), ExactTenantRows: -1})
	defer s.Close()
	e := hashEmbedder{"test-ivf", 16}
	vectorOf := func(i int) []float32 {
		v, _ := e.Embed(ctx, []string{fmt.Sprintf("signature %d", i)})
		return v[0]
	}
	put := func(i int) {
		t.Helper()
		tenant := "acme"
		if i%4 == 0 {
			tenant = "globex"
		}
		c := &triage.Case{ID: fmt.Sprintf("v%03d", i), Tenant: tenant, Signature: fmt.Sprint(i), CreatedAt: time.Now()}
		if err := s.PutCase(ctx, c, &triage.Embedding{EmbedderID: e.id, Vector: vectorOf(i)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 200 {
		put(i)
	}
	s.opts.IndexKind, s.opts.IVFLists = IndexIVFFlat, 4
	if err := s.RebuildIndex(ctx, e.id); err != nil {
		t.Fatalf("RebuildIndex to IVFFlat: %v", err)
	}
	stats, err := s.Spaces(ctx)
	if err != nil || len(stats) != 1 || stats[0].Index != IndexIVFFlat || stats[0].IVFLists != 4 || !stats[0].Halfvec {
		t.Fatalf("Spaces after the rebuild = %+v, %v; want an ivfflat halfvec index of 4 lists", stats, err)
	}
	sp, _, err := s.lookupSpace(ctx, e.id)
	if err != nil || sp.ivfLists != 4 {
		t.Fatalf("space after the rebuild = %+v, %v; want 4 lists read back", sp, err)
	}
	ids := func(hits []triage.SimilarCase) []string {
		var out []string
		for _, h := range hits {
			out = append(out, h.CaseID)
		}
		return out
	}
	queries := []triage.SimilarQuery{{AllTenants: true}, {Tenant: "globex"}, {Tenant: "acme"}}
	for i, q := range queries {
		q.K, q.MinSimilarity = 8, -1
		q.Embedding = triage.Embedding{EmbedderID: e.id, Vector: vectorOf(1000 + i)}
		if plan := explainPlan(t, s, sp, q, planIndex); !strings.Contains(plan, indexName(sp.id)) {
			t.Errorf("query %d does not use the IVFFlat index:\n%s", i, plan)
		}
		// The default probes (at least 10) cover all 4 lists: the index plan
		// must then give the exact answers. With pgvector's default of one
		// probe it would miss the neighbours in the other lists.
		exact, err := s.similar(ctx, q, planExact)
		if err != nil {
			t.Fatal(err)
		}
		got := forcedIndexIDs(t, s, sp, q, planIndex)
		if !slices.Equal(got, ids(exact)) || len(got) != 8 {
			t.Errorf("query %d through IVFFlat = %v, exact = %v", i, got, ids(exact))
		}
	}
	// A tenant with its own (HNSW) index in an IVFFlat space: whichever of
	// the two indexes the planner takes for its query, the answers are exact
	// (pgvector's default of one probe would not cover the 4 lists).
	if err := s.TenantIndex(ctx, e.id, "acme"); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		q := triage.SimilarQuery{Tenant: "acme", K: 8, MinSimilarity: -1, Embedding: triage.Embedding{EmbedderID: e.id, Vector: vectorOf(2000 + i)}}
		exact, err := s.similar(ctx, q, planExact)
		if err != nil {
			t.Fatal(err)
		}
		got := forcedIndexIDs(t, s, sp, q, planOwnIndex)
		if !slices.Equal(got, ids(exact)) {
			t.Errorf("own-index query %d in an IVFFlat space = %v, exact = %v", i, got, ids(exact))
		}
	}

	put(500) // after the build: IVFFlat files it in its nearest list
	q := triage.SimilarQuery{AllTenants: true, K: 1, MinSimilarity: -1, Embedding: triage.Embedding{EmbedderID: e.id, Vector: vectorOf(500)}}
	nearest := forcedIndexIDs(t, s, sp, q, planIndex)
	if len(nearest) != 1 || nearest[0] != "v500" {
		t.Errorf("a case put after the IVFFlat build: nearest to itself through the index = %v, want [v500]", nearest)
	}

	s.opts.IndexKind = IndexHNSW
	if err := s.RebuildIndex(ctx, e.id); err != nil {
		t.Fatalf("RebuildIndex back to HNSW: %v", err)
	}
	if stats, err := s.Spaces(ctx); err != nil || stats[0].Index != IndexHNSW || stats[0].IVFLists != 0 {
		t.Errorf("Spaces after rebuilding to HNSW = %+v, %v", stats, err)
	}
	if sp, _, _ := s.lookupSpace(ctx, e.id); sp.ivfLists != 0 {
		t.Errorf("space still read as IVFFlat after the HNSW rebuild: %+v", sp)
	}
}

// pgvector's advice for the lists of an IVFFlat index: rows/1000 up to a
// million rows, the square root above, within pgvector's limits.
func TestIVFListsFor(t *testing.T) {
	for _, c := range []struct {
		rows int64
		want int
	}{{0, 1}, {999, 1}, {250_000, 250}, {1_000_000, 1000}, {4_000_000, 2000}, {2_000_000_000, 32768}} {
		if got := ivfListsFor(c.rows); got != c.want {
			t.Errorf("ivfListsFor(%d) = %d, want %d", c.rows, got, c.want)
		}
	}
}

// forcedIndexIDs runs one of the store's k-NN plans with the index forced
// (withIndexForced) and returns the case ids it answers, nearest first.
func forcedIndexIDs(t *testing.T, s *Store, sp space, q triage.SimilarQuery, p plan) []string {
	t.Helper()
	var ids []string
	withIndexForced(t, s, sp, q, p, func(tx pgx.Tx, sql string, args []any) error {
		rows, err := tx.Query(context.Background(), sql, args...)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
			vals, err := r.Values()
			if err != nil {
				return "", err
			}
			return vals[0].(string), nil
		})
		return err
	})
	return ids
}
