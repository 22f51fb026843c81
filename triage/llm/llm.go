// Package llm is the LLM classifier: it asks any OpenAI-compatible chat
// completion endpoint to judge a redacted excerpt, with a strict JSON schema
// built from the answer's Go type, and accepts only answers from the closed
// sets the router allows.
//
// Every error it returns is safe to record as a fallback reason: error texts
// name what went wrong (status codes, finish reasons, which rule an answer
// broke) and never quote the log, the prompt or the model's answer.
package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	openai "github.com/sashabaranov/go-openai"
	"github.com/sashabaranov/go-openai/jsonschema"

	"github.com/logtriage/logtriage/internal/breaker"
	"github.com/logtriage/logtriage/prompts"
	"github.com/logtriage/logtriage/triage"
)

// DefaultModel is used when no model is configured.
const DefaultModel = "gpt-4o-mini"

// DefaultBaseURL is OpenAI's API, used when only a key is configured.
const DefaultBaseURL = "https://api.openai.com/v1"

// Options configure a Classifier. Zero values take the defaults noted.
type Options struct {
	BaseURL string // OpenAI-compatible API root including /v1 (default DefaultBaseURL)
	APIKey  string // sent as a bearer token when set (local servers often need none)
	Model   string // default DefaultModel
	// MaxTokens caps the answer (default 1024; 4096 for reasoning models,
	// whose hidden reasoning counts too). An answer cut by it is an error.
	MaxTokens int
	// Timeout bounds each attempt, not the whole call: ctx bounds that (default 60s).
	Timeout time.Duration
	// MaxRetries is how many times a failed attempt is retried on 429, 5xx,
	// timeouts and network errors (default 2; negative: never retry).
	MaxRetries int
	// Concurrency caps requests in flight across all goroutines (default 4).
	Concurrency int
	// HTTPClient sends the requests (default a plain http.Client; the
	// per-attempt timeout comes from Timeout).
	HTTPClient *http.Client
	// PromptVersion of the classify prompt, e.g. "v1" (default prompts.ClassifyLatest).
	PromptVersion string
	// PIIPromptVersion of the pii prompt the PIIDetector uses (default prompts.PIILatest).
	PIIPromptVersion string
	// Seed is sent with every request so reruns of an eval are comparable.
	Seed int
	// BackoffBase and BackoffMax shape the exponential backoff between
	// attempts (defaults 500ms and 20s); a server's Retry-After wins over it,
	// up to MaxRetryAfter (default 60s).
	BackoffBase   time.Duration
	BackoffMax    time.Duration
	MaxRetryAfter time.Duration
	// Breaker (optional) is the endpoint's circuit breaker, shared with the
	// other clients of the same endpoint: while it is open, calls fail at
	// once (ErrCircuitOpen, transient) and the caller falls back.
	Breaker *breaker.Breaker
}

// OptionsFromEnv reads the ecosystem's settings: OPENAI_API_KEY,
// OPENAI_BASE_URL and LOGTRIAGE_LLM_MODEL. It reports false when neither a
// key nor a base URL is set, which means rules-only mode.
func OptionsFromEnv(getenv func(string) string) (Options, bool) {
	opts := Options{
		APIKey:  strings.TrimSpace(getenv("OPENAI_API_KEY")),
		BaseURL: strings.TrimSpace(getenv("OPENAI_BASE_URL")),
		Model:   strings.TrimSpace(getenv("LOGTRIAGE_LLM_MODEL")),
	}
	if opts.APIKey == "" && opts.BaseURL == "" {
		return Options{}, false
	}
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	if opts.Model == "" {
		opts.Model = DefaultModel
	}
	return opts, true
}

// Classifier is a triage.Classifier backed by an OpenAI-compatible endpoint.
// It is safe for concurrent use.
type Classifier struct {
	base // schema: of answer, without the per-request enums
}

var _ triage.Classifier = (*Classifier)(nil)

// New checks opts, fills in defaults and returns a Classifier.
func New(opts Options) (*Classifier, error) {
	if opts.PromptVersion == "" {
		opts.PromptVersion = prompts.ClassifyLatest
	}
	c := &Classifier{}
	if err := c.init(opts, "classify", opts.PromptVersion, answerSchema); err != nil {
		return nil, err
	}
	return c, nil
}

// base is what the Classifier and the PIIDetector share: options with their
// defaults, the client, one prompt template and the answer's schema, the
// concurrency slots and the counters.
type base struct {
	opts   Options
	client *openai.Client
	prompt *prompts.Template
	schema jsonschema.Definition
	slots  chan struct{}
	stats  counters
}

// init checks opts, fills in the shared defaults and loads the prompt and
// the schema.
func (b *base) init(opts Options, promptName, promptVersion string, schemaOf func() (jsonschema.Definition, error)) error {
	opts, err := withDefaults(opts)
	if err != nil {
		return err
	}
	prompt, err := prompts.Load(promptName, promptVersion)
	if err != nil {
		return fmt.Errorf("llm: %w", err)
	}
	schema, err := schemaOf()
	if err != nil {
		return fmt.Errorf("llm: %w", err)
	}
	b.opts, b.client, b.prompt, b.schema = opts, newClient(opts), prompt, settled(schema)
	b.slots = make(chan struct{}, opts.Concurrency)
	return nil
}

