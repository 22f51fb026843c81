package audithttp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/audit/audithttp"
	"github.com/logtriage/logtriage/audit/audittest"
)

// testScope stands in for the portal's authentication: the role and tenant
// come from headers a real deployment never trusts.
func testScope(r *http.Request) (audithttp.Scope, bool) {
	name, role, tenant := r.Header.Get("X-User"), r.Header.Get("X-Role"), r.Header.Get("X-Tenant")
	sc := audithttp.Scope{Actor: audit.Actor{Kind: audit.ActorUser, Name: name, Role: role},
		Reason: r.Header.Get("X-Access-Reason"), SourceAddr: "192.0.2.7", RequestID: r.Header.Get("X-Request-Id")}
	switch role {
	case "customer":
		sc.Tenant = tenant
		return sc, tenant != ""
	case "security", "admin":
		sc.AllTenants = true
		return sc, true
	}
	return sc, false
}

type flakyRecorder struct {
	inner audit.Recorder
	down  atomic.Bool
}

func (f *flakyRecorder) Record(ctx context.Context, e audit.Event) (audit.Event, error) {
	if f.down.Load() {
		return audit.Event{}, errors.New("audit store down")
	}
	return f.inner.Record(ctx, e)
}

type fixture struct {
	srv   *httptest.Server
	store *audittest.MemStore
	rec   *flakyRecorder
	sg    *audit.Signer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := audittest.NewMemStore()
	sg, _ := audit.GenerateSigner()
	chain := audit.NewChain(st, sg, audit.Options{})
	rec := &flakyRecorder{inner: chain}
	h, err := audithttp.New(audithttp.Options{Store: st, Recorder: rec, Scope: testScope, Signer: sg})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /api/v1/audit", h.Events)
	mux.Handle("GET /api/v1/audit/export", h.Export)
	mux.Handle("GET /api/v1/audit/public-key", h.PublicKey)
	f := &fixture{srv: httptest.NewServer(mux), store: st, rec: rec, sg: sg}
	t.Cleanup(f.srv.Close)
	for i := 0; i < 5; i++ {
		for _, tenant := range []string{"acme", "globex"} {
			chain.Record(context.Background(), audit.Event{Tenant: tenant,
				Actor:  audit.Actor{Kind: audit.ActorUser, Name: "agent-" + tenant, Role: "agent"},
				Action: audit.ActionCaseViewed, Resource: "case/" + tenant})
		}
	}
	chain.Checkpoint(context.Background())
	return f
}

type who struct{ user, role, tenant string }

var (
	acmeCustomer   = who{"carol", "customer", "acme"}
	globexCustomer = who{"gina", "customer", "globex"}
	security       = who{"sam", "security", ""}
	admin          = who{"ada", "admin", ""}
	agent          = who{"al", "agent", "acme"}
)

func (f *fixture) get(t *testing.T, w who, path string, hdr ...string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", f.srv.URL+path, nil)
	req.Header.Set("X-User", w.user)
	req.Header.Set("X-Role", w.role)
	req.Header.Set("X-Tenant", w.tenant)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (f *fixture) page(t *testing.T, w who, query string) audithttp.Page {
	t.Helper()
	code, b := f.get(t, w, "/api/v1/audit?"+query)
	var p audithttp.Page
	if code != 200 || json.Unmarshal(b, &p) != nil {
		t.Fatalf("GET /api/v1/audit?%s as %s: %d %s", query, w.role, code, b)
	}
	return p
}

func tenantsIn(events []audit.Event) map[string]int {
	m := map[string]int{}
	for _, e := range events {
		m[e.Tenant]++
	}
	return m
}

// The role x tenant matrix: a customer sees its own trail only, whatever it
// asks for; security and admin see every tenant's; anyone else nothing.
func TestScopeMatrix(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		who    who
		query  string
		code   int
		tenant map[string]bool // tenants allowed in the answer
	}{
		{acmeCustomer, "", 200, map[string]bool{"acme": true}},
		{acmeCustomer, "tenant=acme", 200, map[string]bool{"acme": true}},
		{acmeCustomer, "tenant=globex", 404, nil},
		{globexCustomer, "", 200, map[string]bool{"globex": true}},
		{globexCustomer, "tenant=acme", 404, nil},
		{security, "", 200, map[string]bool{"acme": true, "globex": true}},
		{security, "tenant=globex", 200, map[string]bool{"globex": true}},
		{admin, "", 200, map[string]bool{"acme": true, "globex": true}},
		{agent, "", 404, nil},
		{who{}, "", 404, nil},
	}
	for _, tc := range tests {
		for _, path := range []string{"/api/v1/audit?", "/api/v1/audit/export?"} {
			t.Run(tc.who.role+"/"+tc.who.tenant+"/"+path+tc.query, func(t *testing.T) {
				code, body := f.get(t, tc.who, path+tc.query)
				if code != tc.code {
					t.Fatalf("status %d, want %d: %s", code, tc.code, body)
				}
				if code != 200 {
					return
				}
				var events []audit.Event
				if strings.Contains(path, "export") {
					for _, line := range bytes.Split(bytes.TrimSpace(body), []byte("\n")) {
						var e audit.Event
						if json.Unmarshal(line, &e) == nil && e.Tenant != "" {
							events = append(events, e)
						}
						if bytes.Contains(line, []byte(`"checkpoint"`)) {
							var cp struct{ Checkpoint audit.Checkpoint }
							json.Unmarshal(line, &cp)
							events = append(events, audit.Event{Tenant: cp.Checkpoint.Tenant})
						}
					}
				} else {
					var p audithttp.Page
					json.Unmarshal(body, &p)
					events = p.Events
				}
				if len(events) == 0 {
					t.Fatal("empty answer")
				}
				for tenant := range tenantsIn(events) {
					if !tc.tenant[tenant] {
						t.Fatalf("%s's %s answer holds %s's events", tc.who.role, path, tenant)
					}
				}
			})
		}
	}
}

