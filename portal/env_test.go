package portal

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/internal/natsx"
	"github.com/logtriage/logtriage/portal/password"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/store/embedded"
	"github.com/logtriage/logtriage/triage/worker"
)

// memRecorder keeps events in memory, chained per tenant by sequence only;
// package audit owns the real chain.
type memRecorder struct {
	mu     sync.Mutex
	events []audit.Event
	fail   error
}

var _ audit.Recorder = (*memRecorder)(nil)

func (m *memRecorder) Record(_ context.Context, e audit.Event) (audit.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return e, m.fail
	}
	// The same checks as the audit chain's, so an event it would refuse fails here too.
	if e.Tenant == "" || e.Action == "" || e.Actor.Name == "" || e.Actor.Kind == "" ||
		(e.Outcome != audit.Success && e.Outcome != audit.Failure && e.Outcome != audit.Denied) {
		return e, fmt.Errorf("invalid audit event %+v", e)
	}
	e.Seq = uint64(len(m.events) + 1)
	m.events = append(m.events, e)
	return e, nil
}

func (m *memRecorder) find(action, tenant, actor string) []audit.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []audit.Event
	for _, e := range m.events {
		if e.Action == action && e.Tenant == tenant && e.Actor.Name == actor {
			out = append(out, e)
		}
	}
	return out
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var cheapArgon = password.Params{MemoryKiB: 64, Passes: 1, Lanes: 1}

// testPassword is obviously fake and long enough for the policy.
const testPassword = "test-only-password-1"

// fixture: two tenants, a case each in different queues (acme's raised a
// PII alert), and one account per role and tenant, each with a token.
type fixture struct {
	t                    testing.TB
	srv                  *Server
	store                *embedded.Store
	rec                  *memRecorder
	clock                *clock
	js                   jetstream.JetStream
	tokens               map[string]string // account -> bearer token
	acmeCase, globexCase *triage.Case
}

var fixtureAccounts = []NewAccount{
	{Name: "cust-acme", Role: RoleCustomer, Tenant: "acme"},
	{Name: "cust-globex", Role: RoleCustomer, Tenant: "globex"},
	{Name: "agent-db", Role: RoleAgent, Queues: []string{"db-oncall"}},
	{Name: "agent-net", Role: RoleAgent, Queues: []string{"network"}},
	{Name: "sec", Role: RoleSecurity},
	{Name: "ml", Role: RoleML},
	{Name: "admin", Role: RoleAdmin},
}

func testCase(tenant, id, queue string, alerted bool, created time.Time) *triage.Case {
	c := &triage.Case{ID: id, Tenant: tenant, Upload: triage.Upload{ID: "u-" + id, Name: id + ".log", Size: 1234},
		Status: triage.StatusTriaged, Severity: triage.Score{Label: "high", Score: 70, Reasons: []string{"12 ERROR lines"}},
		PIIRisk: triage.Score{Label: "low", Score: 10}, Category: "database", Queue: queue, Priority: "P2",
		Summary: "connection pool exhausted in " + id, RootCause: "pool too small",
		KeyLines: []string{"ERROR pool exhausted user=[EMAIL:1a2b3c4d]"}, ReproSteps: []string{"run load test"},
		Classifier: triage.ClassifierInfo{Kind: "rules"}, CreatedAt: created, Alerted: alerted}
	if alerted {
		c.PIIRisk = triage.Score{Label: "high", Score: 80, Reasons: []string{"3 emails"}}
		c.Findings = []triage.FindingSummary{{Type: "email", Category: "pii", Count: 3,
			Locations: []triage.Location{{File: id + ".log", Line: 4}}, Fingerprints: []string{"hmac:1a2b3c4d"}}}
	}
	return c
}

type fixtureOpts struct {
	withNATS bool
	natsFile bool // file storage (the production default) instead of memory
	opts     func(*Options)
}

func newFixture(t testing.TB, fo fixtureOpts) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := embedded.Open(filepath.Join(dir, "store"), embedded.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{t: t, store: st, rec: &memRecorder{}, clock: &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}, tokens: map[string]string{}}
	f.acmeCase = testCase("acme", "c-acme-1", "db-oncall", true, f.clock.Now().Add(-time.Hour))
	f.globexCase = testCase("globex", "c-globex-1", "network", false, f.clock.Now().Add(-2*time.Hour))
	for _, c := range []*triage.Case{f.acmeCase, f.globexCase} {
		if err := st.PutCase(ctx, c, nil); err != nil {
			t.Fatal(err)
		}
		if err := st.SetStatus(ctx, triage.UploadStatus{Tenant: c.Tenant, UploadID: c.Upload.ID, CaseID: c.ID, Status: triage.StatusTriaged}); err != nil {
			t.Fatal(err)
		}
	}
	accts := Accounts{Store: st, Password: cheapArgon, Now: f.clock.Now}
	for _, a := range fixtureAccounts {
		a.Password = testPassword
		if _, err := accts.Add(ctx, a); err != nil {
			t.Fatal(err)
		}
		tok, _, err := accts.CreateToken(ctx, a.Name, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[a.Name] = tok
	}
	evalDir := filepath.Join(dir, "evals")
	os.MkdirAll(evalDir, 0o700)
	os.WriteFile(filepath.Join(evalDir, "rules-2026-03-01.json"), []byte(`{"meta":{},"metrics":{"severity":{"accuracy":0.8}}}`), 0o600)
	o := Options{Store: st, Recorder: f.rec, Password: cheapArgon, Now: f.clock.Now, EvalDir: evalDir, Log: testLogger(t)}
	if fo.withNATS {
		srv, err := natsx.StartServer(natsx.ServerOptions{Port: -1, StoreDir: filepath.Join(dir, "js")})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
		nc, err := natsx.Connect(srv.ClientURL(), natsx.ClientOptions{Name: "portal-test"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		if f.js, err = jetstream.New(nc); err != nil {
			t.Fatal(err)
		}
		storage := jetstream.MemoryStorage
		if fo.natsFile {
			storage = jetstream.FileStorage
		}
		if _, err := worker.Setup(ctx, f.js, worker.Topology{Storage: storage}); err != nil {
			t.Fatal(err)
		}
		o.JS = f.js
	}
	if fo.opts != nil {
		fo.opts(&o)
	}
	if f.srv, err = New(o); err != nil {
		t.Fatal(err)
	}
	return f
}

// api calls the handler directly with a bearer token ("" for none).
func (f *fixture) api(method, path, account string, body string) *http.Response {
	f.t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if account != "" {
		req.Header.Set("Authorization", "Bearer "+f.tokens[account])
	}
	f.srv.ServeHTTP(rec, req)
	return rec.Result()
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustAccount(t testing.TB, f *fixture, name string, queues ...string) triage.Account {
	t.Helper()
	a, err := Accounts{Store: f.store, Password: cheapArgon, Now: f.clock.Now}.Add(context.Background(),
		NewAccount{Name: name, Role: RoleAgent, Queues: queues, Password: testPassword})
	must(t, err)
	return a
}

func (f *fixture) tokenFor(name string) string {
	f.t.Helper()
	tok, _, err := Accounts{Store: f.store, Now: f.clock.Now}.CreateToken(context.Background(), name, 0)
	must(f.t, err)
	return tok
}

func (f *fixture) apiToken(method, path, token, body string) *http.Response {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	f.srv.ServeHTTP(rec, req)
	return rec.Result()
}

// testLogger sends the portal's log to the test's.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, nil))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
