package embed

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"

	"github.com/logtriage/logtriage/internal/breaker"
	"github.com/logtriage/logtriage/internal/httpretry"
	"github.com/logtriage/logtriage/triage"
)

var _ triage.Embedder = (*OpenAI)(nil)

// Errors an OpenAI Embed error wraps, for errors.Is.
var (
	ErrRateLimited = errors.New("embeddings: rate limited")
	ErrServer      = errors.New("embeddings: server error")
	ErrNetwork     = errors.New("embeddings: network error")
	ErrRejected    = errors.New("embeddings: request rejected")
	ErrBadResponse = errors.New("embeddings: malformed response")
	ErrCircuitOpen = breaker.ErrOpen
)

const defaultBaseURL = "https://api.openai.com/v1"

// DefaultEmbeddingModel is used when no model is configured.
const DefaultEmbeddingModel = "text-embedding-3-small"

// knownDimensions are the native sizes of OpenAI's embedding models, so the
// space is known before the first call.
var knownDimensions = map[string]int{
	"text-embedding-3-small": 1536,
	"text-embedding-3-large": 3072,
	"text-embedding-ada-002": 1536,
}

// OpenAIOptions configure an OpenAI-compatible embeddings client.
type OpenAIOptions struct {
	BaseURL string // default https://api.openai.com/v1
	APIKey  string
	Model   string // default text-embedding-3-small
	// Dimensions asks the model for shorter vectors (text-embedding-3-*);
	// required for models whose size is not known here.
	Dimensions int
	// BatchSize is the most texts per request; 128 when 0.
	BatchSize int
	// MaxRetries on 429, 5xx and network errors; 3 when 0, none when < 0.
	MaxRetries int
	// Backoff between attempts grows from BackoffBase to BackoffMax
	// (500ms, 20s); a server's Retry-After wins, up to 60s.
	BackoffBase, BackoffMax time.Duration
	// Timeout per request; 30s when 0.
	Timeout    time.Duration
	HTTPClient *http.Client
	// Breaker (optional) is the endpoint's circuit breaker, shared with the
	// LLM clients of the same endpoint: while it is open, Embed fails at
	// once with ErrCircuitOpen (transient) and the caller falls back.
	Breaker *breaker.Breaker
}

// OpenAI embeds through the /embeddings endpoint of any OpenAI-compatible server.
type OpenAI struct {
	opts   OpenAIOptions
	dims   int
	client *openai.Client
}

// maxInputBytes keeps one text within the models' 8192-token input limit.
const maxInputBytes = 24 << 10

// NewOpenAI checks opts and returns the embedder.
func NewOpenAI(opts OpenAIOptions) (*OpenAI, error) {
	if opts.BaseURL == "" {
		opts.BaseURL = defaultBaseURL
	}
	if !strings.HasPrefix(opts.BaseURL, "http://") && !strings.HasPrefix(opts.BaseURL, "https://") {
		return nil, errors.New("embed: base URL must start with http:// or https://")
	}
	if opts.Model == "" {
		opts.Model = DefaultEmbeddingModel
	}
	dims := opts.Dimensions
	if dims == 0 {
		dims = knownDimensions[opts.Model]
	}
	if dims <= 0 {
		return nil, fmt.Errorf("embed: the size of model %q is unknown: set its dimensions", opts.Model)
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 128
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = 3
	} else if opts.MaxRetries < 0 {
		opts.MaxRetries = 0
	}
	if opts.BackoffBase <= 0 {
		opts.BackoffBase = 500 * time.Millisecond
	}
	if opts.BackoffMax <= 0 {
		opts.BackoffMax = 20 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	cfg := openai.DefaultConfig(opts.APIKey)
	cfg.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	cfg.HTTPClient = opts.HTTPClient
	return &OpenAI{opts: opts, dims: dims, client: openai.NewClientWithConfig(cfg)}, nil
}

// ID names the space by model and size: the same model cut to another size
// is another space.
func (o *OpenAI) ID() string { return fmt.Sprintf("openai:%s:%d", o.opts.Model, o.dims) }

// Dimensions is the length of every vector.
func (o *OpenAI) Dimensions() int { return o.dims }

// Embed returns one unit vector per text, in order, sending BatchSize texts
// per request. Errors are transient when retrying may help (rate limits,
// server errors, the network) and internal otherwise (a bad key, an unknown
// model, an answer of the wrong shape).
func (o *OpenAI) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, 0, len(texts))
	for start := 0; start < len(texts); start += o.opts.BatchSize {
		batch := texts[start:min(start+o.opts.BatchSize, len(texts))]
		vecs, err := o.embedBatch(ctx, batch)
		if err != nil {
			return nil, err
		}
		out = append(out, vecs...)
	}
	return out, nil
}

