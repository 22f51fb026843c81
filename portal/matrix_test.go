package portal

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logtriage/logtriage/triage"
)

// route is one API call of the matrix and who may make it. The allowed set
// is the specification (roles x tenant scope); everyone else authenticated
// must get 404 and an anonymous caller 401.
type route struct {
	method, path, body string
	allowed            []string // accounts that get ok
	ok                 int      // status for the allowed; default 200
}

func matrixRoutes(f *fixture) []route {
	a, g := f.acmeCase.ID, f.globexCase.ID
	customers := []string{"cust-acme", "cust-globex"}
	all := []string{"cust-acme", "cust-globex", "agent-db", "agent-net", "sec", "ml", "admin"}
	return []route{
		{method: "GET", path: "/api/v1/me", allowed: all},
		{method: "GET", path: "/api/v1/cases", allowed: []string{"cust-acme", "cust-globex", "agent-db", "agent-net", "sec"}},
		{method: "GET", path: "/api/v1/cases/" + a, allowed: []string{"cust-acme", "agent-db", "sec"}},
		{method: "GET", path: "/api/v1/cases/" + g, allowed: []string{"cust-globex", "agent-net"}},
		{method: "GET", path: "/api/v1/cases/c-missing", allowed: nil},
		{method: "GET", path: "/api/v1/cases/" + a + "/similar", allowed: []string{"agent-db"}},
		{method: "GET", path: "/api/v1/cases/" + g + "/similar", allowed: []string{"agent-net"}},
		{method: "POST", path: "/api/v1/cases/" + a + "/take", allowed: []string{"agent-db"}},
		{method: "POST", path: "/api/v1/cases/" + g + "/take", allowed: []string{"agent-net"}},
		{method: "POST", path: "/api/v1/cases/" + a + "/resolve", body: `{"severity":"medium","note":"pool resized"}`, allowed: []string{"agent-db"}},
		{method: "POST", path: "/api/v1/cases/" + g + "/resolve", body: `{}`, allowed: []string{"agent-net"}},
		{method: "GET", path: "/api/v1/alerts", allowed: []string{"sec"}},
		{method: "POST", path: "/api/v1/alerts/" + a + "/ack", allowed: []string{"sec"}},
		{method: "POST", path: "/api/v1/alerts/" + g + "/ack", allowed: nil}, // no alert on globex's case
		{method: "GET", path: "/api/v1/uploads/" + f.acmeCase.Upload.ID, allowed: []string{"cust-acme"}},
		{method: "GET", path: "/api/v1/uploads/" + f.globexCase.Upload.ID, allowed: []string{"cust-globex"}},
		{method: "POST", path: "/api/v1/uploads", body: `{"name":"app.log","size":100}`, allowed: customers, ok: http.StatusCreated},
		{method: "GET", path: "/api/v1/evals", allowed: []string{"ml"}},
		{method: "GET", path: "/api/v1/evals/rules-2026-03-01", allowed: []string{"ml"}},
		{method: "GET", path: "/api/v1/evals/..%2fstore", allowed: nil},
		{method: "GET", path: "/api/v1/accounts", allowed: []string{"admin"}},
		{method: "POST", path: "/api/v1/accounts", body: `{"name":"new-ml","role":"ml","password":"test-only-password-9"}`, allowed: []string{"admin"}},
		{method: "POST", path: "/api/v1/accounts/nobody/disable", allowed: nil},
		{method: "GET", path: "/api/v1/audit", allowed: nil}, // not mounted in this fixture
		{method: "GET", path: "/api/v1/audit/export", allowed: nil},
		{method: "GET", path: "/api/v1/audit/public-key", allowed: nil},
		{method: "GET", path: "/api/v1/nothing-here", allowed: nil},
	}
}

