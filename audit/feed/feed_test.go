package feed_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/audit/audittest"
	"github.com/logtriage/logtriage/audit/feed"
	"github.com/logtriage/logtriage/internal/natsx"
)

func ev(tenant string, i int) audit.Event {
	return audit.Event{Tenant: tenant, Actor: audit.Actor{Kind: audit.ActorUser, Name: "dana", Role: "agent"},
		Action: audit.ActionCaseViewed, Resource: "case/" + tenant}
}

// Each tenant's subscriber gets exactly its own events, in chain order.
func TestNATSFeedIsTenantScoped(t *testing.T) {
	srv, err := natsx.StartServer(natsx.ServerOptions{Port: -1, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	nc, err := natsx.Connect(srv.ClientURL(), natsx.ClientOptions{Name: "feed-test"})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	got := map[string]chan *nats.Msg{"acme": make(chan *nats.Msg, 100), "globex": make(chan *nats.Msg, 100)}
	for tenant, ch := range got {
		sub, err := nc.ChanSubscribe(feed.Subject(tenant), ch)
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Unsubscribe()
	}
	nc.Flush()
	pub := feed.NewNATS(nc, nil)
	chain := audit.NewChain(audittest.NewMemStore(), nil, audit.Options{Publishers: []audit.Publisher{pub}})
	for i := 0; i < 6; i++ {
		tenant := []string{"acme", "globex", "acme"}[i%3]
		if _, err := chain.Record(context.Background(), ev(tenant, i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := chain.Record(context.Background(), ev("bad.tenant", 0)); err != nil {
		t.Fatal(err)
	}
	for tenant, want := range map[string]int{"acme": 4, "globex": 2} {
		for seq := 1; seq <= want; seq++ {
			select {
			case m := <-got[tenant]:
				var e audit.Event
				if err := json.Unmarshal(m.Data, &e); err != nil || e.Tenant != tenant || e.Seq != uint64(seq) || e.Hash == "" {
					t.Fatalf("%s feed message %d: %s", tenant, seq, m.Data)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s: only %d of %d events", tenant, seq-1, want)
			}
		}
		select {
		case m := <-got[tenant]:
			t.Fatalf("%s got an extra message: %s", tenant, m.Data)
		case <-time.After(50 * time.Millisecond):
		}
	}
	if pub.Sent() != 6 || pub.Dropped() != 1 {
		t.Fatalf("sent %d dropped %d, want 6 and 1 (the tenant that is not a subject token)", pub.Sent(), pub.Dropped())
	}
}

type receiver struct {
	mu     sync.Mutex
	events []audit.Event
	fails  atomic.Int64 // answer 503 this many more times
	bad    atomic.Int64
}

func (rc *receiver) handler(secret []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := feed.Verify(secret, r.Header.Get(feed.HeaderTimestamp), r.Header.Get(feed.HeaderSignature), body, time.Now(), 5*time.Minute); err != nil {
			rc.bad.Add(1)
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if rc.fails.Add(-1) >= 0 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		var e audit.Event
		json.Unmarshal(body, &e)
		rc.mu.Lock()
		rc.events = append(rc.events, e)
		rc.mu.Unlock()
	})
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.events)
}

func TestWebhookSignedTenantScopedRetried(t *testing.T) {
	acmeSecret := []byte("acme-webhook-secret-for-tests-only")
	globexSecret := []byte("globex-webhook-secret-for-tests-0")
	acme, globex := &receiver{}, &receiver{}
	acme.fails.Store(1) // the first delivery is answered 503 and retried
	as := httptest.NewServer(acme.handler(acmeSecret))
	defer as.Close()
	gs := httptest.NewServer(globex.handler(globexSecret))
	defer gs.Close()
	wh, err := feed.NewWebhook([]feed.Target{
		{Tenant: "acme", URL: as.URL, Secret: acmeSecret},
		{Tenant: "globex", URL: gs.URL, Secret: globexSecret},
	}, feed.WebhookOptions{Backoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	chain := audit.NewChain(audittest.NewMemStore(), nil, audit.Options{Publishers: []audit.Publisher{wh}})
	for i := 0; i < 5; i++ {
		chain.Record(context.Background(), ev([]string{"acme", "globex"}[i%2], i))
	}
	chain.Record(context.Background(), ev("initech", 0)) // no webhook: nothing sent anywhere
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	wh.Close(ctx)
	if acme.count() != 3 || globex.count() != 2 || acme.bad.Load()+globex.bad.Load() != 0 {
		t.Fatalf("acme %d, globex %d, bad signatures %d", acme.count(), globex.count(), acme.bad.Load()+globex.bad.Load())
	}
	for i, e := range acme.events {
		if e.Tenant != "acme" || e.Seq != uint64(i+1) {
			t.Fatalf("acme delivery %d: %+v", i, e)
		}
	}
	if d, dropped := wh.Counts("acme"); d != 3 || dropped != 0 {
		t.Fatalf("acme counts %d %d", d, dropped)
	}
}

func TestWebhookVerifyRefuses(t *testing.T) {
	secret := []byte("a-webhook-secret-of-enough-bytes")
	body := []byte(`{"id":"e1"}`)
	now := time.Unix(1_800_000_000, 0)
	ts := "1800000000"
	good := feed.Sign(secret, ts, body)
	tests := []struct {
		name, ts, sig string
		body          []byte
		ok            bool
	}{
		{"good", ts, good, body, true},
		{"edited body", ts, good, []byte(`{"id":"e2"}`), false},
		{"other secret", ts, feed.Sign([]byte("another-secret-of-enough-bytes!!"), ts, body), body, false},
		{"replayed later", "1799990000", feed.Sign(secret, "1799990000", body), body, false},
		{"new timestamp, old signature", "1800000001", good, body, false},
		{"garbage timestamp", "soon", good, body, false},
	}
	for _, tc := range tests {
		err := feed.Verify(secret, tc.ts, tc.sig, tc.body, now, 5*time.Minute)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
	if _, err := feed.NewWebhook([]feed.Target{{Tenant: "acme", URL: "http://x", Secret: []byte("short")}}, feed.WebhookOptions{}); err == nil || !strings.Contains(err.Error(), "16 bytes") {
		t.Fatalf("short secret: %v", err)
	}
}
