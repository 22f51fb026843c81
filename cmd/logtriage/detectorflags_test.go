package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDetectorConfigReachesEveryCommand: the one --detectors flag carries
// the same custom rule and modes into scan, redact, triage and serve; scan
// and redact keep --config as its alias; an unknown finding type is an
// error (exit 2) naming the valid ones in each of them.
func TestDetectorConfigReachesEveryCommand(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")
	t.Setenv("LOGTRIAGE_DETECTORS", "")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "detectors.json")
	if err := os.WriteFile(cfg, []byte(`{"rules": [{"id": "ticket", "category": "pii", "keywords": ["TCK-"], "regex": "\\bTCK-[0-9]{5}\\b"}], "modes": {"email": "mask"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	const ticket = "TCK-40417"
	logPath := filepath.Join(dir, "00777777_app.log")
	content := "2026-01-05 10:00:00 ERROR ticket " + ticket + " failed for ops@example.org\n" +
		"2026-01-05 10:00:01 ERROR java.net.ConnectException: Connection refused\n"
	if err := os.WriteFile(logPath, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, flagName := range []string{"--detectors", "--config"} {
		code, out, errOut := runCLI(t, "scan", "--format", "jsonl", flagName, cfg, logPath)
		if code != 1 || !strings.Contains(out, `"type":"ticket"`) {
			t.Errorf("scan %s: exit %d, no ticket finding:\n%s%s", flagName, code, out, errOut)
		}
		code, out, errOut = runCLI(t, "redact", flagName, cfg, logPath)
		if code != 0 || strings.Contains(out, ticket) || !strings.Contains(out, "[TICKET:") || !strings.Contains(out, "[EMAIL]") {
			t.Errorf("redact %s: exit %d:\n%s%s", flagName, code, out, errOut)
		}
	}
	code, out, errOut := runCLI(t, "triage", "--format", "json", "--detectors", cfg, logPath)
	if code != 0 || strings.Contains(out, ticket) || !strings.Contains(out, "ticket") {
		t.Errorf("triage --detectors: exit %d, the ticket is not a finding of the case:\n%s%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "triage", "--format", "json", logPath)
	if code != 0 || !strings.Contains(out, ticket) {
		t.Errorf("triage without the rule should leave the ticket as text: exit %d:\n%s", code, out)
	}

	for _, args := range [][]string{
		{"scan", "--disable", "ip_adress", logPath},
		{"redact", "--mode", "creditcard=mask", logPath},
		{"triage", "--disable", "ip_adress", logPath},
		{"serve", "--disable", "ip_adress", "--http", "", "--data-dir", dir},
	} {
		code, _, errOut := runCLI(t, args...)
		if code != 2 || !strings.Contains(errOut, "unknown finding type") || !strings.Contains(errOut, "valid: ") || !strings.Contains(errOut, "ip_address") {
			t.Errorf("%v: exit %d, want 2 naming the valid types; stderr:\n%s", args, code, errOut)
		}
	}
}

// TestTypesCommand lists every type with category and validator, custom
// rules included when a detector config is given.
func TestTypesCommand(t *testing.T) {
	t.Setenv("LOGTRIAGE_DETECTORS", "")
	code, out, errOut := runCLI(t, "types", "--format", "json")
	var rows []typeRow
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil {
		t.Fatalf("types --format json: exit %d:\n%s%s", code, out, errOut)
	}
	seen := map[string]typeRow{}
	for _, r := range rows {
		seen[r.ID] = r
		if r.Validator == "" || (r.Category != "pii" && r.Category != "secret") {
			t.Errorf("%s: incomplete row %+v", r.ID, r)
		}
	}
	for _, id := range []string{"url_credentials", "session_token", "ip_address", "person_name", "generic_secret"} {
		if _, ok := seen[id]; !ok {
			t.Errorf("types does not list %s", id)
		}
	}
	cfg := filepath.Join(t.TempDir(), "d.json")
	if err := os.WriteFile(cfg, []byte(`{"rules": [{"id": "acme_key", "regex": "acme_[a-z0-9]{20}", "validator": "entropy>=3"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLI(t, "types", "--detectors", cfg)
	if code != 0 || !strings.HasPrefix(out, "TYPE") || !strings.Contains(out, "acme_key") || !strings.Contains(out, "entropy>=3 (custom rule)") {
		t.Errorf("types --detectors: exit %d:\n%s", code, out)
	}
}