// TestRoleRouteTenantMatrix runs every route as every account of every
// tenant, and anonymously.
func TestRoleRouteTenantMatrix(t *testing.T) {
	f := newFixture(t, fixtureOpts{withNATS: true})
	callers := append([]string{""}, func() []string {
		var n []string
		for _, a := range fixtureAccounts {
			n = append(n, a.Name)
		}
		return n
	}()...)
	for _, rt := range matrixRoutes(f) {
		for _, who := range callers {
			want := http.StatusNotFound
			switch {
			case who == "" && !strings.HasPrefix(rt.path, "/api/v1/nothing"):
				want = http.StatusUnauthorized
			case who == "":
				want = http.StatusNotFound // unknown paths are 404 for anyone
			case slices.Contains(rt.allowed, who):
				want = http.StatusOK
				if rt.ok != 0 {
					want = rt.ok
				}
			}
			name := rt.method + " " + rt.path + " as " + who
			if who == "" {
				name += "anonymous"
			}
			t.Run(name, func(t *testing.T) {
				resp := f.api(rt.method, rt.path, who, rt.body)
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != want {
					t.Fatalf("status %d, want %d: %s", resp.StatusCode, want, body)
				}
				if want == http.StatusNotFound && strings.Contains(string(body), f.acmeCase.Summary) {
					t.Fatalf("a 404 leaked the case: %s", body)
				}
			})
		}
	}
}

// TestListsAreScoped: the lists every reader gets hold only its scope.
func TestListsAreScoped(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	for who, want := range map[string][]string{
		"cust-acme":   {f.acmeCase.ID},
		"cust-globex": {f.globexCase.ID},
		"agent-db":    {f.acmeCase.ID},
		"agent-net":   {f.globexCase.ID},
		"sec":         {f.acmeCase.ID}, // only the alerted case
	} {
		resp := f.api("GET", "/api/v1/cases", who, "")
		var out struct {
			Cases []struct {
				ID     string `json:"id"`
				Tenant string `json:"tenant"`
				Queue  string `json:"queue"`
			} `json:"cases"`
		}
		must(t, json.NewDecoder(resp.Body).Decode(&out))
		var got []string
		for _, c := range out.Cases {
			got = append(got, c.ID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s lists %v, want %v", who, got, want)
		}
	}
	// A customer asking for another tenant by filter gets nothing.
	resp := f.api("GET", "/api/v1/cases?tenant=globex", "cust-acme", "")
	body, _ := io.ReadAll(resp.Body)
	if strings.Contains(string(body), f.globexCase.ID) {
		t.Fatalf("tenant filter crossed tenants: %s", body)
	}
	// The customer view carries no support-internal material.
	resp = f.api("GET", "/api/v1/cases/"+f.acmeCase.ID, "cust-acme", "")
	body, _ = io.ReadAll(resp.Body)
	for _, internal := range []string{"key_lines", "findings", "EMAIL:", "root_cause", "hmac:"} {
		if strings.Contains(string(body), internal) {
			t.Errorf("customer view shows %q: %s", internal, body)
		}
	}
}

func TestAccessIsAudited(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	if resp := f.api("GET", "/api/v1/cases/"+f.acmeCase.ID, "agent-db", ""); resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
	ev := f.rec.find("case.viewed", "acme", "agent-db")
	if len(ev) != 1 || ev[0].Resource != "case/"+f.acmeCase.ID || ev[0].Actor.Role != "agent" || ev[0].Outcome != "success" {
		t.Fatalf("case.viewed events: %+v", ev)
	}
	// No audit, no data.
	f.rec.fail = io.ErrClosedPipe
	resp := f.api("GET", "/api/v1/cases/"+f.acmeCase.ID, "agent-db", "")
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || strings.Contains(string(body), f.acmeCase.Summary) {
		t.Fatalf("with the recorder down: %d %s", resp.StatusCode, body)
	}
}

func TestTakeAndResolve(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	must(t, f.store.PutAccount(t.Context(), mustAccount(t, f, "agent-db2", "db-oncall")))
	id := f.acmeCase.ID
	if r := f.api("POST", "/api/v1/cases/"+id+"/take", "agent-db", ""); r.StatusCode != 200 {
		t.Fatal(r.Status)
	}
	tok2 := f.tokenFor("agent-db2")
	if r := f.apiToken("POST", "/api/v1/cases/"+id+"/take", tok2, ""); r.StatusCode != http.StatusConflict {
		t.Fatalf("second agent taking: %s", r.Status)
	}
	if r := f.apiToken("POST", "/api/v1/cases/"+id+"/resolve", tok2, `{}`); r.StatusCode != http.StatusConflict {
		t.Fatalf("second agent resolving: %s", r.Status)
	}
	if r := f.api("POST", "/api/v1/cases/"+id+"/resolve", "agent-db", `{"severity":"urgent"}`); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad severity: %s", r.Status)
	}
	r := f.api("POST", "/api/v1/cases/"+id+"/resolve", "agent-db", `{"severity":"medium","queue":"platform","note":"resized"}`)
	if r.StatusCode != 200 {
		t.Fatal(r.Status)
	}
	w, err := f.store.GetCaseWork(t.Context(), "acme", id)
	if err != nil || w.ResolvedBy != "agent-db" || w.State() != "resolved" {
		t.Fatalf("work after resolve: %+v %v", w, err)
	}
	ev := f.rec.find("case.resolved", "acme", "agent-db")
	if len(ev) != 1 || ev[0].Detail["corrected_severity"] != "medium" || ev[0].Detail["corrected_queue"] != "platform" {
		t.Fatalf("case.resolved events: %+v", ev)
	}
	// The open list no longer has it; the resolved list does.
	r = f.api("GET", "/api/v1/cases?status=open", "agent-db", "")
	body, _ := io.ReadAll(r.Body)
	if strings.Contains(string(body), id) {
		t.Fatalf("resolved case still open: %s", body)
	}
	r = f.api("GET", "/api/v1/cases?status=resolved", "agent-db", "")
	body, _ = io.ReadAll(r.Body)
	if !strings.Contains(string(body), id) {
		t.Fatalf("resolved case missing from the resolved list: %s", body)
	}
}

