package portal

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/logtriage/logtriage/portal/totp"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/worker"
)

// browser is a cookie-keeping client that does not follow redirects, so
// each step's answer can be checked.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, ts *httptest.Server) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: ts.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browser) do(method, path string, form url.Values, header map[string]string) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) csrfOf(page string) string {
	b.t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("no csrf field in page:\n%s", page)
	}
	return m[1]
}

func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func (b *browser) login(name, pw string) *http.Response {
	b.t.Helper()
	_, page := b.do("GET", "/login", nil, nil)
	resp, _ := b.do("POST", "/login", url.Values{"name": {name}, "password": {pw}, "csrf": {b.csrfOf(page)}}, nil)
	return resp
}

func TestLoginSessionCookie(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ts := httptest.NewServer(f.srv)
	defer ts.Close()
	b := newBrowser(t, ts)
	resp := b.login("agent-db", testPassword)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %s", resp.Status)
	}
	var set *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie && c.Value != "" {
			set = c
		}
	}
	if set == nil || !set.HttpOnly || set.SameSite != http.SameSiteStrictMode || set.Path != "/" {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/", set)
	}
	if r, page := b.do("GET", "/queue", nil, nil); r.StatusCode != 200 || !strings.Contains(page, f.acmeCase.ID) {
		t.Fatalf("queue after login: %s", r.Status)
	}
	// 30 minutes idle ends the session; activity within them keeps it.
	f.clock.Add(29 * time.Minute)
	if r, _ := b.do("GET", "/queue", nil, nil); r.StatusCode != 200 {
		t.Fatalf("after 29 idle minutes: %s", r.Status)
	}
	f.clock.Add(30 * time.Minute)
	if r, _ := b.do("GET", "/queue", nil, nil); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Fatalf("after 30 idle minutes: %s %s", r.Status, r.Header.Get("Location"))
	}
}

// TestSecureCookiesUnderTLS: the Secure flag and the __Host- prefix.
func TestSecureCookiesUnderTLS(t *testing.T) {
	f := newFixture(t, fixtureOpts{opts: func(o *Options) { o.Secure = true }})
	ts := httptest.NewTLSServer(f.srv)
	defer ts.Close()
	b := newBrowser(t, ts)
	b.c.Transport = ts.Client().Transport
	resp := b.login("agent-db", testPassword)
	var found bool
	for _, c := range resp.Cookies() {
		if c.Name == "__Host-"+sessionCookie && c.Value != "" {
			found = c.Secure && c.HttpOnly
		}
	}
	if !found {
		t.Fatalf("no Secure __Host- session cookie in %v", resp.Header["Set-Cookie"])
	}
}

// TestSessionFixation: an id planted before sign-in is never the session's
// id after it, and the password-only id dies when the TOTP step completes.
func TestSessionFixation(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ts := httptest.NewServer(f.srv)
	defer ts.Close()

	// An attacker's own valid session id, planted in the victim's browser.
	attacker := newBrowser(t, ts)
	attacker.login("agent-net", testPassword)
	planted := attacker.cookie(sessionCookie)
	victim := newBrowser(t, ts)
	u, _ := url.Parse(ts.URL)
	victim.c.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: planted, Path: "/"}})
	victim.login("agent-db", testPassword)
	got := victim.cookie(sessionCookie)
	if got == "" || got == planted {
		t.Fatalf("session id after login %q, planted %q: must be new", got, planted)
	}
	if _, page := attacker.do("GET", "/queue", nil, nil); strings.Contains(page, f.acmeCase.ID) {
		t.Fatal("the attacker's id reaches the victim's queue")
	}

	// TOTP: the id issued after the password is replaced after the code.
	secret, _ := totp.NewSecret()
	a, _ := f.store.GetAccount(t.Context(), "sec")
	a.TOTPSecret = secret
	must(t, f.store.PutAccount(t.Context(), a))
	b := newBrowser(t, ts)
	resp := b.login("sec", testPassword)
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/login/totp") {
		t.Fatalf("login with TOTP enrolled went to %q", loc)
	}
	half := b.cookie(sessionCookie)
	if r, _ := b.do("GET", "/alerts", nil, nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("alerts before the second factor: %s", r.Status)
	}
	if r, _ := b.do("GET", "/api/v1/alerts", nil, nil); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("API before the second factor: %s", r.Status)
	}
	_, page := b.do("GET", "/login/totp", nil, nil)
	code, _ := totp.Code(secret, f.clock.Now())
	if r, _ := b.do("POST", "/login/totp", url.Values{"code": {code}, "csrf": {b.csrfOf(page)}}, nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("totp: %s", r.Status)
	}
	full := b.cookie(sessionCookie)
	if full == half || full == "" {
		t.Fatal("session id not rotated after the second factor")
	}
	if r, page := b.do("GET", "/alerts", nil, nil); r.StatusCode != 200 || !strings.Contains(page, f.acmeCase.ID) {
		t.Fatalf("alerts after TOTP: %s", r.Status)
	}
	old := newBrowser(t, ts)
	old.c.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: half, Path: "/"}})
	if r, _ := old.do("GET", "/alerts", nil, nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("the pre-TOTP id still works: %s", r.Status)
	}
	// The same code cannot be replayed for another sign-in in its window.
	c := newBrowser(t, ts)
	c.login("sec", testPassword)
	_, page = c.do("GET", "/login/totp", nil, nil)
	if r, _ := c.do("POST", "/login/totp", url.Values{"code": {code}, "csrf": {c.csrfOf(page)}}, nil); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("replayed TOTP code: %s", r.Status)
	}
}

