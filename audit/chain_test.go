package audit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/audit/audittest"
)

// clock is a deterministic, advancing time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func worker() audit.Actor {
	return audit.Actor{Kind: audit.ActorService, Name: "worker-1", Role: "worker"}
}

func event(tenant, action, resource string) audit.Event {
	return audit.Event{Tenant: tenant, Actor: worker(), Action: action, Resource: resource}
}

func newChain(t testing.TB) (*audit.Chain, *audittest.MemStore, *audit.Signer, *clock) {
	t.Helper()
	st := audittest.NewMemStore()
	sg, err := audit.GenerateSigner()
	if err != nil {
		t.Fatal(err)
	}
	clk := newClock()
	return audit.NewChain(st, sg, audit.Options{Now: clk.Now}), st, sg, clk
}

func record(t testing.TB, c *audit.Chain, e audit.Event) audit.Event {
	t.Helper()
	got, err := c.Record(context.Background(), e)
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	return got
}

func TestRecordChainsPerTenant(t *testing.T) {
	c, st, _, _ := newChain(t)
	var last = map[string]audit.Event{}
	for i := 0; i < 10; i++ {
		tenant := []string{"acme", "globex"}[i%2]
		e := record(t, c, event(tenant, audit.ActionCaseViewed, fmt.Sprintf("case/c-%d", i)))
		prev := last[tenant]
		if e.Seq != prev.Seq+1 || e.PrevHash != prev.Hash {
			t.Fatalf("event %d of %s: seq %d prev %q, want seq %d prev %q", i, tenant, e.Seq, e.PrevHash, prev.Seq+1, prev.Hash)
		}
		if e.Hash != audit.ComputeHash(&e) || len(e.Hash) != 64 || e.ID == "" || e.Time.IsZero() || e.Outcome != audit.Success {
			t.Fatalf("event %d not filled in: %+v", i, e)
		}
		last[tenant] = e
	}
	rep, err := audit.VerifyStore(context.Background(), st, audit.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Events != 10 || len(rep.Tenants) != 2 || rep.Tenants[0].LastSeq != 5 {
		t.Fatalf("report: %+v", rep)
	}
}

func TestRecordRefusesIncompleteEvents(t *testing.T) {
	c, _, _, _ := newChain(t)
	ok := event("acme", audit.ActionCaseViewed, "case/1")
	tests := []struct {
		name   string
		mutate func(*audit.Event)
	}{
		{"no tenant", func(e *audit.Event) { e.Tenant = "" }},
		{"no action", func(e *audit.Event) { e.Action = "" }},
		{"no actor", func(e *audit.Event) { e.Actor.Name = "" }},
		{"bad actor kind", func(e *audit.Event) { e.Actor.Kind = "robot" }},
		{"bad outcome", func(e *audit.Event) { e.Outcome = "maybe" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := ok
			tc.mutate(&e)
			if _, err := c.Record(context.Background(), e); !errors.Is(err, audit.ErrInvalidEvent) {
				t.Fatalf("err = %v, want ErrInvalidEvent", err)
			}
		})
	}
}

// The stored form is the hashed form: NUL and invalid UTF-8 are replaced
// before hashing, and the caller's Detail map is not touched.
func TestRecordNormalizesBeforeHashing(t *testing.T) {
	c, _, _, _ := newChain(t)
	detail := map[string]string{"model\x00": "gpt\xff"}
	e := event("acme", audit.ActionLLMSent, "upload/u-1")
	e.Reason = "ticket\x00 42"
	e.Detail = detail
	got := record(t, c, e)
	if strings.ContainsRune(got.Reason, 0) || got.Detail["model\uFFFD"] != "gpt\uFFFD" {
		t.Fatalf("not normalized: %q %q", got.Reason, got.Detail)
	}
	if _, ok := detail["model\x00"]; !ok || len(detail) != 1 {
		t.Fatalf("caller's map changed: %q", detail)
	}
	if got.Hash != audit.ComputeHash(&got) {
		t.Fatal("hash does not cover the stored form")
	}
}

func TestRecordConcurrent(t *testing.T) {
	c, st, _, _ := newChain(t)
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				tenant := []string{"acme", "globex", "initech"}[(g+i)%3]
				if _, err := c.Record(context.Background(), event(tenant, audit.ActionCaseViewed, "case/x")); err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
			}
		}()
	}
	// Checkpoints run while events are recorded.
	for i := 0; i < 5; i++ {
		if _, err := c.Checkpoint(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	rep, err := audit.VerifyStore(context.Background(), st, audit.VerifyOptions{PublicKey: c.Signer().PublicKey()})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Events != 800 {
		t.Fatalf("report: ok=%v events=%d first=%v", rep.OK, rep.Events, rep.First)
	}
}

// Two processes (two Chains) append to the same tenant through one store:
// the loser of each race re-reads the head and the chain stays one sequence.
func TestRecordTwoProcessesOneStore(t *testing.T) {
	st := audittest.NewMemStore()
	clk := newClock()
	a := audit.NewChain(st, nil, audit.Options{Now: clk.Now})
	b := audit.NewChain(st, nil, audit.Options{Now: clk.Now})
	var wg sync.WaitGroup
	for _, c := range []*audit.Chain{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if _, err := c.Record(context.Background(), event("acme", audit.ActionUploadReceived, "upload/u")); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	rep, err := audit.VerifyStore(context.Background(), st, audit.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Events != 400 || rep.Tenants[0].LastSeq != 400 {
		t.Fatalf("report: %+v", rep.First)
	}
}

// A store that fails makes Record fail (no audit, no data), and the chain
// resumes correctly once the store is back.
func TestRecordStoreFailure(t *testing.T) {
	c, st, _, _ := newChain(t)
	record(t, c, event("acme", audit.ActionCaseViewed, "case/1"))
	st.FailAppend = errors.New("disk full")
	if _, err := c.Record(context.Background(), event("acme", audit.ActionCaseViewed, "case/2")); err == nil {
		t.Fatal("Record succeeded while the store fails")
	}
	st.FailAppend = nil
	e := record(t, c, event("acme", audit.ActionCaseViewed, "case/3"))
	if e.Seq != 2 {
		t.Fatalf("seq after failure = %d, want 2", e.Seq)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Record(ctx, event("acme", audit.ActionCaseViewed, "case/4")); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: %v", err)
	}
}

func TestCheckpointOnlyMovedChains(t *testing.T) {
	c, st, _, _ := newChain(t)
	record(t, c, event("acme", audit.ActionCaseViewed, "case/1"))
	record(t, c, event("globex", audit.ActionCaseViewed, "case/2"))
	for i, want := range []int{2, 0} {
		n, err := c.Checkpoint(context.Background())
		if err != nil || n != want {
			t.Fatalf("checkpoint %d: n=%d err=%v, want %d", i, n, err, want)
		}
	}
	record(t, c, event("acme", audit.ActionCaseViewed, "case/3"))
	if n, _ := c.Checkpoint(context.Background()); n != 1 {
		t.Fatalf("after one more acme event: %d checkpoints, want 1", n)
	}
	cps, _ := st.AuditCheckpoints(context.Background(), "acme")
	if len(cps) != 2 || cps[1].Seq != 2 || cps[1].VerifySignature(c.Signer().PublicKey()) != nil {
		t.Fatalf("acme checkpoints: %+v", cps)
	}
	if _, err := audit.NewChain(st, nil, audit.Options{}).Checkpoint(context.Background()); !errors.Is(err, audit.ErrNoSigner) {
		t.Fatalf("checkpoint without key: %v", err)
	}
}

// Retention deletes old events behind a signed anchor: what remains still
// verifies, and the chain continues from the anchor even when nothing is left.
func TestPurgeKeepsChainVerifiable(t *testing.T) {
	st := audittest.NewMemStore()
	sg, _ := audit.GenerateSigner()
	clk := newClock()
	c := audit.NewChain(st, sg, audit.Options{Now: clk.Now, Retention: 30 * 24 * time.Hour})
	for i := 0; i < 5; i++ {
		record(t, c, event("acme", audit.ActionCaseViewed, "case/old"))
		record(t, c, event("globex", audit.ActionCaseViewed, "case/old"))
	}
	clk.Advance(40 * 24 * time.Hour)
	for i := 0; i < 3; i++ {
		record(t, c, event("acme", audit.ActionCaseViewed, "case/new"))
	}
	n, err := c.Purge(context.Background())
	if err != nil || n != 10 {
		t.Fatalf("purge: n=%d err=%v, want 10", n, err)
	}
	rep, err := audit.VerifyStore(context.Background(), st, audit.VerifyOptions{PublicKey: sg.PublicKey()})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Events != 3 || !rep.Tenants[0].Anchored || rep.Tenants[0].FirstSeq != 6 {
		t.Fatalf("after purge: %+v first=%v", rep.Tenants, rep.First)
	}
	// globex has no events left; its next one continues after the anchor.
	e := record(t, c, event("globex", audit.ActionCaseViewed, "case/new"))
	if e.Seq != 6 {
		t.Fatalf("globex seq after full purge = %d, want 6", e.Seq)
	}
	if rep, _ := audit.VerifyStore(context.Background(), st, audit.VerifyOptions{PublicKey: sg.PublicKey()}); !rep.OK {
		t.Fatalf("after purge and a new event: %v", rep.First)
	}
	// Without the key, the anchor cannot be trusted: a chain starting at 6 is reported.
	if rep, _ := audit.VerifyStore(context.Background(), st, audit.VerifyOptions{}); rep.OK || rep.First.Kind != audit.ProblemStart {
		t.Fatalf("unanchored start not reported: %+v", rep.First)
	}
}

func TestExportRoundTrip(t *testing.T) {
	c, st, sg, _ := newChain(t)
	for i := 0; i < 20; i++ {
		e := event([]string{"acme", "globex"}[i%2], audit.ActionLLMSent, "upload/u")
		e.Detail = map[string]string{"model": "gpt-4o-mini", "endpoint": "api.openai.com", "tokens": "123"}
		e.Reason = "line one\nline \"two\" <b>"
		record(t, c, e)
		if i == 9 {
			c.Checkpoint(context.Background())
		}
	}
	var buf bytes.Buffer
	if err := audit.WriteExport(context.Background(), st, &buf, audit.ExportQuery{Tenant: "acme"}, audit.ExportHeader{KeyID: sg.KeyID()}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "globex") {
		t.Fatal("tenant export holds another tenant's events")
	}
	rep, err := audit.VerifyExport(&buf, audit.VerifyOptions{PublicKey: sg.PublicKey()})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Events != 10 || rep.Tenants[0].Checkpoints != 1 || rep.Tenants[0].UnsignedTail != 5 {
		t.Fatalf("report: %+v first=%v", rep.Tenants, rep.First)
	}
}

// An export asked from a time starts mid-chain: accepted as partial, while
// the same file without its header is reported as missing its start.
func TestExportSinceIsPartial(t *testing.T) {
	c, st, sg, _ := newChain(t)
	var mid time.Time
	for i := 0; i < 10; i++ {
		e := record(t, c, event("acme", audit.ActionCaseViewed, "case/1"))
		if i == 4 {
			mid = e.Time
		}
	}
	var buf bytes.Buffer
	if err := audit.WriteExport(context.Background(), st, &buf, audit.ExportQuery{Tenant: "acme", Since: mid}, audit.ExportHeader{}); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.VerifyExport(bytes.NewReader(buf.Bytes()), audit.VerifyOptions{PublicKey: sg.PublicKey()})
	if err != nil || !rep.OK || !rep.Tenants[0].Partial || rep.Tenants[0].FirstSeq != 5 {
		t.Fatalf("partial export: err=%v %+v", err, rep.Tenants)
	}
	_, body, _ := bytes.Cut(buf.Bytes(), []byte("\n"))
	rep, _ = audit.VerifyExport(bytes.NewReader(body), audit.VerifyOptions{})
	if rep.OK || rep.First.Kind != audit.ProblemStart {
		t.Fatalf("headerless partial export: %+v", rep.First)
	}
}
