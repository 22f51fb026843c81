package portal

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/logtriage/logtriage/router"
)

// TestConsoleMatrix signs in as every account and opens every page: its
// own pages render with their content, the others are the 404 page.
func TestConsoleMatrix(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ts := httptest.NewServer(f.srv)
	defer ts.Close()
	a, g := f.acmeCase.ID, f.globexCase.ID
	pages := []struct {
		path    string
		allowed []string
		shows   string // text the allowed see
	}{
		{"/queue", []string{"agent-db", "agent-net"}, "SLA"},
		{"/cases", []string{"cust-acme", "cust-globex", "agent-db", "agent-net", "sec"}, "Case"},
		{"/cases/" + a, []string{"cust-acme", "agent-db", "sec"}, f.acmeCase.Summary},
		{"/cases/" + g, []string{"cust-globex", "agent-net"}, f.globexCase.Summary},
		{"/alerts", []string{"sec"}, a},
		{"/uploads", []string{"cust-acme", "cust-globex"}, "Logs are deleted 30 days after upload"},
		{"/access-log", []string{"cust-acme", "cust-globex"}, "Access log"},
		{"/evals", []string{"ml"}, "rules-2026-03-01"},
		{"/evals/rules-2026-03-01", []string{"ml"}, "severity.accuracy"},
		{"/accounts", []string{"admin"}, "cust-globex"},
		{"/account", []string{"cust-acme", "cust-globex", "agent-db", "agent-net", "sec", "ml", "admin"}, "TOTP"},
		{"/no-such-page", nil, ""},
	}
	for _, acct := range fixtureAccounts {
		b := newBrowser(t, ts)
		if r := b.login(acct.Name, testPassword); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("login %s: %s", acct.Name, r.Status)
		}
		for _, p := range pages {
			r, body := b.do("GET", p.path, nil, nil)
			allowed := slices.Contains(p.allowed, acct.Name)
			switch {
			case allowed && (r.StatusCode != 200 || !strings.Contains(body, p.shows)):
				t.Errorf("%s %s: %s, want 200 showing %q", acct.Name, p.path, r.Status, p.shows)
			case !allowed && r.StatusCode != http.StatusNotFound:
				t.Errorf("%s %s: %s, want 404", acct.Name, p.path, r.Status)
			case !allowed && (strings.Contains(body, f.acmeCase.Summary) || strings.Contains(body, f.globexCase.Summary)):
				t.Errorf("%s %s: the 404 page shows a case", acct.Name, p.path)
			}
		}
	}
	// Signed out, every page sends to the sign-in page.
	b := newBrowser(t, ts)
	for _, p := range pages {
		if r, _ := b.do("GET", p.path, nil, nil); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
			t.Errorf("anonymous %s: %s %s", p.path, r.Status, r.Header.Get("Location"))
		}
	}
}

// TestResolveForm: an agent takes and resolves through the page with
// corrected labels.
func TestResolveForm(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ts := httptest.NewServer(f.srv)
	defer ts.Close()
	b := newBrowser(t, ts)
	b.login("agent-db", testPassword)
	_, page := b.do("GET", "/cases/"+f.acmeCase.ID, nil, nil)
	tok := b.csrfOf(page)
	r, _ := b.do("POST", "/cases/"+f.acmeCase.ID+"/resolve", map[string][]string{
		"csrf": {tok}, "severity": {"low"}, "category": {"network"}, "note": {"fixed by resize"}}, nil)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatal(r.Status)
	}
	_, page = b.do("GET", r.Header.Get("Location"), nil, nil)
	if !strings.Contains(page, "Resolved. Thank you.") || !strings.Contains(page, "resolved by agent-db") {
		t.Fatalf("case page after resolve:\n%s", page)
	}
	ev := f.rec.find("case.resolved", "acme", "agent-db")
	if len(ev) != 1 || ev[0].Detail["corrected_severity"] != "low" || ev[0].Detail["corrected_category"] != "network" {
		t.Fatalf("events %+v", ev)
	}
}

