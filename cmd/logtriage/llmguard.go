package main

import (
	"flag"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/logtriage/logtriage/internal/breaker"
	"github.com/logtriage/logtriage/triage"
)

// llmGuard is what keeps an LLM outage from costing cases: the per-case
// budget and one circuit breaker per endpoint, shared by the classifier,
// the PII pass and the embedder that talk to it.
type llmGuard struct {
	budget    time.Duration
	threshold int
	openFor   time.Duration
	breakers  map[string]*breaker.Breaker
	// embedder is the configured embedder (serve's similar queries use it
	// for a case without a stored vector).
	embedder triage.Embedder
	// remoteEmbedder is the configured embedder when it is not the local
	// fallback: serve's backfill re-embeds fallback cases with it.
	remoteEmbedder triage.Embedder
}

// defaultLLMGuard is the guard with the flags' defaults.
func defaultLLMGuard() *llmGuard {
	return &llmGuard{budget: triage.DefaultLLMBudget, threshold: 5, openFor: 30 * time.Second}
}

// register adds --llm-budget, --llm-breaker-failures and --llm-breaker-open
// (defaults from LOGTRIAGE_LLM_BUDGET, LOGTRIAGE_LLM_BREAKER_FAILURES and
// LOGTRIAGE_LLM_BREAKER_OPEN).
func (g *llmGuard) register(fs *flag.FlagSet, getenv func(string) string) error {
	budget, err := envDuration(getenv, "LOGTRIAGE_LLM_BUDGET", triage.DefaultLLMBudget)
	if err != nil {
		return err
	}
	openFor, err := envDuration(getenv, "LOGTRIAGE_LLM_BREAKER_OPEN", 30*time.Second)
	if err != nil {
		return err
	}
	threshold := 5
	if v := strings.TrimSpace(getenv("LOGTRIAGE_LLM_BREAKER_FAILURES")); v != "" {
		if _, err := fmt.Sscanf(v, "%d", &threshold); err != nil || threshold <= 0 {
			return fmt.Errorf("LOGTRIAGE_LLM_BREAKER_FAILURES=%q: want a positive number", v)
		}
	}
	fs.DurationVar(&g.budget, "llm-budget", budget, "time one case may spend on the LLM (PII pass, classifier, embeddings) across all attempts before each step falls back (env LOGTRIAGE_LLM_BUDGET)")
	fs.IntVar(&g.threshold, "llm-breaker-failures", threshold, "failed LLM requests in a row that open the endpoint's circuit: calls then go straight to the fallbacks (env LOGTRIAGE_LLM_BREAKER_FAILURES)")
	fs.DurationVar(&g.openFor, "llm-breaker-open", openFor, "how long an open circuit waits before one probe request (env LOGTRIAGE_LLM_BREAKER_OPEN)")
	return nil
}

// check validates the parsed values.
func (g *llmGuard) check() error {
	switch {
	case g.budget <= 0:
		return fmt.Errorf("--llm-budget %s: want a positive duration", g.budget)
	case g.threshold <= 0:
		return fmt.Errorf("--llm-breaker-failures %d: want a positive number", g.threshold)
	case g.openFor <= 0:
		return fmt.Errorf("--llm-breaker-open %s: want a positive duration", g.openFor)
	}
	return nil
}

// breakerFor is the endpoint's breaker, made on first use; clients of the
// same base URL share it.
func (g *llmGuard) breakerFor(baseURL string) *breaker.Breaker {
	key := strings.TrimRight(baseURL, "/")
	if g.breakers == nil {
		g.breakers = map[string]*breaker.Breaker{}
	}
	if b, ok := g.breakers[key]; ok {
		return b
	}
	name := key
	if u, err := url.Parse(key); err == nil && u.Host != "" {
		name = u.Host // no path or credentials in metrics labels
	}
	b := breaker.New(breaker.Options{Name: name, Threshold: g.threshold, OpenFor: g.openFor})
	g.breakers[key] = b
	return b
}

// all returns the breakers made so far, in a stable order.
func (g *llmGuard) all() []*breaker.Breaker {
	keys := make([]string, 0, len(g.breakers))
	for k := range g.breakers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]*breaker.Breaker, len(keys))
	for i, k := range keys {
		out[i] = g.breakers[k]
	}
	return out
}

func envDuration(getenv func(string) string, key string, def time.Duration) (time.Duration, error) {
	v := strings.TrimSpace(getenv(key))
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive duration such as 20s", key, v)
	}
	return d, nil
}
