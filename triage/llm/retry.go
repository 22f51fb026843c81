package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/logtriage/logtriage/internal/breaker"
	"github.com/logtriage/logtriage/internal/httpretry"
	"github.com/logtriage/logtriage/triage"
)

// Errors a Classify error wraps, for errors.Is. Their texts are the reasons
// a case records when the pipeline falls back to rules.
var (
	ErrRateLimited = errors.New("rate limited")
	ErrServer      = errors.New("server error")
	ErrTimeout     = errors.New("timed out")
	ErrNetwork     = errors.New("network error")
	ErrRejected    = errors.New("request rejected")
	ErrBadResponse = errors.New("malformed response")
	ErrTruncated   = errors.New("answer truncated")
	ErrFiltered    = errors.New("answer blocked by the content filter")
	ErrRefused     = errors.New("model refused")
	ErrBadAnswer   = errors.New("invalid answer")
	// ErrCircuitOpen: the endpoint's circuit breaker is open, nothing was sent.
	ErrCircuitOpen = breaker.ErrOpen
)

// endpoint is the request machinery shared by the Classifier and the
// PIIDetector, as a view over the owner's fields: options, client,
// concurrency slots and counters.
type endpoint struct {
	opts   *Options
	client *openai.Client
	slots  chan struct{}
	stats  *counters
}

// failure is one failed attempt, sorted into what to do about it.
type failure struct {
	err        error         // safe to show: no log or answer content
	retry      bool          // worth another attempt
	retryAfter time.Duration // the server's wait, if it gave one
	sent       bool          // the endpoint answered (a non-retryable status or a bad body)
}

// complete sends req, retrying what may pass on a later try. info collects
// attempts and tokens whether or not it succeeds; op names the step in
// the errors ("classify", "pii").
func (c endpoint) complete(ctx context.Context, op string, req openai.ChatCompletionRequest, info *triage.ClassifierInfo) (openai.ChatCompletionResponse, error) {
	attempts := c.opts.MaxRetries + 1
	for attempt := 1; ; attempt++ {
		if ctx.Err() != nil { // a spent budget does not take the breaker's probe
			return openai.ChatCompletionResponse{}, gaveUp(ctx, op, attempt-1)
		}
		if err := c.opts.Breaker.Allow(); err != nil {
			return openai.ChatCompletionResponse{}, triage.Transient(op, fmt.Errorf("llm: %w (%d attempt(s))", err, attempt-1))
		}
		resp, f := c.attempt(ctx, req, info)
		c.opts.Breaker.Record(breakerOutcome(ctx, f))
		if f == nil {
			return resp, nil
		}
		if ctx.Err() != nil {
			return resp, gaveUp(ctx, op, attempt)
		}
		if !f.retry {
			return resp, triage.Internal(op, fmt.Errorf("llm: %w", f.err))
		}
		if attempt == attempts {
			return resp, triage.Transient(op, fmt.Errorf("llm: %w after %d attempt(s)", f.err, attempt))
		}
		wait := c.backoff(attempt)
		if f.retryAfter > 0 {
			wait = min(f.retryAfter, c.opts.MaxRetryAfter)
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return resp, triage.Transient(op, fmt.Errorf("llm: %w; next attempt due after the deadline (%d attempt(s))", f.err, attempt))
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return resp, gaveUp(ctx, op, attempt)
		case <-timer.C:
		}
	}
}

// breakerOutcome is what an attempt tells about the endpoint: failures a
// retry might fix count against it (a hang cut by the caller's deadline
// too), an answer of any kind counts for it, and an attempt the caller
// cancelled, or one refused before it was sent, tells nothing.
func breakerOutcome(ctx context.Context, f *failure) (breaker.Outcome, string) {
	switch {
	case f == nil:
		return breaker.Success, ""
	case errors.Is(ctx.Err(), context.Canceled):
		return breaker.Ignore, ""
	case f.retry || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return breaker.Failure, f.err.Error()
	case f.sent:
		return breaker.Success, ""
	}
	return breaker.Ignore, ""
}

// gaveUp is the error for a caller's context that ended: a deadline is a
// timeout, a cancellation is just that.
func gaveUp(ctx context.Context, op string, attempts int) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return triage.Transient(op, fmt.Errorf("llm: %w: the caller's deadline passed after %d attempt(s) (%w)", ErrTimeout, attempts, ctx.Err()))
	}
	return triage.Transient(op, fmt.Errorf("llm: cancelled after %d attempt(s) (%w)", attempts, ctx.Err()))
}

