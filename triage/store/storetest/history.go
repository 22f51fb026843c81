package storetest

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/anomaly"
)

func historyStore(t *testing.T, f Factory) (triage.Store, triage.HistoryStore) {
	t.Helper()
	s := open(t, f)
	hs, ok := s.(triage.HistoryStore)
	if !ok {
		t.Skip("store does not implement triage.HistoryStore")
	}
	return s, hs
}

func summary(upload string, at time.Time, templates ...string) anomaly.Summary {
	s := anomaly.Summary{UploadID: upload, Time: at, Lines: 10 * len(templates), Errors: 1, Warns: 2,
		Actors: []string{"fp-actor-" + upload}, Sources: []string{"fp-src-" + upload}, Templates: []anomaly.TemplateCount{}}
	for i, tmpl := range templates {
		s.Templates = append(s.Templates, anomaly.TemplateCount{ID: "id-" + tmpl, Template: tmpl + " <*>", Count: 10, Errors: i % 2})
	}
	return s
}

func mustRecord(t *testing.T, hs triage.HistoryStore, tenant string, s anomaly.Summary) {
	t.Helper()
	if err := hs.RecordHistory(context.Background(), tenant, s); err != nil {
		t.Fatalf("RecordHistory(%s, %s): %v", tenant, s.UploadID, err)
	}
}

func uploads(sums []anomaly.Summary) []string {
	out := []string{}
	for _, s := range sums {
		out = append(out, s.UploadID)
	}
	return out
}

// testHistory: summaries round-trip, come back oldest first within Since
// and Limit, never from another tenant, never the excluded upload; a
// re-recorded upload replaces itself; KnownTemplates answers per id for
// any tenant but the asking upload.
func testHistory(t *testing.T, f Factory) {
	_, hs := historyStore(t, f)
	ctx := context.Background()
	u1 := summary("u1", base, "alpha", "beta")
	mustRecord(t, hs, "acme", u1)
	mustRecord(t, hs, "acme", summary("u3", base.Add(2*time.Hour), "gamma"))
	mustRecord(t, hs, "acme", summary("u2", base.Add(time.Hour), "alpha"))
	mustRecord(t, hs, "globex", summary("g1", base.Add(time.Hour), "secret-template"))

	got, err := hs.History(ctx, triage.HistoryQuery{Tenant: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if ids := uploads(got); !reflect.DeepEqual(ids, []string{"u1", "u2", "u3"}) {
		t.Fatalf("History(acme) = %v, want [u1 u2 u3] oldest first", ids)
	}
	if !reflect.DeepEqual(got[0], u1) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got[0], u1)
	}

	for _, tc := range []struct {
		name string
		q    triage.HistoryQuery
		want []string
	}{
		{"since", triage.HistoryQuery{Tenant: "acme", Since: base.Add(time.Hour)}, []string{"u2", "u3"}},
		{"limit keeps the newest", triage.HistoryQuery{Tenant: "acme", Limit: 2}, []string{"u2", "u3"}},
		{"exclude", triage.HistoryQuery{Tenant: "acme", ExcludeUpload: "u2"}, []string{"u1", "u3"}},
		{"other tenant", triage.HistoryQuery{Tenant: "globex"}, []string{"g1"}},
		{"unknown tenant", triage.HistoryQuery{Tenant: "initech"}, []string{}},
	} {
		got, err := hs.History(ctx, tc.q)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if ids := uploads(got); !reflect.DeepEqual(ids, tc.want) {
			t.Errorf("%s: History = %v, want %v", tc.name, ids, tc.want)
		}
	}

	// Recording an upload again (a redelivery) replaces it.
	again := summary("u1", base, "alpha", "beta", "delta")
	mustRecord(t, hs, "acme", again)
	got, _ = hs.History(ctx, triage.HistoryQuery{Tenant: "acme"})
	if len(got) != 3 || !reflect.DeepEqual(got[0], again) {
		t.Errorf("after re-recording u1: %d summaries, first %+v; want 3, the new u1", len(got), got[0])
	}

	known, err := hs.KnownTemplates(ctx, []string{"id-alpha", "id-secret-template", "id-delta", "id-never"}, "acme", "u1")
	if err != nil {
		t.Fatal(err)
	}
	// alpha and delta were first recorded by u1 itself; the globex template
	// is known (a yes, nothing more); "never" is unknown.
	want := map[string]bool{"id-secret-template": true}
	if !reflect.DeepEqual(known, want) {
		t.Errorf("KnownTemplates excluding acme/u1 = %v, want %v", known, want)
	}
	known, _ = hs.KnownTemplates(ctx, []string{"id-alpha", "id-gamma"}, "globex", "g1")
	if !reflect.DeepEqual(known, map[string]bool{"id-alpha": true, "id-gamma": true}) {
		t.Errorf("KnownTemplates for globex = %v, want alpha and gamma known", known)
	}
	if known, err := hs.KnownTemplates(ctx, nil, "acme", "u9"); err != nil || len(known) != 0 {
		t.Errorf("KnownTemplates(nil) = %v, %v", known, err)
	}

	if err := hs.RecordHistory(ctx, "", summary("u9", base)); err == nil {
		t.Error("RecordHistory without a tenant succeeded")
	}
	if err := hs.RecordHistory(ctx, "acme", summary("", base)); err == nil {
		t.Error("RecordHistory without an upload id succeeded")
	}
	if _, err := hs.History(ctx, triage.HistoryQuery{}); err == nil {
		t.Error("History without a tenant succeeded")
	}
}

