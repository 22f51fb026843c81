package worker

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logtriage/logtriage/detectors"
	"github.com/logtriage/logtriage/internal/breaker"
	"github.com/logtriage/logtriage/internal/openaitest"
	"github.com/logtriage/logtriage/router"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/embed"
	"github.com/logtriage/logtriage/triage/llm"
	"github.com/logtriage/logtriage/triage/rules"
)

// refusedURL is an OpenAI-style base URL where nothing listens.
func refusedURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/v1"
}

// guardedPipeline is the production wiring of an LLM endpoint: classifier,
// PII pass and embedder share one circuit breaker, the local embedder is the
// fallback, and each case has an LLM budget. Everything else (per-attempt
// timeouts, retries, backoff) keeps the clients' defaults, so the budget
// is what bounds a case.
func (e *env) guardedPipeline(baseURL string, budget time.Duration, br *breaker.Breaker) (*triage.Pipeline, string) {
	e.t.Helper()
	opts := llm.Options{BaseURL: baseURL, APIKey: "sk-test", Model: "test-model", Breaker: br}
	cls, err := llm.New(opts)
	if err != nil {
		e.t.Fatal(err)
	}
	pii, err := llm.NewPIIDetector(opts)
	if err != nil {
		e.t.Fatal(err)
	}
	remote, err := embed.NewOpenAI(embed.OpenAIOptions{BaseURL: baseURL, APIKey: "sk-test", Dimensions: 64, Breaker: br})
	if err != nil {
		e.t.Fatal(err)
	}
	local, err := embed.NewLocal(embed.LocalOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	det, err := detectors.New(detectors.Options{FingerprintKey: e.key})
	if err != nil {
		e.t.Fatal(err)
	}
	p, err := triage.NewPipeline(triage.PipelineOptions{
		Detector: det, Classifier: cls, PII: pii, Router: router.Default(), Rules: rules.New(router.Default()),
		Embedder: remote, FallbackEmbedder: local, Store: e.store, LLMBudget: budget,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return p, remote.ID()
}

// An LLM outage never costs a case: with the endpoint answering 429 or 500
// to everything, refusing connections, or hanging, four uploads submitted
// together each become a triaged case within a minute (here, seconds: the
// budget is short), judged by the rules, redacted by patterns only and
// embedded locally, each saying why. The shared circuit opens, and /readyz
// stays 200 saying the worker is degraded.
func TestLLMOutageEveryUploadBecomesACase(t *testing.T) {
	tests := []struct {
		name   string
		server func(t *testing.T) string // base URL
	}{
		{"429 on every call", func(t *testing.T) string {
			return openaitest.New(t, openaitest.Options{Chat: openaitest.RateLimited(50 * time.Millisecond), Embeddings: openaitest.RateLimited(50 * time.Millisecond)}).URL
		}},
		{"500 on every call", func(t *testing.T) string {
			return openaitest.New(t, openaitest.Options{Chat: openaitest.ServerError(), Embeddings: openaitest.ServerError()}).URL
		}},
		{"connection refused", refusedURL},
		{"hanging endpoint", func(t *testing.T) string {
			return openaitest.New(t, openaitest.Options{Chat: openaitest.Hang(), Embeddings: openaitest.Hang()}).URL
		}},
	}
	const uploads = 4
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			br := breaker.New(breaker.Options{Name: "llm-test", Threshold: 3, OpenFor: time.Minute})
			pipe, remoteID := e.guardedPipeline(tc.server(t), 800*time.Millisecond, br)
			rw := e.startWorker(pipe, func(o *Options) {
				o.Workers = uploads
				o.Breakers = []*breaker.Breaker{br}
			})
			start := time.Now()
			ids := make([]string, uploads)
			var wg sync.WaitGroup
			for i := range uploads {
				wg.Go(func() {
					log := fmt.Sprintf("2026-02-0%d 10:00:00 INFO orders-api started\n2026-02-0%d 10:00:01 ERROR pool exhausted: timeout acquiring connection for Dana Whitfield\n", i+1, i+1)
					ids[i] = e.submit("acme", fmt.Sprintf("outage-%d.log", i), []byte(log)).Event.UploadID
				})
			}
			wg.Wait()
			for _, id := range ids {
				var c *triage.Case
				eventuallyWithin(t, 60*time.Second, "case for "+id, func() bool {
					st, err := e.store.GetStatus(context.Background(), "acme", id)
					if err != nil || st.Status != triage.StatusTriaged {
						return false
					}
					c, err = e.store.GetCase(context.Background(), "acme", st.CaseID)
					return err == nil
				})
				ci := c.Classifier
				if ci.Kind != "rules" || ci.FallbackReason == "" {
					t.Errorf("%s: classifier %+v, want rules with the reason", id, ci)
				}
				if !strings.HasPrefix(ci.PIIPass, "skipped: ") {
					t.Errorf("%s: PII pass %q, want skipped with the reason", id, ci.PIIPass)
				}
				if c.Embedder.ID != "local-ngram-v2-256" || c.Embedder.Reembed != remoteID || c.Embedder.FallbackReason == "" {
					t.Errorf("%s: embedder %+v, want the local fallback to re-embed into %s", id, c.Embedder, remoteID)
				}
			}
			t.Logf("%d cases in %s; circuit %+v", uploads, time.Since(start).Round(time.Millisecond), br.Stats())
			if st := br.Stats(); st.Opened == 0 {
				t.Errorf("the circuit never opened: %+v", st)
			}
			h := rw.w.Handler()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "degraded") {
				t.Errorf("/readyz %d %q, want 200 and degraded", rec.Code, rec.Body.String())
			}
			// The case is stored before its ack counts it.
			for _, want := range []string{
				`logtriage_llm_circuit_state{endpoint="llm-test",state="open"} 1`,
				fmt.Sprintf(`logtriage_cases_embedded_total{embedder="fallback"} %d`, uploads),
				fmt.Sprintf(`logtriage_cases_classified_total{classifier="rules_fallback"} %d`, uploads),
			} {
				eventually(t, "/metrics showing "+want, func() bool {
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
					body, _ := io.ReadAll(rec.Body)
					return strings.Contains(string(body), want)
				})
			}
		})
	}
}

