package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestSubmitThroughAPI: accounts made with the CLI, serve with the portal,
// then `submit --api --token --wait` uploads through a grant and prints the
// customer's view of the finished case.
func TestSubmitThroughAPI(t *testing.T) {
	for _, key := range []string{"OPENAI_API_KEY", "OPENAI_BASE_URL", "DATABASE_URL", "LOGTRIAGE_ROUTES", "LOGTRIAGE_API", "LOGTRIAGE_TOKEN"} {
		t.Setenv(key, "")
	}
	dataDir := t.TempDir()
	t.Setenv("LOGTRIAGE_DATA_DIR", dataDir)
	ctx := context.Background()
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"user", "add", "acme-ops", "--role", "customer", "--tenant", "acme"},
		strings.NewReader("test-only-password-1\n"), &out, &errb); code != 0 {
		t.Fatalf("user add: %d %s", code, errb.String())
	}
	out.Reset()
	if code := run(ctx, []string{"token", "create", "acme-ops", "--ttl", "1h"}, nil, &out, &errb); code != 0 {
		t.Fatalf("token create: %d %s", code, errb.String())
	}
	token := strings.TrimSpace(out.String())

	natsURL := fmt.Sprintf("nats://127.0.0.1:%d", freeServePort(t))
	sctx, stop := context.WithCancel(ctx)
	var serveLog serveLogBuffer
	served := make(chan int, 1)
	go func() {
		served <- run(sctx, []string{"serve", "--data-dir", dataDir, "--nats-listen", strings.TrimPrefix(natsURL, "nats://"),
			"--http", "", "--listen", "127.0.0.1:0", "--workers", "2"}, strings.NewReader(""), &bytes.Buffer{}, &serveLog)
	}()
	defer func() {
		stop()
		if code := <-served; code != 0 {
			t.Errorf("serve exited %d:\n%s", code, serveLog.String())
		}
	}()
	portalURL := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)/`)
	var api string
	for deadline := time.Now().Add(20 * time.Second); api == ""; {
		if m := portalURL.FindStringSubmatch(serveLog.String()); m != nil && strings.Contains(serveLog.String(), "worker running") {
			api = m[1]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", serveLog.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	log := filepath.Join(t.TempDir(), "CS4711_checkout.log")
	content := strings.Repeat("2026-03-01T09:00:00Z ERROR db: connection pool exhausted (max=10)\n", 50)
	if err := os.WriteFile(log, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runServeCLI(t, "submit", "--api", api, "--token", token, "--wait", "--timeout", "30s", log)
	if code != 0 {
		t.Fatalf("submit --api exited %d: %s", code, stderr)
	}
	var c map[string]any
	if err := json.Unmarshal([]byte(stdout), &c); err != nil {
		t.Fatalf("output %q: %v", stdout, err)
	}
	if c["status"] != "triaged" || c["upload"] != "CS4711_checkout.log" || c["case_ref"] != "CS4711" || c["summary"] == "" {
		t.Fatalf("case %v", c)
	}
	if _, internal := c["key_lines"]; internal {
		t.Fatalf("the customer's view carries key lines: %v", c)
	}
	if !strings.Contains(stderr, fmt.Sprintf("sent %d bytes", len(content))) {
		t.Fatalf("no progress report on stderr: %q", stderr)
	}
	// The customer's own access log, through the audit handlers the portal mounts.
	req, _ := http.NewRequest("GET", api+"/api/v1/audit", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	trail, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(trail), `"upload.received"`) || !strings.Contains(string(trail), `"case.viewed"`) {
		t.Fatalf("GET /api/v1/audit: %d %s", resp.StatusCode, trail)
	}
	// A bad token is refused.
	if code, _, stderr := runServeCLI(t, "submit", "--api", api, "--token", "lt_0000000000000000_x", log); code != 1 || !strings.Contains(stderr, "401") {
		t.Fatalf("bad token: exit %d %s", code, stderr)
	}
}
