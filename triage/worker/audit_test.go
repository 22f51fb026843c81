package worker

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/internal/openaitest"
	"github.com/logtriage/logtriage/router"
	"github.com/logtriage/logtriage/triage"
)

// events returns the tenant's recorded events with the given action.
func events(t *testing.T, s audit.Store, tenant, action string) []audit.Event {
	t.Helper()
	got, err := s.QueryAudit(context.Background(), audit.Query{Tenant: tenant, Action: action, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func auditWith(rec audit.Recorder, llmURL string) func(*Options) {
	return func(o *Options) {
		o.Audit = AuditOptions{Recorder: rec, Identity: "worker-test", LLMEndpoint: llmURL}
	}
}

func TestWorkerRecordsProcessedAndSimilar(t *testing.T) {
	e := newEnv(t)
	chain := audit.NewChain(e.store, nil, audit.Options{})
	e.startWorker(e.pipeline(nil), auditWith(chain, ""))
	content := newPlanted(7).log()
	first := e.submit("acme", "first.log", content)
	c1 := e.outcome(first.Event.UploadID).Case
	second := e.submit("acme", "second.log", content)
	c2 := e.outcome(second.Event.UploadID).Case
	e.waitDrained()

	processed := events(t, e.store, "acme", audit.ActionUploadProcessed)
	if len(processed) != 2 {
		t.Fatalf("%d upload.processed events, want one per upload", len(processed))
	}
	for _, ev := range processed {
		if ev.Actor != (audit.Actor{Kind: audit.ActorService, Name: "worker-test", Role: "worker"}) ||
			ev.Detail["classifier"] != "rules" || ev.Outcome != audit.Success {
			t.Fatalf("processed event %+v", ev)
		}
	}
	if processed[1].Resource != "upload/"+first.Event.UploadID || processed[1].Detail["case_id"] != c1.ID {
		t.Fatalf("oldest processed event names %s / %s, want the first upload", processed[1].Resource, processed[1].Detail["case_id"])
	}
	if len(c2.Similar) == 0 {
		t.Fatal("the second identical upload found no similar case: the test needs one")
	}
	search := events(t, e.store, "acme", audit.ActionSearch)
	if len(search) != 1 || search[0].Resource != "case/"+c2.ID || search[0].Detail["cases"] != c1.ID {
		t.Fatalf("search events %+v, want one naming %s for case %s", search, c1.ID, c2.ID)
	}
	if n := len(events(t, e.store, "acme", audit.ActionLLMSent)); n != 0 {
		t.Fatalf("%d llm.sent events in rules mode", n)
	}
	if got, _ := e.store.QueryAudit(context.Background(), audit.Query{Tenant: "globex"}); len(got) != 0 {
		t.Fatalf("another tenant's trail got %d events", len(got))
	}
	if rep, _ := audit.VerifyStore(context.Background(), e.store, audit.VerifyOptions{}); !rep.OK {
		t.Fatalf("trail does not verify: %v", rep.First)
	}
}

// The model provider is a subprocessor: every upload whose excerpt went to
// the LLM has one llm.sent event per call purpose, with host, model and tokens.
func TestWorkerRecordsLLMSent(t *testing.T) {
	e := newEnv(t)
	srv := openaitest.New(t, openaitest.Options{APIKey: "sk-test", Model: "test-model"})
	chain := audit.NewChain(e.store, nil, audit.Options{})
	e.startWorker(e.pipeline(newLLM(t, srv)), auditWith(chain, srv.URL+"/v1"))
	r := e.submit("acme", "llm.log", newPlanted(3).log())
	c := e.outcome(r.Event.UploadID).Case
	e.waitDrained()
	sent := events(t, e.store, "acme", audit.ActionLLMSent)
	if len(sent) != 1 {
		t.Fatalf("%d llm.sent events, want 1: %+v", len(sent), sent)
	}
	u, _ := url.Parse(srv.URL)
	d := sent[0].Detail
	if d["endpoint"] != u.Host || d["model"] != "test-model" || d["purpose"] != "classify" ||
		d["prompt_tokens"] != strconv.Itoa(c.Classifier.Tokens.Prompt) || c.Classifier.Tokens.Prompt == 0 ||
		sent[0].Resource != "upload/"+r.Event.UploadID {
		t.Fatalf("llm.sent %+v (case tokens %+v)", sent[0], c.Classifier.Tokens)
	}
}

// failingRecorder fails while down is set: the audit store is unavailable.
type failingRecorder struct {
	inner audit.Recorder
	down  atomic.Bool
	tries atomic.Int64
}

func (f *failingRecorder) Record(ctx context.Context, e audit.Event) (audit.Event, error) {
	f.tries.Add(1)
	if f.down.Load() {
		return audit.Event{}, errors.New("audit store unavailable")
	}
	return f.inner.Record(ctx, e)
}

// No audit, no data: while events cannot be recorded, no case is stored or
// published; once they can, the upload goes through with its events.
func TestWorkerWithoutAuditShowsNothing(t *testing.T) {
	e := newEnvWith(t, Topology{AckWait: time.Second, MaxDeliver: 50, Backoff: []time.Duration{}})
	rec := &failingRecorder{inner: audit.NewChain(e.store, nil, audit.Options{})}
	rec.down.Store(true)
	e.startWorker(e.pipeline(nil), auditWith(rec, ""))
	r := e.submit("acme", "a.log", newPlanted(9).log())
	eventually(t, "two refused attempts", func() bool { return rec.tries.Load() >= 2 })
	if cases, _ := e.store.ListCases(context.Background(), triage.CaseFilter{Tenant: "acme"}); len(cases) != 0 {
		t.Fatalf("%d cases stored without their audit event", len(cases))
	}
	if n := len(e.messages(CasesStream, ">")); n != 0 {
		t.Fatalf("%d case messages published without their audit event", n)
	}
	rec.down.Store(false)
	c := e.outcome(r.Event.UploadID).Case
	e.waitDrained()
	if c == nil || len(events(t, e.store, "acme", audit.ActionUploadProcessed)) != 1 {
		t.Fatalf("after recovery: case %v, events %d", c != nil, len(events(t, e.store, "acme", audit.ActionUploadProcessed)))
	}
}

// A resolution over NATS (the CLI's `cases --resolve`) is recorded once,
// before it is made, with the agent; one for a case the tenant does not
// have is not an access and records nothing.
func TestResolutionIsRecorded(t *testing.T) {
	e := newEnv(t)
	e.startWorker(e.pipeline(nil), nil)
	r := e.submit("acme", "r.log", newPlanted(11).log())
	c := e.outcome(r.Event.UploadID).Case
	e.waitDrained()
	chain := audit.NewChain(e.store, nil, audit.Options{})
	sub, err := ServeResolutions(e.nc, ResolveOptions{Store: e.store, Router: router.Default(), Recorder: chain})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	ctx := context.Background()
	if _, err := RequestResolve(ctx, e.nc, triage.Resolution{Tenant: "globex", CaseID: c.ID, Agent: "al"}); !errors.Is(err, triage.ErrNotFound) {
		t.Fatalf("another tenant's case: %v", err)
	}
	if _, err := RequestResolve(ctx, e.nc, triage.Resolution{Tenant: "acme", CaseID: c.ID, Agent: "al", Note: "fixed pool size"}); err != nil {
		t.Fatal(err)
	}
	got := events(t, e.store, "acme", audit.ActionCaseResolved)
	if len(got) != 1 || got[0].Actor.Name != "al" || got[0].Resource != "case/"+c.ID || got[0].Outcome != audit.Success || got[0].Detail["note"] != "fixed pool size" {
		t.Fatalf("case.resolved events: %+v", got)
	}
	if n := len(events(t, e.store, "globex", audit.ActionCaseResolved)); n != 0 {
		t.Fatalf("globex recorded %d resolutions", n)
	}
}
