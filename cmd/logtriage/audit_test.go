package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/triage/store/embedded"
)

// auditDataDir is a data dir as serve leaves it: an embedded store with a
// checkpointed trail for two tenants and the signing key beside it.
func auditDataDir(t *testing.T) (string, []audit.Event) {
	t.Helper()
	dir := t.TempDir()
	s, err := embedded.Open(filepath.Join(dir, "store"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sg, err := audit.LoadOrCreateSigner(auditKeyPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	c := audit.NewChain(s, sg, audit.Options{})
	var acme []audit.Event
	for i := 0; i < 6; i++ {
		for _, tenant := range []string{"acme", "globex"} {
			e, err := c.Record(context.Background(), audit.Event{Tenant: tenant,
				Actor:  audit.Actor{Kind: audit.ActorUser, Name: "dana", Role: "agent"},
				Action: audit.ActionCaseViewed, Resource: fmt.Sprintf("case/c-%d", i), Reason: "TICKET-1"})
			if err != nil {
				t.Fatal(err)
			}
			if tenant == "acme" {
				acme = append(acme, e)
			}
		}
	}
	if _, err := c.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	return dir, acme
}

func TestAuditVerifyCommand(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	t.Setenv("LOGTRIAGE_AUDIT_KEY_FILE", "")
	dir, acme := auditDataDir(t)

	code, out, errOut := runCLI(t, "audit", "verify", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "acme: 6 events, seq 1..6, 1 checkpoints verified") || !strings.Contains(out, "verified 12 events in 2 chains") {
		t.Fatalf("verify store: exit %d\n%s%s", code, out, errOut)
	}

	code, export, errOut := runCLI(t, "audit", "export", "--data-dir", dir, "--tenant", "acme")
	if code != 0 || strings.Contains(export, "globex") {
		t.Fatalf("export: exit %d\n%s", code, errOut)
	}
	code, pem, _ := runCLI(t, "audit", "public-key", "--data-dir", dir)
	if code != 0 || !strings.HasPrefix(pem, "-----BEGIN PUBLIC KEY-----") {
		t.Fatalf("public-key: exit %d %q", code, pem)
	}
	work := t.TempDir()
	pubPath := filepath.Join(work, "audit.pub")
	exportPath := filepath.Join(work, "acme.jsonl")
	os.WriteFile(pubPath, []byte(pem), 0o600)
	os.WriteFile(exportPath, []byte(export), 0o600)

	tampered := filepath.Join(work, "tampered.jsonl")
	os.WriteFile(tampered, []byte(strings.Replace(export, `"case/c-3"`, `"case/c-9"`, 1)), 0o600)
	other, _ := audit.GenerateSigner()
	otherPub := filepath.Join(work, "other.pub")
	os.WriteFile(otherPub, other.PublicKeyPEM(), 0o600)

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"export verifies (with the export's own event)", []string{exportPath, "--pubkey", pubPath}, 0, "acme: 7 events, seq 1..7, 1 checkpoints verified"},
		{"edited export", []string{"--pubkey", pubPath, tampered}, 1, "modified at seq 4 (event " + acme[3].ID + ")"},
		{"wrong key", []string{"--pubkey", otherPub, exportPath}, 1, "signature at seq 6"},
		{"json", []string{"--pubkey", pubPath, "--format", "json", tampered}, 1, `"kind": "modified"`},
		{"no file", []string{"--pubkey", pubPath, filepath.Join(work, "missing.jsonl")}, 2, ""},
		{"two files", []string{exportPath, exportPath}, 2, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"audit", "verify"}, tc.args...)...)
			if code != tc.code || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, want %d with %q:\n%s%s", code, tc.code, tc.want, out, errOut)
			}
		})
	}

	// "-" reads the export from stdin.
	var stdout, stderr bytes.Buffer
	code = run(context.Background(), []string{"audit", "verify", "--pubkey", pubPath, "-"}, strings.NewReader(export), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("stdin: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}

	// The store held by another process (a running serve) is refused with a hint.
	s, err := embedded.Open(filepath.Join(dir, "store"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	code, _, errOut = runCLI(t, "audit", "verify", "--data-dir", dir)
	if code != 2 || !strings.Contains(errOut, "is serve running") {
		t.Fatalf("locked store: exit %d %s", code, errOut)
	}
}
