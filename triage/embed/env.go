package embed

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/logtriage/logtriage/internal/breaker"
	"github.com/logtriage/logtriage/triage"
)

// FromEnv picks the embedder the way the LLM settings are picked: the
// OpenAI-compatible endpoint when OPENAI_API_KEY or OPENAI_BASE_URL is set
// (model LOGTRIAGE_EMBEDDING_MODEL, default text-embedding-3-small; size
// LOGTRIAGE_EMBEDDING_DIMENSIONS), the local embedder otherwise.
// LOGTRIAGE_EMBEDDER=local keeps the local one even with an endpoint (for
// servers without an embeddings model).
func FromEnv(getenv func(string) string) (triage.Embedder, error) {
	return FromEnvWith(getenv, EnvOptions{})
}

// EnvOptions are what FromEnvWith adds to the environment's settings.
type EnvOptions struct {
	// Breaker is the endpoint's circuit breaker for the OpenAI-compatible
	// embedder (see OpenAIOptions.Breaker).
	Breaker *breaker.Breaker
}

// BaseURL is the endpoint FromEnv's OpenAI-compatible embedder talks to
// (empty when it picks the local embedder), so a caller can share one
// circuit breaker per endpoint.
func BaseURL(getenv func(string) string) string {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	if k := get("LOGTRIAGE_EMBEDDER"); k != "" && k != "openai" {
		return ""
	}
	key, base := get("OPENAI_API_KEY"), get("OPENAI_BASE_URL")
	switch {
	case base != "":
		return strings.TrimRight(base, "/")
	case key != "":
		return defaultBaseURL
	}
	return ""
}

// FromEnvWith is FromEnv with options.
func FromEnvWith(getenv func(string) string, o EnvOptions) (triage.Embedder, error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	dims := 0
	if v := get("LOGTRIAGE_EMBEDDING_DIMENSIONS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("embed: LOGTRIAGE_EMBEDDING_DIMENSIONS=%q is not a positive number", v)
		}
		dims = n
	}
	switch kind := get("LOGTRIAGE_EMBEDDER"); kind {
	case "local":
		return NewLocal(LocalOptions{Dimensions: dims})
	case "", "openai":
		key, base := get("OPENAI_API_KEY"), get("OPENAI_BASE_URL")
		if key == "" && base == "" {
			if kind == "openai" {
				return nil, fmt.Errorf("embed: LOGTRIAGE_EMBEDDER=openai needs OPENAI_API_KEY or OPENAI_BASE_URL")
			}
			return NewLocal(LocalOptions{Dimensions: dims})
		}
		return NewOpenAI(OpenAIOptions{BaseURL: base, APIKey: key, Model: get("LOGTRIAGE_EMBEDDING_MODEL"), Dimensions: dims, Breaker: o.Breaker})
	default:
		return nil, fmt.Errorf("embed: LOGTRIAGE_EMBEDDER=%q: want local or openai", kind)
	}
}
