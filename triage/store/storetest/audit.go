package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/logtriage/logtriage/audit"
)

// AuditFactory makes a fresh, empty audit store for one subtest.
type AuditFactory interface {
	NewAudit(t *testing.T) audit.Store
}

// AuditReopener is an AuditFactory whose stores persist: ReopenAudit opens
// the state of s again after the suite closed it.
type AuditReopener interface {
	AuditFactory
	ReopenAudit(t *testing.T, s audit.Store) audit.Store
}

// AuditFactoryFunc adapts a function to AuditFactory.
type AuditFactoryFunc func(t *testing.T) audit.Store

// NewAudit calls f.
func (f AuditFactoryFunc) NewAudit(t *testing.T) audit.Store { return f(t) }

// RunAudit is the conformance suite of audit.Store: the embedded and the
// PostgreSQL store hold the same chain, query, export, checkpoint and
// retention semantics.
func RunAudit(t *testing.T, f AuditFactory) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s audit.Store)
	}{
		{"RecordRoundTrip", testAuditRoundTrip},
		{"AppendConflict", testAuditConflict},
		{"QueryFilters", testAuditQueryFilters},
		{"QueryPagination", testAuditPagination},
		{"TenantIsolation", testAuditIsolation},
		{"ExportOrderSinceUpTo", testAuditExport},
		{"Checkpoints", testAuditCheckpoints},
		{"PurgeKeepsAnchor", testAuditPurge},
		{"ConcurrentRecord", testAuditConcurrent},
		{"ContextCanceled", testAuditCanceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, f.NewAudit(t)) })
	}
	t.Run("Durability", func(t *testing.T) {
		r, ok := f.(AuditReopener)
		if !ok {
			t.Skip("factory does not implement storetest.AuditReopener")
		}
		testAuditDurability(t, r)
	})
}

type auditClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *auditClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second + 1234*time.Nanosecond) // sub-microsecond part: normalized away
	return c.t
}

func newAuditChain(t *testing.T, s audit.Store) (*audit.Chain, *audit.Signer, *auditClock) {
	t.Helper()
	sg, err := audit.GenerateSigner()
	if err != nil {
		t.Fatal(err)
	}
	clk := &auditClock{t: time.Date(2026, 2, 3, 4, 5, 6, 0, time.FixedZone("CET", 3600))}
	return audit.NewChain(s, sg, audit.Options{Now: clk.now, Retention: 30 * 24 * time.Hour}), sg, clk
}

func rec(t *testing.T, c *audit.Chain, tenant, actor, action, resource string) audit.Event {
	t.Helper()
	e, err := c.Record(context.Background(), audit.Event{
		Tenant: tenant, Actor: audit.Actor{Kind: audit.ActorUser, Name: actor, Role: "agent"},
		Action: action, Resource: resource, Reason: "TICKET-7", SourceAddr: "192.0.2.1", RequestID: "r-" + resource,
		Detail: map[string]string{"queue": "billing", "note": "quote \" and \\ and \u00e9"},
	})
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	return e
}

func exportAll(t *testing.T, s audit.Store, q audit.ExportQuery) []audit.Event {
	t.Helper()
	var out []audit.Event
	if err := s.ExportAudit(context.Background(), q, func(e audit.Event) error { out = append(out, e); return nil }); err != nil {
		t.Fatalf("ExportAudit: %v", err)
	}
	return out
}

func verifyOK(t *testing.T, s audit.Store, pub []byte) audit.Report {
	t.Helper()
	rep, err := audit.VerifyStore(context.Background(), s, audit.VerifyOptions{PublicKey: pub})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Fatalf("verify: %v", rep.First)
	}
	return rep
}

