package natsx

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

var testLayout = Layout{
	UploadsPrefix: "app.uploads.", CasesPrefix: "app.cases.", AuditPrefix: "app.audit.",
	Protected:   []string{"app.cases.>", "app.alerts.>", "app.audit.>"},
	CasesStream: "CASES", UploadsStream: "UPLOADS", WorkerConsumer: "worker",
}

type authEnv struct {
	t     *testing.T
	url   string
	creds Credentials
}

func startAuthServer(t *testing.T) *authEnv {
	t.Helper()
	dir := t.TempDir()
	creds := Credentials{Dir: filepath.Join(dir, "creds")}
	var ids []Identity
	for _, id := range []Identity{
		{Name: "serve", Role: RoleService},
		{Name: "cli", Role: RoleOperator},
		{Name: "cust-acme", Role: RoleCustomer, Tenant: "acme"},
		{Name: "agent-q1", Role: RoleAgent, Queues: []string{"q1"}},
	} {
		got, err := creds.Ensure(id)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, got)
	}
	users, err := NkeyUsers(ids, testLayout)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := StartServer(ServerOptions{Port: -1, StoreDir: filepath.Join(dir, "js"), Users: users})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	return &authEnv{t: t, url: srv.ClientURL(), creds: creds}
}

// conn connects as name and collects the server's permission errors.
func (e *authEnv) conn(name string) (*nats.Conn, chan string) {
	e.t.Helper()
	errs := make(chan string, 16)
	nc, err := nats.Connect(e.url, mustNkey(e.t, e.creds.SeedPath(name)), nats.CustomInboxPrefix(InboxPrefix(name)),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err.Error() }))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(nc.Close)
	return nc, errs
}

func mustNkey(t *testing.T, path string) nats.Option {
	opt, err := nats.NkeyOptionFromSeed(path)
	if err != nil {
		t.Fatal(err)
	}
	return opt
}

func violation(t *testing.T, errs chan string, what string) {
	t.Helper()
	select {
	case e := <-errs:
		if !strings.Contains(e, "Permissions Violation") {
			t.Fatalf("%s: error %q, want a permissions violation", what, e)
		}
	case <-time.After(3 * time.Second):
		t.Fatalf("%s: allowed, want a permissions violation", what)
	}
}

func TestAnonymousRefused(t *testing.T) {
	e := startAuthServer(t)
	_, err := nats.Connect(e.url)
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "authorization violation") {
		t.Fatalf("anonymous connect: %v, want an authorization violation", err)
	}
	// A made-up key is refused as well.
	_, err = Connect(e.url, ClientOptions{NkeySeed: "/nonexistent"})
	if err == nil {
		t.Fatal("a missing seed file connected")
	}
	for _, id := range []string{"serve", "cli", "cust-acme", "agent-q1"} {
		info, err := os.Stat(e.creds.SeedPath(id))
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("seed of %s: %v %v, want mode 0600", id, info.Mode(), err)
		}
	}
}

