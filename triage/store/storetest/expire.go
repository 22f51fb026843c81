package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/logtriage/logtriage/triage"
)

// testExpirer checks retention and tenant deletion on stores that implement
// triage.Expirer: the right rows go, everything else stays.
func testExpirer(t *testing.T, f Factory) {
	s := open(t, f)
	exp, ok := s.(triage.Expirer)
	if !ok {
		t.Skip("store does not implement triage.Expirer")
	}
	ctx := context.Background()
	now := base.Add(400 * 24 * time.Hour)
	old, recent := now.Add(-200*24*time.Hour), now.Add(-10*24*time.Hour)
	put := func(tenant, id string, created time.Time) {
		c := minimalCase(tenant, id, "q", created)
		c.Upload.ID = "up-" + id
		c.DeleteAfter = created.Add(180 * 24 * time.Hour)
		mustPut(t, s, c, emb(spaceA, 1, float32(len(id))))
		if err := s.SetStatus(ctx, triage.UploadStatus{Tenant: tenant, UploadID: c.Upload.ID, CaseID: id, Status: triage.StatusTriaged,
			UpdatedAt: created, DeleteAfter: created.Add(30 * 24 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	put("acme", "acme-old", old)
	put("acme", "acme-new", recent)
	put("globex", "globex-old", old)
	works, _ := s.(triage.CaseWorkStore)
	hasWork := func(tenant, id string) bool {
		_, err := works.GetCaseWork(ctx, tenant, id)
		return err == nil
	}
	if works != nil {
		for _, c := range [][2]string{{"acme", "acme-old"}, {"acme", "acme-new"}, {"globex", "globex-old"}} {
			if err := works.PutCaseWork(ctx, triage.CaseWork{Tenant: c[0], CaseID: c[1], Queue: "q", TakenBy: "agent-1", TakenAt: now}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, st := range []triage.UploadStatus{
		{Tenant: "acme", UploadID: "stuck", Status: triage.StatusPending, UpdatedAt: now.Add(-48 * time.Hour)},
		{Tenant: "acme", UploadID: "fresh", Status: triage.StatusPending, UpdatedAt: now.Add(-time.Hour)},
		{Tenant: "acme", UploadID: "failed", Status: triage.StatusFailed, UpdatedAt: now.Add(-48 * time.Hour)},
	} {
		if err := s.SetStatus(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := s.GetCase(ctx, "acme", "acme-new"); got == nil || !got.DeleteAfter.Equal(recent.Add(180*24*time.Hour)) {
		t.Errorf("the case's delete_after did not round-trip: %+v", got)
	}
	if st, _ := s.GetStatus(ctx, "acme", "up-acme-new"); !st.DeleteAfter.Equal(recent.Add(30 * 24 * time.Hour)) {
		t.Errorf("the status's delete_after did not round-trip: %+v", st)
	}
	tenants, err := exp.Tenants(ctx)
	if err != nil || !slices.Equal(tenants, []string{"acme", "globex"}) {
		t.Errorf("Tenants = %v, %v", tenants, err)
	}

	cutoff := now.Add(-180 * 24 * time.Hour)
	dry, err := exp.ExpireCases(ctx, "acme", cutoff, true)
	if err != nil || len(dry) != 1 || dry[0].ID != "acme-old" || dry[0].UploadID != "up-acme-old" {
		t.Fatalf("dry run = %+v, %v", dry, err)
	}
	mustGet(t, s, "acme", "acme-old") // a dry run removes nothing
	gone, err := exp.ExpireCases(ctx, "acme", cutoff, false)
	if err != nil || len(gone) != 1 || gone[0].ID != "acme-old" {
		t.Fatalf("ExpireCases = %+v, %v", gone, err)
	}
	_, err = s.GetCase(ctx, "acme", "acme-old")
	wantNotFound(t, err, "an expired case")
	_, err = s.GetStatus(ctx, "acme", "up-acme-old")
	wantNotFound(t, err, "the expired case's upload status")
	if ids := simIDs(mustSimilar(t, s, triage.SimilarQuery{Tenant: "acme", Embedding: *emb(spaceA, 1, 8), K: 10, MinSimilarity: -1})); !slices.Equal(ids, []string{"acme-new"}) {
		t.Errorf("similar after expiry = %v: the expired case's embedding must go with it", ids)
	}
	mustGet(t, s, "acme", "acme-new")
	mustGet(t, s, "globex", "globex-old") // another tenant's window is its own business
	if works != nil && (hasWork("acme", "acme-old") || !hasWork("acme", "acme-new") || !hasWork("globex", "globex-old")) {
		t.Error("case work must go with its expired case, and only with it")
	}
	if again, _ := exp.ExpireCases(ctx, "acme", cutoff, false); len(again) != 0 {
		t.Errorf("a second purge removed %v", again)
	}

	incomplete := []triage.Status{triage.StatusPending, triage.StatusProcessing, triage.StatusFailed}
	sts, err := exp.ExpireStatuses(ctx, "acme", incomplete, now.Add(-24*time.Hour), false)
	var ups []string
	for _, st := range sts {
		ups = append(ups, st.UploadID)
	}
	slices.Sort(ups)
	if err != nil || !slices.Equal(ups, []string{"failed", "stuck"}) {
		t.Errorf("ExpireStatuses = %v, %v", ups, err)
	}
	if _, err := s.GetStatus(ctx, "acme", "fresh"); err != nil {
		t.Errorf("a status inside its window: %v", err)
	}
	if _, err := s.GetStatus(ctx, "acme", "up-acme-new"); err != nil {
		t.Errorf("a status naming a live case: %v", err)
	}

	if _, err := exp.ExpireAudit(ctx, "acme", now.Add(time.Hour), true); err != nil {
		t.Errorf("ExpireAudit dry run: %v", err)
	}

	n, err := exp.DeleteTenant(ctx, "globex")
	if err != nil || n != 1 {
		t.Fatalf("DeleteTenant = %d, %v", n, err)
	}
	_, err = s.GetCase(ctx, "globex", "globex-old")
	wantNotFound(t, err, "a deleted tenant's case")
	if ids := mustList(t, s, triage.CaseFilter{Tenant: "globex"}); len(ids) != 0 {
		t.Errorf("a deleted tenant still lists %v", ids)
	}
	mustGet(t, s, "acme", "acme-new")
	if works != nil && (hasWork("globex", "globex-old") || !hasWork("acme", "acme-new")) {
		t.Error("a deleted tenant's case work must go, and only its")
	}
	if tenants, _ := exp.Tenants(ctx); !slices.Equal(tenants, []string{"acme"}) {
		t.Errorf("Tenants after delete = %v", tenants)
	}
}
