package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/logtriage/logtriage/triage"
)

// portalTests are the accounts, tokens and case workflow subtests
// (triage.AccountStore, triage.CaseWorkStore).
var portalTests = []struct {
	name string
	run  func(t *testing.T, f Factory)
}{
	{"Accounts", testAccounts},
	{"Tokens", testTokens},
	{"CaseWorkTake", testCaseWorkTake},
	{"CaseWorkConcurrentTake", testCaseWorkConcurrentTake},
	{"CaseWorkListAndLocate", testCaseWorkList},
	{"ListCaseRefs", testListCaseRefs},
	{"CaseWorkComments", testCaseWorkComments},
}

func accountStore(t *testing.T, s triage.Store) triage.AccountStore {
	t.Helper()
	as, ok := s.(triage.AccountStore)
	if !ok {
		t.Fatalf("%T does not implement triage.AccountStore", s)
	}
	return as
}

func workStore(t *testing.T, s triage.Store) triage.CaseWorkStore {
	t.Helper()
	ws, ok := s.(triage.CaseWorkStore)
	if !ok {
		t.Fatalf("%T does not implement triage.CaseWorkStore", s)
	}
	return ws
}

func testAccounts(t *testing.T, f Factory) {
	ctx := context.Background()
	as := accountStore(t, open(t, f))
	if _, err := as.GetAccount(ctx, "nobody"); !errors.Is(err, triage.ErrNotFound) {
		t.Fatalf("GetAccount(missing) = %v, want ErrNotFound", err)
	}
	want := triage.Account{Name: "ana", Role: "agent", Queues: []string{"db-oncall", "network"},
		PasswordHash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA", CreatedAt: base, UpdatedAt: base}
	if err := as.PutAccount(ctx, want); err != nil {
		t.Fatal(err)
	}
	if err := as.PutAccount(ctx, triage.Account{Name: "cus", Role: "customer", Tenant: "acme", CreatedAt: base, UpdatedAt: base}); err != nil {
		t.Fatal(err)
	}
	got, err := as.GetAccount(ctx, "ana")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
	}
	// Replace: role change and a second factor enrolled.
	want.Role, want.TOTPSecret, want.UpdatedAt = "security", "JBSWY3DPEHPK3PXP", base.Add(time.Hour)
	want.Queues = nil
	if err := as.PutAccount(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, _ = as.GetAccount(ctx, "ana")
	if got.Role != "security" || got.TOTPSecret != "JBSWY3DPEHPK3PXP" || len(got.Queues) != 0 || !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Fatalf("after replace: %+v", got)
	}
	list, err := as.ListAccounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "ana" || list[1].Name != "cus" || list[1].Tenant != "acme" {
		t.Fatalf("ListAccounts = %+v", list)
	}
	if err := as.PutAccount(ctx, triage.Account{Name: "x"}); triage.KindOf(err) != triage.KindInvalid {
		t.Fatalf("account without a role: %v, want invalid", err)
	}
}