// testHistoryDelete: a deleted tenant's summaries and first-recorded marks
// are gone; other tenants keep theirs; a reopened store does not bring them back.
func testHistoryDelete(t *testing.T, f Factory) {
	_, hs := historyStore(t, f)
	ctx := context.Background()
	mustRecord(t, hs, "acme", summary("a1", base, "shared", "acme-only"))
	mustRecord(t, hs, "globex", summary("g1", base.Add(time.Hour), "shared", "globex-only"))
	if err := hs.DeleteHistory(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if got, err := hs.History(ctx, triage.HistoryQuery{Tenant: "acme"}); err != nil || len(got) != 0 {
		t.Errorf("acme after delete: %v, %v", uploads(got), err)
	}
	if got, _ := hs.History(ctx, triage.HistoryQuery{Tenant: "globex"}); len(got) != 1 {
		t.Errorf("globex after deleting acme: %v", uploads(got))
	}
	known, err := hs.KnownTemplates(ctx, []string{"id-acme-only", "id-globex-only"}, "initech", "i1")
	if err != nil {
		t.Fatal(err)
	}
	if known["id-acme-only"] || !known["id-globex-only"] {
		t.Errorf("known after deleting acme = %v: want globex's only", known)
	}
	if err := hs.DeleteHistory(ctx, ""); err == nil {
		t.Error("DeleteHistory without a tenant succeeded")
	}
}

// testHistoryPurge: summaries older than the cutoff go, of every tenant.
func testHistoryPurge(t *testing.T, f Factory) {
	_, hs := historyStore(t, f)
	ctx := context.Background()
	mustRecord(t, hs, "acme", summary("old", base, "alpha"))
	mustRecord(t, hs, "acme", summary("new", base.Add(48*time.Hour), "alpha"))
	mustRecord(t, hs, "globex", summary("g-old", base.Add(time.Hour), "beta"))
	n, err := hs.PurgeHistory(ctx, base.Add(24*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("PurgeHistory = %d, %v; want 2", n, err)
	}
	got, _ := hs.History(ctx, triage.HistoryQuery{Tenant: "acme"})
	if ids := uploads(got); !reflect.DeepEqual(ids, []string{"new"}) {
		t.Errorf("acme after purge: %v, want [new]", ids)
	}
	if got, _ := hs.History(ctx, triage.HistoryQuery{Tenant: "globex"}); len(got) != 0 {
		t.Errorf("globex after purge: %v", uploads(got))
	}
	if n, err := hs.PurgeHistory(ctx, base.Add(24*time.Hour)); err != nil || n != 0 {
		t.Errorf("second purge = %d, %v; want 0", n, err)
	}
}

// testHistoryConcurrent: concurrent recordings (workers in parallel) all land.
func testHistoryConcurrent(t *testing.T, f Factory) {
	_, hs := historyStore(t, f)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			errs <- hs.RecordHistory(context.Background(), "acme", summary(fmt.Sprintf("c%02d", i), base.Add(time.Duration(i)*time.Minute), "alpha", fmt.Sprintf("t%d", i)))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := hs.History(context.Background(), triage.HistoryQuery{Tenant: "acme"})
	if err != nil || len(got) != 16 {
		t.Fatalf("History after 16 concurrent recordings: %d, %v", len(got), err)
	}
}

// testHistoryDurable: summaries survive reopening the store.
func testHistoryDurable(t *testing.T, r Reopener) {
	s := r.New(t)
	hs, ok := s.(triage.HistoryStore)
	if !ok {
		s.Close()
		t.Skip("store does not implement triage.HistoryStore")
	}
	want := summary("u1", base, "alpha")
	mustRecord(t, hs, "acme", want)
	mustRecord(t, hs, "gone", summary("x1", base, "beta"))
	if err := hs.DeleteHistory(context.Background(), "gone"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = r.Reopen(t, s)
	t.Cleanup(func() { s.Close() })
	got, err := s.(triage.HistoryStore).History(context.Background(), triage.HistoryQuery{Tenant: "acme"})
	if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Fatalf("after reopening: %+v, %v; want [%+v]", got, err, want)
	}
	if got, _ := s.(triage.HistoryStore).History(context.Background(), triage.HistoryQuery{Tenant: "gone"}); len(got) != 0 {
		t.Errorf("a deleted tenant's history came back on reopening: %v", uploads(got))
	}
}
