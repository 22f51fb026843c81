package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/logtriage/logtriage/triage"
)

// Learning from agents: a resolution marks its case resolved and makes it a
// labelled example; the examples are found by embedding, per tenant.

func resolver(t *testing.T, s triage.Store) (triage.Resolver, triage.ExampleStore) {
	t.Helper()
	r, ok := s.(triage.Resolver)
	if !ok {
		t.Fatalf("%T does not implement triage.Resolver", s)
	}
	e, ok := s.(triage.ExampleStore)
	if !ok {
		t.Fatalf("%T does not implement triage.ExampleStore", s)
	}
	return r, e
}

func mustResolve(t *testing.T, r triage.Resolver, res triage.Resolution) {
	t.Helper()
	if err := r.Resolve(context.Background(), res); err != nil {
		t.Fatalf("Resolve(%+v): %v", res, err)
	}
}

// labelled is a case with labels to confirm or correct.
func labelled(tenant, id, severity, category, queue string, created time.Time) *triage.Case {
	c := minimalCase(tenant, id, queue, created)
	c.Severity = triage.Score{Label: severity, Score: 50, Reasons: []string{"r"}}
	c.Category = category
	c.Signature = "error pool exhausted on " + id
	c.KeyLines = []string{"ERROR pool exhausted " + id}
	c.Upload = triage.Upload{ID: "up-" + id, Name: id + ".log"}
	return c
}

func testResolve(t *testing.T, f Factory) {
	s := open(t, f)
	r, _ := resolver(t, s)
	ctx := context.Background()
	mustPut(t, s, labelled("acme", "r1", "high", "database", "database", base), emb(spaceA, 1, 0, 0, 0))

	at := base.Add(time.Hour)
	for _, tc := range []struct {
		name string
		res  triage.Resolution
	}{
		{"missing case", triage.Resolution{Tenant: "acme", CaseID: "nope", Severity: "low", ResolvedAt: at}},
		{"another tenant's case", triage.Resolution{Tenant: "globex", CaseID: "r1", Severity: "low", ResolvedAt: at}},
	} {
		wantNotFound(t, r.Resolve(ctx, tc.res), "Resolve of a "+tc.name)
	}
	wantInvalid(t, r.Resolve(ctx, triage.Resolution{Tenant: "acme", CaseID: "r1", Severity: "urgent", ResolvedAt: at}), "Resolve with an unknown severity")
	wantInvalid(t, r.Resolve(ctx, triage.Resolution{Tenant: "acme", Severity: "low", ResolvedAt: at}), "Resolve without a case id")
	if got := mustGet(t, s, "acme", "r1"); got.Resolution != nil || got.Status != triage.StatusTriaged {
		t.Fatalf("refused resolutions changed the case: status %s, resolution %+v", got.Status, got.Resolution)
	}

	res := triage.Resolution{Tenant: "acme", CaseID: "r1", Agent: "ana", Severity: "medium", Note: "retries healed it", ResolvedAt: at}
	mustResolve(t, r, res)
	got := mustGet(t, s, "acme", "r1")
	if got.Status != triage.StatusResolved || got.Resolution == nil {
		t.Fatalf("resolved case: status %s, resolution %+v; want resolved with the resolution", got.Status, got.Resolution)
	}
	if got.Resolution.Agent != "ana" || got.Resolution.Severity != "medium" || got.Resolution.Note != res.Note || !got.Resolution.ResolvedAt.Equal(at) {
		t.Errorf("stored resolution = %+v, want %+v", *got.Resolution, res)
	}
	// The classifier's own answer stays, so what it got wrong is visible.
	if got.Severity.Label != "high" || got.Category != "database" {
		t.Errorf("resolving rewrote the classifier's labels: severity %s, category %s", got.Severity.Label, got.Category)
	}

	// A second resolution replaces the first.
	mustResolve(t, r, triage.Resolution{Tenant: "acme", CaseID: "r1", Agent: "bo", Category: "network", ResolvedAt: at.Add(time.Minute)})
	if got := mustGet(t, s, "acme", "r1"); got.Resolution.Agent != "bo" || got.Resolution.Severity != "" || got.Resolution.Category != "network" {
		t.Errorf("after a second resolution: %+v, want bo's", *got.Resolution)
	}
}