func testTokens(t *testing.T, f Factory) {
	ctx := context.Background()
	as := accountStore(t, open(t, f))
	tok := triage.APIToken{ID: "t1", Account: "ana", Hash: "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
		CreatedAt: base, ExpiresAt: base.Add(24 * time.Hour)}
	if err := as.PutToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := as.PutToken(ctx, triage.APIToken{ID: "t2", Account: "bob", Hash: "ab", CreatedAt: base}); err != nil {
		t.Fatal(err)
	}
	got, err := as.GetToken(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Account != tok.Account || got.Hash != tok.Hash || !got.ExpiresAt.Equal(tok.ExpiresAt) || !got.CreatedAt.Equal(tok.CreatedAt) {
		t.Fatalf("token round trip: %+v want %+v", got, tok)
	}
	if got, _ := as.GetToken(ctx, "t2"); !got.ExpiresAt.IsZero() {
		t.Fatalf("a token without expiry came back expiring at %v", got.ExpiresAt)
	}
	if err := as.DeleteToken(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	if _, err := as.GetToken(ctx, "t1"); !errors.Is(err, triage.ErrNotFound) {
		t.Fatalf("deleted token: %v, want ErrNotFound", err)
	}
	if _, err := as.GetToken(ctx, "t2"); err != nil {
		t.Fatalf("the other token went too: %v", err)
	}
	if err := as.PutToken(ctx, triage.APIToken{ID: "t3"}); triage.KindOf(err) != triage.KindInvalid {
		t.Fatalf("token without account: %v, want invalid", err)
	}
}

func testCaseWorkTake(t *testing.T, f Factory) {
	ctx := context.Background()
	s := open(t, f)
	ws := workStore(t, s)
	if err := s.PutCase(ctx, fullCase("acme", "c1", base), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ws.GetCaseWork(ctx, "acme", "c1"); !errors.Is(err, triage.ErrNotFound) {
		t.Fatalf("open case: %v, want ErrNotFound", err)
	}
	w, err := ws.TakeCase(ctx, triage.CaseWork{Tenant: "acme", CaseID: "c1", Queue: "db-oncall", TakenBy: "ana", TakenAt: base})
	if err != nil || w.TakenBy != "ana" {
		t.Fatalf("take: %+v %v", w, err)
	}
	if w, err := ws.TakeCase(ctx, triage.CaseWork{Tenant: "acme", CaseID: "c1", Queue: "db-oncall", TakenBy: "ana", TakenAt: base.Add(time.Minute)}); err != nil || !w.TakenAt.Equal(base) {
		t.Fatalf("taking again: %+v %v (want the first take kept)", w, err)
	}
	w, err = ws.TakeCase(ctx, triage.CaseWork{Tenant: "acme", CaseID: "c1", Queue: "db-oncall", TakenBy: "bob", TakenAt: base})
	if !errors.Is(err, triage.ErrTaken) || w.TakenBy != "ana" {
		t.Fatalf("bob taking ana's case: %+v %v, want ErrTaken with ana", w, err)
	}
	w.ResolvedBy, w.ResolvedAt = "ana", base.Add(time.Hour)
	if err := ws.PutCaseWork(ctx, w); err != nil {
		t.Fatal(err)
	}
	got, err := ws.GetCaseWork(ctx, "acme", "c1")
	if err != nil || got.State() != triage.WorkResolved || !got.ResolvedAt.Equal(w.ResolvedAt) {
		t.Fatalf("resolved: %+v %v", got, err)
	}
	if _, err := ws.GetCaseWork(ctx, "globex", "c1"); !errors.Is(err, triage.ErrNotFound) {
		t.Fatalf("another tenant's view of c1: %v, want ErrNotFound", err)
	}
	// An alert acknowledged before anyone took the case survives the take.
	if err := ws.PutCaseWork(ctx, triage.CaseWork{Tenant: "acme", CaseID: "c2", Queue: "q", AlertAckedBy: "sec", AlertAckedAt: base}); err != nil {
		t.Fatal(err)
	}
	w, err = ws.TakeCase(ctx, triage.CaseWork{Tenant: "acme", CaseID: "c2", Queue: "q", TakenBy: "ana", TakenAt: base})
	if err != nil || w.AlertAckedBy != "sec" || w.TakenBy != "ana" {
		t.Fatalf("take after ack: %+v %v", w, err)
	}
}

func testCaseWorkConcurrentTake(t *testing.T, f Factory) {
	ctx := context.Background()
	ws := workStore(t, open(t, f))
	const agents = 8
	var wg sync.WaitGroup
	wins := make(chan string, agents)
	for i := range agents {
		wg.Go(func() {
			name := fmt.Sprintf("agent%d", i)
			_, err := ws.TakeCase(ctx, triage.CaseWork{Tenant: "acme", CaseID: "hot", Queue: "q", TakenBy: name, TakenAt: base})
			if err == nil {
				wins <- name
			} else if !errors.Is(err, triage.ErrTaken) {
				t.Errorf("%s: %v", name, err)
			}
		})
	}
	wg.Wait()
	close(wins)
	var winners []string
	for w := range wins {
		winners = append(winners, w)
	}
	got, err := ws.GetCaseWork(ctx, "acme", "hot")
	if len(winners) != 1 || err != nil || got.TakenBy != winners[0] {
		t.Fatalf("winners %v, stored %+v (%v): want exactly one, the stored one", winners, got, err)
	}
}

func testCaseWorkList(t *testing.T, f Factory) {
	ctx := context.Background()
	s := open(t, f)
	ws := workStore(t, s)
	for _, c := range []*triage.Case{fullCase("acme", "a1", base), fullCase("globex", "g1", base)} {
		if err := s.PutCase(ctx, c, nil); err != nil {
			t.Fatal(err)
		}
	}
	if tn, err := ws.LocateCase(ctx, "g1"); err != nil || tn != "globex" {
		t.Fatalf("LocateCase(g1) = %q, %v", tn, err)
	}
	if _, err := ws.LocateCase(ctx, "zz"); !errors.Is(err, triage.ErrNotFound) {
		t.Fatalf("LocateCase(missing) = %v, want ErrNotFound", err)
	}
	recs := []triage.CaseWork{
		{Tenant: "acme", CaseID: "a1", Queue: "db", TakenBy: "ana", TakenAt: base},
		{Tenant: "acme", CaseID: "a2", Queue: "net", TakenBy: "ana", TakenAt: base, ResolvedBy: "ana", ResolvedAt: base},
		{Tenant: "globex", CaseID: "g1", Queue: "db", TakenBy: "bob", TakenAt: base},
	}
	for _, w := range recs {
		if err := ws.PutCaseWork(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(ws []triage.CaseWork) string {
		s := ""
		for _, w := range ws {
			s += w.Tenant + "/" + w.CaseID + " "
		}
		return s
	}
	for _, tc := range []struct {
		f    triage.CaseWorkFilter
		want string
	}{
		{triage.CaseWorkFilter{Tenant: "acme"}, "acme/a1 acme/a2 "},
		{triage.CaseWorkFilter{AllTenants: true, Queue: "db"}, "acme/a1 globex/g1 "},
		{triage.CaseWorkFilter{AllTenants: true, State: triage.WorkTaken}, "acme/a1 globex/g1 "},
		{triage.CaseWorkFilter{Tenant: "acme", State: triage.WorkResolved}, "acme/a2 "},
		{triage.CaseWorkFilter{Tenant: "initech"}, ""},
	} {
		got, err := ws.ListCaseWork(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if ids(got) != tc.want {
			t.Errorf("ListCaseWork(%+v) = %q, want %q", tc.f, ids(got), tc.want)
		}
	}
	if _, err := ws.ListCaseWork(ctx, triage.CaseWorkFilter{}); triage.KindOf(err) != triage.KindInvalid {
		t.Fatalf("no tenant: %v, want invalid", err)
	}
}

// testPortalDurability: accounts, tokens and workflow survive a reopen.
func testPortalDurability(t *testing.T, r Reopener) {
	ctx := context.Background()
	s := r.New(t)
	as, ws := accountStore(t, s), workStore(t, s)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(as.PutAccount(ctx, triage.Account{Name: "ana", Role: "agent", Queues: []string{"db"}, CreatedAt: base, UpdatedAt: base}))
	must(as.PutAccount(ctx, triage.Account{Name: "ana", Role: "agent", Queues: []string{"db", "net"}, CreatedAt: base, UpdatedAt: base}))
	must(as.PutToken(ctx, triage.APIToken{ID: "t1", Account: "ana", Hash: "aa", CreatedAt: base}))
	must(as.PutToken(ctx, triage.APIToken{ID: "t2", Account: "ana", Hash: "bb", CreatedAt: base}))
	must(as.DeleteToken(ctx, "t1"))
	_, err := ws.TakeCase(ctx, triage.CaseWork{Tenant: "acme", CaseID: "c1", Queue: "db", TakenBy: "ana", TakenAt: base})
	must(err)
	must(s.Close())
	s = r.Reopen(t, s)
	t.Cleanup(func() { s.Close() })
	as, ws = accountStore(t, s), workStore(t, s)
	a, err := as.GetAccount(ctx, "ana")
	if err != nil || len(a.Queues) != 2 {
		t.Fatalf("account after reopen: %+v %v", a, err)
	}
	if _, err := as.GetToken(ctx, "t1"); !errors.Is(err, triage.ErrNotFound) {
		t.Fatalf("revoked token came back: %v", err)
	}
	if _, err := as.GetToken(ctx, "t2"); err != nil {
		t.Fatalf("token after reopen: %v", err)
	}
	if w, err := ws.GetCaseWork(ctx, "acme", "c1"); err != nil || w.TakenBy != "ana" {
		t.Fatalf("case work after reopen: %+v %v", w, err)
	}
}

// testListCaseRefs: the refs are ListCases' cases, in its order, for every filter.
func testListCaseRefs(t *testing.T, f Factory) {
	ctx := context.Background()
	s := open(t, f)
	cl, ok := s.(triage.CaseLister)
	if !ok {
		t.Fatalf("%T does not implement triage.CaseLister", s)
	}
	for i, spec := range []struct{ tenant, queue string }{
		{"acme", "db"}, {"acme", "net"}, {"globex", "db"}, {"acme", "db"}, {"globex", "net"}, {"acme", "db"},
	} {
		c := fullCase(spec.tenant, fmt.Sprintf("r%d", i), base.Add(time.Duration(i%3)*time.Minute))
		c.Queue = spec.queue
		if err := s.PutCase(ctx, c, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, cf := range []triage.CaseFilter{
		{Tenant: "acme"}, {Tenant: "acme", Queue: "db"}, {AllTenants: true, Queue: "db"}, {AllTenants: true, Limit: 2},
		{AllTenants: true, Since: base.Add(time.Minute)}, {Tenant: "initech"},
	} {
		cases, err := s.ListCases(ctx, cf)
		if err != nil {
			t.Fatal(err)
		}
		refs, err := cl.ListCaseRefs(ctx, cf)
		if err != nil {
			t.Fatal(err)
		}
		var want, got []string
		for _, c := range cases {
			want = append(want, c.Tenant+"/"+c.ID+"/"+c.Queue+"/"+c.CreatedAt.UTC().Format(time.RFC3339))
		}
		for _, r := range refs {
			got = append(got, r.Tenant+"/"+r.ID+"/"+r.Queue+"/"+r.CreatedAt.UTC().Format(time.RFC3339))
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("filter %+v: refs %v, cases %v", cf, got, want)
		}
	}
	if _, err := cl.ListCaseRefs(ctx, triage.CaseFilter{}); triage.KindOf(err) != triage.KindInvalid {
		t.Fatalf("no tenant: %v, want invalid", err)
	}
}

// testCaseWorkComments: concurrent comments are all kept, in a record that
// also keeps the take.
func testCaseWorkComments(t *testing.T, f Factory) {
	ctx := context.Background()
	ws := workStore(t, open(t, f))
	if _, err := ws.TakeCase(ctx, triage.CaseWork{Tenant: "acme", CaseID: "c1", Queue: "db", TakenBy: "ana", TakenAt: base}); err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if _, err := ws.AddComment(ctx, "acme", "c1", "db", triage.Comment{By: fmt.Sprintf("agent%d", i), At: base, Text: "checked the pool"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	w, err := ws.GetCaseWork(ctx, "acme", "c1")
	if err != nil || len(w.Comments) != n || w.TakenBy != "ana" {
		t.Fatalf("after %d comments: %d comments, taken by %q, %v", n, len(w.Comments), w.TakenBy, err)
	}
	// A comment on an open case makes its record; the case stays open.
	w, err = ws.AddComment(ctx, "acme", "c2", "db", triage.Comment{By: "ana", At: base, Text: "first look"})
	if err != nil || w.State() != triage.WorkOpen || len(w.Comments) != 1 {
		t.Fatalf("comment on an open case: %+v %v", w, err)
	}
	if got, err := ws.GetCaseWork(ctx, "acme", "c2"); err != nil || len(got.Comments) != 1 {
		t.Fatalf("read back: %+v %v", got, err)
	}
	if _, err := ws.AddComment(ctx, "acme", "c3", "db", triage.Comment{By: "ana", At: base}); triage.KindOf(err) != triage.KindInvalid {
		t.Fatalf("empty comment: %v, want invalid", err)
	}
}
