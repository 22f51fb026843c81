package portal

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/audit/audithttp"
	"github.com/logtriage/logtriage/audit/audittest"
)

// TestAccessLogPage: with the audit chain and its handlers mounted (as
// serve mounts them), a customer's console page lists who read their data,
// and the API route answers from the same handler; another tenant's
// events never show.
func TestAccessLogPage(t *testing.T) {
	store := audittest.NewMemStore()
	chain := audit.NewChain(store, nil, audit.Options{})
	h, err := audithttp.New(audithttp.Options{Store: store, Recorder: chain, Scope: func(r *http.Request) (audithttp.Scope, bool) {
		p, ok := PrincipalFrom(r.Context())
		if !ok || p.Role != RoleCustomer {
			return audithttp.Scope{}, false
		}
		return audithttp.Scope{Actor: audit.Actor{Kind: audit.ActorUser, Name: p.Name, Role: string(p.Role)}, Tenant: p.Tenant}, true
	}})
	must(t, err)
	f := newFixture(t, fixtureOpts{opts: func(o *Options) {
		o.Recorder = chain
		o.Audit = AuditAPI{Events: h.Events, Export: h.Export, PublicKey: h.PublicKey}
	}})
	ts := httptest.NewServer(f.srv)
	defer ts.Close()
	if r := f.api("GET", "/api/v1/cases/"+f.acmeCase.ID, "agent-db", ""); r.StatusCode != 200 {
		t.Fatal(r.Status)
	}
	if r := f.api("GET", "/api/v1/cases/"+f.globexCase.ID, "agent-net", ""); r.StatusCode != 200 {
		t.Fatal(r.Status)
	}
	b := newBrowser(t, ts)
	b.login("cust-acme", testPassword)
	r, page := b.do("GET", "/access-log", nil, nil)
	if r.StatusCode != 200 || !strings.Contains(page, "agent-db (agent)") || !strings.Contains(page, "case.viewed") {
		t.Fatalf("access log page: %s\n%s", r.Status, page)
	}
	if strings.Contains(page, "agent-net") || strings.Contains(page, f.globexCase.ID) {
		t.Fatal("the access log shows another tenant's events")
	}
	if r := f.api("GET", "/api/v1/audit", "cust-acme", ""); r.StatusCode != 200 {
		t.Fatalf("GET /api/v1/audit: %s", r.Status)
	}
	if r := f.api("GET", "/api/v1/audit", "agent-db", ""); r.StatusCode != 404 {
		t.Fatalf("an agent on the audit API: %s", r.Status)
	}
}
