package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/logtriage/logtriage/triage"
)

// base is microsecond-aligned: PostgreSQL keeps timestamps to the microsecond,
// and ordering and Since filters must not depend on finer precision.
var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const (
	spaceA = "storetest-space-a"
	spaceB = "storetest-space-b"
)

func open(t *testing.T, f Factory) triage.Store {
	t.Helper()
	s := f.New(t)
	t.Cleanup(func() { s.Close() })
	return s
}

// fullCase fills every field, so a store that drops or mangles one fails the
// round trip.
func fullCase(tenant, id string, created time.Time) *triage.Case {
	return &triage.Case{
		ID:      id,
		Tenant:  tenant,
		CaseRef: "CS-1042",
		Upload: triage.Upload{ID: "up-" + id, Name: "app.log.gz", SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			Size: 18234, ContentType: "application/gzip"},
		Status:       triage.StatusTriaged,
		StatusReason: "",
		Severity:     triage.Score{Label: "high", Score: 72.5, Reasons: []string{"47 ERROR lines", "stack trace"}},
		PIIRisk:      triage.Score{Label: "medium", Score: 40, Reasons: []string{"3 email addresses"}},
		Category:     "database",
		Skills:       []string{"postgres", "connection-pooling"},
		Queue:        "db-oncall",
		Priority:     "P2",
		Summary:      "connection pool exhausted on " + id,
		RootCause:    "pool size 10 below concurrent request peak",
		KeyLines:     []string{"ERROR pool exhausted user=[EMAIL:3f2a9c1e]", "at db.Acquire(pool.go:88)"},
		ReproSteps:   []string{"run 50 concurrent checkouts", "watch pool metrics"},
		Findings: []triage.FindingSummary{
			{Type: "email", Category: "pii", Count: 3,
				Locations:    []triage.Location{{File: "app.log", Line: 12, Start: 340, End: 361}, {File: "app.log", Line: 40, Start: 2011, End: 2030}},
				Fingerprints: []string{"hmac:3f2a9c1e", "hmac:77b01d44"}},
			{Type: "aws_access_key_id", Category: "secret", Count: 1,
				Locations:    []triage.Location{{File: "conf/env", Line: 2, Start: 18, End: 38}},
				Fingerprints: []string{"hmac:c0ffee12"}},
		},
		Similar:    []triage.SimilarCase{{CaseID: "older-1", Similarity: 0.91, Summary: "pool exhausted", Queue: "db-oncall", Duplicate: true}},
		Classifier: triage.ClassifierInfo{Kind: "llm", Model: "gpt-4o-mini", PromptVersion: "classify-v3", Tokens: triage.Tokens{Prompt: 812, Completion: 120, Total: 932}, Attempts: 1},
		Timings:    triage.Timings{OpenMS: 1.5, DetectMS: 12.25, ClassifyMS: 830, EmbedMS: 2, TotalMS: 850.75, QueueWaitMS: 3},
		Signature:  "ERROR pool exhausted user=<EMAIL>",
		Lines:      1200,
		Alerted:    true,
		// Nanoseconds and a zone: the stored case must keep the instant exactly.
		CreatedAt: created.Add(123456789 * time.Nanosecond).In(time.FixedZone("UTC+2", 2*3600)),
	}
}

func minimalCase(tenant, id, queue string, created time.Time) *triage.Case {
	return &triage.Case{ID: id, Tenant: tenant, Queue: queue, Status: triage.StatusTriaged,
		Summary: "summary of " + id, CreatedAt: created}
}

