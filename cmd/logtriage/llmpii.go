package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/logtriage/logtriage/internal/breaker"
	"github.com/logtriage/logtriage/triage/llm"
)

// llmPIIEnv turns the LLM PII pass on for triage, eval and serve alike.
const llmPIIEnv = "LOGTRIAGE_LLM_PII"

// llmPIIFlag registers --llm-pii, the optional LLM pass for person names and
// street addresses (docs/llm-pii.md); its default comes from LOGTRIAGE_LLM_PII.
func llmPIIFlag(fs *flag.FlagSet, getenv func(string) string) *bool {
	return fs.Bool("llm-pii", envTrue(getenv(llmPIIEnv)),
		"ask the LLM for person names and street addresses in the pattern-redacted excerpt and redact them too (env "+llmPIIEnv+"; endpoint: OPENAI_BASE_URL/OPENAI_API_KEY or LOGTRIAGE_LLM_PII_BASE_URL/_API_KEY/_MODEL)")
}

func envTrue(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// newLLMPII returns the LLM PII pass when on, or nil. It also returns the
// line to say once at start-up: which model the pass uses, or why it is off
// although it was asked for (no endpoint: pattern redaction only, as the
// classifier falls back to rules without one — not an error).
func newLLMPII(on bool, getenv func(string) string) (*llm.PIIDetector, string, error) {
	return newGuardedLLMPII(on, getenv, nil)
}

// newGuardedLLMPII is newLLMPII with the endpoint's shared circuit breaker
// from breakerFor (none when nil).
func newGuardedLLMPII(on bool, getenv func(string) string, breakerFor func(baseURL string) *breaker.Breaker) (*llm.PIIDetector, string, error) {
	if !on {
		return nil, "", nil
	}
	opts, ok := llm.PIIOptionsFromEnv(func(key string) string {
		if key == llmPIIEnv {
			return "1" // the flag decides; the environment only sets its default
		}
		return getenv(key)
	})
	if !ok {
		return nil, "LLM PII pass requested but no endpoint is configured (OPENAI_BASE_URL, OPENAI_API_KEY or LOGTRIAGE_LLM_PII_BASE_URL): pattern redaction only", nil
	}
	if breakerFor != nil {
		opts.Breaker = breakerFor(opts.BaseURL)
	}
	d, err := llm.NewPIIDetector(opts)
	if err != nil {
		return nil, "", fmt.Errorf("LLM PII pass settings: %w", err)
	}
	return d, fmt.Sprintf("LLM PII pass (person names, street addresses): %s at %s, prompt %s", d.Model(), opts.BaseURL, d.PromptVersion()), nil
}