func (o *OpenAI) embedBatch(ctx context.Context, texts []string) ([][]float32, error) {
	req := openai.EmbeddingRequest{
		Input:          prepareInputs(texts),
		Model:          openai.EmbeddingModel(o.opts.Model),
		EncodingFormat: openai.EmbeddingEncodingFormatFloat,
	}
	if o.opts.Dimensions > 0 {
		// Only when asked: older models refuse the parameter.
		req.Dimensions = o.opts.Dimensions
	}
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil { // a spent budget does not take the breaker's probe
			return nil, triage.Transient("embed", fmt.Errorf("%w after %d attempt(s)", err, attempt-1))
		}
		if err := o.opts.Breaker.Allow(); err != nil {
			return nil, triage.Transient("embed", fmt.Errorf("embeddings: %w (%d attempt(s))", err, attempt-1))
		}
		vecs, f := o.attempt(ctx, req, len(texts))
		o.opts.Breaker.Record(breakerOutcome(ctx, f))
		if f == nil {
			return vecs, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, triage.Transient("embed", fmt.Errorf("%w after %d attempt(s)", err, attempt))
		}
		if !f.retry {
			return nil, triage.Internal("embed", f.err)
		}
		if attempt > o.opts.MaxRetries {
			return nil, triage.Transient("embed", fmt.Errorf("%w after %d attempt(s)", f.err, attempt))
		}
		wait := o.backoff(attempt)
		if f.retryAfter > 0 {
			wait = min(f.retryAfter, time.Minute)
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return nil, triage.Transient("embed", fmt.Errorf("%w; next attempt due after the deadline (%d attempt(s))", f.err, attempt))
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, triage.Transient("embed", fmt.Errorf("%w after %d attempt(s)", ctx.Err(), attempt))
		case <-timer.C:
		}
	}
}

// breakerOutcome is what an attempt tells about the endpoint: what a retry
// might fix (a hang cut by the caller's deadline too) counts against it,
// any answer for it, and an attempt the caller cancelled tells nothing.
func breakerOutcome(ctx context.Context, f *failure) (breaker.Outcome, string) {
	switch {
	case f == nil:
		return breaker.Success, ""
	case errors.Is(ctx.Err(), context.Canceled):
		return breaker.Ignore, ""
	case f.retry || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return breaker.Failure, f.err.Error()
	}
	return breaker.Success, ""
}

// prepareInputs: the API refuses empty strings and over-long inputs.
func prepareInputs(texts []string) []string {
	in := make([]string, len(texts))
	for i, t := range texts {
		if strings.TrimSpace(t) == "" {
			t = "(empty)"
		}
		if len(t) > maxInputBytes {
			cut := maxInputBytes
			for cut > 0 && !utf8.RuneStart(t[cut]) {
				cut--
			}
			t = t[:cut]
		}
		in[i] = t
	}
	return in
}

// failure is one failed attempt, sorted into what to do about it.
type failure struct {
	err        error
	retry      bool
	retryAfter time.Duration
}

func (o *OpenAI) attempt(ctx context.Context, req openai.EmbeddingRequest, n int) ([][]float32, *failure) {
	actx, cancel := context.WithTimeout(ctx, o.opts.Timeout)
	defer cancel()
	resp, err := o.client.CreateEmbeddings(actx, req)
	if err != nil {
		return nil, sortError(err, resp.Header())
	}
	if len(resp.Data) != n {
		return nil, &failure{err: fmt.Errorf("%w: %d vectors for %d texts", ErrBadResponse, len(resp.Data), n)}
	}
	vecs := make([][]float32, n)
	for _, d := range resp.Data {
		if d.Index < 0 || d.Index >= n || vecs[d.Index] != nil {
			return nil, &failure{err: fmt.Errorf("%w: bad or repeated index %d", ErrBadResponse, d.Index)}
		}
		if len(d.Embedding) != o.dims {
			return nil, &failure{err: fmt.Errorf("%w: vector of %d dimensions, want %d", ErrBadResponse, len(d.Embedding), o.dims)}
		}
		// OpenAI's vectors are unit length already; other servers' may not be.
		vecs[d.Index] = normalize(d.Embedding)
	}
	return vecs, nil
}

func normalize(v []float32) []float32 {
	var sq float64
	for _, x := range v {
		sq += float64(x) * float64(x)
	}
	if sq == 0 || math.Abs(sq-1) < 1e-6 {
		return v
	}
	inv := float32(1 / math.Sqrt(sq))
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = x * inv
	}
	return out
}

// sortError decides whether a failed request is worth another attempt. The
// message text of an API error is left out: it may quote the input.
func sortError(err error, header http.Header) *failure {
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	var urlErr *url.Error
	status := 0
	switch {
	case errors.As(err, &apiErr):
		status = apiErr.HTTPStatusCode
		if status == http.StatusTooManyRequests && apiErr.Code == "insufficient_quota" {
			return &failure{err: fmt.Errorf("%w (HTTP 429, insufficient_quota)", ErrRejected)}
		}
	case errors.As(err, &reqErr):
		status = reqErr.HTTPStatusCode
	case errors.Is(err, context.DeadlineExceeded):
		return &failure{err: fmt.Errorf("%w: request timed out", ErrNetwork), retry: true}
	case errors.As(err, &urlErr):
		return &failure{err: fmt.Errorf("%w: %v", ErrNetwork, urlErr.Err), retry: true}
	default:
		return &failure{err: fmt.Errorf("%w: %v", ErrBadResponse, err)}
	}
	switch {
	case status == http.StatusTooManyRequests:
		return &failure{err: fmt.Errorf("%w (HTTP 429)", ErrRateLimited), retry: true, retryAfter: httpretry.RetryAfter(header, time.Now())}
	case status >= 500 || status == http.StatusRequestTimeout:
		return &failure{err: fmt.Errorf("%w (HTTP %d)", ErrServer, status), retry: true, retryAfter: httpretry.RetryAfter(header, time.Now())}
	default:
		return &failure{err: fmt.Errorf("%w (HTTP %d)", ErrRejected, status)}
	}
}

// backoff is the wait before attempt+1.
func (o *OpenAI) backoff(attempt int) time.Duration {
	return httpretry.Backoff(o.opts.BackoffBase, o.opts.BackoffMax, attempt)
}