func testConfirmedNeighbours(t *testing.T, f Factory) {
	s := open(t, f)
	r, es := resolver(t, s)
	ctx := context.Background()
	// near: resolved with a correction; confirmed: resolved as judged;
	// open: unresolved (never an example); far: resolved but dissimilar;
	// other: another tenant's, resolved, identical vector.
	mustPut(t, s, labelled("acme", "near", "high", "database", "database", base), emb(spaceA, angled(0.98, 2)...))
	mustPut(t, s, labelled("acme", "confirmed", "medium", "network", "network", base), emb(spaceA, angled(0.9, 1)...))
	mustPut(t, s, labelled("acme", "open", "critical", "storage", "storage", base), emb(spaceA, 1, 0, 0, 0))
	mustPut(t, s, labelled("acme", "far", "low", "application", "triage-general", base), emb(spaceA, 0, 0, 1, 0))
	mustPut(t, s, labelled("globex", "other", "info", "payments", "payments", base), emb(spaceA, 1, 0, 0, 0))
	mustPut(t, s, labelled("acme", "elsewhere", "low", "auth", "identity", base), emb(spaceB, 1, 0, 0, 0))
	for _, res := range []triage.Resolution{
		{Tenant: "acme", CaseID: "near", Severity: "medium", Queue: "network", ResolvedAt: base.Add(time.Hour)},
		{Tenant: "acme", CaseID: "confirmed", ResolvedAt: base.Add(2 * time.Hour)},
		{Tenant: "acme", CaseID: "far", Severity: "info", ResolvedAt: base.Add(3 * time.Hour)},
		{Tenant: "globex", CaseID: "other", ResolvedAt: base.Add(4 * time.Hour)},
		{Tenant: "acme", CaseID: "elsewhere", ResolvedAt: base.Add(5 * time.Hour)},
	} {
		mustResolve(t, r, res)
	}
	query := func(q triage.NeighbourQuery) []triage.Example {
		t.Helper()
		got, err := es.ConfirmedNeighbours(ctx, q)
		if err != nil {
			t.Fatalf("ConfirmedNeighbours(%+v): %v", q, err)
		}
		return got
	}
	ids := func(xs []triage.Example) []string {
		out := make([]string, len(xs))
		for i, x := range xs {
			out[i] = x.CaseID
		}
		return out
	}
	q := triage.NeighbourQuery{Tenant: "acme", Embedding: *emb(spaceA, 1, 0, 0, 0), K: 5, MinSimilarity: 0.5}
	got := query(q)
	if !sameIDs(ids(got), []string{"near", "confirmed"}) {
		t.Fatalf("ConfirmedNeighbours = %v, want [near confirmed]: resolved, same tenant and space, above the threshold, most similar first", ids(got))
	}
	near, confirmed := got[0], got[1]
	if near.Severity != "medium" || near.Category != "database" || near.Queue != "network" || !near.Corrected {
		t.Errorf("corrected example = %+v, want the agent's severity and queue with the classifier's category", near)
	}
	if confirmed.Severity != "medium" || confirmed.Category != "network" || confirmed.Corrected {
		t.Errorf("confirmed example = %+v, want the classifier's labels, not corrected", confirmed)
	}
	if d := near.Similarity - 0.98; d > 1e-4 || d < -1e-4 {
		t.Errorf("similarity of near = %v, want cosine 0.98 whatever the vector's length", near.Similarity)
	}
	if near.Signature == "" || len(near.KeyLines) != 1 || near.Summary == "" {
		t.Errorf("example lacks the case's redacted text: %+v", near)
	}

	if got := query(triage.NeighbourQuery{Tenant: "acme", Embedding: q.Embedding, K: 1, MinSimilarity: 0.5}); !sameIDs(ids(got), []string{"near"}) {
		t.Errorf("K=1: %v, want [near]", ids(got))
	}
	if got := query(triage.NeighbourQuery{Tenant: "acme", Embedding: q.Embedding, K: 5, MinSimilarity: 0.95}); !sameIDs(ids(got), []string{"near"}) {
		t.Errorf("threshold 0.95: %v, want [near]", ids(got))
	}
	if got := query(triage.NeighbourQuery{Tenant: "acme", Embedding: q.Embedding, K: 5, MinSimilarity: 0.5, ExcludeCaseID: "near"}); !sameIDs(ids(got), []string{"confirmed"}) {
		t.Errorf("excluding near: %v, want [confirmed]", ids(got))
	}
	if got := query(triage.NeighbourQuery{Tenant: "globex", Embedding: q.Embedding, K: 5, MinSimilarity: 0.5}); !sameIDs(ids(got), []string{"other"}) {
		t.Errorf("tenant globex: %v, want only its own [other]", ids(got))
	}
	cross := query(triage.NeighbourQuery{Tenant: "acme", CrossTenant: true, Embedding: q.Embedding, K: 5, MinSimilarity: 0.5})
	if !sameIDs(ids(cross), []string{"other", "near", "confirmed"}) || cross[0].Tenant != "globex" {
		t.Errorf("cross-tenant: %v, want [other near confirmed] with other's tenant named", ids(cross))
	}
	_, err := es.ConfirmedNeighbours(ctx, triage.NeighbourQuery{Embedding: q.Embedding, K: 5})
	wantInvalid(t, err, "ConfirmedNeighbours without a tenant")
}