func testAuditRoundTrip(t *testing.T, s audit.Store) {
	c, sg, _ := newAuditChain(t, s)
	var want []audit.Event
	for i := 0; i < 5; i++ {
		want = append(want, rec(t, c, "acme", "dana", audit.ActionCaseViewed, fmt.Sprintf("case/c-%d", i)))
	}
	got := exportAll(t, s, audit.ExportQuery{Tenant: "acme"})
	if len(got) != len(want) {
		t.Fatalf("export: %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) || !got[i].Time.Equal(want[i].Time) {
			t.Fatalf("event %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	head, err := s.AuditHead(context.Background(), "acme")
	if err != nil || head.Seq != 5 || head.Hash != want[4].Hash {
		t.Fatalf("head = %+v, %v", head, err)
	}
	if h, _ := s.AuditHead(context.Background(), "nobody"); h != (audit.Head{}) {
		t.Fatalf("head of an unknown tenant = %+v", h)
	}
	verifyOK(t, s, sg.PublicKey())
}

func testAuditConflict(t *testing.T, s audit.Store) {
	c, _, _ := newAuditChain(t, s)
	first := rec(t, c, "acme", "dana", audit.ActionCaseViewed, "case/1")
	ctx := context.Background()
	dup := first
	dup.ID = "dup"
	if err := s.AppendAudit(ctx, dup); !errors.Is(err, audit.ErrConflict) {
		t.Fatalf("same seq twice: %v", err)
	}
	wrongPrev := first
	wrongPrev.Seq, wrongPrev.PrevHash = 2, "00"
	if err := s.AppendAudit(ctx, wrongPrev); !errors.Is(err, audit.ErrConflict) {
		t.Fatalf("wrong prev_hash: %v", err)
	}
	gap := first
	gap.Seq, gap.PrevHash = 3, first.Hash
	if err := s.AppendAudit(ctx, gap); !errors.Is(err, audit.ErrConflict) {
		t.Fatalf("gap: %v", err)
	}
	if got := exportAll(t, s, audit.ExportQuery{Tenant: "acme"}); len(got) != 1 {
		t.Fatalf("refused appends left %d events", len(got))
	}
}

func testAuditQueryFilters(t *testing.T, s audit.Store) {
	c, _, _ := newAuditChain(t, s)
	var all []audit.Event
	for i := 0; i < 12; i++ {
		actor := []string{"dana", "eli", "svc"}[i%3]
		action := []string{audit.ActionCaseViewed, audit.ActionCaseTaken}[i%2]
		res := []string{"case/c-1", "case/c-2", "upload/u-1", "alert/a-1"}[i%4]
		all = append(all, rec(t, c, "acme", actor, action, res))
	}
	rec(t, c, "globex", "dana", audit.ActionCaseViewed, "case/c-1")
	ctx := context.Background()
	tests := []struct {
		name string
		q    audit.Query
		want func(e audit.Event) bool
	}{
		{"tenant", audit.Query{Tenant: "acme"}, func(audit.Event) bool { return true }},
		{"actor", audit.Query{Tenant: "acme", Actor: "eli"}, func(e audit.Event) bool { return e.Actor.Name == "eli" }},
		{"action", audit.Query{Tenant: "acme", Action: audit.ActionCaseTaken}, func(e audit.Event) bool { return e.Action == audit.ActionCaseTaken }},
		{"resource", audit.Query{Tenant: "acme", Resource: "case/c-2"}, func(e audit.Event) bool { return e.Resource == "case/c-2" }},
		{"resource prefix", audit.Query{Tenant: "acme", Resource: "case/"}, func(e audit.Event) bool { return e.Resource[:5] == "case/" }},
		{"resource star", audit.Query{Tenant: "acme", Resource: "upload/*"}, func(e audit.Event) bool { return e.Resource == "upload/u-1" }},
		{"since until", audit.Query{Tenant: "acme", Since: all[3].Time, Until: all[8].Time},
			func(e audit.Event) bool { return e.Seq >= 4 && e.Seq < 9 }},
		{"combined", audit.Query{Tenant: "acme", Actor: "dana", Action: audit.ActionCaseViewed},
			func(e audit.Event) bool { return e.Actor.Name == "dana" && e.Action == audit.ActionCaseViewed }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.QueryAudit(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			var want []uint64
			for i := len(all) - 1; i >= 0; i-- { // newest first
				if tc.want(all[i]) {
					want = append(want, all[i].Seq)
				}
			}
			var seqs []uint64
			for _, e := range got {
				if e.Tenant != "acme" {
					t.Fatalf("event of %s in an acme query", e.Tenant)
				}
				seqs = append(seqs, e.Seq)
			}
			if !reflect.DeepEqual(seqs, want) {
				t.Fatalf("seqs %v, want %v", seqs, want)
			}
		})
	}
	if _, err := s.QueryAudit(ctx, audit.Query{}); err == nil {
		t.Fatal("query without a tenant accepted")
	}
	every, err := s.QueryAudit(ctx, audit.Query{AllTenants: true})
	if err != nil || len(every) != 13 || every[0].Tenant != "globex" {
		t.Fatalf("all tenants: %d events, %v", len(every), err)
	}
}

func testAuditPagination(t *testing.T, s audit.Store) {
	c, _, clk := newAuditChain(t, s)
	for i := 0; i < 25; i++ {
		rec(t, c, []string{"acme", "globex"}[i%2], "dana", audit.ActionCaseViewed, "case/x")
		if i%5 == 0 {
			clk.mu.Lock()
			clk.t = clk.t.Add(-time.Second) // equal times across tenants: the cursor breaks ties
			clk.mu.Unlock()
		}
	}
	seen := map[string]bool{}
	var cur *audit.Cursor
	var prev *audit.Event
	for page := 0; page < 10; page++ {
		got, err := s.QueryAudit(context.Background(), audit.Query{AllTenants: true, Limit: 4, After: cur})
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if seen[got[i].ID] {
				t.Fatalf("event %s on two pages", got[i].ID)
			}
			seen[got[i].ID] = true
			if prev != nil && !audit.CursorOf(*prev).Before(&got[i]) {
				t.Fatalf("not newest first: %v then %v", prev.Time, got[i].Time)
			}
			prev = &got[i]
		}
		if len(got) < 4 {
			break
		}
		cur = audit.CursorOf(got[len(got)-1])
	}
	if len(seen) != 25 {
		t.Fatalf("pages held %d events, want 25", len(seen))
	}
}

func testAuditIsolation(t *testing.T, s audit.Store) {
	c, _, _ := newAuditChain(t, s)
	rec(t, c, "acme", "dana", audit.ActionCaseViewed, "case/a")
	rec(t, c, "globex", "dana", audit.ActionCaseViewed, "case/g")
	for _, tenant := range []string{"acme", "globex"} {
		got, err := s.QueryAudit(context.Background(), audit.Query{Tenant: tenant, Resource: "case/*"})
		if err != nil || len(got) != 1 || got[0].Tenant != tenant {
			t.Fatalf("query %s: %v %v", tenant, got, err)
		}
		ex := exportAll(t, s, audit.ExportQuery{Tenant: tenant})
		if len(ex) != 1 || ex[0].Tenant != tenant {
			t.Fatalf("export %s: %v", tenant, ex)
		}
	}
	if got, _ := s.QueryAudit(context.Background(), audit.Query{Tenant: "initech"}); len(got) != 0 {
		t.Fatalf("unknown tenant sees %v", got)
	}
}

func testAuditExport(t *testing.T, s audit.Store) {
	c, _, _ := newAuditChain(t, s)
	var acme []audit.Event
	for i := 0; i < 6; i++ {
		acme = append(acme, rec(t, c, "acme", "dana", audit.ActionCaseViewed, "case/a"))
		rec(t, c, "globex", "dana", audit.ActionCaseViewed, "case/g")
	}
	got := exportAll(t, s, audit.ExportQuery{AllTenants: true})
	if len(got) != 12 {
		t.Fatalf("export all: %d", len(got))
	}
	for i, e := range got {
		wantTenant := "acme"
		if i >= 6 {
			wantTenant = "globex"
		}
		if e.Tenant != wantTenant || e.Seq != uint64(i%6+1) {
			t.Fatalf("position %d: %s seq %d, want chain order", i, e.Tenant, e.Seq)
		}
	}
	since := exportAll(t, s, audit.ExportQuery{Tenant: "acme", Since: acme[2].Time})
	if len(since) != 4 || since[0].Seq != 3 {
		t.Fatalf("since: %d events from seq %d", len(since), since[0].Seq)
	}
	upTo := exportAll(t, s, audit.ExportQuery{Tenant: "acme", UpTo: map[string]uint64{"acme": 4}})
	if len(upTo) != 4 || upTo[3].Seq != 4 {
		t.Fatalf("up to 4: %d events", len(upTo))
	}
	stop := errors.New("stop")
	n := 0
	err := s.ExportAudit(context.Background(), audit.ExportQuery{Tenant: "acme"}, func(audit.Event) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("callback error: %v after %d", err, n)
	}
	tenants, err := s.AuditTenants(context.Background())
	if err != nil || !reflect.DeepEqual(tenants, []string{"acme", "globex"}) {
		t.Fatalf("tenants %v %v", tenants, err)
	}
}

func testAuditCheckpoints(t *testing.T, s audit.Store) {
	c, sg, _ := newAuditChain(t, s)
	rec(t, c, "acme", "dana", audit.ActionCaseViewed, "case/a")
	if _, err := c.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec(t, c, "acme", "dana", audit.ActionCaseViewed, "case/a")
	if _, err := c.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	cps, err := s.AuditCheckpoints(context.Background(), "acme")
	if err != nil || len(cps) != 2 || cps[0].Seq != 1 || cps[1].Seq != 2 {
		t.Fatalf("checkpoints %+v %v", cps, err)
	}
	for _, cp := range cps {
		if err := cp.VerifySignature(sg.PublicKey()); err != nil {
			t.Fatalf("stored checkpoint does not verify: %v", err)
		}
	}
	if other, _ := s.AuditCheckpoints(context.Background(), "globex"); len(other) != 0 {
		t.Fatalf("globex has acme's checkpoints: %v", other)
	}
	rep := verifyOK(t, s, sg.PublicKey())
	if rep.Tenants[0].Checkpoints != 2 || rep.Tenants[0].UnsignedTail != 0 {
		t.Fatalf("report %+v", rep.Tenants[0])
	}
}

func testAuditPurge(t *testing.T, s audit.Store) {
	c, sg, clk := newAuditChain(t, s)
	for i := 0; i < 4; i++ {
		rec(t, c, "acme", "dana", audit.ActionCaseViewed, "case/old")
		rec(t, c, "globex", "dana", audit.ActionCaseViewed, "case/old")
		if i == 2 { // checkpoints at seq 3: they cover only events the purge deletes
			if _, err := c.Checkpoint(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	clk.mu.Lock()
	clk.t = clk.t.Add(31 * 24 * time.Hour)
	clk.mu.Unlock()
	rec(t, c, "acme", "dana", audit.ActionCaseViewed, "case/new")
	n, err := c.Purge(context.Background())
	if err != nil || n != 8 {
		t.Fatalf("purge: %d %v, want 8", n, err)
	}
	if got := exportAll(t, s, audit.ExportQuery{AllTenants: true}); len(got) != 1 || got[0].Seq != 5 {
		t.Fatalf("after purge: %v", got)
	}
	for _, tenant := range []string{"acme", "globex"} {
		cps, err := s.AuditCheckpoints(context.Background(), tenant)
		if err != nil || len(cps) != 1 || !cps[0].Anchor || cps[0].Seq != 4 {
			t.Fatalf("%s checkpoints after purge: %+v %v (want only the anchor at 4)", tenant, cps, err)
		}
	}
	if h, _ := s.AuditHead(context.Background(), "globex"); h.Seq != 4 {
		t.Fatalf("globex head after its chain was purged: %+v", h)
	}
	if e := rec(t, c, "globex", "dana", audit.ActionCaseViewed, "case/new"); e.Seq != 5 {
		t.Fatalf("globex continues at %d, want 5", e.Seq)
	}
	rep := verifyOK(t, s, sg.PublicKey())
	for _, tr := range rep.Tenants {
		if !tr.Anchored || tr.FirstSeq != 5 {
			t.Fatalf("tenant report %+v", tr)
		}
	}
}

func testAuditConcurrent(t *testing.T, s audit.Store) {
	c, sg, _ := newAuditChain(t, s)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 15; i++ {
				tenant := []string{"acme", "globex", "initech"}[(g+i)%3]
				if _, err := c.Record(context.Background(), audit.Event{Tenant: tenant,
					Actor: audit.Actor{Kind: audit.ActorService, Name: fmt.Sprintf("w%d", g)}, Action: audit.ActionUploadReceived,
					Resource: "upload/u"}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	// A second chain over the same store (another process's view) races too.
	other := audit.NewChain(s, nil, audit.Options{})
	for i := 0; i < 10; i++ {
		if _, err := other.Record(context.Background(), audit.Event{Tenant: "acme",
			Actor: audit.Actor{Kind: audit.ActorService, Name: "other"}, Action: audit.ActionUploadReceived}); err != nil {
			t.Error(err)
			break
		}
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	c.Checkpoint(context.Background())
	if rep := verifyOK(t, s, sg.PublicKey()); rep.Events != 130 {
		t.Fatalf("events %d, want 130", rep.Events)
	}
}

func testAuditCanceled(t *testing.T, s audit.Store) {
	c, _, _ := newAuditChain(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Record(ctx, audit.Event{Tenant: "acme", Actor: audit.Actor{Kind: audit.ActorService, Name: "w"},
		Action: audit.ActionCaseViewed}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Record with a canceled context: %v", err)
	}
	e := audit.Event{Tenant: "acme", Seq: 1, Actor: audit.Actor{Kind: audit.ActorService, Name: "w"}, Action: "x", Outcome: audit.Success, Time: time.Now()}
	e.Hash = audit.ComputeHash(&e)
	if err := s.AppendAudit(ctx, e); !errors.Is(err, context.Canceled) {
		t.Fatalf("AppendAudit with a canceled context: %v", err)
	}
	if got := exportAll(t, s, audit.ExportQuery{Tenant: "acme"}); len(got) != 0 {
		t.Fatalf("canceled writes left %d events", len(got))
	}
}

func testAuditDurability(t *testing.T, f AuditReopener) {
	s := f.NewAudit(t)
	c, sg, _ := newAuditChain(t, s)
	var last audit.Event
	for i := 0; i < 20; i++ {
		last = rec(t, c, []string{"acme", "globex"}[i%2], "dana", audit.ActionCaseViewed, "case/x")
	}
	c.Checkpoint(context.Background())
	s = f.ReopenAudit(t, s)
	if h, err := s.AuditHead(context.Background(), "globex"); err != nil || h.Hash != last.Hash {
		t.Fatalf("head after reopen %+v %v", h, err)
	}
	c2 := audit.NewChain(s, sg, audit.Options{})
	if e := rec(t, c2, "globex", "dana", audit.ActionCaseViewed, "case/y"); e.Seq != 11 {
		t.Fatalf("seq after reopen %d, want 11", e.Seq)
	}
	if rep := verifyOK(t, s, sg.PublicKey()); rep.Events != 21 || rep.Tenants[0].Checkpoints != 1 {
		t.Fatalf("after reopen: %+v", rep)
	}
}