// A staff query is recorded in each tenant it returned, with the reason,
// before the answer; a customer reading its own trail adds nothing to it.
func TestStaffQueriesAreAudited(t *testing.T) {
	f := newFixture(t)
	f.page(t, acmeCustomer, "")
	if got := f.queried(t, "acme"); len(got) != 0 {
		t.Fatalf("customer's own read recorded: %+v", got)
	}
	code, _ := f.get(t, security, "/api/v1/audit?action=case.viewed", "X-Access-Reason", "INC-42 breach review", "X-Request-Id", "req-9")
	if code != 200 {
		t.Fatal(code)
	}
	for _, tenant := range []string{"acme", "globex"} {
		got := f.queried(t, tenant)
		if len(got) != 1 || got[0].Actor.Name != "sam" || got[0].Actor.Role != "security" ||
			got[0].Reason != "INC-42 breach review" || got[0].RequestID != "req-9" || got[0].Resource != "audit/"+tenant {
			t.Fatalf("%s: %+v", tenant, got)
		}
	}
	// One tenant asked: only that tenant's chain records it, even with nothing found.
	f.get(t, admin, "/api/v1/audit?tenant=globex&actor=nobody")
	if len(f.queried(t, "globex")) != 2 || len(f.queried(t, "acme")) != 1 {
		t.Fatal("a one-tenant query was recorded elsewhere")
	}
	// Staff export: recorded in every tenant before streaming, and part of the export.
	code, body := f.get(t, security, "/api/v1/audit/export")
	if code != 200 {
		t.Fatal(code)
	}
	rep, err := audit.VerifyExport(bytes.NewReader(body), audit.VerifyOptions{PublicKey: f.sg.PublicKey()})
	if err != nil || !rep.OK || !bytes.Contains(body, []byte(audit.ActionAuditExported)) {
		t.Fatalf("staff export: %v %+v", err, rep.First)
	}
	for _, tenant := range []string{"acme", "globex"} {
		if got, _ := f.store.QueryAudit(context.Background(), audit.Query{Tenant: tenant, Action: audit.ActionAuditExported}); len(got) != 1 {
			t.Fatalf("%s: %d export events", tenant, len(got))
		}
	}
}

