package portal

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestDeviceAuthorization(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ts := httptest.NewServer(f.srv)
	defer ts.Close()
	start := func() map[string]any {
		resp, err := http.PostForm(ts.URL+"/api/v1/device/code", url.Values{"client_id": {"logtriage-cli"}})
		must(t, err)
		defer resp.Body.Close()
		var dc map[string]any
		must(t, json.NewDecoder(resp.Body).Decode(&dc))
		if resp.StatusCode != 200 || !strings.HasSuffix(dc["verification_uri"].(string), "/device") {
			t.Fatalf("device code: %s %v", resp.Status, dc)
		}
		return dc
	}
	poll := func(deviceCode string) (int, map[string]any) {
		resp, err := http.PostForm(ts.URL+"/api/v1/device/token", url.Values{
			"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {deviceCode}})
		must(t, err)
		defer resp.Body.Close()
		var out map[string]any
		must(t, json.NewDecoder(resp.Body).Decode(&out))
		return resp.StatusCode, out
	}
	dc := start()
	device, user := dc["device_code"].(string), dc["user_code"].(string)
	if code, out := poll(device); code != 400 || out["error"] != "authorization_pending" {
		t.Fatalf("before approval: %d %v", code, out)
	}
	if code, out := poll(device); code != 400 || out["error"] != "slow_down" {
		t.Fatalf("polling too fast: %d %v", code, out)
	}
	b := newBrowser(t, ts)
	b.login("cust-acme", testPassword)
	_, page := b.do("GET", "/device?code="+strings.ToLower(strings.ReplaceAll(user, "-", "")), nil, nil)
	if !strings.Contains(page, user) {
		t.Fatalf("the device page does not fill in the code %s", user)
	}
	csrf := b.csrfOf(page)
	if r, _ := b.do("POST", "/device", url.Values{"code": {user}}, nil); r.StatusCode != http.StatusForbidden {
		t.Fatalf("approval without the CSRF token: %s", r.Status)
	}
	if r, _ := b.do("POST", "/device", url.Values{"code": {"BBBB-BBBB"}, "csrf": {csrf}}, nil); r.StatusCode != http.StatusNotFound {
		t.Fatalf("a wrong code: %s", r.Status)
	}
	if r, page := b.do("POST", "/device", url.Values{"code": {user}, "csrf": {csrf}, "action": {"approve"}}, nil); r.StatusCode != 200 || !strings.Contains(page, "Approved") {
		t.Fatalf("approve: %s", r.Status)
	}
	f.clock.Add(devicePollEvery)
	code, out := poll(device)
	tok, _ := out["access_token"].(string)
	if code != 200 || !strings.HasPrefix(tok, "lt_") {
		t.Fatalf("after approval: %d %v", code, out)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	f.srv.ServeHTTP(rec, req)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"name":"cust-acme"`) {
		t.Fatalf("the device token: %d %s", rec.Code, rec.Body)
	}
	if code, out := poll(device); code != 400 || out["error"] != "invalid_grant" {
		t.Fatalf("the token is handed out once: %d %v", code, out)
	}
	// Denied, and expired.
	dc = start()
	b.do("POST", "/device", url.Values{"code": {dc["user_code"].(string)}, "csrf": {csrf}, "action": {"deny"}}, nil)
	if code, out := poll(dc["device_code"].(string)); code != 400 || out["error"] != "access_denied" {
		t.Fatalf("denied: %d %v", code, out)
	}
	dc = start()
	f.clock.Add(deviceCodeTTL + time.Second)
	if code, out := poll(dc["device_code"].(string)); code != 400 || out["error"] != "expired_token" {
		t.Fatalf("expired: %d %v", code, out)
	}
}