// TestCSRF: a state-changing request riding on the session cookie needs the
// session's token; a cross-site form post is refused even with it.
func TestCSRF(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ts := httptest.NewServer(f.srv)
	defer ts.Close()
	b := newBrowser(t, ts)
	b.login("agent-db", testPassword)
	_, page := b.do("GET", "/cases/"+f.acmeCase.ID, nil, nil)
	tok := b.csrfOf(page)
	take := "/cases/" + f.acmeCase.ID + "/take"
	for _, tc := range []struct {
		name   string
		form   url.Values
		header map[string]string
	}{
		{"no token", url.Values{}, nil},
		{"wrong token", url.Values{"csrf": {"x" + tok}}, nil},
		{"cross-site origin", url.Values{"csrf": {tok}}, map[string]string{"Origin": "https://evil.example"}},
		{"cross-site fetch metadata", url.Values{"csrf": {tok}}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
	} {
		if r, _ := b.do("POST", take, tc.form, tc.header); r.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %s, want 403", tc.name, r.Status)
		}
	}
	if _, err := f.store.GetCaseWork(t.Context(), "acme", f.acmeCase.ID); !errors.Is(err, triage.ErrNotFound) {
		t.Fatalf("a refused post changed the case: %v", err)
	}
	// The API with the session cookie: same rule.
	if r, _ := b.do("POST", "/api/v1/cases/"+f.acmeCase.ID+"/take", url.Values{}, nil); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("API post without token: %s", r.Status)
	}
	if r, _ := b.do("POST", take, url.Values{"csrf": {tok}}, map[string]string{"Origin": ts.URL}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("same-site post with token: %s", r.Status)
	}
	if w, err := f.store.GetCaseWork(t.Context(), "acme", f.acmeCase.ID); err != nil || w.TakenBy != "agent-db" {
		t.Fatalf("take did not land: %+v %v", w, err)
	}
	// The login form is protected too (login CSRF).
	c := newBrowser(t, ts)
	if r, _ := c.do("POST", "/login", url.Values{"name": {"agent-db"}, "password": {testPassword}}, nil); r.StatusCode != http.StatusForbidden {
		t.Fatalf("login without its token: %s", r.Status)
	}
}

// TestBruteForceLockout: after 5 failures an account is locked, even for
// the right password, until the window passes; per address likewise at 20.
func TestBruteForceLockout(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ts := httptest.NewServer(f.srv)
	defer ts.Close()
	b := newBrowser(t, ts)
	for i := range 5 {
		if r := b.login("agent-db", fmt.Sprintf("wrong-password-%d", i)); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %s", i, r.Status)
		}
	}
	if r := b.login("agent-db", testPassword); r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("right password while locked: %s, want 429", r.Status)
	}
	if n := len(f.rec.find("login.failed", PortalTenant, "agent-db")); n != 5 {
		t.Fatalf("%d login.failed events, want 5", n)
	}
	// Another account from the same address is not locked yet.
	if r := b.login("agent-net", testPassword); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("other account: %s", r.Status)
	}
	f.clock.Add(15 * time.Minute)
	if r := b.login("agent-db", testPassword); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("after the window: %s", r.Status)
	}
	// Per address: spraying many accounts from one address locks the address.
	c := newBrowser(t, ts)
	for i := range 20 {
		c.login(fmt.Sprintf("nobody-%d", i), "wrong-password")
	}
	if r := c.login("ml", testPassword); r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("address after 20 failures: %s, want 429", r.Status)
	}
}

