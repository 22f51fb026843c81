package embedded

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/anomaly"
)

// A damaged history file (a torn last write, a garbage line) loses those
// lines only: history is advisory and must never stop triage.
func TestHistorySkipsDamagedLines(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3 {
		if err := s.RecordHistory(ctx, "acme", anomaly.Summary{UploadID: fmt.Sprint("u", i), Time: at.Add(time.Duration(i) * time.Hour), Lines: 1}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	path := filepath.Join(dir, historyName)
	data, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(data), "\n")
	damaged := lines[0] + "{not json\n" + lines[1] + lines[2][:len(lines[2])/2] // torn last write
	if err := os.WriteFile(path, []byte(damaged), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.History(ctx, triage.HistoryQuery{Tenant: "acme"})
	if err != nil || len(got) != 2 || got[0].UploadID != "u0" || got[1].UploadID != "u1" {
		t.Fatalf("History over a damaged file = %+v, %v; want u0 and u1", got, err)
	}
	if s.history.skipped != 2 {
		t.Errorf("skipped %d lines, want 2", s.history.skipped)
	}
}

// A tenant keeps its newest maxTenantHistory summaries, and re-recorded
// uploads get compacted out of the file.
func TestHistoryIsBounded(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	n := maxTenantHistory + 10
	for i := range n {
		if err := s.RecordHistory(ctx, "acme", anomaly.Summary{UploadID: fmt.Sprintf("u%04d", i), Time: at.Add(time.Duration(i) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	for range 1200 { // redeliveries of one upload
		if err := s.RecordHistory(ctx, "acme", anomaly.Summary{UploadID: fmt.Sprintf("u%04d", n-1), Time: at.Add(time.Duration(n-1) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.History(ctx, triage.HistoryQuery{Tenant: "acme", Limit: 10 * n})
	if err != nil || len(got) != maxTenantHistory || got[0].UploadID != "u0010" {
		t.Fatalf("%d summaries (first %s), %v; want the newest %d", len(got), got[0].UploadID, err, maxTenantHistory)
	}
	if s.history.lines > 2*len(s.history.uploads)+1000 {
		t.Errorf("file holds %d records for %d live ones: not compacted", s.history.lines, len(s.history.uploads))
	}
}
