package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/logtriage/logtriage/triage"
)

// fixedEmbedder embeds every text as one vector in its space, or fails.
type fixedEmbedder struct {
	id  string
	vec []float32
	err error
}

var _ triage.Embedder = fixedEmbedder{}

func (e fixedEmbedder) ID() string      { return e.id }
func (e fixedEmbedder) Dimensions() int { return len(e.vec) }
func (e fixedEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	if e.err != nil {
		return nil, e.err
	}
	out := make([][]float32, len(texts))
	for i := range texts {
		out[i] = e.vec
	}
	return out, nil
}

// Cases embedded by a fallback name the space they still need; the store
// lists them oldest first across tenants, and the backfill moves each one
// into that space (out of the fallback's) and off the list.
func testReembed(t *testing.T, f Factory) {
	s := open(t, f)
	rs, ok := s.(triage.ReembedStore)
	if !ok {
		t.Skip("store does not implement triage.ReembedStore")
	}
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	waiting := func(tenant, id string, created time.Time) *triage.Case {
		c := minimalCase(tenant, id, "db", created)
		c.Signature = "ERROR pool exhausted " + id
		c.Embedder = triage.EmbedderInfo{ID: spaceA, FallbackReason: "embed: circuit open", Reembed: spaceB}
		return c
	}
	mustPut(t, s, waiting("acme", "re-newer", t0.Add(2*time.Minute)), emb(spaceA, 1, 0, 0, 0))
	mustPut(t, s, waiting("globex", "re-older", t0.Add(time.Minute)), emb(spaceA, 1, 0, 0, 0))
	done := minimalCase("acme", "re-done", "db", t0)
	done.Signature, done.Embedder = "ERROR disk full", triage.EmbedderInfo{ID: spaceB}
	mustPut(t, s, done, emb(spaceB, 0, 1, 0, 0))

	ids := func(space string, limit int) []string {
		cs, err := rs.PendingReembed(ctx, space, limit)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	if got := ids(spaceB, 10); !slices.Equal(got, []string{"re-older", "re-newer"}) {
		t.Fatalf("pending for %s = %v, want [re-older re-newer]", spaceB, got)
	}
	if got := ids(spaceB, 1); !slices.Equal(got, []string{"re-older"}) {
		t.Errorf("limit 1 = %v", got)
	}
	if got := ids(spaceA, 10); len(got) != 0 {
		t.Errorf("pending for %s = %v, want none", spaceA, got)
	}

	// The endpoint is still down: nothing changes.
	down := fixedEmbedder{id: spaceB, vec: []float32{0, 0, 1, 0}, err: errors.New("circuit open")}
	if res, err := triage.Reembed(ctx, s, down, 10); err == nil || res.Done != 0 || res.Pending != 2 {
		t.Errorf("Reembed with a failing embedder = %+v, %v", res, err)
	}
	up := down
	up.err = nil
	res, err := triage.Reembed(ctx, s, up, 10)
	if err != nil || res.Done != 2 || res.Pending != 0 {
		t.Fatalf("Reembed = %+v, %v; want 2 done", res, err)
	}
	if got := ids(spaceB, 10); len(got) != 0 {
		t.Errorf("still pending after the backfill: %v", got)
	}
	c := mustGet(t, s, "acme", "re-newer")
	if c.Embedder.ID != spaceB || c.Embedder.Reembed != "" || c.Summary != "summary of re-newer" {
		t.Errorf("re-embedded case: embedder %+v summary %q", c.Embedder, c.Summary)
	}
	inB := mustSimilar(t, s, triage.SimilarQuery{AllTenants: true, Embedding: *emb(spaceB, 0, 0, 1, 0), K: 10, MinSimilarity: 0.99})
	if got := simIDs(inB); !slices.Contains(got, "re-newer") || !slices.Contains(got, "re-older") || slices.Contains(got, "re-done") {
		t.Errorf("similar in %s = %v, want both re-embedded cases and not re-done", spaceB, got)
	}
	if inA := mustSimilar(t, s, triage.SimilarQuery{AllTenants: true, Embedding: *emb(spaceA, 1, 0, 0, 0), K: 10}); len(inA) != 0 {
		t.Errorf("the fallback's space still holds %v", simIDs(inA))
	}
}
