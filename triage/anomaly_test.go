package triage_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/logtriage/logtriage/detectors"
	"github.com/logtriage/logtriage/router"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/anomaly"
	"github.com/logtriage/logtriage/triage/rules"
	"github.com/logtriage/logtriage/triage/store/embedded"
)

// healthyLog is a service's ordinary day: a dozen statements over an hour,
// a couple of routine warnings, no errors.
func healthyLog() string {
	var b strings.Builder
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for i := range 240 {
		ts := t0.Add(time.Duration(i) * 15 * time.Second).Format("2006-01-02 15:04:05")
		switch i % 8 {
		case 0:
			fmt.Fprintf(&b, "%s INFO  [http-%d] api.Request: GET /v1/orders/%d completed in %dms\n", ts, i%4, 1000+i, 10+i%7)
		case 1:
			fmt.Fprintf(&b, "%s INFO  [worker-%d] jobs.Runner: job sync-%d finished in %d ms\n", ts, i%3, i, 200+i)
		case 2:
			fmt.Fprintf(&b, "%s DEBUG [pool] db.Pool: pool stats active=%d idle=%d\n", ts, i%5, 10-i%5)
		case 3:
			fmt.Fprintf(&b, "%s INFO  [http-%d] api.Request: POST /v1/carts/%d completed in %dms\n", ts, i%4, 500+i, 20+i%9)
		case 4:
			fmt.Fprintf(&b, "%s INFO  [cache] cache.Store: evicted %d keys from region sessions\n", ts, i%11)
		case 5:
			fmt.Fprintf(&b, "%s INFO  [sched] jobs.Scheduler: scheduled job sync-%d at priority %d\n", ts, i+1, i%3)
		case 6:
			if i%48 == 6 {
				fmt.Fprintf(&b, "%s WARN  [gc] runtime.GC: pause of %dms exceeded target\n", ts, 120+i%30)
			} else {
				fmt.Fprintf(&b, "%s INFO  [gc] runtime.GC: collected %d MB in %dms\n", ts, 30+i%20, 3+i%4)
			}
		default:
			fmt.Fprintf(&b, "%s INFO  [auth] auth.Tokens: refreshed %d service tokens\n", ts, 1+i%3)
		}
	}
	return b.String()
}

type anomalyEnv struct {
	t     *testing.T
	p     *triage.Pipeline
	store *embedded.Store
	n     int
}

