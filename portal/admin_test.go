package portal

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestAdminAccounts: an admin adds an account that can sign in at once,
// and disabling it ends its sessions and its tokens.
func TestAdminAccounts(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ts := httptest.NewServer(f.srv)
	defer ts.Close()
	if r := f.api("POST", "/api/v1/accounts", "admin", `{"name":"bob","role":"agent","queues":["network"],"password":"test-only-password-7"}`); r.StatusCode != 200 {
		t.Fatal(r.Status)
	}
	if r := f.api("POST", "/api/v1/accounts", "admin", `{"name":"eve","role":"customer","password":"test-only-password-7"}`); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("customer without a tenant: %s", r.Status)
	}
	b := newBrowser(t, ts)
	if r := b.login("bob", "test-only-password-7"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("new account's login: %s", r.Status)
	}
	if r, _ := b.do("GET", "/queue", nil, nil); r.StatusCode != 200 {
		t.Fatalf("queue: %s", r.Status)
	}
	tok := f.tokenFor("bob")
	if r := f.api("POST", "/api/v1/accounts/admin/disable", "admin", ""); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("disabling oneself: %s", r.Status)
	}
	if r := f.api("POST", "/api/v1/accounts/bob/disable", "admin", ""); r.StatusCode != 200 {
		t.Fatal(r.Status)
	}
	if r, _ := b.do("GET", "/queue", nil, nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("a disabled account's session: %s", r.Status)
	}
	if r := f.apiToken("GET", "/api/v1/me", tok, ""); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a disabled account's token: %s", r.Status)
	}
	if r := b.login("bob", "test-only-password-7"); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a disabled account's login: %s", r.Status)
	}
	if n := len(f.rec.find("account.changed", PortalTenant, "admin")); n != 2 {
		t.Fatalf("%d account.changed events, want 2", n)
	}
}

// TestAccountsForm: the admin's accounts page adds and disables accounts.
func TestAccountsForm(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ts := httptest.NewServer(f.srv)
	defer ts.Close()
	b := newBrowser(t, ts)
	b.login("admin", testPassword)
	_, page := b.do("GET", "/accounts", nil, nil)
	csrf := b.csrfOf(page)
	r, page := b.do("POST", "/accounts", map[string][]string{"csrf": {csrf}, "name": {"carol"}, "role": {"customer"},
		"tenant": {"acme"}, "password": {"test-only-password-5"}}, nil)
	if r.StatusCode != 200 || !strings.Contains(page, "Saved carol.") {
		t.Fatalf("add: %s", r.Status)
	}
	r, page = b.do("POST", "/accounts", map[string][]string{"csrf": {csrf}, "name": {"dave"}, "role": {"agent"},
		"password": {"test-only-password-5"}}, nil)
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(page, "needs --queues") {
		t.Fatalf("agent without queues: %s", r.Status)
	}
	if r, _ := b.do("POST", "/accounts", map[string][]string{"name": {"mallory"}, "role": {"admin"}, "password": {"test-only-password-5"}}, nil); r.StatusCode != http.StatusForbidden {
		t.Fatalf("a forged post without the CSRF token: %s", r.Status)
	}
	c := newBrowser(t, ts)
	if r := c.login("carol", "test-only-password-5"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("carol's login: %s", r.Status)
	}
	if r, page := b.do("POST", "/accounts", map[string][]string{"csrf": {csrf}, "disable": {"carol"}}, nil); r.StatusCode != 200 || !strings.Contains(page, "Disabled carol.") {
		t.Fatalf("disable: %s", r.Status)
	}
	if r, _ := c.do("GET", "/uploads", nil, nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("carol's session after disabling: %s", r.Status)
	}
}