// TestSecuritySeesQuarantined: a quarantined upload's case is in security's
// scope (and not its customer-facing neighbours'), but it is not an alert.
func TestSecuritySeesQuarantined(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	q := testCase("globex", "c-quarantined", "triage-general", false, f.clock.Now())
	q.Status, q.StatusReason = triage.StatusQuarantined, "binary content"
	must(t, f.store.PutCase(t.Context(), q, nil))
	if r := f.api("GET", "/api/v1/cases/"+q.ID, "sec", ""); r.StatusCode != 200 {
		t.Fatalf("security on a quarantined case: %s", r.Status)
	}
	if r := f.api("GET", "/api/v1/cases/"+q.ID, "agent-db", ""); r.StatusCode != 404 {
		t.Fatalf("an agent of another queue: %s", r.Status)
	}
	r := f.api("GET", "/api/v1/alerts", "sec", "")
	body, _ := io.ReadAll(r.Body)
	if strings.Contains(string(body), q.ID) || !strings.Contains(string(body), f.acmeCase.ID) {
		t.Fatalf("alerts: %s", body)
	}
}

func TestOpenGrantsAreBounded(t *testing.T) {
	f := newFixture(t, fixtureOpts{withNATS: true})
	for i := range maxOpenGrants {
		if r := f.api("POST", "/api/v1/uploads", "cust-acme", `{"name":"a.log","size":1}`); r.StatusCode != 201 {
			t.Fatalf("grant %d: %s", i, r.Status)
		}
	}
	if r := f.api("POST", "/api/v1/uploads", "cust-acme", `{"name":"a.log","size":1}`); r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("grant over the bound: %s", r.Status)
	}
	if r := f.api("POST", "/api/v1/uploads", "cust-globex", `{"name":"a.log","size":1}`); r.StatusCode != 201 {
		t.Fatalf("another tenant is not affected: %s", r.Status)
	}
	f.clock.Add(16 * time.Minute) // the open ones expire
	if r := f.api("POST", "/api/v1/uploads", "cust-acme", `{"name":"a.log","size":1}`); r.StatusCode != 201 {
		t.Fatalf("after expiry: %s", r.Status)
	}
}