func newAnomalyEnv(t *testing.T) *anomalyEnv {
	t.Helper()
	st, err := embedded.Open(t.TempDir(), embedded.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	det, err := detectors.New(detectors.Options{FingerprintKey: []byte("anomaly-test-key-not-secret")})
	if err != nil {
		t.Fatal(err)
	}
	e := &anomalyEnv{t: t, store: st}
	p, err := triage.NewPipeline(triage.PipelineOptions{Detector: det, Router: router.Default(), Rules: rules.New(router.Default()),
		Anomalies: &triage.AnomalyOptions{History: st},
		Now:       func() time.Time { return time.Date(2026, 3, 3, 0, 0, e.n, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	e.p = p
	return e
}

// upload runs the pipeline and records the upload's history, as the worker does.
func (e *anomalyEnv) upload(tenant, content string) *triage.Case {
	e.t.Helper()
	e.n++
	c, _, err := e.p.Run(context.Background(), triage.Input{Tenant: tenant,
		Upload: triage.Upload{ID: fmt.Sprintf("up-%d", e.n), Name: "service.log"}, Content: strings.NewReader(content)})
	if err != nil {
		e.t.Fatal(err)
	}
	if c.HistorySummary == nil {
		e.t.Fatal("case has no history summary")
	}
	if err := e.store.RecordHistory(context.Background(), tenant, *c.HistorySummary); err != nil {
		e.t.Fatal(err)
	}
	return c
}

func kinds(sigs []anomaly.Signal) []string {
	var out []string
	for _, s := range sigs {
		out = append(out, s.Kind+": "+s.Reason)
	}
	return out
}

func TestAnomalySameHealthyLogTwiceRaisesNothing(t *testing.T) {
	e := newAnomalyEnv(t)
	log := healthyLog()
	first := e.upload("acme", log)
	if len(first.Anomalies) != 0 {
		t.Errorf("first upload (no history) raised %v", kinds(first.Anomalies))
	}
	second := e.upload("acme", log)
	if len(second.Anomalies) != 0 {
		t.Errorf("second upload of the same healthy log raised %v", kinds(second.Anomalies))
	}
	if second.Severity.Label != first.Severity.Label || second.Severity.Score != first.Severity.Score {
		t.Errorf("severity moved without a signal: %+v then %+v", first.Severity, second.Severity)
	}
}

// withNewError is the healthy log with one new failing statement, twice.
func withNewError(log string) string {
	lines := strings.SplitAfter(log, "\n")
	bad := "2026-03-02 09:30:01 ERROR [http-2] payments.Gateway: settlement batch 4411 rejected by acquirer: schema version mismatch\n"
	bad2 := strings.Replace(strings.Replace(bad, "09:30:01", "09:31:07", 1), "4411", "4412", 1)
	out := append([]string{}, lines[:120]...)
	out = append(out, bad)
	out = append(out, lines[120:124]...)
	out = append(out, bad2)
	out = append(out, lines[124:]...)
	return strings.Join(out, "")
}

func TestAnomalyOneNewErrorTemplateRaisesExactlyIt(t *testing.T) {
	e := newAnomalyEnv(t)
	log := healthyLog()
	e.upload("acme", log)
	base := e.upload("acme", log)
	c := e.upload("acme", withNewError(log))
	if len(c.Anomalies) != 1 {
		t.Fatalf("want exactly one signal, got %v", kinds(c.Anomalies))
	}
	s := c.Anomalies[0]
	if s.Kind != anomaly.KindNovelTemplate || !strings.Contains(s.Template, "settlement batch <*> rejected by acquirer") || s.Count != 2 {
		t.Errorf("signal %+v: want the novel settlement template, 2 lines", s)
	}
	if len(s.Lines) != 2 || s.Lines[0] != 121 || s.Lines[1] != 126 {
		t.Errorf("signal lines %v, want [121 126]", s.Lines)
	}
	if c.Severity.Score <= base.Severity.Score {
		t.Errorf("severity %v not above the healthy upload's %v with a new error template", c.Severity.Score, base.Severity.Score)
	}
	if !hasReason(c.Severity.Reasons, "anomaly "+anomaly.KindNovelTemplate) {
		t.Errorf("severity reasons %q do not name the signal", c.Severity.Reasons)
	}
}

func TestAnomalyOtherTenantsHistoryNeverLeaks(t *testing.T) {
	e := newAnomalyEnv(t)
	log := healthyLog()
	// globex has logged the failing statement many times, and other things.
	e.upload("globex", withNewError(log))
	e.upload("globex", withNewError(log)+"2026-03-02 10:00:00 WARN [x] other.Thing: globex-only warning\n")

	// acme's first upload has no history of its own: nothing is new to it
	// yet, whatever globex logged.
	if c := e.upload("acme", withNewError(log)); len(c.Anomalies) != 0 {
		t.Fatalf("acme's first upload raised %v from another tenant's history", kinds(c.Anomalies))
	}
	e2 := newAnomalyEnv(t)
	e2.upload("globex", withNewError(log))
	e2.upload("acme", log)
	c := e2.upload("acme", withNewError(log))
	if len(c.Anomalies) != 1 {
		t.Fatalf("want one signal, got %v", kinds(c.Anomalies))
	}
	// Known elsewhere, so not "novel"; still new for acme: globex's history
	// did not make it acme's normal.
	if s := c.Anomalies[0]; s.Kind != anomaly.KindNewTemplate || strings.Contains(s.Reason, "globex") {
		t.Errorf("signal %+v: want new_template for acme, naming no other tenant", s)
	}
	hist, err := e2.store.History(context.Background(), triage.HistoryQuery{Tenant: "acme"})
	if err != nil || len(hist) != 2 {
		t.Fatalf("acme history: %d summaries, %v; want its own 2", len(hist), err)
	}
}

func hasReason(reasons []string, prefix string) bool {
	for _, r := range reasons {
		if strings.HasPrefix(r, prefix) {
			return true
		}
	}
	return false
}

func TestRenderTextListsAnomalies(t *testing.T) {
	c := &triage.Case{ID: "case_1", Tenant: "acme", Status: triage.StatusTriaged, Severity: triage.Score{Label: "medium", Score: 50},
		Anomalies: []anomaly.Signal{
			{Kind: anomaly.KindBurst, Reason: "25 lines in one minute vs a median of 0 a minute in this log", Template: "<*> WARN queue depth <*> above soft limit", Lines: []int{40, 41}},
			{Kind: anomaly.KindNewSource, Reason: "login or admin action from a source address never seen for this tenant, first at line 7", Fingerprint: "0123abcd", Lines: []int{7}},
		}}
	var b strings.Builder
	if err := triage.RenderText(&b, c); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Anomalies (against this tenant's history)", "- burst: 25 lines in one minute", "lines 40,41",
		"      <*> WARN queue depth <*> above soft limit", "- new_source: login", "fingerprint 0123abcd"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("rendering lacks %q:\n%s", want, b.String())
		}
	}
	c.Anomalies = nil
	b.Reset()
	triage.RenderText(&b, c)
	if strings.Contains(b.String(), "Anomalies") {
		t.Error("a case without anomalies renders an Anomalies section")
	}
}
