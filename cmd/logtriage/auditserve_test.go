package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/audit/feed"
	"github.com/logtriage/logtriage/internal/natsx"
)

// serve records the worker's accesses in the trail, publishes them on the
// tenant's feed subject, signs the chains' heads, and the stopped store
// verifies from the command line.
func TestServeRecordsAuditTrail(t *testing.T) {
	for _, k := range []string{"OPENAI_API_KEY", "OPENAI_BASE_URL", "DATABASE_URL", "LOGTRIAGE_AUDIT_KEY_FILE", "LOGTRIAGE_AUDIT_WEBHOOKS"} {
		t.Setenv(k, "")
	}
	dataDir := t.TempDir()
	t.Setenv("LOGTRIAGE_DATA_DIR", dataDir) // where the CLI finds its NATS key
	url := fmt.Sprintf("nats://127.0.0.1:%d", freeServePort(t))
	ctx, stop := context.WithCancel(context.Background())
	var serveLog serveLogBuffer
	served := make(chan int, 1)
	go func() {
		served <- run(ctx, []string{"serve", "--data-dir", dataDir, "--nats-listen", strings.TrimPrefix(url, "nats://"),
			"--http", "", "--listen", "", "--workers", "1", "--audit-checkpoint-every", "200ms"}, strings.NewReader(""), &bytes.Buffer{}, &serveLog)
	}()
	stopped := false
	stopServe := func() {
		if !stopped {
			stopped = true
			stop()
			if code := <-served; code != 0 {
				t.Errorf("serve exited %d:\n%s", code, serveLog.String())
			}
		}
	}
	defer stopServe()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(serveLog.String(), "worker running") {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", serveLog.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	nc, err := natsx.Connect(url, natsx.ClientOptions{NkeySeed: natsCreds(dataDir).SeedPath(cliIdentity), Identity: cliIdentity})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	acmeFeed := make(chan *nats.Msg, 10)
	globexFeed := make(chan *nats.Msg, 10)
	nc.ChanSubscribe(feed.Subject("acme"), acmeFeed)
	nc.ChanSubscribe(feed.Subject("globex"), globexFeed)
	nc.Flush()

	log := filepath.Join(t.TempDir(), "app.log")
	os.WriteFile(log, []byte("2026-01-05 10:00:01 ERROR java.net.ConnectException: Connection refused\n"), 0o600)
	if code, _, errOut := runServeCLI(t, "submit", "--nats-url", url, "--tenant", "acme", "--wait", "--timeout", "20s", log); code != 0 {
		t.Fatalf("submit: %d %s", code, errOut)
	}
	select {
	case m := <-acmeFeed:
		var e audit.Event
		if err := json.Unmarshal(m.Data, &e); err != nil || e.Action != audit.ActionUploadProcessed || e.Tenant != "acme" || e.Seq != 1 {
			t.Fatalf("feed event: %s", m.Data)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no event on the acme feed")
	}
	select {
	case m := <-globexFeed:
		t.Fatalf("globex's feed got %s", m.Data)
	default:
	}
	stopServe()

	keyFile := filepath.Join(dataDir, "keys", audit.SigningKeyFile)
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("signing key %s: %v", keyFile, err)
	}
	code, out, errOut := runCLI(t, "audit", "verify", "--data-dir", dataDir)
	if code != 0 || !strings.Contains(out, "acme: 1 events, seq 1..1, 1 checkpoints verified") {
		t.Fatalf("audit verify: exit %d\n%s%s", code, out, errOut)
	}
}
