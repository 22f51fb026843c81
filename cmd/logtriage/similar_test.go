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

	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/embed"
	"github.com/logtriage/logtriage/triage/store/embedded"
	"github.com/logtriage/logtriage/triage/store/postgres"
)

// seedStore writes cases whose signatures embed near or far from "db-1".
// Ids and tenants carry suffix, so runs sharing a database do not meet.
func seedStore(t *testing.T, s triage.Store, suffix string) {
	t.Helper()
	local, err := embed.NewLocal(embed.LocalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ tenant, id, queue, sig string }{
		{"acme", "db-1", "database", "ERROR pool exhausted: timeout acquiring connection after <*>ms"},
		{"acme", "db-2", "database", "ERROR pool exhausted: timeout acquiring connection after <*>ms (size <*>)"},
		{"acme", "tls-1", "network", "ERROR x509: certificate has expired or is not yet valid"},
		{"globex", "db-g", "database", "ERROR pool exhausted: timeout acquiring connection after <*>ms"},
	}
	for i, c := range cases {
		vec, err := local.Embed(context.Background(), []string{c.sig})
		if err != nil {
			t.Fatal(err)
		}
		tc := &triage.Case{ID: c.id + suffix, Tenant: c.tenant + suffix, Queue: c.queue, Summary: "summary " + c.id, Signature: c.sig,
			CreatedAt: time.Date(2026, 3, 1, 12, i, 0, 0, time.UTC)}
		if err := s.PutCase(context.Background(), tc, &triage.Embedding{EmbedderID: local.ID(), Vector: vec[0]}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSimilarCommandEmbedded(t *testing.T) {
	dir := t.TempDir()
	s, err := embedded.Open(filepath.Join(dir, "store"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	seedStore(t, s, "")
	s.Close()
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")

	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"similar", "--nats-url", "", "--database-url", "", "--data-dir", dir, "--tenant", "acme", "--min-similarity", "-1", "--format", "json", "db-1"}, nil, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var got struct {
		CaseID  string               `json:"case_id"`
		Similar []triage.SimilarCase `json:"similar"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if len(got.Similar) != 2 || got.Similar[0].CaseID != "db-2" || got.Similar[1].CaseID != "tls-1" {
		t.Errorf("similar = %+v, want db-2 then tls-1 (never db-1 itself nor globex's case)", got.Similar)
	}
	if len(got.Similar) == 2 && (got.Similar[0].Similarity < 0.8 || got.Similar[1].Similarity > 0.4) {
		t.Errorf("similarities %.3f and %.3f: want the same failure high and another low", got.Similar[0].Similarity, got.Similar[1].Similarity)
	}

	out.Reset()
	code = run(context.Background(), []string{"similar", "--nats-url", "", "--database-url", "", "--data-dir", dir, "--tenant", "acme", "--all-tenants", "--k", "1", "db-1"}, nil, &out, &errOut)
	if code != 0 || !strings.Contains(out.String(), "db-g") || !strings.Contains(out.String(), "globex") {
		t.Errorf("--all-tenants --k 1: exit %d, output:\n%s", code, out.String())
	}

	out.Reset()
	errOut.Reset()
	code = run(context.Background(), []string{"similar", "--nats-url", "", "--database-url", "", "--data-dir", dir, "--tenant", "globex", "db-1"}, nil, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "no case db-1") {
		t.Errorf("another tenant's case: exit %d, stderr %q; want 1 and not found", code, errOut.String())
	}
	if code := run(context.Background(), []string{"similar", "--data-dir", dir}, nil, &out, &errOut); code != 2 {
		t.Errorf("no case id: exit %d, want 2", code)
	}
}

func TestMigrateAndSimilarPostgres(t *testing.T) {
	url := os.Getenv("LOGTRIAGE_TEST_DATABASE_URL")
	if url == "" {
		t.Skip("no PostgreSQL: run ./scripts/test.sh or set LOGTRIAGE_TEST_DATABASE_URL")
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"migrate", "--database-url", url}, nil, &out, &errOut); code != 0 {
		t.Fatalf("migrate: exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "is at version") {
		t.Errorf("migrate output: %s", out.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"migrate", "--database-url", url}, nil, &out, &errOut); code != 0 || strings.Contains(out.String(), "applied") {
		t.Errorf("second migrate: exit %d, output %q; want nothing applied", code, out.String())
	}

	s, err := postgres.Open(context.Background(), url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	suffix := fmt.Sprintf("-%d", time.Now().UnixNano())
	seedStore(t, s, suffix)
	s.Close()
	out.Reset()
	code := run(context.Background(), []string{"similar", "--database-url", url, "--tenant", "acme" + suffix, "db-1" + suffix}, nil, &out, &errOut)
	if code != 0 {
		t.Fatalf("similar: exit %d: %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if !strings.Contains(out.String(), "(stored)") || !strings.HasPrefix(lines[len(lines)-1], "0.9") || !strings.Contains(lines[len(lines)-1], "db-2"+suffix) {
		t.Errorf("similar against PostgreSQL printed:\n%s\nwant the stored embedding and db-2 at 0.9x last", out.String())
	}
}