func TestUploadGrantAndStream(t *testing.T) {
	f := newFixture(t, fixtureOpts{withNATS: true})
	content := bytes.Repeat([]byte("2026-03-01T12:00:00Z ERROR pool exhausted\n"), 5000)
	r := f.api("POST", "/api/v1/uploads", "cust-acme", fmt.Sprintf(`{"name":"../../etc/app.log","size":%d,"case_ref":"CS-7"}`, len(content)))
	if r.StatusCode != http.StatusCreated {
		t.Fatal(r.Status)
	}
	var g Grant
	must(t, json.NewDecoder(r.Body).Decode(&g))
	if g.Name != "app.log" || g.Tenant != "acme" || g.MaxSize != int64(len(content)) {
		t.Fatalf("grant %+v", g)
	}
	// Another tenant's customer cannot use or see the grant.
	if r := f.putBody(g.URL, "cust-globex", bytes.NewReader(content), int64(len(content))); r.StatusCode != http.StatusNotFound {
		t.Fatalf("other tenant's PUT: %s", r.Status)
	}
	if r := f.api("GET", g.URL, "cust-globex", ""); r.StatusCode != http.StatusNotFound {
		t.Fatalf("other tenant's GET: %s", r.Status)
	}
	r = f.putBody(g.URL, "cust-acme", bytes.NewReader(content), int64(len(content)))
	if r.StatusCode != http.StatusAccepted {
		body, _ := io.ReadAll(r.Body)
		t.Fatalf("PUT: %s %s", r.Status, body)
	}
	var st UploadStatus
	must(t, json.NewDecoder(r.Body).Decode(&st))
	sum := sha256.Sum256(content)
	if st.SHA256 != hex.EncodeToString(sum[:]) || st.Size != int64(len(content)) || st.UploadID != worker.UploadID("acme", st.SHA256, "app.log") {
		t.Fatalf("status %+v", st)
	}
	// The event is on the tenant's subject and the worker can decode it.
	ctx := context.Background()
	msg, err := f.js.Stream(ctx, worker.UploadsStream)
	must(t, err)
	raw, err := msg.GetLastMsgForSubject(ctx, worker.UploadSubject("acme"))
	must(t, err)
	ev, err := worker.DecodeEvent(raw.Header, raw.Data)
	must(t, err)
	if err := ev.Validate(); err != nil || ev.Object != g.ID || ev.CaseRef != "CS-7" || ev.Inline {
		t.Fatalf("event %+v: %v", ev, err)
	}
	obs, _ := f.js.ObjectStore(ctx, worker.PayloadBucket)
	stored, err := obs.GetBytes(ctx, g.ID)
	must(t, err)
	if !bytes.Equal(stored, content) {
		t.Fatal("stored payload differs")
	}
	// Status by grant id and by upload id; the upload was audited.
	for _, id := range []string{g.ID, st.UploadID} {
		r := f.api("GET", "/api/v1/uploads/"+id, "cust-acme", "")
		var got UploadStatus
		must(t, json.NewDecoder(r.Body).Decode(&got))
		if r.StatusCode != 200 || got.Status != triage.StatusPending || got.UploadID != st.UploadID {
			t.Fatalf("GET %s: %s %+v", id, r.Status, got)
		}
	}
	if ev := f.rec.find("upload.received", "acme", "cust-acme"); len(ev) != 1 || ev[0].Detail["sha256"] != st.SHA256 {
		t.Fatalf("upload.received events %+v", ev)
	}
	// A grant is good for one body.
	if r := f.putBody(g.URL, "cust-acme", bytes.NewReader(content), int64(len(content))); r.StatusCode != http.StatusConflict {
		t.Fatalf("second PUT on a grant: %s", r.Status)
	}
	// A body longer than declared (chunked, no length) is cut at the cap and refused.
	r = f.api("POST", "/api/v1/uploads", "cust-acme", `{"name":"b.log","size":10}`)
	must(t, json.NewDecoder(r.Body).Decode(&g))
	if r := f.putBody(g.URL, "cust-acme", io.MultiReader(strings.NewReader("0123456789abcdef")), -1); r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("over-long chunked body: %s", r.Status)
	}
	if _, err := obs.GetInfo(ctx, g.ID); err == nil {
		t.Fatal("the refused body's object was kept")
	}
}

