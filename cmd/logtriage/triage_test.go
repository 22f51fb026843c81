package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logtriage/logtriage/triage"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestTriageCommand(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")
	dir := t.TempDir()
	logPath := filepath.Join(dir, "02855523_app.log")
	log := "2024-05-01 10:00:00 INFO [main] app.Server: started\n" +
		"2024-05-01 10:00:01 ERROR [pool-1] app.Repo: org.postgresql.util.PSQLException: too many connections\n"
	if err := os.WriteFile(logPath, []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := runCLI(t, "triage", logPath)
	if code != 0 || !strings.Contains(out, "Queue       database") || !strings.Contains(out, "Key lines") {
		t.Fatalf("text: exit %d\n%s\n%s", code, out, errOut)
	}

	code, out, _ = runCLI(t, "triage", "--format", "json", logPath)
	var c triage.Case
	if code != 0 || json.Unmarshal([]byte(out), &c) != nil {
		t.Fatalf("json: exit %d\n%s", code, out)
	}
	if c.CaseRef != "02855523" || c.Category != "database" || c.Upload.SHA256 == "" || c.Classifier.Kind != "rules" {
		t.Fatalf("case %+v", c)
	}
	_, again, _ := runCLI(t, "triage", "--format", "json", logPath)
	var c2 triage.Case
	if err := json.Unmarshal([]byte(again), &c2); err != nil || c2.ID != c.ID {
		t.Fatalf("same bytes, different case ids: %s %s (%v)", c.ID, c2.ID, err)
	}

	cfg := filepath.Join(dir, "routing.json")
	if err := os.WriteFile(cfg, []byte(`{"queues": []}`), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "tool.log")
	if err := os.WriteFile(bin, append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 64)...), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		args []string
		code int
		want string
	}{
		"quarantined binary": {[]string{"triage", bin}, 0, "quarantined"},
		"missing file":       {[]string{"triage", filepath.Join(dir, "nope.log")}, 2, "no such file"},
		"no file":            {[]string{"triage"}, 2, "usage"},
		"bad format":         {[]string{"triage", "--format", "xml", logPath}, 2, "usage"},
		"bad config":         {[]string{"triage", "--config", cfg, logPath}, 2, "default_queue"},
	} {
		code, out, errOut := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(out+errOut, tc.want) {
			t.Errorf("%s: exit %d, want %d with %q:\n%s%s", name, code, tc.code, tc.want, out, errOut)
		}
	}
}
