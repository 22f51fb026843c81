package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/triage/store/embedded"
)

func trailOf(t *testing.T, dir, tenant string) []audit.Event {
	t.Helper()
	s, err := embedded.Open(filepath.Join(dir, "store"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.QueryAudit(context.Background(), audit.Query{Tenant: tenant, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func count(events []audit.Event, action string) []audit.Event {
	var out []audit.Event
	for _, e := range events {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// An operator's similar-case lookup is recorded in every tenant whose cases
// it printed, once, with the CLI's identity; so is an audit export.
func TestCLIAccessIsRecorded(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")
	t.Setenv("DATABASE_URL", "")
	dir := t.TempDir()
	s, err := embedded.Open(filepath.Join(dir, "store"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	seedStore(t, s, "")
	s.Close()

	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"similar", "--data-dir", dir, "--tenant", "acme", "--all-tenants", "--min-similarity", "-1", "db-1"}, nil, &out, &errOut); code != 0 {
		t.Fatalf("similar: %d %s", code, errOut.String())
	}
	acme, globex := trailOf(t, dir, "acme"), trailOf(t, dir, "globex")
	actor := cliActor()
	viewed := count(acme, audit.ActionCaseViewed)
	if len(viewed) != 1 || viewed[0].Resource != "case/db-1" || viewed[0].Actor != actor {
		t.Fatalf("case.viewed in acme: %+v", viewed)
	}
	for tenant, events := range map[string][]audit.Event{"acme": acme, "globex": globex} {
		search := count(events, audit.ActionSearch)
		if len(search) != 1 || search[0].Actor != actor || search[0].Detail["query_tenant"] != "acme" {
			t.Fatalf("search.results in %s: %+v", tenant, search)
		}
	}
	if count(globex, audit.ActionSearch)[0].Detail["cases"] != "db-g" {
		t.Fatalf("globex event names %q", count(globex, audit.ActionSearch)[0].Detail["cases"])
	}

	out.Reset()
	if code := run(context.Background(), []string{"audit", "export", "--data-dir", dir, "--tenant", "globex"}, nil, &out, &errOut); code != 0 {
		t.Fatalf("export: %d %s", code, errOut.String())
	}
	exported := count(trailOf(t, dir, "globex"), audit.ActionAuditExported)
	if len(exported) != 1 || !bytes.Contains(out.Bytes(), []byte(audit.ActionAuditExported)) {
		t.Fatalf("export events %+v; in the export itself: %v", exported, bytes.Contains(out.Bytes(), []byte(audit.ActionAuditExported)))
	}
	if n := len(count(trailOf(t, dir, "acme"), audit.ActionAuditExported)); n != 0 {
		t.Fatalf("acme recorded %d exports of globex's trail", n)
	}
}

func TestWebhookURLAllowed(t *testing.T) {
	for raw, want := range map[string]bool{
		"https://siem.example/hook":      true,
		"http://127.0.0.1:9000/hook":     true,
		"http://localhost:9000/hook":     true,
		"http://[::1]:9000/hook":         true,
		"http://localhost.evil.example/": false,
		"http://127.0.0.1.evil.example/": false,
		"http://siem.example/hook":       false,
		"https://user:pw@siem.example/":  false,
		"ftp://siem.example/":            false,
		"not a url":                      false,
	} {
		if got := webhookURLAllowed(raw); got != want {
			t.Errorf("%s: %v, want %v", raw, got, want)
		}
	}
}
