package audit_test

import (
	"encoding/base64"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logtriage/logtriage/audit"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestLoadOrCreateSigner(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", audit.SigningKeyFile)
	a, err := audit.LoadOrCreateSigner(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", fi.Mode().Perm(), err)
	}
	b, err := audit.LoadOrCreateSigner(path)
	if err != nil || b.KeyID() != a.KeyID() {
		t.Fatalf("reload: %v, key %s vs %s", err, b.KeyID(), a.KeyID())
	}
	other, _ := audit.LoadOrCreateSigner(filepath.Join(t.TempDir(), audit.SigningKeyFile))
	if other.KeyID() == a.KeyID() {
		t.Fatal("two data dirs share a key: a built-in key?")
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := audit.LoadOrCreateSigner(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key accepted: %v", err)
	}
}

func TestParsePublicKey(t *testing.T) {
	sg, _ := audit.GenerateSigner()
	pub := sg.PublicKey()
	for name, in := range map[string]string{
		"pem":    string(sg.PublicKeyPEM()),
		"hex":    hex.EncodeToString(pub) + "\n",
		"base64": base64.StdEncoding.EncodeToString(pub),
	} {
		got, err := audit.ParsePublicKey([]byte(in))
		if err != nil || !got.Equal(pub) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, in := range map[string]string{
		"private key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
		"short":       "abcd",
		"empty":       "",
	} {
		if _, err := audit.ParsePublicKey([]byte(in)); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestCheckpointSignature(t *testing.T) {
	sg, _ := audit.GenerateSigner()
	cp := sg.Sign("acme", audit.Head{Seq: 7, Hash: strings.Repeat("ab", 32)}, time.Now(), false)
	if err := cp.VerifySignature(sg.PublicKey()); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*audit.Checkpoint){
		"seq":    func(c *audit.Checkpoint) { c.Seq++ },
		"hash":   func(c *audit.Checkpoint) { c.Hash = strings.Repeat("cd", 32) },
		"tenant": func(c *audit.Checkpoint) { c.Tenant = "globex" },
		"anchor": func(c *audit.Checkpoint) { c.Anchor = true },
		"time":   func(c *audit.Checkpoint) { c.Time = c.Time.Add(time.Second) },
	} {
		c := cp
		mutate(&c)
		if c.VerifySignature(sg.PublicKey()) == nil {
			t.Errorf("checkpoint with altered %s verifies", name)
		}
	}
}

// The canonical form is a published format (docs/audit.md): its bytes and
// hash for a fixed event are pinned, so a change to it cannot slip through.
func TestCanonicalGolden(t *testing.T) {
	e := audit.Event{
		ID: "0f1e2d3c4b5a69788796a5b4c3d2e1f0", Seq: 42,
		Time:   time.Date(2026, 5, 4, 3, 2, 1, 123456000, time.UTC),
		Tenant: "acme", Actor: audit.Actor{Kind: audit.ActorUser, Name: "dana", Role: "agent"},
		Action: audit.ActionCaseViewed, Resource: "case/c-17", Outcome: audit.Success,
		Reason: "TICKET-991 customer asked", SourceAddr: "192.0.2.10", RequestID: "req-1",
		Detail:   map[string]string{"queue": "billing", "b": "2", "a": "1"},
		PrevHash: strings.Repeat("0", 64),
	}
	got := "canonical " + hex.EncodeToString(audit.AppendCanonical(nil, &e)) + "\nhash " + audit.ComputeHash(&e) + "\n"
	path := filepath.Join("testdata", "canonical.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if got != string(want) {
		t.Fatalf("canonical form changed:\n got %s\nwant %s", got, want)
	}
}