// TestComments: agents of the queue comment (API and form); others get 404.
func TestComments(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ts := httptest.NewServer(f.srv)
	defer ts.Close()
	id := f.acmeCase.ID
	if r := f.api("POST", "/api/v1/cases/"+id+"/comments", "agent-db", `{"text":"pool at 10, raising"}`); r.StatusCode != 200 {
		t.Fatal(r.Status)
	}
	for _, who := range []string{"agent-net", "cust-acme", "sec"} {
		if r := f.api("POST", "/api/v1/cases/"+id+"/comments", who, `{"text":"x"}`); r.StatusCode != http.StatusNotFound {
			t.Errorf("%s commenting: %s", who, r.Status)
		}
	}
	if r := f.api("POST", "/api/v1/cases/"+id+"/comments", "agent-db", `{"text":"  "}`); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("empty comment: %s", r.Status)
	}
	b := newBrowser(t, ts)
	b.login("agent-db", testPassword)
	_, page := b.do("GET", "/cases/"+id, nil, nil)
	r, _ := b.do("POST", "/cases/"+id+"/comments", map[string][]string{"csrf": {b.csrfOf(page)}, "text": {"customer confirmed <b>fix</b>"}}, nil)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatal(r.Status)
	}
	_, page = b.do("GET", r.Header.Get("Location"), nil, nil)
	if !strings.Contains(page, "pool at 10, raising") || !strings.Contains(page, "customer confirmed &lt;b&gt;fix&lt;/b&gt;") {
		t.Fatalf("comments on the page (escaped):\n%s", page)
	}
	if n := len(f.rec.find("case.commented", "acme", "agent-db")); n != 2 {
		t.Fatalf("%d case.commented events, want 2", n)
	}
	// The customer's view carries no comments.
	rr := f.api("GET", "/api/v1/cases/"+id, "cust-acme", "")
	var body strings.Builder
	io.Copy(&body, rr.Body)
	if strings.Contains(body.String(), "raising") {
		t.Fatalf("the customer sees staff comments: %s", body.String())
	}
}

// TestResolveHeldToRoutingConfig: with the routing config given, a
// correction naming a category or queue it does not know is refused (it
// would become a labelled example and an export), and the case stays open.
func TestResolveHeldToRoutingConfig(t *testing.T) {
	f := newFixture(t, fixtureOpts{opts: func(o *Options) { o.Router = router.Default() }})
	id := f.acmeCase.ID
	for _, body := range []string{`{"category":"no-such-category"}`, `{"queue":"no-such-queue"}`} {
		r := f.api("POST", "/api/v1/cases/"+id+"/resolve", "agent-db", body)
		msg, _ := io.ReadAll(r.Body)
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(string(msg), "routing config") {
			t.Errorf("resolve %s: %s %s; want 400 naming the routing config", body, r.Status, msg)
		}
	}
	if ev := f.rec.find("case.resolved", "acme", "agent-db"); len(ev) != 0 {
		t.Fatalf("a refused correction was recorded as a resolution: %+v", ev)
	}
	if r := f.api("POST", "/api/v1/cases/"+id+"/resolve", "agent-db", `{"category":"network","severity":"low"}`); r.StatusCode != http.StatusOK {
		t.Fatalf("a known category: %s", r.Status)
	}
}

// TestRetentionNoticeIsTheTenantsWindow: the notice a customer reads is its
// own tenant's window when serve passes its retention policy.
func TestRetentionNoticeIsTheTenantsWindow(t *testing.T) {
	f := newFixture(t, fixtureOpts{opts: func(o *Options) {
		o.RetentionFor = func(tenant string) int { return map[string]int{"acme": 45}[tenant] }
	}})
	ts := httptest.NewServer(f.srv)
	defer ts.Close()
	for who, want := range map[string]string{"cust-acme": "deleted 45 days", "cust-globex": "deleted 30 days"} {
		b := newBrowser(t, ts)
		b.login(who, testPassword)
		if _, page := b.do("GET", "/uploads", nil, nil); !strings.Contains(page, want) {
			t.Errorf("%s's upload page does not say %q", who, want)
		}
	}
}