func eventuallyWithin(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Cases embedded by the fallback during an outage are re-embedded by the
// backfill once the endpoint answers again, and leave the list.
func TestBackfillReembedsAfterTheOutage(t *testing.T) {
	e := newEnv(t)
	var down atomic.Bool
	down.Store(true)
	flaky := func(ok openaitest.Behaviour) openaitest.Behaviour {
		return func(c *openaitest.Call) openaitest.Response {
			if down.Load() {
				return openaitest.ServerError()(c)
			}
			return ok(c)
		}
	}
	srv := openaitest.New(t, openaitest.Options{Chat: flaky(openaitest.Answer()), Embeddings: flaky(openaitest.Embeddings())})
	br := breaker.New(breaker.Options{Name: "llm-test", Threshold: 2, OpenFor: 100 * time.Millisecond})
	pipe, remoteID := e.guardedPipeline(srv.URL, time.Second, br)
	rw := e.startWorker(pipe, func(o *Options) { o.Breakers = []*breaker.Breaker{br} })
	var ids []string
	for i, log := range []string{"ERROR pool exhausted\n", "ERROR certificate expired\n", "FATAL disk full on volume\n"} {
		ids = append(ids, e.submit("acme", fmt.Sprintf("b%d.log", i), []byte(log)).Event.UploadID)
	}
	for _, id := range ids {
		if out := e.outcome(id); out.Case == nil || out.Case.Embedder.Reembed != remoteID {
			t.Fatalf("case during the outage: %+v", out.Case)
		}
	}
	pending, err := e.store.PendingReembed(context.Background(), remoteID, 10)
	if err != nil || len(pending) != 3 {
		t.Fatalf("pending = %d, %v; want 3", len(pending), err)
	}

	remote, err := embed.NewOpenAI(embed.OpenAIOptions{BaseURL: srv.URL, APIKey: "sk-test", Dimensions: 64, Breaker: br})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		RunBackfill(ctx, BackfillOptions{Store: e.store, Embedder: remote, Every: 20 * time.Millisecond, Batch: 2, Metrics: rw.w.Metrics()})
		close(done)
	}()
	defer func() { cancel(); <-done }()
	time.Sleep(100 * time.Millisecond) // passes against the failing endpoint change nothing
	if p, _ := e.store.PendingReembed(context.Background(), remoteID, 10); len(p) != 3 {
		t.Fatalf("%d pending while the endpoint is down, want 3", len(p))
	}
	down.Store(false)
	eventually(t, "the backfill to empty the list", func() bool {
		p, err := e.store.PendingReembed(context.Background(), remoteID, 10)
		return err == nil && len(p) == 0
	})
	for _, c := range pending {
		got, err := e.store.GetCase(context.Background(), "acme", c.ID)
		if err != nil || got.Embedder.ID != remoteID || got.Embedder.Reembed != "" {
			t.Errorf("case %s after the backfill: %+v, %v", c.ID, got.Embedder, err)
		}
		vec, err := remote.Embed(context.Background(), []string{got.Signature})
		if err != nil {
			t.Fatal(err)
		}
		hits, err := e.store.Similar(context.Background(), triage.SimilarQuery{Tenant: "acme", K: 1, MinSimilarity: 0.99,
			Embedding: triage.Embedding{EmbedderID: remoteID, Vector: vec[0]}})
		if err != nil || len(hits) != 1 || hits[0].CaseID != c.ID {
			t.Errorf("case %s not found by its vector in %s: %v, %v", c.ID, remoteID, hits, err)
		}
	}
	if n := rw.w.Metrics().reembedded.Load(); n != 3 {
		t.Errorf("reembedded counter %d, want 3", n)
	}
}
