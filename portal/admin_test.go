package portal

import (
	"net/http"
	"net/http/httptest"
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