// attempt sends one request within a concurrency slot and its own timeout.
func (c endpoint) attempt(ctx context.Context, req openai.ChatCompletionRequest, info *triage.ClassifierInfo) (openai.ChatCompletionResponse, *failure) {
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return openai.ChatCompletionResponse{}, &failure{err: fmt.Errorf("%w waiting for a slot", ErrTimeout)}
	}
	defer func() { <-c.slots }()

	actx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	info.Attempts++
	c.stats.attempts.Add(1)
	resp, err := c.client.CreateChatCompletion(actx, req)
	if err == nil {
		u := resp.Usage
		info.Tokens.Prompt += u.PromptTokens
		info.Tokens.Completion += u.CompletionTokens
		info.Tokens.Total += u.TotalTokens
		c.stats.promptTokens.Add(uint64(max(u.PromptTokens, 0)))
		c.stats.completionTokens.Add(uint64(max(u.CompletionTokens, 0)))
		c.stats.total.Add(uint64(max(u.TotalTokens, 0)))
		return resp, nil
	}
	f := classifyError(err, resp.Header())
	f.sent = !f.retry && (errors.Is(f.err, ErrRejected) || errors.Is(f.err, ErrBadResponse))
	switch {
	case errors.Is(f.err, ErrRateLimited):
		c.stats.rateLimited.Add(1)
	case errors.Is(f.err, ErrServer):
		c.stats.serverErrors.Add(1)
	case errors.Is(f.err, ErrTimeout):
		c.stats.timeouts.Add(1)
	}
	return resp, f
}

// classifyError sorts a client error. Only status codes, error types and
// codes go into the text: an error message may quote the request.
func classifyError(err error, header http.Header) *failure {
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	var urlErr *url.Error
	status, detail := 0, ""
	switch {
	case errors.As(err, &apiErr):
		status = apiErr.HTTPStatusCode
		detail = apiErrorDetail(apiErr)
	case errors.As(err, &reqErr):
		status = reqErr.HTTPStatusCode
	case errors.Is(err, context.DeadlineExceeded):
		return &failure{err: fmt.Errorf("%w (per-attempt timeout)", ErrTimeout), retry: true}
	case errors.Is(err, context.Canceled):
		return &failure{err: fmt.Errorf("%w: cancelled", ErrTimeout)}
	case isDecodeError(err):
		return &failure{err: fmt.Errorf("%w: body is not a chat completion", ErrBadResponse)}
	case errors.As(err, &urlErr):
		return &failure{err: fmt.Errorf("%w: %s", ErrNetwork, innermost(err)), retry: true}
	default:
		// go-openai refuses some requests before sending; its texts are fixed.
		return &failure{err: fmt.Errorf("%w by the client library: %v", ErrRejected, err)}
	}
	switch {
	case status == http.StatusTooManyRequests && apiErr != nil && apiErr.Code == "insufficient_quota":
		// OpenAI says "out of credit" with a 429 too; waiting does not fix it.
		return &failure{err: fmt.Errorf("%w (HTTP 429%s)", ErrRejected, detail)}
	case status == http.StatusTooManyRequests:
		return &failure{err: fmt.Errorf("%w (HTTP 429%s)", ErrRateLimited, detail), retry: true, retryAfter: httpretry.RetryAfter(header, time.Now())}
	case status == http.StatusRequestTimeout:
		return &failure{err: fmt.Errorf("%w (HTTP 408)", ErrTimeout), retry: true}
	case status >= 500:
		return &failure{err: fmt.Errorf("%w (HTTP %d%s)", ErrServer, status, detail), retry: true, retryAfter: httpretry.RetryAfter(header, time.Now())}
	default:
		return &failure{err: fmt.Errorf("%w (HTTP %d%s)", ErrRejected, status, detail)}
	}
}

func apiErrorDetail(e *openai.APIError) string {
	var parts []string
	if e.Type != "" {
		parts = append(parts, "type "+safeToken(e.Type))
	}
	// go-openai decodes "code": null as 0.
	if code := fmt.Sprint(e.Code); e.Code != nil && code != "0" && code != "" {
		parts = append(parts, "code "+safeToken(code))
	}
	if len(parts) == 0 {
		return ""
	}
	return ", " + strings.Join(parts, ", ")
}

// safeToken keeps identifier-like values (error types and codes) and drops
// anything that looks like free text.
func safeToken(s string) string {
	if len(s) > 64 {
		return "?"
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return "?"
		}
	}
	return s
}

func isDecodeError(err error) bool {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	return errors.As(err, &syntax) || errors.As(err, &typ) || errors.Is(err, io.ErrUnexpectedEOF)
}

// innermost is the root of a failed connection ("connection refused"),
// without the URL around it.
func innermost(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// backoff is the wait before attempt+1.
func (c endpoint) backoff(attempt int) time.Duration {
	return httpretry.Backoff(c.opts.BackoffBase, c.opts.BackoffMax, attempt)
}
