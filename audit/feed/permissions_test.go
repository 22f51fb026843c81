package feed_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/audit/audittest"
	"github.com/logtriage/logtriage/audit/feed"
)

func secret(t *testing.T) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// The permission docs/audit.md gives a customer's NATS user: subscribe to
// its own feed subject only. With it, another tenant's subject and the
// wildcard are refused by the server, and only the tenant's events arrive.
func TestFeedPermissionsScopeCustomers(t *testing.T) {
	svcPass, acmePass := secret(t), secret(t)
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true,
		Users: []*server.User{
			{Username: "logtriage", Password: svcPass},
			{Username: "acme-siem", Password: acmePass, Permissions: &server.Permissions{
				Publish:   &server.SubjectPermission{Deny: []string{">"}},
				Subscribe: &server.SubjectPermission{Allow: []string{feed.Subject("acme")}},
			}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	defer srv.Shutdown()
	if !srv.ReadyForConnections(5 * time.Second) {
		t.Fatal("nats server not ready")
	}
	svc, err := nats.Connect(srv.ClientURL(), nats.UserInfo("logtriage", svcPass))
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	var mu sync.Mutex
	var violations []string
	cust, err := nats.Connect(srv.ClientURL(), nats.UserInfo("acme-siem", acmePass),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			mu.Lock()
			violations = append(violations, err.Error())
			mu.Unlock()
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer cust.Close()
	got := make(chan *nats.Msg, 100)
	for _, subj := range []string{feed.Subject("acme"), feed.Subject("globex"), feed.SubjectPrefix + ">"} {
		if _, err := cust.ChanSubscribe(subj, got); err != nil {
			t.Fatal(err)
		}
	}
	cust.Flush()
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(violations)
		mu.Unlock()
		if n >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	if len(violations) != 2 || !strings.Contains(strings.Join(violations, "\n"), "Permissions Violation") {
		t.Fatalf("violations: %q", violations)
	}
	mu.Unlock()

	chain := audit.NewChain(audittest.NewMemStore(), nil, audit.Options{Publishers: []audit.Publisher{feed.NewNATS(svc, nil)}})
	for _, tenant := range []string{"globex", "acme", "globex", "acme"} {
		if _, err := chain.Record(context.Background(), ev(tenant, 0)); err != nil {
			t.Fatal(err)
		}
	}
	svc.Flush()
	for i := 0; i < 2; i++ {
		select {
		case m := <-got:
			var e audit.Event
			if json.Unmarshal(m.Data, &e) != nil || e.Tenant != "acme" {
				t.Fatalf("acme's SIEM got %s", m.Data)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("acme's SIEM got %d of 2 events", i)
		}
	}
	select {
	case m := <-got:
		t.Fatalf("extra message on acme's connection: %s", m.Data)
	case <-time.After(100 * time.Millisecond):
	}
}
