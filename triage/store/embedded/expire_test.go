package embedded

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/logtriage/logtriage/triage"
)

// Compaction while writers run loses no write: every case put before,
// during and after it is there after a reopen, and the expired ones are not.
func TestCompactWhileWriting(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	ctx := context.Background()
	old := base.Add(-400 * 24 * time.Hour)
	for i := range 300 {
		if err := s.PutCase(ctx, newCase("acme", fmt.Sprintf("old-%d", i), "q", 0), nil); err != nil {
			t.Fatal(err)
		}
	}
	// Make them old: rewrite with an old creation time.
	for i := range 300 {
		c := newCase("acme", fmt.Sprintf("old-%d", i), "q", 0)
		c.CreatedAt = old
		if err := s.PutCase(ctx, c, nil); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	const writers, each = 4, 150
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := s.PutCase(ctx, newCase("globex", fmt.Sprintf("w%d-%d", w, i), "q", i), nil); err != nil {
					t.Error(err)
					return
				}
				// Lazy (non-durable) statuses too: compaction must flush them first.
				if err := s.SetStatus(ctx, triage.UploadStatus{Tenant: "globex", UploadID: fmt.Sprintf("u%d-%d", w, i), Status: triage.StatusProcessing}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	gone, err := s.ExpireCases(ctx, "acme", base.Add(-180*24*time.Hour), false)
	if err != nil || len(gone) != 300 {
		t.Fatalf("expired %d, %v", len(gone), err)
	}
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = open(t, dir)
	if got, _ := s.ListCases(ctx, triage.CaseFilter{Tenant: "acme"}); len(got) != 0 {
		t.Errorf("%d expired cases back after reopen", len(got))
	}
	got, err := s.ListCases(ctx, triage.CaseFilter{Tenant: "globex", Limit: 10_000})
	if err != nil || len(got) != writers*each {
		t.Errorf("%d of %d cases written during compaction survived a reopen (%v)", len(got), writers*each, err)
	}
	for w := range writers {
		for i := range each {
			if _, err := s.GetStatus(ctx, "globex", fmt.Sprintf("u%d-%d", w, i)); err != nil {
				t.Fatalf("status u%d-%d lost: %v", w, i, err)
			}
		}
	}
}