func testExamples(t *testing.T, f Factory) {
	s := open(t, f)
	r, es := resolver(t, s)
	ctx := context.Background()
	for i, id := range []string{"e1", "e2", "e3"} {
		mustPut(t, s, labelled("acme", id, "high", "database", "database", base.Add(time.Duration(i)*time.Minute)), emb(spaceA, 1, 0, 0, 0))
	}
	mustPut(t, s, labelled("globex", "g1", "low", "network", "network", base), nil)
	// Resolved out of creation order: examples come in resolution order.
	mustResolve(t, r, triage.Resolution{Tenant: "acme", CaseID: "e3", Severity: "low", ResolvedAt: base.Add(time.Hour)})
	mustResolve(t, r, triage.Resolution{Tenant: "acme", CaseID: "e1", ResolvedAt: base.Add(2 * time.Hour)})
	mustResolve(t, r, triage.Resolution{Tenant: "globex", CaseID: "g1", ResolvedAt: base.Add(3 * time.Hour)})

	list := func(f triage.ExampleFilter) []string {
		t.Helper()
		xs, err := es.Examples(ctx, f)
		if err != nil {
			t.Fatalf("Examples(%+v): %v", f, err)
		}
		out := make([]string, len(xs))
		for i, x := range xs {
			out[i] = x.CaseID
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    triage.ExampleFilter
		want []string
	}{
		{"tenant", triage.ExampleFilter{Tenant: "acme"}, []string{"e3", "e1"}},
		{"since", triage.ExampleFilter{Tenant: "acme", Since: base.Add(90 * time.Minute)}, []string{"e1"}},
		{"all tenants", triage.ExampleFilter{AllTenants: true}, []string{"e3", "e1", "g1"}},
		{"other tenant", triage.ExampleFilter{Tenant: "globex"}, []string{"g1"}},
	} {
		if got := list(tc.f); !sameIDs(got, tc.want) {
			t.Errorf("%s: Examples = %v, want %v", tc.name, got, tc.want)
		}
	}
	_, err := es.Examples(ctx, triage.ExampleFilter{})
	wantInvalid(t, err, "Examples without a tenant")
}

func testResolutionDurable(t *testing.T, rp Reopener) {
	orig := rp.New(t)
	s := orig
	r, _ := resolver(t, s)
	mustPut(t, s, labelled("acme", "dur", "high", "database", "database", base), emb(spaceA, 1, 0, 0, 0))
	// Superseded records, so a store that compacts on open does.
	for i := 0; i < 3; i++ {
		mustResolve(t, r, triage.Resolution{Tenant: "acme", CaseID: "dur", Severity: []string{"low", "info", "medium"}[i], ResolvedAt: base.Add(time.Duration(i+1) * time.Hour)})
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 2; round++ { // the second open reads a compacted log
		s = rp.Reopen(t, orig) // factories know the store they made, not its reopenings
		got := mustGet(t, s, "acme", "dur")
		if got.Status != triage.StatusResolved || got.Resolution == nil || got.Resolution.Severity != "medium" {
			t.Fatalf("reopen %d: case %s, resolution %+v; want resolved as medium", round, got.Status, got.Resolution)
		}
		_, es := resolver(t, s)
		xs, err := es.ConfirmedNeighbours(context.Background(), triage.NeighbourQuery{Tenant: "acme", Embedding: *emb(spaceA, 1, 0, 0, 0), K: 3})
		if err != nil || len(xs) != 1 || xs[0].Severity != "medium" {
			t.Fatalf("reopen %d: ConfirmedNeighbours = %+v, %v; want the medium example", round, xs, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// Resolutions and puts of other cases arriving together all land.
func testConcurrentResolve(t *testing.T, f Factory) {
	s := open(t, f)
	r, es := resolver(t, s)
	ctx := context.Background()
	const workers, each = 4, 5
	for w := range workers {
		for i := range each {
			mustPut(t, s, labelled("acme", fmt.Sprintf("cr-%d-%d", w, i), "high", "database", "database", base), emb(spaceA, 1, float32(w), float32(i), 0))
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*workers*each)
	for w := range workers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range each {
				errs <- r.Resolve(ctx, triage.Resolution{Tenant: "acme", CaseID: fmt.Sprintf("cr-%d-%d", w, i), Severity: "low", ResolvedAt: base.Add(time.Hour)})
			}
		}()
		go func() {
			defer wg.Done()
			for i := range each {
				errs <- s.PutCase(ctx, labelled("acme", fmt.Sprintf("other-%d-%d", w, i), "low", "network", "network", base), emb(spaceA, 0, 1, 0, 0))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent write: %v", err)
		}
	}
	xs, err := es.Examples(ctx, triage.ExampleFilter{Tenant: "acme"})
	if err != nil || len(xs) != workers*each {
		t.Fatalf("Examples after concurrent resolutions: %d, %v; want %d", len(xs), err, workers*each)
	}
	for _, x := range xs {
		if x.Severity != "low" {
			t.Errorf("%s resolved as %s, want low", x.CaseID, x.Severity)
		}
	}
}
