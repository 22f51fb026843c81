package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logtriage/logtriage/internal/natsx"
	"github.com/logtriage/logtriage/triage"
)

// serveLogBuffer is a bytes.Buffer safe to read while serve writes its log.
type serveLogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *serveLogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *serveLogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// With no flags and no environment, serve is the embedded default: NATS
// with JetStream on 127.0.0.1:4222, files and store under ./data.
func TestServeDefaults(t *testing.T) {
	for _, key := range []string{"NATS_URL", "NATS_CREDS", "LOGTRIAGE_DATA_DIR", "DATABASE_URL", "LOGTRIAGE_ROUTES", "LOGTRIAGE_LLM_PII"} {
		t.Setenv(key, "")
	}
	cfg, code, ok := parseServe(nil, io.Discard)
	if !ok {
		t.Fatalf("no flags: exit %d", code)
	}
	if cfg.nats.url != "" || cfg.listen != "127.0.0.1:4222" || cfg.dataDir != "data" || cfg.dbURL != "" ||
		cfg.workers != 0 || cfg.httpAddr != "127.0.0.1:9090" || cfg.grace != 30*time.Second {
		t.Errorf("defaults = %+v", cfg)
	}
	if w := defaultWorkers(2, false); w != 4 {
		t.Errorf("rules-mode workers on 2 CPUs = %d", w)
	}
	if w := defaultWorkers(2, true); w != 8 {
		t.Errorf("LLM-mode workers on 2 CPUs = %d", w)
	}
	cfg, _, ok = parseServe([]string{"--nats-url", "tls://nats.example:4222", "--nats-creds", "w.creds",
		"--nats-tls-ca", "ca.pem", "--workers", "3"}, io.Discard)
	if !ok || cfg.nats.url != "tls://nats.example:4222" || cfg.nats.creds != "w.creds" || cfg.nats.tlsCA != "ca.pem" || cfg.workers != 3 {
		t.Errorf("external NATS flags = %+v", cfg)
	}
	for _, args := range [][]string{{"--workers", "-1"}, {"extra"}, {"--nope"}} {
		if _, code, ok := parseServe(args, io.Discard); ok || code != 2 {
			t.Errorf("serve %v: ok %v exit %d, want a usage error", args, ok, code)
		}
	}
	if _, code, ok := parseServe([]string{"-h"}, io.Discard); ok || code != 0 {
		t.Errorf("serve -h: exit %d", code)
	}
}

func freeServePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func runServeCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestServeSubmitCasesAlerts drives the commands as an operator, a customer,
// an agent and the security team would, against `serve` on its defaults and
// on PostgreSQL when one is given (scripts/test.sh starts PGlite).
func TestServeSubmitCasesAlerts(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")
	t.Setenv("DATABASE_URL", "")
	t.Run("embedded store", func(t *testing.T) { testServe(t, "") })
	t.Run("postgres store", func(t *testing.T) {
		url := os.Getenv("LOGTRIAGE_TEST_DATABASE_URL")
		if url == "" {
			t.Skip("LOGTRIAGE_TEST_DATABASE_URL is not set; ./scripts/test.sh starts PGlite")
		}
		dropDefaultSchema(t, url) // no data keys of an earlier run's master key
		testServe(t, url)
	})
}

