package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logtriage/logtriage/eval"
	"github.com/logtriage/logtriage/triage"
)

func submitWait(t *testing.T, url, tenant, path string) triage.Case {
	t.Helper()
	code, out, errOut := runServeCLI(t, "submit", "--nats-url", url, "--tenant", tenant, "--wait", "--timeout", "20s", "--format", "json", path)
	var c triage.Case
	if code != 0 || json.Unmarshal([]byte(out), &c) != nil {
		t.Fatalf("submit --wait %s: exit %d:\n%s%s", path, code, out, errOut)
	}
	return c
}

// TestCasesResolve: an agent resolves a case through serve (which owns the
// embedded store); the labels are checked against the severity set and the
// routing config, and the case comes back resolved.
func TestCasesResolve(t *testing.T) {
	t.Setenv("LOGTRIAGE_ROUTES", "") // the built-in routing config the labels are checked against
	url := startServe(t, t.TempDir()).url
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	content := strings.Repeat("2026-01-05 10:00:01 ERROR HikariPool-1 - Connection is not available, request timed out after 30000ms\n", 4)
	if err := os.WriteFile(log, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	c := submitWait(t, url, "acme", log)
	if c.Severity.Label == "low" || c.Category == "network" {
		t.Fatalf("the classifier already says %s/%s: the correction below would not be visible", c.Severity.Label, c.Category)
	}

	for _, tc := range []struct {
		name string
		args []string
		code int
		say  string
	}{
		{"unknown severity", []string{"--severity", "urgent"}, 2, "not one of"},
		{"category outside the routing config", []string{"--category", "astrology"}, 1, "not in the routing config"},
		{"queue outside the routing config", []string{"--queue", "nowhere"}, 1, "not in the routing config"},
		{"another tenant's case", []string{"--tenant", "globex", "--severity", "low"}, 1, "not found"},
		{"with --next", []string{"--next", "--queue", "database"}, 2, "does not go with"},
	} {
		args := append([]string{"cases", "--nats-url", url, "--tenant", "acme", "--resolve", c.ID}, tc.args...)
		code, _, errOut := runServeCLI(t, args...)
		if code != tc.code || !strings.Contains(errOut, tc.say) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d saying %q", tc.name, code, errOut, tc.code, tc.say)
		}
	}
	if code, _, errOut := runServeCLI(t, "cases", "--nats-url", url, "--tenant", "acme", "--resolve", "case_000000000000000000000000", "--severity", "low"); code != 1 || !strings.Contains(errOut, "not found") {
		t.Errorf("resolving a missing case: exit %d, %q", code, errOut)
	}

	code, out, errOut := runServeCLI(t, "cases", "--nats-url", url, "--tenant", "acme", "--resolve", c.ID,
		"--severity", "low", "--category", "network", "--queue", "network", "--note", "client timeout, not the pool", "--agent", "ana", "--format", "json")
	if code != 0 {
		t.Fatalf("resolve: exit %d: %s", code, errOut)
	}
	var got triage.Case
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("resolve printed no case: %v\n%s", err, out)
	}
	r := got.Resolution
	if got.ID != c.ID || got.Status != triage.StatusResolved || r == nil || r.Agent != "ana" || r.Severity != "low" ||
		r.Category != "network" || r.Queue != "network" || r.Note != "client timeout, not the pool" || r.ResolvedAt.IsZero() {
		t.Errorf("resolved case: status %s, resolution %+v", got.Status, r)
	}

	// The next upload of the same failure learns from the resolution.
	dup := filepath.Join(dir, "app-again.log")
	if err := os.WriteFile(dup, []byte(strings.ReplaceAll(content, "10:00:01", "11:42:17")), 0o600); err != nil {
		t.Fatal(err)
	}
	again := submitWait(t, url, "acme", dup)
	if again.ID == c.ID || again.Severity.Label != "low" || again.Category != "network" || again.Queue != "network" ||
		!strings.Contains(again.Classifier.Feedback, c.ID) {
		t.Errorf("near-duplicate after the resolution: %s/%s/%s, feedback %q; want low/network/network from %s",
			again.Severity.Label, again.Category, again.Queue, again.Classifier.Feedback, c.ID)
	}

	// serve holds the embedded store: the export goes through it.
	exportPath := filepath.Join(dir, "export.jsonl")
	if code, _, errOut := runServeCLI(t, "dataset", "export", "--nats-url", url, "--tenant", "acme", "--out", exportPath); code != 0 {
		t.Fatalf("dataset export --nats-url: exit %d: %s", code, errOut)
	}
	ds, err := eval.LoadDataset(exportPath)
	if err != nil || len(ds.Cases) != 1 || ds.Cases[0].ID != c.ID || ds.Cases[0].Severity != "low" || ds.Cases[0].Queue != "network" {
		t.Errorf("export through serve: %v, %+v; want the one resolved case as low/network", err, ds)
	}
}

// Without serve, resolving says so instead of hanging.
func TestCasesResolveWithoutServe(t *testing.T) {
	url := fmt.Sprintf("nats://127.0.0.1:%d", freeServePort(t))
	code, _, errOut := runServeCLI(t, "cases", "--nats-url", url, "--resolve", "case_x", "--severity", "low")
	if code != 2 || errOut == "" {
		t.Errorf("resolve with no server: exit %d, %q; want 2 with a reason", code, errOut)
	}
}