func (f *fixture) queried(t *testing.T, tenant string) []audit.Event {
	got, err := f.store.QueryAudit(context.Background(), audit.Query{Tenant: tenant, Action: audit.ActionAuditQueried})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// No audit, no data: when the staff read cannot be recorded, nothing is shown.
func TestStaffReadRefusedWithoutAudit(t *testing.T) {
	f := newFixture(t)
	f.rec.down.Store(true)
	for _, path := range []string{"/api/v1/audit", "/api/v1/audit/export"} {
		code, body := f.get(t, security, path)
		if code != http.StatusServiceUnavailable || bytes.Contains(body, []byte("case.viewed")) {
			t.Fatalf("%s with the recorder down: %d %s", path, code, body)
		}
	}
	// The customer's own read needs no event and still works.
	if p := f.page(t, acmeCustomer, ""); len(p.Events) == 0 {
		t.Fatal("customer read failed")
	}
}

// The customer's export verifies offline with the published key.
func TestCustomerExportVerifies(t *testing.T) {
	f := newFixture(t)
	code, pem := f.get(t, acmeCustomer, "/api/v1/audit/public-key")
	pub, err := audit.ParsePublicKey(pem)
	if code != 200 || err != nil || !pub.Equal(f.sg.PublicKey()) {
		t.Fatalf("public key: %d %v", code, err)
	}
	code, body := f.get(t, acmeCustomer, "/api/v1/audit/export")
	rep, err := audit.VerifyExport(bytes.NewReader(body), audit.VerifyOptions{PublicKey: pub})
	if code != 200 || err != nil || !rep.OK || rep.Events != 5 || rep.Tenants[0].Checkpoints != 1 {
		t.Fatalf("export: %d %v %+v", code, err, rep)
	}
	all := f.page(t, acmeCustomer, "")
	code, body = f.get(t, acmeCustomer, "/api/v1/audit/export?since="+url.QueryEscape(all.Events[1].Time.Format("2006-01-02T15:04:05.999999999Z07:00")))
	rep, _ = audit.VerifyExport(bytes.NewReader(body), audit.VerifyOptions{PublicKey: pub})
	if code != 200 || !rep.OK || rep.Events != 2 || !rep.Tenants[0].Partial {
		t.Fatalf("export since: %d %+v", code, rep)
	}
}

func TestPaginationAndFilters(t *testing.T) {
	f := newFixture(t)
	seen := map[string]bool{}
	cursor := ""
	for i := 0; i < 10; i++ {
		p := f.page(t, security, "tenant=acme&limit=2&cursor="+cursor)
		for _, e := range p.Events {
			if seen[e.ID] {
				t.Fatalf("event %s twice", e.ID)
			}
			seen[e.ID] = true
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	if len(seen) < 5 {
		t.Fatalf("pages held %d acme events, want at least 5", len(seen))
	}
	if p := f.page(t, acmeCustomer, "actor=agent-acme&action=case.viewed&resource=case/"); len(p.Events) != 5 {
		t.Fatalf("filters: %d events", len(p.Events))
	}
	for _, q := range []string{"since=yesterday", "limit=0", "limit=5000", "cursor=bogus"} {
		if code, _ := f.get(t, acmeCustomer, "/api/v1/audit?"+q); code != 400 {
			t.Errorf("%s: status %d, want 400", q, code)
		}
	}
}

// brokenWriter is a client that went away: every write fails.
type brokenWriter struct{ h http.Header }

func (b *brokenWriter) Header() http.Header       { return b.h }
func (b *brokenWriter) Write([]byte) (int, error) { return 0, errors.New("connection reset") }
func (b *brokenWriter) WriteHeader(int)           {}

// A crash (or a client gone) between the access and the response: the event
// of the staff read is already durable, so the trail never lacks an access
// that was answered, even partly.
func TestEventPresentWhenResponseFails(t *testing.T) {
	f := newFixture(t)
	st := f.store
	h, _ := audithttp.New(audithttp.Options{Store: st, Recorder: f.rec, Scope: testScope, Signer: f.sg})
	for _, tc := range []struct {
		handler http.Handler
		path    string
		action  string
	}{{h.Events, "/api/v1/audit", audit.ActionAuditQueried}, {h.Export, "/api/v1/audit/export", audit.ActionAuditExported}} {
		req := httptest.NewRequest("GET", tc.path, nil)
		req.Header.Set("X-User", "sam")
		req.Header.Set("X-Role", "security")
		tc.handler.ServeHTTP(&brokenWriter{h: http.Header{}}, req)
		for _, tenant := range []string{"acme", "globex"} {
			if got, _ := st.QueryAudit(context.Background(), audit.Query{Tenant: tenant, Action: tc.action}); len(got) != 1 {
				t.Fatalf("%s: %d %s events in %s after a failed response, want 1", tc.path, len(got), tc.action, tenant)
			}
		}
	}
}

func TestExportOCSF(t *testing.T) {
	f := newFixture(t)
	code, body := f.get(t, acmeCustomer, "/api/v1/audit/export?format=ocsf")
	lines := bytes.Split(bytes.TrimSpace(body), []byte("\n"))
	if code != 200 || len(lines) != 5 {
		t.Fatalf("ocsf export: %d, %d lines", code, len(lines))
	}
	for _, l := range lines {
		var m struct {
			ClassUID int `json:"class_uid"`
			Metadata struct {
				TenantUID string `json:"tenant_uid"`
			} `json:"metadata"`
		}
		if json.Unmarshal(l, &m) != nil || m.ClassUID != 6003 || m.Metadata.TenantUID != "acme" {
			t.Fatalf("line %s", l)
		}
	}
	if code, _ := f.get(t, acmeCustomer, "/api/v1/audit/export?format=xml"); code != 400 {
		t.Fatalf("format=xml: %d", code)
	}
}