// settled returns def with every nested Properties map made non-nil.
// go-openai's Definition.MarshalJSON fills a nil Properties in place, so
// marshalling one shared schema from concurrent requests is a data race;
// a settled schema has nothing left for it to write.
func settled(def jsonschema.Definition) jsonschema.Definition {
	props := make(map[string]jsonschema.Definition, len(def.Properties))
	for k, v := range def.Properties {
		props[k] = settled(v)
	}
	def.Properties = props
	if def.Items != nil {
		items := settled(*def.Items)
		def.Items = &items
	}
	if def.AnyOf != nil {
		anyOf := make([]jsonschema.Definition, len(def.AnyOf))
		for i, d := range def.AnyOf {
			anyOf[i] = settled(d)
		}
		def.AnyOf = anyOf
	}
	if def.Defs != nil {
		defs := make(map[string]jsonschema.Definition, len(def.Defs))
		for k, d := range def.Defs {
			defs[k] = settled(d)
		}
		def.Defs = defs
	}
	return def
}

// api is the owner's view of the request machinery.
func (b *base) api() endpoint {
	return endpoint{opts: &b.opts, client: b.client, slots: b.slots, stats: &b.stats}
}

// withDefaults checks opts and fills in the defaults every kind of request
// shares; prompt versions are left to the caller.
func withDefaults(opts Options) (Options, error) {
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	if !strings.HasPrefix(opts.BaseURL, "http://") && !strings.HasPrefix(opts.BaseURL, "https://") {
		return opts, errors.New("llm: base URL must start with http:// or https://")
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	if opts.Model == "" {
		opts.Model = DefaultModel
	}
	if opts.MaxTokens <= 0 {
		opts.MaxTokens = 1024
		if reasoningModel(opts.Model) {
			opts.MaxTokens = 4096
		}
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 60 * time.Second
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = 2
	} else if opts.MaxRetries < 0 {
		opts.MaxRetries = 0
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	if opts.BackoffBase <= 0 {
		opts.BackoffBase = 500 * time.Millisecond
	}
	if opts.BackoffMax <= 0 {
		opts.BackoffMax = 20 * time.Second
	}
	if opts.MaxRetryAfter <= 0 {
		opts.MaxRetryAfter = 60 * time.Second
	}
	return opts, nil
}

func newClient(opts Options) *openai.Client {
	cfg := openai.DefaultConfig(opts.APIKey)
	cfg.BaseURL = opts.BaseURL
	cfg.HTTPClient = opts.HTTPClient
	return openai.NewClientWithConfig(cfg)
}

// backoff is the wait before attempt+1.
func (c *Classifier) backoff(attempt int) time.Duration { return c.api().backoff(attempt) }

// Model is the model the classifier asks.
func (c *Classifier) Model() string { return c.opts.Model }

// PromptVersion is the prompt version cases record, e.g. "classify-v1".
func (c *Classifier) PromptVersion() string { return c.prompt.Version }

// Classify asks the model to judge in.Excerpt. On error the returned
// Classification is empty except for Info, which still says what was spent
// (attempts, tokens), and the error carries a triage kind: transient for
// rate limits, server errors, timeouts and network failures after the
// retries, internal for everything else (rejected requests, bad answers).
func (c *Classifier) Classify(ctx context.Context, in triage.ClassifyInput) (triage.Classification, error) {
	c.stats.calls.Add(1)
	out := triage.Classification{Info: triage.ClassifierInfo{
		Kind: "llm", Model: c.opts.Model, PromptVersion: c.prompt.Version,
	}}
	req, err := c.buildRequest(in)
	if err != nil {
		c.stats.failed.Add(1)
		return out, triage.Internal("classify", err)
	}
	resp, err := c.api().complete(ctx, "classify", req, &out.Info)
	if err != nil {
		c.stats.failed.Add(1)
		return out, err
	}
	cl, notes, err := c.judge(resp, in)
	if err != nil {
		c.stats.failed.Add(1)
		return out, triage.Internal("classify", err)
	}
	c.stats.droppedKeyLines.Add(uint64(notes.droppedKeyLines))
	c.stats.droppedSkills.Add(uint64(notes.droppedSkills))
	c.stats.succeeded.Add(1)
	cl.Info = out.Info
	return cl, nil
}

// Stats are the classifier's counters since New, for metrics export.
type Stats struct {
	Calls     uint64 // Classify calls
	Succeeded uint64
	Failed    uint64 // the pipeline fell back to rules for these
	Attempts  uint64 // HTTP requests sent
	// Failed attempts by cause (each may have been retried).
	RateLimited  uint64
	ServerErrors uint64
	Timeouts     uint64
	// Token usage as the server reported it, over every attempt that had one.
	PromptTokens     uint64
	CompletionTokens uint64
	TotalTokens      uint64
	// Parts of otherwise valid answers that were dropped.
	DroppedKeyLines uint64 // not an element of the excerpt
	DroppedSkills   uint64 // not in the configured set
}

type counters struct {
	calls, succeeded, failed, attempts    atomic.Uint64
	rateLimited, serverErrors, timeouts   atomic.Uint64
	promptTokens, completionTokens, total atomic.Uint64
	droppedKeyLines, droppedSkills        atomic.Uint64
}

// Stats returns a snapshot of the counters.
func (c *Classifier) Stats() Stats {
	s := &c.stats
	return Stats{
		Calls: s.calls.Load(), Succeeded: s.succeeded.Load(), Failed: s.failed.Load(),
		Attempts: s.attempts.Load(), RateLimited: s.rateLimited.Load(),
		ServerErrors: s.serverErrors.Load(), Timeouts: s.timeouts.Load(),
		PromptTokens: s.promptTokens.Load(), CompletionTokens: s.completionTokens.Load(),
		TotalTokens: s.total.Load(), DroppedKeyLines: s.droppedKeyLines.Load(),
		DroppedSkills: s.droppedSkills.Load(),
	}
}
