package triage_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/logtriage/logtriage/detectors"
	"github.com/logtriage/logtriage/internal/openaitest"
	"github.com/logtriage/logtriage/router"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/embed"
	"github.com/logtriage/logtriage/triage/llm"
	"github.com/logtriage/logtriage/triage/rules"
)

// Every LLM-backed step falls back within the case's LLM budget: a hanging
// endpoint gives a rules-classified case, pattern-only redaction and a
// local vector marked for re-embedding, in about the budget and not the
// clients' per-attempt timeouts times their retries.
func TestLLMBudgetAndFallbacks(t *testing.T) {
	srv := openaitest.New(t, openaitest.Options{Chat: openaitest.Hang(), Embeddings: openaitest.Hang()})
	opts := llm.Options{BaseURL: srv.URL, Model: "m", Timeout: time.Minute, MaxRetries: 2}
	cls, err := llm.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	pii, err := llm.NewPIIDetector(opts)
	if err != nil {
		t.Fatal(err)
	}
	remote, err := embed.NewOpenAI(embed.OpenAIOptions{BaseURL: srv.URL, Dimensions: 32, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	local, _ := embed.NewLocal(embed.LocalOptions{})
	det, err := detectors.New(detectors.Options{FingerprintKey: []byte("budget-test-key")})
	if err != nil {
		t.Fatal(err)
	}
	const budget = 300 * time.Millisecond
	p, err := triage.NewPipeline(triage.PipelineOptions{
		Detector: det, Classifier: cls, PII: pii, Router: router.Default(), Rules: rules.New(router.Default()),
		Embedder: remote, FallbackEmbedder: local, LLMBudget: budget,
	})
	if err != nil {
		t.Fatal(err)
	}
	log := "2026-01-02 10:00:00 ERROR pool exhausted: timeout acquiring connection\n2026-01-02 10:00:01 ERROR request failed status=503\n"
	start := time.Now()
	c, emb, err := p.Run(context.Background(), triage.Input{Tenant: "acme", Upload: triage.Upload{ID: "u1", Name: "app.log"}, Content: strings.NewReader(log)})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if took > budget+2*time.Second {
		t.Errorf("the case took %s with a budget of %s", took, budget)
	}
	if c.Classifier.Kind != "rules" || !strings.Contains(c.Classifier.FallbackReason, "timed out") {
		t.Errorf("classifier %+v, want rules with a timeout as the reason", c.Classifier)
	}
	if !strings.HasPrefix(c.Classifier.PIIPass, "skipped: ") {
		t.Errorf("PII pass %q, want skipped with a reason", c.Classifier.PIIPass)
	}
	if emb == nil || emb.EmbedderID != local.ID() || c.Embedder.ID != local.ID() {
		t.Fatalf("embedding %v, case embedder %+v; want the local space", emb, c.Embedder)
	}
	if c.Embedder.Reembed != remote.ID() || c.Embedder.FallbackReason == "" {
		t.Errorf("case embedder %+v, want a reason and reembed_into %s", c.Embedder, remote.ID())
	}
}

// A case whose own context ends (shutdown) is an error for the worker to
// retry, not a degraded case.
func TestCancelledCaseIsNotDegraded(t *testing.T) {
	srv := openaitest.New(t, openaitest.Options{Embeddings: openaitest.Hang()})
	remote, _ := embed.NewOpenAI(embed.OpenAIOptions{BaseURL: srv.URL, Dimensions: 32})
	local, _ := embed.NewLocal(embed.LocalOptions{})
	det, _ := detectors.New(detectors.Options{FingerprintKey: []byte("k")})
	p, err := triage.NewPipeline(triage.PipelineOptions{Detector: det, Router: router.Default(), Rules: rules.New(router.Default()), Embedder: remote, FallbackEmbedder: local})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, _, err = p.Run(ctx, triage.Input{Tenant: "acme", Upload: triage.Upload{ID: "u1", Name: "a.log"}, Content: strings.NewReader("ERROR x\n")})
	if err == nil || triage.KindOf(err) != triage.KindTransient || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want a transient deadline error", err)
	}
}