func testServe(t *testing.T, databaseURL string) {
	dataDir := t.TempDir()
	t.Setenv("LOGTRIAGE_DATA_DIR", dataDir) // where the CLI finds its NATS key
	// What a serve killed while opening a zip left behind: swept at start.
	stale := filepath.Join(dataDir, "spool", "logtriage-zip-4711")
	if err := os.MkdirAll(filepath.Dir(stale), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stale, []byte("raw upload"), 0o600); err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("nats://127.0.0.1:%d", freeServePort(t))
	ctx, stop := context.WithCancel(context.Background())
	var serveLog serveLogBuffer
	served := make(chan int, 1)
	go func() {
		served <- run(ctx, []string{"serve", "--data-dir", dataDir, "--nats-listen", strings.TrimPrefix(url, "nats://"),
			"--http", "", "--listen", "127.0.0.1:0", "--workers", "2", "--database-url", databaseURL}, strings.NewReader(""), &bytes.Buffer{}, &serveLog)
	}()
	defer func() {
		stop()
		if code := <-served; code != 0 {
			t.Errorf("serve exited %d:\n%s", code, serveLog.String())
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(serveLog.String(), "worker running") {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", serveLog.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(serveLog.String(), "rules only") {
		t.Errorf("serve did not say it runs rules-only:\n%s", serveLog.String())
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the stale spool file is still there: %v", err)
	}
	// JetStream keeps its streams on disk under the data dir.
	if entries, err := os.ReadDir(filepath.Join(dataDir, "jetstream", "jetstream")); err != nil || len(entries) == 0 {
		t.Errorf("no JetStream files under %s: %v", dataDir, err)
	}

	email := "jo." + strings.Repeat("q", 6) + "@example.net"
	log := filepath.Join(t.TempDir(), "00123456_app.log")
	content := "2026-01-05 10:00:00 INFO login for " + email + "\n" +
		strings.Repeat("2026-01-05 10:00:01 ERROR java.net.ConnectException: Connection refused (Connection refused)\n", 3)
	if err := os.WriteFile(log, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runServeCLI(t, "submit", "--nats-url", url, "--tenant", "acme", "--wait", "--timeout", "20s", "--format", "json", log)
	if code != 0 {
		t.Fatalf("submit --wait exited %d: %s\nserve's log:\n%s", code, errOut, serveLog.String())
	}
	var c triage.Case
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatalf("submit --wait printed no case JSON: %v\n%s", err, out)
	}
	if c.Tenant != "acme" || c.CaseRef != "00123456" || c.Status != triage.StatusTriaged || c.Queue == "" {
		t.Errorf("case = %+v", c)
	}
	if strings.Contains(out, email) {
		t.Error("the case printed by submit carries the raw email")
	}

	code, out, _ = runServeCLI(t, "submit", "--nats-url", url, "--tenant", "acme", "--format", "json", log)
	if code != 0 || !strings.Contains(out, `"duplicate":true`) {
		t.Errorf("resubmit: exit %d, %s", code, out)
	}
	// With --wait the finished case is JSON without --format; flags may follow the file.
	code, out, errOut = runServeCLI(t, "submit", "--nats-url", url, "--tenant", "acme", log, "--wait", "--timeout", "20s")
	var again triage.Case
	if code != 0 || json.Unmarshal([]byte(out), &again) != nil || again.ID != c.ID {
		t.Errorf("submit FILE --wait: exit %d, want the case as JSON:\n%s%s", code, out, errOut)
	}

	code, out, _ = runServeCLI(t, "cases", "--nats-url", url, "--tenant", "acme", "--format", "json")
	if code != 0 || strings.Count(out, "\n") != 1 || !strings.Contains(out, c.ID) {
		t.Errorf("cases --tenant acme: exit %d:\n%s", code, out)
	}
	// similar asks serve over NATS: the embedded store is serve's alone.
	code, out, errOut = runServeCLI(t, "similar", "--nats-url", url, "--database-url", "", "--data-dir", dataDir, "--tenant", "acme", "--format", "json", c.ID)
	if code != 0 || !strings.Contains(out, `"case_id": "`+c.ID+`"`) {
		t.Errorf("similar while serve runs: exit %d:\n%s%s", code, out, errOut)
	}
	code, _, errOut = runServeCLI(t, "similar", "--nats-url", url, "--database-url", "", "--data-dir", dataDir, "--tenant", "globex", c.ID)
	if code != 1 || !strings.Contains(errOut, "no case "+c.ID+" for tenant globex") {
		t.Errorf("similar for another tenant: exit %d: %s", code, errOut)
	}
	code, out, _ = runServeCLI(t, "cases", "--nats-url", url, "--tenant", "globex", "--format", "json")
	if code != 0 || out != "" {
		t.Errorf("another tenant sees: exit %d:\n%s", code, out)
	}
	code, out, _ = runServeCLI(t, "cases", "--nats-url", url, "--queue", c.Queue, "--next")
	if code != 0 || !strings.Contains(out, "Case "+c.ID) || !strings.Contains(out, "Summary") {
		t.Errorf("cases --next: exit %d:\n%s", code, out)
	}
	if code, _, errOut = runServeCLI(t, "cases", "--nats-url", url, "--queue", c.Queue, "--next", "--wait", "200ms"); code != 1 {
		t.Errorf("a second --next on an empty queue exited %d, want 1: %s", code, errOut)
	}
	if code, _, _ := runServeCLI(t, "alerts", "--nats-url", url, "--format", "json"); code != 0 {
		t.Errorf("alerts exited %d", code)
	}
	testFollow(t, url)
	if code, _, _ := runServeCLI(t, "submit", "--nats-url", url, "--tenant", "no.dots", log); code != 2 {
		t.Errorf("submit with a bad tenant exited %d, want 2", code)
	}
	// The embedded server refuses anonymous clients; the CLI's generated key
	// (0600 under the data dir) is what the commands above signed in with.
	if nc, err := natsx.Connect(url, natsx.ClientOptions{ConnectTimeout: 2 * time.Second}); err == nil {
		nc.Close()
		t.Fatal("an anonymous client connected to the embedded server")
	} else if !strings.Contains(err.Error(), "Authorization Violation") {
		t.Fatalf("anonymous connect: %v, want an authorization violation", err)
	}
	if databaseURL == "" {
		info, err := os.Stat(natsCreds(dataDir).SeedPath(cliIdentity))
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("the CLI's NATS key: %v %v, want mode 0600", info, err)
		}
	}
}

// testFollow: cases --follow and alerts --follow print what arrives while
// they run, as JSON lines without raw values, and exit 0 when stopped.
func testFollow(t *testing.T, url string) {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var cases, alerts serveLogBuffer
	exits := make(chan int, 2)
	for _, f := range []struct {
		args []string
		out  *serveLogBuffer
	}{
		{[]string{"cases", "--nats-url", url, "--tenant", "acme", "--follow", "--format", "json"}, &cases},
		{[]string{"alerts", "--nats-url", url, "--tenant", "acme", "--follow", "--format", "json"}, &alerts},
	} {
		go func() { exits <- run(ctx, f.args, strings.NewReader(""), f.out, io.Discard) }()
	}
	// Format-valid, made up; enough risk for an alert.
	awsKey, token := "AKIA"+"J4QX7WZ2"+"MNB5KL3P", "ghp_"+"k3Jd9Qx7Lm2Pz8Rt5Vw1Yb4Nc6Hf0Gs"+"a9Ee"
	log := filepath.Join(t.TempDir(), "deploy.log")
	content := "2026-01-05 10:01:02 DEBUG S3Client - using aws_access_key_id=" + awsKey + "\n" +
		"2026-01-05 10:01:03 DEBUG Deploy - GITHUB_TOKEN=" + token + "\n2026-01-05 10:01:04 ERROR Deploy - push rejected\n"
	if err := os.WriteFile(log, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runServeCLI(t, "submit", "--nats-url", url, "--tenant", "acme", "--wait", "--timeout", "20s", log)
	var c triage.Case
	if code != 0 || json.Unmarshal([]byte(out), &c) != nil || !c.Alerted {
		t.Fatalf("submit --wait: exit %d, alerted %v:\n%q%q", code, c.Alerted, out, errOut)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(cases.String(), c.ID) || !strings.Contains(alerts.String(), c.ID) {
		if time.Now().After(deadline) {
			t.Fatalf("followers did not print case %s:\ncases:\n%s\nalerts:\n%s", c.ID, cases.String(), alerts.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	for range 2 {
		if code := <-exits; code != 0 {
			t.Errorf("a follower exited %d when stopped", code)
		}
	}
	for name, out := range map[string]string{"cases": cases.String(), "alerts": alerts.String()} {
		if strings.Contains(out, awsKey) || strings.Contains(out, token) {
			t.Errorf("%s --follow printed a raw secret", name)
		}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if !json.Valid([]byte(line)) {
				t.Errorf("%s --follow: not a JSON line: %.200s", name, line)
			}
		}
	}
}