// trapReader fails the test if anything reads it.
type trapReader struct{ read bool }

func (r *trapReader) Read(p []byte) (int, error) { r.read = true; return 0, io.EOF }

func TestOversizedUploadRefusedBeforeRead(t *testing.T) {
	f := newFixture(t, fixtureOpts{withNATS: true, opts: func(o *Options) { o.MaxUploadSize = 1 << 20 }})
	// Over the server cap: refused at the grant.
	if r := f.api("POST", "/api/v1/uploads", "cust-acme", `{"name":"big.log","size":2097152}`); r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("grant over the cap: %s", r.Status)
	}
	r := f.api("POST", "/api/v1/uploads", "cust-acme", `{"name":"a.log","size":100}`)
	var g Grant
	must(t, json.NewDecoder(r.Body).Decode(&g))
	body := &trapReader{}
	resp := f.putBody(g.URL, "cust-acme", body, 101)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || body.read {
		t.Fatalf("declared 101 bytes on a 100-byte grant: %s, body read: %v", resp.Status, body.read)
	}
	// The grant is still usable with the right size.
	if r := f.putBody(g.URL, "cust-acme", strings.NewReader(strings.Repeat("x", 100)), 100); r.StatusCode != http.StatusAccepted {
		t.Fatalf("right size after a refusal: %s", r.Status)
	}
}

func TestExpiredGrant(t *testing.T) {
	f := newFixture(t, fixtureOpts{withNATS: true})
	r := f.api("POST", "/api/v1/uploads", "cust-acme", `{"name":"a.log","size":5}`)
	var g Grant
	must(t, json.NewDecoder(r.Body).Decode(&g))
	f.clock.Add(15 * time.Minute)
	body := &trapReader{}
	if r := f.putBody(g.URL, "cust-acme", body, 5); r.StatusCode != http.StatusGone || body.read {
		t.Fatalf("expired grant: %s, body read %v", r.Status, body.read)
	}
}

// putBody sends an upload body with a declared length (-1: none).
func (f *fixture) putBody(path, account string, body io.Reader, length int64) *http.Response {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("PUT", path, body)
	req.ContentLength = length
	req.Header.Set("Authorization", "Bearer "+f.tokens[account])
	f.srv.ServeHTTP(rec, req)
	return rec.Result()
}

// TestDirectUpload: the one-request forms of POST /api/v1/uploads (a raw
// body with ?name=, or a multipart form as curl -F sends it).
func TestDirectUpload(t *testing.T) {
	f := newFixture(t, fixtureOpts{withNATS: true, opts: func(o *Options) { o.MaxUploadSize = 1 << 20 }})
	content := strings.Repeat("2026-03-01T12:00:00Z ERROR disk full on /var\n", 100)
	post := func(ct, path string, body io.Reader, length int64) *http.Response {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", path, body)
		req.ContentLength = length
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer "+f.tokens["cust-acme"])
		f.srv.ServeHTTP(rec, req)
		return rec.Result()
	}
	r := post("application/octet-stream", "/api/v1/uploads?name=disk.log&case_ref=CS1234", strings.NewReader(content), int64(len(content)))
	var st UploadStatus
	must(t, json.NewDecoder(r.Body).Decode(&st))
	if r.StatusCode != http.StatusAccepted || st.Size != int64(len(content)) || st.UploadID != worker.UploadID("acme", st.SHA256, "disk.log") {
		t.Fatalf("raw body: %s %+v", r.Status, st)
	}
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("file", "multi.log")
	fw.Write([]byte(content))
	mw.Close()
	r = post(mw.FormDataContentType(), "/api/v1/uploads", &form, int64(form.Len()))
	st = UploadStatus{}
	must(t, json.NewDecoder(r.Body).Decode(&st))
	if r.StatusCode != http.StatusAccepted || st.Name != "multi.log" || st.Size != int64(len(content)) {
		t.Fatalf("multipart: %s %+v", r.Status, st)
	}
	// Over the cap: refused before the body is read.
	body := &trapReader{}
	if r := post("application/octet-stream", "/api/v1/uploads?name=big.log", body, 2<<20); r.StatusCode != http.StatusRequestEntityTooLarge || body.read {
		t.Fatalf("over the cap: %s, read %v", r.Status, body.read)
	}
	// No name: a clear error.
	if r := post("application/octet-stream", "/api/v1/uploads", strings.NewReader("x"), 1); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("no name: %s", r.Status)
	}
}
