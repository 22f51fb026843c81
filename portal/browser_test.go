package portal

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/audit/audithttp"
	"github.com/logtriage/logtriage/audit/audittest"
	"github.com/logtriage/logtriage/detectors"
	"github.com/logtriage/logtriage/internal/natsx"
	"github.com/logtriage/logtriage/router"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/embed"
	"github.com/logtriage/logtriage/triage/rules"
	"github.com/logtriage/logtriage/triage/store/embedded"
	"github.com/logtriage/logtriage/triage/worker"
)

var screenshots = flag.String("screenshots", "", "directory for the browser test's console screenshots (docs/portal to refresh the docs)")

// chromiumPath finds Debian's chromium (or LOGTRIAGE_CHROMIUM).
func chromiumPath() string {
	if p := os.Getenv("LOGTRIAGE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// stack is the whole product in one process: NATS with JetStream, the
// worker with the rules pipeline, the embedded store and the portal.
type stack struct {
	url   string
	store *embedded.Store
	rt    *router.Router
}

func startStack(t *testing.T) *stack {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	srv, err := natsx.StartServer(natsx.ServerOptions{Port: -1, StoreDir: filepath.Join(dir, "js")})
	must(t, err)
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	nc, err := natsx.Connect(srv.ClientURL(), natsx.ClientOptions{Name: "browser-test"})
	must(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	must(t, err)
	rt := router.Default()
	_, err = worker.Setup(ctx, js, worker.Topology{AlertSubject: rt.AlertSubject(), Storage: jetstream.MemoryStorage})
	must(t, err)
	st, err := embedded.Open(filepath.Join(dir, "store"), embedded.Options{NoSync: true})
	must(t, err)
	t.Cleanup(func() { st.Close() })
	det, err := detectors.New(detectors.Options{FingerprintKey: []byte("browser-test-fingerprint-key-000")})
	must(t, err)
	emb, err := embed.NewLocal(embed.LocalOptions{})
	must(t, err)
	pipe, err := triage.NewPipeline(triage.PipelineOptions{Detector: det, Rules: rules.New(rt), Router: rt, Embedder: emb, Store: st})
	must(t, err)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	w, err := worker.New(ctx, worker.Options{JS: js, Pipeline: pipe, Store: st, Workers: 2, AlertSubject: rt.AlertSubject(), Logger: quiet})
	must(t, err)
	wctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { w.Run(wctx); close(done) }()
	t.Cleanup(func() { stop(); <-done })

	evalDir := filepath.Join(dir, "evals")
	must(t, os.MkdirAll(evalDir, 0o700))
	// The ml role's page shows the project's own rules baseline report.
	baseline, err := os.ReadFile(filepath.Join("..", "eval", "baselines", "rules.json"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(evalDir, "rules-baseline.json"), baseline, 0o600))
	// The audit chain and its handlers, mounted as serve mounts them.
	trail := audittest.NewMemStore()
	chain := audit.NewChain(trail, nil, audit.Options{})
	ah, err := audithttp.New(audithttp.Options{Store: trail, Recorder: chain, Scope: func(r *http.Request) (audithttp.Scope, bool) {
		p, ok := PrincipalFrom(r.Context())
		if !ok || p.Role != RoleCustomer {
			return audithttp.Scope{}, false
		}
		return audithttp.Scope{Actor: audit.Actor{Kind: audit.ActorUser, Name: p.Name, Role: string(p.Role)}, Tenant: p.Tenant}, true
	}})
	must(t, err)
	p, err := New(Options{Store: st, Recorder: chain, JS: js, Password: cheapArgon, EvalDir: evalDir, Log: testLogger(t),
		Audit: AuditAPI{Events: ah.Events, Export: ah.Export, PublicKey: ah.PublicKey}})
	must(t, err)
	ts := httptest.NewServer(p)
	t.Cleanup(ts.Close)
	accts := Accounts{Store: st, Password: cheapArgon}
	for _, a := range []NewAccount{
		{Name: "cust-acme", Role: RoleCustomer, Tenant: "acme"},
		{Name: "cust-globex", Role: RoleCustomer, Tenant: "globex"},
		{Name: "agent-ana", Role: RoleAgent, Queues: rt.Queues()},
		{Name: "sec-sam", Role: RoleSecurity},
		{Name: "ml-mo", Role: RoleML},
		{Name: "admin-al", Role: RoleAdmin},
	} {
		a.Password = testPassword
		_, err := accts.Add(ctx, a)
		must(t, err)
	}
	return &stack{url: ts.URL, store: st, rt: rt}
}

// incidentLog is a database outage with personal data in it (obviously
// fake values), so the case is routed and raises a PII alert.
func incidentLog() string {
	var b strings.Builder
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := range 40 {
		ts := start.Add(time.Duration(i) * time.Second).Format(time.RFC3339)
		fmt.Fprintf(&b, "%s INFO api request served path=/orders/%d user=customer%d@example.com\n", ts, i, i)
		if i == 7 { // a credential pasted into a debug line: generated, never a real one
			fmt.Fprintf(&b, "%s DEBUG db connect postgres://checkout:%s@db-primary:5432/orders password=%s\n", ts, secretish(i), secretish(i+1))
		}
		if i%4 == 0 {
			fmt.Fprintf(&b, "%s ERROR db: connection pool exhausted (max=10) acquiring connection for user=buyer%d@example.org\n", ts, i)
			fmt.Fprintf(&b, "%s ERROR orders: checkout failed: pq: sorry, too many clients already\n", ts)
		}
	}
	return b.String()
}

// secretish is a random-looking, obviously test-only credential.
func secretish(seed int) string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	out := make([]byte, 24)
	x := uint32(seed*2654435761 + 12345)
	for i := range out {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		out[i] = alphabet[x%uint32(len(alphabet))]
	}
	return "Tst" + string(out)
}

func TestBrowserJourney(t *testing.T) {
	chrome := chromiumPath()
	if chrome == "" {
		t.Skip("no chromium found: install it (apt-get install -y chromium) or set LOGTRIAGE_CHROMIUM to run the browser test")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	s := startStack(t)
	shots := *screenshots
	if shots == "" {
		shots = t.TempDir()
	}
	must(t, os.MkdirAll(shots, 0o755))
	logPath := filepath.Join(t.TempDir(), "checkout-outage.log")
	must(t, os.WriteFile(logPath, []byte(incidentLog()), 0o600))

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chrome),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()

	// One browser; each person gets a browser context of their own (own cookies).
	browser, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	must(t, chromedp.Do(browser, chromedp.Navigate("about:blank")))
	person := func() (context.Context, context.CancelFunc) {
		ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
		ctx, cancel2 := context.WithTimeout(ctx, 90*time.Second)
		return ctx, func() { cancel2(); cancel() }
	}
	shot := func(ctx context.Context, name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		must(t, err)
		must(t, os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644))
	}
	do := func(ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		must(t, chromedp.Do(ctx, steps...))
	}
	text := func(ctx context.Context, sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		must(t, err)
		return s
	}
	login := func(ctx context.Context, name string, shotName string) {
		t.Helper()
		do(ctx, chromedp.Navigate(s.url+"/login"), chromedp.WaitVisible(chromedp.ID("name")),
			chromedp.SendKeys(chromedp.ID("name"), name), chromedp.SendKeys(chromedp.ID("password"), testPassword))
		if shotName != "" {
			shot(ctx, shotName)
		}
		do(ctx, chromedp.Submit(chromedp.ID("password")), chromedp.WaitVisible(chromedp.CSS("header nav")))
	}

	// 1. The customer uploads through the page and waits for triage.
	cust, done := person()
	defer done()
	login(cust, "cust-acme", "login")
	do(cust, chromedp.Navigate(s.url+"/uploads"), chromedp.WaitVisible(chromedp.ID("drop")),
		chromedp.SendKeys(chromedp.ID("caseref"), "CS-4711"),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{logPath}))
	_, err := chromedp.Run(cust, chromedp.Poll[bool](`(document.getElementById("upload-status")||{textContent:""}).textContent.includes("triaged")`,
		chromedp.WithPollingTimeout(60*time.Second)))
	must(t, err)
	status := text(cust, "#upload-status")
	caseID := ""
	if _, after, ok := strings.Cut(status, "Case "); ok {
		caseID = strings.TrimSuffix(strings.TrimSpace(after), ".")
	}
	if caseID == "" {
		t.Fatalf("upload status %q names no case", status)
	}
	do(cust, chromedp.Navigate(s.url+"/uploads"), chromedp.WaitVisible(chromedp.CSS("table")))
	if uploads := text(cust, "main"); !strings.Contains(uploads, "checkout-outage.log") || !strings.Contains(uploads, "Logs are deleted 30 days after upload") {
		t.Fatalf("uploads page:\n%s", uploads)
	}
	shot(cust, "uploads")

	// 2. The agent finds it in the queue, opens, takes and resolves it.
	agent, done2 := person()
	defer done2()
	login(agent, "agent-ana", "")
	do(agent, chromedp.Navigate(s.url+"/queue"), chromedp.WaitVisible(chromedp.CSS("table")))
	if queue := text(agent, "main"); !strings.Contains(queue, caseID) {
		t.Fatalf("case %s is not in the agent's queue:\n%s", caseID, queue)
	}
	shot(agent, "queue")
	do(agent, chromedp.Click(chromedp.CSS(`a[href="/cases/`+caseID+`"]`)), chromedp.WaitVisible(chromedp.CSS("form.resolve")))
	shot(agent, "case")
	do(agent, chromedp.Click(chromedp.CSS(`form[action$="/take"] button`)), chromedp.WaitVisible(chromedp.CSS(".notice")),
		chromedp.SendKeys(chromedp.ID("ctext"), "Pool max is 10; asked the customer for the DB server log."),
		chromedp.Submit(chromedp.ID("ctext")), chromedp.WaitVisible(chromedp.CSS(".comments strong")),
		chromedp.SetValue(chromedp.ID("severity"), "medium"),
		chromedp.SendKeys(chromedp.ID("note"), "Pool raised to 50; customer confirmed checkout works."),
		chromedp.Submit(chromedp.ID("note")), chromedp.WaitVisible(chromedp.CSS(`[data-state="resolved"]`)))
	if resolved := text(agent, "main"); !strings.Contains(resolved, "resolved by agent-ana") {
		t.Fatalf("case page after resolving:\n%s", resolved)
	}
	shot(agent, "case-resolved")
	do(agent, chromedp.EmulateViewport(390, 844), chromedp.Navigate(s.url+"/queue?status=resolved"), chromedp.WaitVisible(chromedp.CSS("table")))
	shot(agent, "queue-phone")
	w, err := s.store.GetCaseWork(context.Background(), "acme", caseID)
	if err != nil || w.ResolvedBy != "agent-ana" {
		t.Fatalf("stored work %+v, %v", w, err)
	}

	// The customer sees who read the upload.
	do(cust, chromedp.Navigate(s.url+"/access-log"), chromedp.WaitVisible(chromedp.CSS("table")))
	if log := text(cust, "main"); !strings.Contains(log, "agent-ana (agent)") || !strings.Contains(log, "case.resolved") {
		t.Fatalf("access log:\n%s", log)
	}
	shot(cust, "access-log")

	// 3. Another tenant's customer cannot reach it by URL.
	other, done3 := person()
	defer done3()
	login(other, "cust-globex", "")
	do(other, chromedp.Navigate(s.url+"/cases/"+caseID), chromedp.WaitVisible(chromedp.CSS("main h1")))
	if page := text(other, "main"); !strings.Contains(page, "There is nothing here") || strings.Contains(page, "checkout") {
		t.Fatalf("globex's customer on acme's case:\n%s", page)
	}
	shot(other, "not-found")

	// 4. The other roles' pages, for the docs.
	for _, p := range []struct{ who, path, name string }{
		{"sec-sam", "/alerts", "alerts"},
		{"ml-mo", "/evals/rules-baseline", "eval"},
		{"admin-al", "/accounts", "accounts"},
	} {
		ctx, done := person()
		login(ctx, p.who, "")
		do(ctx, chromedp.Navigate(s.url+p.path), chromedp.WaitVisible(chromedp.CSS("main h1")))
		shot(ctx, p.name)
		done()
	}
}
