package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/portal"
	"github.com/logtriage/logtriage/triage/store/embedded"
)

func TestUserAddAndTokenCreate(t *testing.T) {
	t.Setenv("DATABASE_URL", "") // the embedded store, which the test opens to check
	dir := t.TempDir()
	ctx := context.Background()
	var out, errb bytes.Buffer
	code := run(ctx, []string{"user", "add", "ana", "--role", "agent", "--queues", "db-oncall, network", "--data-dir", dir},
		strings.NewReader("test-only-password-1\n"), &out, &errb)
	if code != 0 {
		t.Fatalf("user add exited %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "account ana (agent) queues db-oncall,network") {
		t.Fatalf("user add printed %q", out.String())
	}
	out.Reset()
	errb.Reset()
	if code := run(ctx, []string{"token", "create", "ana", "--ttl", "24h", "--data-dir", dir}, nil, &out, &errb); code != 0 {
		t.Fatalf("token create exited %d: %s", code, errb.String())
	}
	tok := strings.TrimSpace(out.String())
	if !regexp.MustCompile(`^lt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$`).MatchString(tok) {
		t.Fatalf("token %q has the wrong shape", tok)
	}
	st, err := embedded.Open(filepath.Join(dir, "store"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := st.GetAccount(ctx, "ana")
	if err != nil || a.Role != "agent" || !strings.HasPrefix(a.PasswordHash, "$argon2id$") || strings.Contains(a.PasswordHash, "test-only") {
		t.Fatalf("stored account %+v, %v", a, err)
	}
	id := tok[3:19]
	stored, err := st.GetToken(ctx, id)
	if err != nil || strings.Contains(stored.Hash, tok[20:]) || stored.ExpiresAt.IsZero() {
		t.Fatalf("stored token %+v, %v: want a digest with an expiry", stored, err)
	}

	// Both changes are in the audit trail (the portal's chain: an agent has no tenant).
	events, err := st.QueryAudit(ctx, audit.Query{Tenant: portal.PortalTenant})
	if err != nil || len(events) != 2 || events[0].Action != audit.ActionAccountChanged || events[0].Resource != "account/ana" {
		t.Fatalf("audit events %+v, %v", events, err)
	}

	// With the store held (as a running serve holds it) the command says why it cannot go on.
	errb.Reset()
	code = run(ctx, []string{"user", "add", "bob", "--role", "ml", "--data-dir", dir}, strings.NewReader("test-only-password-2\n"), &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "stop serve") {
		t.Fatalf("user add on a held store: exit %d, %q", code, errb.String())
	}
	st.Close()
}

func TestUserAddRejects(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	dir := t.TempDir()
	for _, tc := range []struct {
		args  []string
		stdin string
		want  string
	}{
		{[]string{"user", "add", "c", "--role", "customer"}, "test-only-password-1\n", "needs --tenant"},
		{[]string{"user", "add", "a", "--role", "agent"}, "test-only-password-1\n", "needs --queues"},
		{[]string{"user", "add", "x", "--role", "root"}, "test-only-password-1\n", "role"},
		{[]string{"user", "add", "x", "--role", "ml"}, "short\n", "at least 12"},
		{[]string{"user", "add", "x", "--role", "ml"}, "", "no password"},
		{[]string{"token", "create", "ghost"}, "", "no account"},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), append(tc.args, "--data-dir", dir), strings.NewReader(tc.stdin), &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d, %q (want 2 and %q)", tc.args, code, errb.String(), tc.want)
		}
	}
}
