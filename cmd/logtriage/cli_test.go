package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logtriage/logtriage/triage"
)

// Asking a command for its usage is not an error; a bad flag is.
func TestHelpExitsZero(t *testing.T) {
	for name := range commands {
		for _, help := range []string{"-h", "--help"} {
			code, out, errOut := runCLI(t, name, help)
			if code != 0 || !strings.Contains(out+errOut, "usage: logtriage "+name) {
				t.Errorf("%s %s: exit %d, want 0 with the usage:\n%s%s", name, help, code, out, errOut)
			}
		}
		if code, _, _ := runCLI(t, name, "--no-such-flag"); code != 2 {
			t.Errorf("%s --no-such-flag: exit %d, want 2", name, code)
		}
	}
}

// Flags may follow the file, as scan and redact allow.
func TestTriageFlagsAfterFile(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")
	t.Setenv("LOGTRIAGE_LLM_PII", "")
	path := filepath.Join(t.TempDir(), "app.log")
	if err := os.WriteFile(path, []byte("2024-05-01 10:00:01 ERROR [db] connection refused\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "triage", path, "--format", "json", "--tenant", "acme")
	var c triage.Case
	if code != 0 || json.Unmarshal([]byte(out), &c) != nil || c.Tenant != "acme" {
		t.Fatalf("exit %d, tenant %q:\n%s%s", code, c.Tenant, out, errOut)
	}
	// No LLM configured: rules-only mode, said once, not an error.
	if strings.Count(errOut, "rules classifier") != 1 || c.Classifier.Kind != "rules" {
		t.Errorf("rules-only mode not said once (classifier %q):\n%s", c.Classifier.Kind, errOut)
	}
	if code, _, _ := runCLI(t, "triage", path, path); code != 2 {
		t.Errorf("two files: exit %d, want 2", code)
	}
}

// A query against a data dir that holds no store says so and creates none.
func TestSimilarMissingStore(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	dir := filepath.Join(t.TempDir(), "nodata")
	code, _, errOut := runCLI(t, "similar", "--nats-url", "", "--data-dir", dir, "case_x")
	if code != 2 || !strings.Contains(errOut, "no embedded store") {
		t.Errorf("exit %d, want 2 with a clear error: %s", code, errOut)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("similar created %s", dir)
	}
}
