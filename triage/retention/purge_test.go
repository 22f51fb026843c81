package retention_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/internal/keyring"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/anomaly"
	"github.com/logtriage/logtriage/triage/retention"
	"github.com/logtriage/logtriage/triage/store/embedded"
)

type recorder struct {
	events []audit.Event
	fail   error
}

func (r *recorder) Record(_ context.Context, e audit.Event) (audit.Event, error) {
	if r.fail != nil {
		return e, r.fail
	}
	r.events = append(r.events, e)
	return e, nil
}

func setup(t *testing.T) (*embedded.Store, *keyring.Keyring) {
	t.Helper()
	ks, err := keyring.OpenDirStore(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := keyring.NewMaster(keyring.Random(keyring.KeySize))
	kr := keyring.New(m, ks)
	s, err := embedded.Open(t.TempDir(), embedded.Options{Sealer: kr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, c := range []struct {
		tenant, id string
		age        time.Duration
	}{{"acme", "a-old", 200 * retention.Day}, {"acme", "a-new", retention.Day}, {"globex", "g-old", 200 * retention.Day}} {
		if err := s.PutCase(context.Background(), &triage.Case{ID: c.id, Tenant: c.tenant, Summary: "s", CreatedAt: time.Now().Add(-c.age)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	return s, kr
}

func TestDeleteTenantShredsFirstAndAudits(t *testing.T) {
	s, kr := setup(t)
	ctx := context.Background()
	sealed, err := kr.Seal(ctx, "acme", []byte("acme data"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tenant := range []string{"acme", "globex"} {
		if err := s.RecordHistory(ctx, tenant, anomaly.Summary{UploadID: "u-" + tenant, Time: time.Now(), Lines: 10}); err != nil {
			t.Fatal(err)
		}
	}
	rec := &recorder{}
	p, err := retention.New(retention.Options{Store: s, Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	d, err := p.DeleteTenant(ctx, kr, "acme")
	if err != nil || d.Cases != 2 || !d.KeyShred {
		t.Fatalf("DeleteTenant = %+v, %v", d, err)
	}
	if _, err := kr.Open(ctx, "acme", sealed, nil); !errors.Is(err, keyring.ErrShredded) {
		t.Errorf("acme's data still opens: %v", err)
	}
	if _, err := s.GetCase(ctx, "globex", "g-old"); err != nil {
		t.Errorf("another tenant's case: %v", err)
	}
	for tenant, want := range map[string]int{"acme": 0, "globex": 1} {
		if h, err := s.History(ctx, triage.HistoryQuery{Tenant: tenant}); err != nil || len(h) != want {
			t.Errorf("%s's anomaly history: %d summaries (%v), want %d", tenant, len(h), err, want)
		}
	}
	if len(rec.events) != 1 || rec.events[0].Action != audit.ActionTenantDeleted || rec.events[0].Tenant != "acme" ||
		rec.events[0].Detail["cases"] != "2" || rec.events[0].Detail["data_key_destroyed"] != "true" {
		t.Errorf("audit events %+v", rec.events)
	}
}

func TestPurgeWithoutAuditIsAnError(t *testing.T) {
	s, _ := setup(t)
	ctx := context.Background()
	p, err := retention.New(retention.Options{Store: s, Recorder: &recorder{fail: errors.New("audit store down")}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Purge(ctx, false); err == nil {
		t.Error("a purge whose audit event cannot be recorded reported success")
	}
	// Without a recorder (nil-safe) the purge runs and reports per tenant.
	p, _ = retention.New(retention.Options{Store: s})
	rep, err := p.Purge(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	_, cases, _, _ := rep.Totals()
	if cases != 1 || len(rep.Tenants) != 1 || rep.Tenants[0].Tenant != "globex" {
		t.Errorf("second purge: %+v (acme's old case went in the first)", rep)
	}
	if _, err := retention.New(retention.Options{Store: storeWithoutExpiry{s}}); err == nil {
		t.Error("a store that cannot expire data was accepted")
	}
}

// storeWithoutExpiry hides the Expirer capability.
type storeWithoutExpiry struct{ triage.Store }
