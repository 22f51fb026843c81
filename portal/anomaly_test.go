package portal

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/logtriage/logtriage/triage/anomaly"
)

func TestConsoleCaseListsAnomalies(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	c := *f.acmeCase
	c.Anomalies = []anomaly.Signal{
		{Kind: anomaly.KindNovelTemplate, Reason: "error template never seen for this tenant nor for any other (2 line(s), first at line 121)",
			Template: "<*> ERROR payments.Gateway: settlement batch <*> rejected", Lines: []int{121, 126}, Weight: 10},
		{Kind: anomaly.KindNewAdmin, Reason: "administrator action by an actor never seen for this tenant, first at line 7",
			Fingerprint: "fp-0123456789ab", Lines: []int{7}, Weight: 10, Security: true},
	}
	if err := f.store.PutCase(context.Background(), &c, nil); err != nil {
		t.Fatal(err)
	}
	// A signed-in agent's browser: a session as the login form makes it.
	ss := f.srv.sessions.create("agent-db", true)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/cases/"+c.ID, nil)
	req.AddCookie(&http.Cookie{Name: f.srv.cookieName(sessionCookie), Value: ss.id})
	f.srv.ServeHTTP(rec, req)
	resp := rec.Result()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("case page: %d\n%s", resp.StatusCode, body)
	}
	for _, want := range []string{"Anomalies", "novel_template", "settlement batch &lt;*&gt; rejected", "lines 121, 126", "fingerprint fp-0123456789ab"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("case page lacks %q", want)
		}
	}
}