func TestRolePermissions(t *testing.T) {
	e := startAuthServer(t)
	ctx := context.Background()
	svc, _ := e.conn("serve")
	sjs, _ := jetstream.New(svc)
	for _, cfg := range []jetstream.StreamConfig{
		{Name: "UPLOADS", Subjects: []string{"app.uploads.*"}, Storage: jetstream.MemoryStorage},
		{Name: "CASES", Subjects: []string{"app.cases.>"}, Storage: jetstream.MemoryStorage},
	} {
		if _, err := sjs.CreateStream(ctx, cfg); err != nil {
			t.Fatalf("the service creates streams: %v", err)
		}
	}
	if _, err := sjs.CreateOrUpdateConsumer(ctx, "UPLOADS", jetstream.ConsumerConfig{Durable: "worker", AckPolicy: jetstream.AckExplicitPolicy}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"q1", "q2"} {
		if _, err := sjs.Publish(ctx, "app.cases."+q, []byte(`{"queue":"`+q+`"}`)); err != nil {
			t.Fatal(err)
		}
	}

	// Customer: its own tenant's upload subject, nothing else.
	cust, cerrs := e.conn("cust-acme")
	cjs, _ := jetstream.New(cust)
	if _, err := cjs.Publish(ctx, "app.uploads.acme", []byte("log")); err != nil {
		t.Fatalf("customer to its own subject: %v", err)
	}
	cust.Publish("app.uploads.globex", []byte("log"))
	violation(t, cerrs, "customer publishing for another tenant")
	cust.Publish("app.cases.q1", []byte(`{"fake":true}`))
	violation(t, cerrs, "customer publishing a case")
	cust.Subscribe("app.cases.>", func(*nats.Msg) {})
	violation(t, cerrs, "customer reading cases")
	cust.Publish("$JS.API.STREAM.DELETE.CASES", nil)
	violation(t, cerrs, "customer deleting a stream")
	feed := make(chan *nats.Msg, 1)
	if _, err := cust.ChanSubscribe("app.audit.acme", feed); err != nil {
		t.Fatal(err)
	}
	cust.Flush()
	svc.Publish("app.audit.acme", []byte(`{"action":"case.viewed"}`))
	select {
	case <-feed:
	case <-time.After(3 * time.Second):
		t.Fatal("the customer does not receive its tenant's audit feed")
	}
	cust.Subscribe("app.audit.globex", func(*nats.Msg) {})
	violation(t, cerrs, "customer reading another tenant's audit feed")

	// Agent: a push consumer on its queue, delivered to its own inbox.
	agent, aerrs := e.conn("agent-q1")
	deliver := InboxPrefix("agent-q1") + ".cases"
	got := make(chan string, 4)
	if _, err := agent.Subscribe(deliver, func(m *nats.Msg) { got <- string(m.Data) }); err != nil {
		t.Fatal(err)
	}
	create := func(queue string) (*nats.Msg, error) {
		cfg, _ := json.Marshal(map[string]any{"stream_name": "CASES", "config": map[string]any{
			"name": "agent-q1-" + queue, "filter_subject": "app.cases." + queue, "deliver_subject": deliver,
			"ack_policy": "none", "deliver_policy": "all"}})
		return agent.Request("$JS.API.CONSUMER.CREATE.CASES.agent-q1-"+queue+".app.cases."+queue, cfg, 2*time.Second)
	}
	if m, err := create("q1"); err != nil || strings.Contains(string(m.Data), `"error"`) {
		t.Fatalf("agent's own queue: %v %s", err, m.Data)
	}
	select {
	case d := <-got:
		if !strings.Contains(d, `"q1"`) {
			t.Fatalf("agent got %s", d)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no case delivered to the agent")
	}
	create("q2")
	violation(t, aerrs, "agent reading another queue")
	agent.Subscribe("app.cases.q2", func(*nats.Msg) {})
	violation(t, aerrs, "agent subscribing to another queue")
	agent.Subscribe(InboxPrefix("cli")+".>", func(*nats.Msg) {})
	violation(t, aerrs, "agent reading another client's replies")
	agent.Publish("$JS.API.CONSUMER.MSG.NEXT.UPLOADS.worker", nil)
	violation(t, aerrs, "agent pulling raw uploads")

	// Operator CLI: reads and submits, manages no stream, cannot fake a case.
	cli, oerrs := e.conn("cli")
	ojs, _ := jetstream.New(cli)
	if _, err := ojs.Stream(ctx, "CASES"); err != nil {
		t.Fatalf("operator reading stream info: %v", err)
	}
	if _, err := ojs.Publish(ctx, "app.uploads.globex", []byte("log")); err != nil {
		t.Fatalf("operator submitting: %v", err)
	}
	for subj, what := range map[string]string{
		"$JS.API.STREAM.DELETE.CASES":              "operator deleting a stream",
		"$JS.API.STREAM.PURGE.CASES":               "operator purging a stream",
		"$JS.API.CONSUMER.DELETE.UPLOADS.worker":   "operator deleting the worker's consumer",
		"$JS.API.CONSUMER.MSG.NEXT.UPLOADS.worker": "operator taking the worker's uploads",
		"app.cases.q1":                             "operator publishing a fake case",
		"$JS.API.STREAM.CREATE.EVIL":               "operator creating a stream",
	} {
		cli.Publish(subj, []byte("{}"))
		violation(t, oerrs, what)
	}
	// The service still can.
	if err := sjs.DeleteStream(ctx, "CASES"); err != nil {
		t.Fatalf("service deleting a stream: %v", err)
	}
}