// canon renders a case for comparison: the same JSON means the same case, with
// the creation time compared as an instant.
func canon(t *testing.T, c *triage.Case) string {
	t.Helper()
	cp := *c
	cp.CreatedAt = cp.CreatedAt.UTC()
	b, err := json.Marshal(cp)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func emb(space string, v ...float32) *triage.Embedding {
	return &triage.Embedding{EmbedderID: space, Vector: v}
}

// angled is a 4-dimensional vector whose cosine with [1,0,0,0] is cos,
// scaled so that a store computing dot products instead of cosines is caught.
func angled(cos float64, scale float32) []float32 {
	sin := math.Sqrt(1 - cos*cos)
	return []float32{float32(cos) * scale, float32(sin) * scale, 0, 0}
}

func mustPut(t *testing.T, s triage.Store, c *triage.Case, e *triage.Embedding) {
	t.Helper()
	if err := s.PutCase(context.Background(), c, e); err != nil {
		t.Fatalf("PutCase(%s/%s): %v", c.Tenant, c.ID, err)
	}
}

func mustGet(t *testing.T, s triage.Store, tenant, id string) *triage.Case {
	t.Helper()
	c, err := s.GetCase(context.Background(), tenant, id)
	if err != nil {
		t.Fatalf("GetCase(%s, %s): %v", tenant, id, err)
	}
	return c
}

func mustList(t *testing.T, s triage.Store, f triage.CaseFilter) []string {
	t.Helper()
	cs, err := s.ListCases(context.Background(), f)
	if err != nil {
		t.Fatalf("ListCases(%+v): %v", f, err)
	}
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

func mustSimilar(t *testing.T, s triage.Store, q triage.SimilarQuery) []triage.SimilarCase {
	t.Helper()
	got, err := s.Similar(context.Background(), q)
	if err != nil {
		t.Fatalf("Similar(%+v): %v", q, err)
	}
	return got
}

func simIDs(hits []triage.SimilarCase) []string {
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.CaseID
	}
	return ids
}

func sameIDs(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func wantNotFound(t *testing.T, err error, what string) {
	t.Helper()
	if !errors.Is(err, triage.ErrNotFound) {
		t.Errorf("%s: err = %v, want triage.ErrNotFound", what, err)
	}
}

func wantInvalid(t *testing.T, err error, what string) {
	t.Helper()
	if err == nil || triage.KindOf(err) != triage.KindInvalid {
		t.Errorf("%s: err = %v (kind %v), want an invalid-kind error", what, err, triage.KindOf(err))
	}
}

func testRoundTrip(t *testing.T, f Factory) {
	s := open(t, f)
	for _, c := range []*triage.Case{
		fullCase("acme", "case-full", base),
		// Zero values and nil slices must survive as they are.
		{ID: "case-bare", Tenant: "acme", CreatedAt: base},
	} {
		mustPut(t, s, c, emb(spaceA, 1, 0, 0, 0))
		got := mustGet(t, s, c.Tenant, c.ID)
		if g, w := canon(t, got), canon(t, c); g != w {
			t.Errorf("round trip of %s changed the case:\n got %s\nwant %s", c.ID, g, w)
		}
		if !got.CreatedAt.Equal(c.CreatedAt) {
			t.Errorf("%s: CreatedAt = %v, want %v", c.ID, got.CreatedAt, c.CreatedAt)
		}
	}
	// The returned case is the caller's to change.
	got := mustGet(t, s, "acme", "case-full")
	got.Findings[0].Fingerprints[0] = "mutated"
	got.Summary = "mutated"
	again := mustGet(t, s, "acme", "case-full")
	if again.Summary == "mutated" || again.Findings[0].Fingerprints[0] == "mutated" {
		t.Error("changing a returned case changed the stored one")
	}
	_, err := s.GetCase(context.Background(), "acme", "no-such-case")
	wantNotFound(t, err, "GetCase of a missing case")
}

func testIdempotent(t *testing.T, f Factory) {
	s := open(t, f)
	c := fullCase("acme", "case-1", base)
	mustPut(t, s, c, emb(spaceA, 1, 0, 0, 0))
	mustPut(t, s, c, emb(spaceA, 1, 0, 0, 0))
	if ids := mustList(t, s, triage.CaseFilter{Tenant: "acme"}); !sameIDs(ids, []string{"case-1"}) {
		t.Fatalf("after putting the same case twice ListCases = %v, want [case-1]", ids)
	}
	updated := fullCase("acme", "case-1", base)
	updated.Summary = "updated summary"
	updated.Queue = "net-oncall"
	updated.Findings = updated.Findings[:1]
	mustPut(t, s, updated, emb(spaceA, 1, 0, 0, 0))
	if got := mustGet(t, s, "acme", "case-1"); canon(t, got) != canon(t, updated) {
		t.Errorf("after an update GetCase =\n%s\nwant\n%s", canon(t, got), canon(t, updated))
	}
	if ids := mustList(t, s, triage.CaseFilter{Tenant: "acme", Queue: "net-oncall"}); !sameIDs(ids, []string{"case-1"}) {
		t.Errorf("ListCases by the updated queue = %v, want [case-1]", ids)
	}
	if ids := mustList(t, s, triage.CaseFilter{Tenant: "acme", Queue: "db-oncall"}); len(ids) != 0 {
		t.Errorf("ListCases by the old queue = %v, want none", ids)
	}
	hits := mustSimilar(t, s, triage.SimilarQuery{Tenant: "acme", Embedding: *emb(spaceA, 1, 0, 0, 0), K: 10})
	if len(hits) != 1 || hits[0].Summary != "updated summary" || hits[0].Queue != "net-oncall" {
		t.Errorf("Similar after an update = %+v, want one hit with the updated summary and queue", hits)
	}
}

func testRejectsIncomplete(t *testing.T, f Factory) {
	s := open(t, f)
	ctx := context.Background()
	wantInvalid(t, s.PutCase(ctx, minimalCase("acme", "", "q", base), nil), "PutCase without an id")
	wantInvalid(t, s.PutCase(ctx, minimalCase("", "case-1", "q", base), nil), "PutCase without a tenant")
	wantInvalid(t, s.PutCase(ctx, minimalCase("acme", "case-2", "q", base), emb("", 1, 0)), "PutCase with an embedding without embedder id")
	if _, err := s.GetCase(ctx, "acme", "case-2"); !errors.Is(err, triage.ErrNotFound) {
		t.Errorf("a rejected PutCase stored the case (GetCase err = %v)", err)
	}
	_, err := s.ListCases(ctx, triage.CaseFilter{})
	wantInvalid(t, err, "ListCases without a tenant")
	_, err = s.Similar(ctx, triage.SimilarQuery{Embedding: *emb(spaceA, 1, 0, 0, 0)})
	wantInvalid(t, err, "Similar without a tenant")
	wantInvalid(t, s.SetStatus(ctx, triage.UploadStatus{UploadID: "u1", Status: triage.StatusPending}), "SetStatus without a tenant")
	wantInvalid(t, s.SetStatus(ctx, triage.UploadStatus{Tenant: "acme", Status: triage.StatusPending}), "SetStatus without an upload id")
	wantInvalid(t, s.SetStatus(ctx, triage.UploadStatus{Tenant: "acme", UploadID: "u1"}), "SetStatus without a status")
}

func testOtherTenantsID(t *testing.T, f Factory) {
	s := open(t, f)
	mine := fullCase("acme", "case-1", base)
	mustPut(t, s, mine, emb(spaceA, 1, 0, 0, 0))
	theirs := minimalCase("globex", "case-1", "q", base.Add(time.Hour))
	wantInvalid(t, s.PutCase(context.Background(), theirs, emb(spaceA, 0, 1, 0, 0)), "PutCase reusing another tenant's case id")
	if got := mustGet(t, s, "acme", "case-1"); canon(t, got) != canon(t, mine) {
		t.Errorf("another tenant's PutCase changed the case: %s", canon(t, got))
	}
	_, err := s.GetCase(context.Background(), "globex", "case-1")
	wantNotFound(t, err, "GetCase by the tenant whose PutCase was rejected")
	hits := mustSimilar(t, s, triage.SimilarQuery{Tenant: "acme", Embedding: *emb(spaceA, 1, 0, 0, 0), K: 5, MinSimilarity: 0.9})
	if !sameIDs(simIDs(hits), []string{"case-1"}) {
		t.Errorf("the rejected PutCase changed the embedding: Similar = %+v", hits)
	}
}

func testTenantIsolation(t *testing.T, f Factory) {
	s := open(t, f)
	mustPut(t, s, minimalCase("acme", "a1", "q", base), nil)
	mustPut(t, s, minimalCase("acme", "a2", "q", base.Add(time.Minute)), nil)
	mustPut(t, s, minimalCase("globex", "g1", "q", base.Add(2*time.Minute)), nil)

	_, err := s.GetCase(context.Background(), "globex", "a1")
	wantNotFound(t, err, "GetCase of another tenant's case")
	_, err = s.GetCase(context.Background(), "", "a1")
	wantNotFound(t, err, "GetCase with an empty tenant")
	if ids := mustList(t, s, triage.CaseFilter{Tenant: "acme"}); !sameIDs(ids, []string{"a2", "a1"}) {
		t.Errorf("ListCases(acme) = %v, want [a2 a1]", ids)
	}
	if ids := mustList(t, s, triage.CaseFilter{Tenant: "globex"}); !sameIDs(ids, []string{"g1"}) {
		t.Errorf("ListCases(globex) = %v, want [g1]", ids)
	}
	if ids := mustList(t, s, triage.CaseFilter{Tenant: "initech"}); len(ids) != 0 {
		t.Errorf("ListCases(initech) = %v, want none", ids)
	}
	if ids := mustList(t, s, triage.CaseFilter{AllTenants: true}); !sameIDs(ids, []string{"g1", "a2", "a1"}) {
		t.Errorf("ListCases(all tenants) = %v, want [g1 a2 a1]", ids)
	}
}

func testListFilters(t *testing.T, f Factory) {
	s := open(t, f)
	// acme: c0..c5 one minute apart, queues alternating; globex: two more.
	for i := range 6 {
		q := "db"
		if i%2 == 1 {
			q = "net"
		}
		mustPut(t, s, minimalCase("acme", fmt.Sprintf("c%d", i), q, base.Add(time.Duration(i)*time.Minute)), nil)
	}
	mustPut(t, s, minimalCase("globex", "g0", "db", base.Add(10*time.Minute)), nil)
	mustPut(t, s, minimalCase("globex", "g1", "db", base.Add(11*time.Minute)), nil)

	tests := []struct {
		name string
		f    triage.CaseFilter
		want []string
	}{
		{"tenant newest first", triage.CaseFilter{Tenant: "acme"}, []string{"c5", "c4", "c3", "c2", "c1", "c0"}},
		{"queue", triage.CaseFilter{Tenant: "acme", Queue: "db"}, []string{"c4", "c2", "c0"}},
		{"unknown queue", triage.CaseFilter{Tenant: "acme", Queue: "nope"}, nil},
		{"since is inclusive", triage.CaseFilter{Tenant: "acme", Since: base.Add(3 * time.Minute)}, []string{"c5", "c4", "c3"}},
		{"since in the future", triage.CaseFilter{Tenant: "acme", Since: base.Add(time.Hour)}, nil},
		{"limit keeps the newest", triage.CaseFilter{Tenant: "acme", Limit: 2}, []string{"c5", "c4"}},
		{"queue since limit", triage.CaseFilter{Tenant: "acme", Queue: "net", Since: base.Add(time.Minute), Limit: 2}, []string{"c5", "c3"}},
		{"all tenants queue", triage.CaseFilter{AllTenants: true, Queue: "db", Limit: 3}, []string{"g1", "g0", "c4"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := mustList(t, s, tc.f); !sameIDs(got, tc.want) {
				t.Errorf("ListCases(%+v) = %v, want %v", tc.f, got, tc.want)
			}
		})
	}
}

func testStatuses(t *testing.T, f Factory) {
	s := open(t, f)
	ctx := context.Background()
	_, err := s.GetStatus(ctx, "acme", "up-1")
	wantNotFound(t, err, "GetStatus of an unknown upload")

	// A zero UpdatedAt is stamped by the store.
	if err := s.SetStatus(ctx, triage.UploadStatus{Tenant: "acme", UploadID: "up-1", Status: triage.StatusPending}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetStatus(ctx, "acme", "up-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != triage.StatusPending || got.UpdatedAt.IsZero() {
		t.Errorf("GetStatus = %+v, want pending with UpdatedAt stamped", got)
	}

	steps := []triage.UploadStatus{
		{Tenant: "acme", UploadID: "up-1", Status: triage.StatusProcessing, UpdatedAt: base.Add(time.Second)},
		{Tenant: "acme", UploadID: "up-1", Status: triage.StatusTriaged, CaseID: "case-1", UpdatedAt: base.Add(2 * time.Second)},
		{Tenant: "acme", UploadID: "up-2", Status: triage.StatusQuarantined, Reason: "gzip bomb: ratio 1:2400", UpdatedAt: base.Add(3 * time.Second)},
		{Tenant: "globex", UploadID: "up-3", Status: triage.StatusFailed, Reason: "poison after 5 attempts", UpdatedAt: base.Add(4 * time.Second)},
	}
	for _, st := range steps {
		if err := s.SetStatus(ctx, st); err != nil {
			t.Fatalf("SetStatus(%+v): %v", st, err)
		}
	}
	for _, want := range steps[1:] {
		got, err := s.GetStatus(ctx, want.Tenant, want.UploadID)
		if err != nil {
			t.Fatalf("GetStatus(%s, %s): %v", want.Tenant, want.UploadID, err)
		}
		if got.Tenant != want.Tenant || got.UploadID != want.UploadID || got.CaseID != want.CaseID ||
			got.Status != want.Status || got.Reason != want.Reason || !got.UpdatedAt.Equal(want.UpdatedAt) {
			t.Errorf("GetStatus(%s, %s) = %+v, want %+v", want.Tenant, want.UploadID, got, want)
		}
	}
	_, err = s.GetStatus(ctx, "globex", "up-1")
	wantNotFound(t, err, "GetStatus of another tenant's upload")
	_, err = s.GetStatus(ctx, "acme", "up-3")
	wantNotFound(t, err, "GetStatus of another tenant's upload")
}

func testSimilarOrdering(t *testing.T, f Factory) {
	s := open(t, f)
	// Similarities to the query [1,0,0,0] by construction; norms differ.
	want := []struct {
		id  string
		cos float64
	}{
		{"s95", 0.95}, {"s80", 0.80}, {"s60", 0.60}, {"s30", 0.30}, {"s05", 0.05},
	}
	scales := []float32{1, 3, 0.5, 2, 1}
	// Put in an order unrelated to the answer.
	for _, i := range []int{2, 4, 0, 3, 1} {
		w := want[i]
		mustPut(t, s, minimalCase("acme", w.id, "q", base.Add(time.Duration(i)*time.Minute)), emb(spaceA, angled(w.cos, scales[i])...))
	}
	// Opposite direction: never suggested at the default threshold of 0.
	mustPut(t, s, minimalCase("acme", "opposite", "q", base), emb(spaceA, angled(-0.5, 1)...))

	hits := mustSimilar(t, s, triage.SimilarQuery{Tenant: "acme", Embedding: *emb(spaceA, 2, 0, 0, 0), K: 10})
	if len(hits) != len(want) {
		t.Fatalf("Similar = %v, want %d hits", simIDs(hits), len(want))
	}
	for i, w := range want {
		h := hits[i]
		if h.CaseID != w.id || math.Abs(h.Similarity-w.cos) > 1e-4 {
			t.Errorf("hit %d = %s %.5f, want %s %.5f", i, h.CaseID, h.Similarity, w.id, w.cos)
		}
		if h.Summary != "summary of "+w.id || h.Queue != "q" {
			t.Errorf("hit %d carries summary %q queue %q, want the case's", i, h.Summary, h.Queue)
		}
	}
}

func testSimilarKAndThreshold(t *testing.T, f Factory) {
	s := open(t, f)
	for i, cos := range []float64{0.99, 0.9, 0.8, 0.7, 0.6, 0.5} {
		mustPut(t, s, minimalCase("acme", fmt.Sprintf("k%d", i), "q", base), emb(spaceA, angled(cos, 1)...))
	}
	q := *emb(spaceA, 1, 0, 0, 0)
	tests := []struct {
		name string
		k    int
		min  float64
		want []string
	}{
		{"k limits", 3, 0, []string{"k0", "k1", "k2"}},
		{"k above count", 50, 0, []string{"k0", "k1", "k2", "k3", "k4", "k5"}},
		{"threshold", 10, 0.75, []string{"k0", "k1", "k2"}},
		{"threshold and k", 2, 0.75, []string{"k0", "k1"}},
		{"threshold above all", 10, 0.995, nil},
		{"k zero means a default", 0, 0.85, []string{"k0", "k1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hits := mustSimilar(t, s, triage.SimilarQuery{Tenant: "acme", Embedding: q, K: tc.k, MinSimilarity: tc.min})
			if got := simIDs(hits); !sameIDs(got, tc.want) {
				t.Errorf("Similar(k=%d, min=%.3f) = %v, want %v", tc.k, tc.min, got, tc.want)
			}
			for _, h := range hits {
				if h.Similarity < tc.min {
					t.Errorf("%s has similarity %.4f below the threshold %.3f", h.CaseID, h.Similarity, tc.min)
				}
			}
		})
	}
}

func testSimilarExclude(t *testing.T, f Factory) {
	s := open(t, f)
	mustPut(t, s, minimalCase("acme", "self", "q", base), emb(spaceA, 1, 0, 0, 0))
	mustPut(t, s, minimalCase("acme", "other", "q", base), emb(spaceA, angled(0.9, 1)...))
	hits := mustSimilar(t, s, triage.SimilarQuery{Tenant: "acme", Embedding: *emb(spaceA, 1, 0, 0, 0), K: 5, ExcludeCaseID: "self"})
	if !sameIDs(simIDs(hits), []string{"other"}) {
		t.Errorf("Similar excluding self = %v, want [other]", simIDs(hits))
	}
}

func testSimilarSpaces(t *testing.T, f Factory) {
	s := open(t, f)
	mustPut(t, s, minimalCase("acme", "in-a", "q", base), emb(spaceA, angled(0.9, 1)...))
	// Same direction, another model's space: never comparable.
	mustPut(t, s, minimalCase("acme", "in-b", "q", base), emb(spaceB, 1, 0, 0, 0))
	// Another model may even have another dimension.
	mustPut(t, s, minimalCase("acme", "in-c", "q", base), emb("storetest-space-c", 1, 0, 0, 0, 0, 0))

	q := triage.SimilarQuery{Tenant: "acme", Embedding: *emb(spaceA, 1, 0, 0, 0), K: 10}
	if got := simIDs(mustSimilar(t, s, q)); !sameIDs(got, []string{"in-a"}) {
		t.Errorf("Similar in space A = %v, want [in-a]", got)
	}
	q.Embedding.EmbedderID = spaceB
	if got := simIDs(mustSimilar(t, s, q)); !sameIDs(got, []string{"in-b"}) {
		t.Errorf("Similar in space B = %v, want [in-b]", got)
	}
	q.Embedding = *emb("storetest-space-c", 0, 1, 0, 0, 0, 0)
	q.MinSimilarity = -1
	if got := simIDs(mustSimilar(t, s, q)); !sameIDs(got, []string{"in-c"}) {
		t.Errorf("Similar in space C = %v, want [in-c]", got)
	}
	q.Embedding.EmbedderID = "storetest-unknown-space"
	if got := mustSimilar(t, s, q); len(got) != 0 {
		t.Errorf("Similar in a space with no vectors = %v, want none", simIDs(got))
	}
}

func testSimilarDimensionMismatch(t *testing.T, f Factory) {
	s := open(t, f)
	mustPut(t, s, minimalCase("acme", "four", "q", base), emb(spaceA, 1, 0, 0, 0))
	err := s.PutCase(context.Background(), minimalCase("acme", "three", "q", base), emb(spaceA, 1, 0, 0))
	wantInvalid(t, err, "PutCase with a vector of another dimension in the same space")
	if _, err := s.GetCase(context.Background(), "acme", "three"); !errors.Is(err, triage.ErrNotFound) {
		t.Errorf("the rejected PutCase stored its case (GetCase err = %v)", err)
	}
	if _, err := s.Similar(context.Background(), triage.SimilarQuery{Tenant: "acme", Embedding: *emb(spaceA, 1, 0, 0), K: 3}); err == nil {
		t.Error("Similar with a query of another dimension than its space: no error")
	}
}

func testSimilarTenants(t *testing.T, f Factory) {
	s := open(t, f)
	mustPut(t, s, minimalCase("acme", "a1", "q", base), emb(spaceA, angled(0.9, 1)...))
	mustPut(t, s, minimalCase("globex", "g1", "q", base), emb(spaceA, 1, 0, 0, 0))
	mustPut(t, s, minimalCase("globex", "g2", "q", base), emb(spaceA, angled(0.95, 1)...))

	q := triage.SimilarQuery{Tenant: "acme", Embedding: *emb(spaceA, 1, 0, 0, 0), K: 10}
	if got := simIDs(mustSimilar(t, s, q)); !sameIDs(got, []string{"a1"}) {
		t.Errorf("Similar for acme = %v, want only [a1]", got)
	}
	q.Tenant = "initech"
	if got := mustSimilar(t, s, q); len(got) != 0 {
		t.Errorf("Similar for a tenant without cases = %v, want none", simIDs(got))
	}
	q.Tenant, q.AllTenants = "", true
	hits := mustSimilar(t, s, q)
	if got := simIDs(hits); !sameIDs(got, []string{"g1", "g2", "a1"}) {
		t.Fatalf("Similar across tenants = %v, want [g1 g2 a1]", got)
	}
	for _, h := range hits {
		if want := map[string]string{"g1": "globex", "g2": "globex", "a1": "acme"}[h.CaseID]; h.Tenant != want {
			t.Errorf("cross-tenant hit %s has tenant %q, want %q", h.CaseID, h.Tenant, want)
		}
	}
}

func testEmbeddingReplaced(t *testing.T, f Factory) {
	s := open(t, f)
	mustPut(t, s, minimalCase("acme", "c1", "q", base), emb(spaceA, 1, 0, 0, 0))
	mustPut(t, s, minimalCase("acme", "c1", "q", base), emb(spaceA, 0, 1, 0, 0))
	q := triage.SimilarQuery{Tenant: "acme", Embedding: *emb(spaceA, 1, 0, 0, 0), K: 5, MinSimilarity: 0.5}
	if got := mustSimilar(t, s, q); len(got) != 0 {
		t.Errorf("the old vector still answers: %+v", got)
	}
	q.Embedding = *emb(spaceA, 0, 1, 0, 0)
	hits := mustSimilar(t, s, q)
	if len(hits) != 1 || hits[0].CaseID != "c1" || math.Abs(hits[0].Similarity-1) > 1e-4 {
		t.Errorf("Similar to the new vector = %+v, want c1 at 1.0 once", hits)
	}
	// Re-embedded by another model: the case leaves the old space.
	mustPut(t, s, minimalCase("acme", "c1", "q", base), emb(spaceB, 0, 1, 0, 0))
	if got := mustSimilar(t, s, q); len(got) != 0 {
		t.Errorf("after moving to space B, space A still answers %v", simIDs(got))
	}
	// Put without an embedding: the case has none afterwards.
	mustPut(t, s, minimalCase("acme", "c1", "q", base), nil)
	q.Embedding.EmbedderID = spaceB
	if got := mustSimilar(t, s, q); len(got) != 0 {
		t.Errorf("after a put without embedding, space B still answers %v", simIDs(got))
	}
}

func testNilEmbedding(t *testing.T, f Factory) {
	s := open(t, f)
	mustPut(t, s, minimalCase("acme", "no-vector", "q", base), nil)
	mustPut(t, s, minimalCase("acme", "with-vector", "q", base), emb(spaceA, 1, 0, 0, 0))
	mustGet(t, s, "acme", "no-vector")
	hits := mustSimilar(t, s, triage.SimilarQuery{Tenant: "acme", Embedding: *emb(spaceA, 1, 0, 0, 0), K: 10, MinSimilarity: -1})
	if got := simIDs(hits); !sameIDs(got, []string{"with-vector"}) {
		t.Errorf("Similar = %v, want [with-vector]", got)
	}
}

func testConcurrentPut(t *testing.T, f Factory) {
	s := open(t, f)
	const workers, each = 8, 8
	var wg sync.WaitGroup
	errs := make(chan error, workers*(each+1))
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := fmt.Sprintf("w%d-c%d", w, i)
				c := minimalCase("acme", id, "q", base.Add(time.Duration(w*each+i)*time.Second))
				if err := s.PutCase(context.Background(), c, emb(spaceA, angled(float64(i)/10, 1)...)); err != nil {
					errs <- fmt.Errorf("%s: %w", id, err)
				}
			}
			// Every worker also redelivers the same case, as at-least-once intake does.
			shared := minimalCase("acme", "shared", "q", base)
			if err := s.PutCase(context.Background(), shared, emb(spaceA, 1, 0, 0, 0)); err != nil {
				errs <- fmt.Errorf("shared: %w", err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	ids := mustList(t, s, triage.CaseFilter{Tenant: "acme", Limit: 1000})
	if len(ids) != workers*each+1 {
		t.Errorf("ListCases has %d cases, want %d", len(ids), workers*each+1)
	}
	hits := mustSimilar(t, s, triage.SimilarQuery{Tenant: "acme", Embedding: *emb(spaceA, 1, 0, 0, 0), K: 1000, MinSimilarity: -1})
	seen := map[string]int{}
	for _, h := range hits {
		seen[h.CaseID]++
	}
	if len(hits) != workers*each+1 || seen["shared"] != 1 {
		t.Errorf("Similar returned %d hits (%d of them the shared case), want %d with the shared case once",
			len(hits), seen["shared"], workers*each+1)
	}
}

func testContextCanceled(t *testing.T, f Factory) {
	s := open(t, f)
	mustPut(t, s, minimalCase("acme", "existing", "q", base), emb(spaceA, 1, 0, 0, 0))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	wantCanceled := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context: err = %v, want one wrapping context.Canceled", what, err)
		}
	}
	wantCanceled("PutCase", s.PutCase(ctx, minimalCase("acme", "late", "q", base), emb(spaceA, 1, 0, 0, 0)))
	wantCanceled("SetStatus", s.SetStatus(ctx, triage.UploadStatus{Tenant: "acme", UploadID: "late", Status: triage.StatusPending}))
	_, err := s.GetCase(ctx, "acme", "existing")
	wantCanceled("GetCase", err)
	_, err = s.ListCases(ctx, triage.CaseFilter{Tenant: "acme"})
	wantCanceled("ListCases", err)
	_, err = s.GetStatus(ctx, "acme", "late")
	wantCanceled("GetStatus", err)
	_, err = s.Similar(ctx, triage.SimilarQuery{Tenant: "acme", Embedding: *emb(spaceA, 1, 0, 0, 0), K: 3})
	wantCanceled("Similar", err)

	// Nothing of the canceled writes landed, and the store still works.
	_, err = s.GetCase(context.Background(), "acme", "late")
	wantNotFound(t, err, "GetCase of a case whose PutCase was canceled")
	_, err = s.GetStatus(context.Background(), "acme", "late")
	wantNotFound(t, err, "GetStatus of an upload whose SetStatus was canceled")
	mustGet(t, s, "acme", "existing")
}

func testDurability(t *testing.T, r Reopener) {
	s := r.New(t)
	cases := []*triage.Case{
		fullCase("acme", "d1", base),
		minimalCase("acme", "d2", "q", base.Add(time.Minute)),
		minimalCase("globex", "d3", "q", base.Add(2*time.Minute)),
	}
	vectors := [][]float32{{1, 0, 0, 0}, angled(0.8, 1), {1, 0, 0, 0}}
	for i, c := range cases {
		mustPut(t, s, c, emb(spaceA, vectors[i]...))
	}
	st := triage.UploadStatus{Tenant: "acme", UploadID: "up-d1", CaseID: "d1", Status: triage.StatusTriaged, UpdatedAt: base}
	if err := s.SetStatus(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = r.Reopen(t, s)
	t.Cleanup(func() { s.Close() })
	for _, c := range cases {
		if got := mustGet(t, s, c.Tenant, c.ID); canon(t, got) != canon(t, c) {
			t.Errorf("after reopening, %s = %s, want %s", c.ID, canon(t, got), canon(t, c))
		}
	}
	got, err := s.GetStatus(context.Background(), "acme", "up-d1")
	if err != nil || got.Status != st.Status || got.CaseID != st.CaseID {
		t.Errorf("after reopening, GetStatus = %+v, %v; want %+v", got, err, st)
	}
	hits := mustSimilar(t, s, triage.SimilarQuery{Tenant: "acme", Embedding: *emb(spaceA, 1, 0, 0, 0), K: 5})
	if ids := simIDs(hits); !sameIDs(ids, []string{"d1", "d2"}) {
		t.Errorf("after reopening, Similar = %v, want [d1 d2]", ids)
	}
	mustPut(t, s, minimalCase("acme", "d4", "q", base.Add(3*time.Minute)), emb(spaceA, 0, 1, 0, 0))
	if ids := mustList(t, s, triage.CaseFilter{Tenant: "acme"}); !sameIDs(ids, []string{"d4", "d2", "d1"}) {
		t.Errorf("after reopening and one more put, ListCases = %v, want [d4 d2 d1]", ids)
	}
}
