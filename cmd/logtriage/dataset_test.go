package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/logtriage/logtriage/eval"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/store/embedded"
)

// dataset export reads the embedded store directly when serve is not
// running, per tenant, and writes what eval loads.
func TestDatasetExportFromStore(t *testing.T) {
	t.Setenv("DATABASE_URL", "") // scripts/test.sh exports one: this test is about the embedded store
	dataDir := t.TempDir()
	store, err := embedded.Open(filepath.Join(dataDir, "store"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i, c := range []*triage.Case{
		{ID: "c1", Tenant: "acme", Severity: triage.Score{Label: "high"}, Category: "database", Queue: "database", KeyLines: []string{"ERROR pool exhausted user=[EMAIL:1f2e]"}},
		{ID: "c2", Tenant: "acme", Severity: triage.Score{Label: "low"}, Category: "network", Queue: "network", KeyLines: []string{"WARN retry 2"}},
		{ID: "c3", Tenant: "globex", Severity: triage.Score{Label: "low"}, Category: "network", Queue: "network", KeyLines: []string{"WARN x"}},
		{ID: "c4", Tenant: "acme", Severity: triage.Score{Label: "low"}, Category: "network", Queue: "network"}, // no key lines
	} {
		if err := store.PutCase(ctx, c, nil); err != nil {
			t.Fatal(err)
		}
		if err := store.Resolve(ctx, triage.Resolution{Tenant: c.Tenant, CaseID: c.ID, Severity: map[int]string{0: "medium"}[i], ResolvedAt: at.Add(time.Duration(i) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.PutCase(ctx, &triage.Case{ID: "open", Tenant: "acme", KeyLines: []string{"ERROR open"}}, nil); err != nil {
		t.Fatal(err)
	}
	store.Close()

	out := filepath.Join(t.TempDir(), "export.jsonl")
	code, _, errOut := runServeCLI(t, "dataset", "export", "--data-dir", dataDir, "--tenant", "acme", "--out", out)
	if code != 0 {
		t.Fatalf("dataset export: exit %d: %s", code, errOut)
	}
	ds, err := eval.LoadDataset(out)
	if err != nil {
		t.Fatalf("eval cannot load the export: %v", err)
	}
	got := map[string]string{}
	for _, c := range ds.Cases {
		got[c.ID] = c.Severity
	}
	if len(got) != 2 || got["c1"] != "medium" || got["c2"] != "low" {
		t.Errorf("exported %v, want c1 corrected to medium and c2 confirmed low (c3 is globex's, c4 has no text, open is unresolved)", got)
	}

	code, _, _ = runServeCLI(t, "dataset", "export", "--data-dir", dataDir, "--tenant", "acme", "--since", "2026-03-01T12:30:00Z", "--out", out)
	if ds, err = eval.LoadDataset(out); code != 0 || err != nil || len(ds.Cases) != 1 || ds.Cases[0].ID != "c2" {
		t.Errorf("--since: exit %d, %v, want only c2", code, err)
	}
	if code, _, _ := runServeCLI(t, "dataset", "export", "--data-dir", filepath.Join(dataDir, "nope")); code != 1 {
		t.Errorf("export from a missing store exited %d, want 1", code)
	}
	for _, args := range [][]string{{"dataset"}, {"dataset", "import"}, {"dataset", "export", "--since", "yesterday"}, {"dataset", "export", "extra"}} {
		if code, _, _ := runServeCLI(t, args...); code != 2 {
			t.Errorf("%v exited %d, want 2", args, code)
		}
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatal(err)
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
		bad  bool
	}{
		{"", time.Time{}, false},
		{"2026-03-01T08:00:00Z", time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC), false},
		{"2026-03-01", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), false},
		{"72h", now.Add(-72 * time.Hour), false},
		{"-5h", time.Time{}, true},
		{"last week", time.Time{}, true},
	} {
		got, err := parseSince(tc.in, now)
		if (err != nil) != tc.bad || !got.Equal(tc.want) {
			t.Errorf("parseSince(%q) = %v, %v", tc.in, got, err)
		}
	}
}

// eval --replay prints the replay's figures as JSON, over as many orders
// as asked.
func TestEvalReplay(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")
	code, out, errOut := runServeCLI(t, "eval", "--replay", "--replay-orders", "2", "--dataset", "../../eval/datasets/triage/holdout3/holdout3.jsonl", "--format", "json")
	if code != 0 {
		t.Fatalf("eval --replay: exit %d: %s", code, errOut)
	}
	var res eval.ReplayResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("not a replay result: %v\n%s", err, out)
	}
	if res.Orders != 2 || res.SecondHalf.With.Cases != 20 || res.SecondHalf.Without.SeverityExact <= 0 {
		t.Errorf("replay result %+v: want 2 orders over a second half of 20 cases", res)
	}
	if code, _, _ := runServeCLI(t, "eval", "--replay", "--dataset", "../../eval/datasets/triage/holdout3/holdout3.jsonl", "--format", "html"); code != evalError {
		t.Errorf("--replay --format html exited %d, want %d", code, evalError)
	}
}
