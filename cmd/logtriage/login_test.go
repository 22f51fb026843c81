package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/audit/audittest"
	"github.com/logtriage/logtriage/portal"
	"github.com/logtriage/logtriage/portal/password"
	"github.com/logtriage/logtriage/triage/store/embedded"
)

// TestLoginDeviceFlow: `login --api` prints a code, a signed-in person
// approves it in the console, and the command saves a working token.
func TestLoginDeviceFlow(t *testing.T) {
	if code := loginThroughDeviceFlow(t); code != 0 {
		t.Fatalf("login exited %d", code)
	}
}

// loginThroughDeviceFlow runs `login --api` against a portal, approves its
// code as a signed-in person, checks the saved token works, and returns
// login's exit code.
func loginThroughDeviceFlow(t *testing.T) int {
	t.Helper()
	dir := t.TempDir()
	st, err := embedded.Open(filepath.Join(dir, "store"), embedded.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cheap := password.Params{MemoryKiB: 64, Passes: 1, Lanes: 1}
	if _, err := (portal.Accounts{Store: st, Password: cheap}).Add(context.Background(),
		portal.NewAccount{Name: "ana", Role: portal.RoleML, Password: "test-only-password-1"}); err != nil {
		t.Fatal(err)
	}
	rec := audit.NewChain(audittest.NewMemStore(), nil, audit.Options{})
	srv, err := portal.New(portal.Options{Store: st, Recorder: rec, Password: cheap})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	t.Setenv("LOGTRIAGE_TOKEN_FILE", filepath.Join(dir, "cfg", "token"))

	pr, pw := io.Pipe()
	var errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"login", "--api", ts.URL}, nil, pw, &errb)
		pw.Close()
	}()
	var printed strings.Builder
	code := regexp.MustCompile(`enter the code ([A-Z]{4}-[A-Z]{4})`)
	buf := make([]byte, 512)
	var user string
	for user == "" {
		n, err := pr.Read(buf)
		if err != nil {
			t.Fatalf("login printed %q then %v (%s)", printed.String(), err, errb.String())
		}
		printed.Write(buf[:n])
		if m := code.FindStringSubmatch(printed.String()); m != nil {
			user = m[1]
		}
	}
	go io.Copy(io.Discard, pr)

	// The person signs in to the console and approves the code.
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	get := func(path string) string {
		resp, err := c.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	page := get("/login")
	if _, err := c.PostForm(ts.URL+"/login", url.Values{"name": {"ana"}, "password": {"test-only-password-1"},
		"csrf": {csrf.FindStringSubmatch(page)[1]}}); err != nil {
		t.Fatal(err)
	}
	page = get("/device")
	resp, err := c.PostForm(ts.URL+"/device", url.Values{"code": {user}, "action": {"approve"}, "csrf": {csrf.FindStringSubmatch(page)[1]}})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("approve: %v %v", resp.Status, err)
	}
	var exit int
	select {
	case exit = <-done:
		if exit != 0 {
			t.Logf("login exited %d: %s", exit, errb.String())
			return exit
		}
	case <-time.After(20 * time.Second):
		t.Fatal("login did not finish after approval")
	}
	info, err := os.Stat(tokenFile())
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v", info, err)
	}
	req, _ := http.NewRequest("GET", ts.URL+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+readTokenFile())
	me, err := http.DefaultClient.Do(req)
	if err != nil || me.StatusCode != 200 {
		t.Fatalf("the saved token: %v %v", me.Status, err)
	}
	return exit
}
