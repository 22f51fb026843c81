// Package openaitest is an in-process OpenAI-compatible server for tests. It
// answers /v1/chat/completions and /v1/embeddings like the real API does
// (structured output, usage, error bodies, 429 with Retry-After), records
// every request, and fails the test when a request is not what a correct
// client sends (no model, temperature not 0, no strict json_schema, ...).
//
// Answers are scripted per endpoint: a queue of Behaviours is used first, in
// order, then a default Behaviour (a schema-conforming answer computed from
// the request, or deterministic embeddings).
package openaitest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Paths served, relative to the server root; URL already ends in /v1.
const (
	ChatPath       = "/v1/chat/completions"
	EmbeddingsPath = "/v1/embeddings"
)

// Options configure a Server. The zero value serves both endpoints with the
// default behaviours and accepts any model and any (or no) API key.
type Options struct {
	// Model, when set, is the only model name requests may use.
	Model string
	// APIKey, when set, must arrive as "Authorization: Bearer <APIKey>".
	APIKey string
	// ChatScript answers the first chat requests, one behaviour each, in order.
	ChatScript []Behaviour
	// Chat answers chat requests once the script is used up (default Answer()).
	Chat Behaviour
	// EmbeddingScript and Embeddings do the same for /v1/embeddings
	// (default Embeddings()).
	EmbeddingScript []Behaviour
	Embeddings      Behaviour
	// Dimensions of embeddings when the request does not ask (default 64).
	Dimensions int
}

// Request is one request as the server received it.
type Request struct {
	Path     string
	Header   http.Header
	Body     []byte // raw body, exactly as sent
	Received time.Time
	// Exactly one of these is set, decoded from Body, for the known paths.
	Chat      *openai.ChatCompletionRequest
	Embedding *openai.EmbeddingRequest
}

// Message returns the content of the first chat message with role, or "".
func (r Request) Message(role string) string {
	if r.Chat == nil {
		return ""
	}
	for _, m := range r.Chat.Messages {
		if m.Role == role {
			return m.Content
		}
	}
	return ""
}

// Call is what a Behaviour answers.
type Call struct {
	Request
	// Ctx ends when the client gives up or the server shuts down.
	Ctx context.Context
	T   testing.TB
	// Dimensions is the server's default embedding size.
	Dimensions int
}

// Response is what a Behaviour sends back.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Behaviour answers one request.
type Behaviour func(c *Call) Response

// Server is a running test server, closed when the test ends.
type Server struct {
	// URL is the base URL for clients, including /v1.
	URL string

	t    testing.TB
	opts Options
	srv  *httptest.Server
	stop context.CancelFunc
	ctx  context.Context

	mu          sync.Mutex
	requests    []Request
	chatScript  []Behaviour
	embedScript []Behaviour
	inFlight    int
	maxInFlight int
}

// New starts a server and registers its shutdown with t.Cleanup.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Chat == nil {
		opts.Chat = Answer()
	}
	if opts.Embeddings == nil {
		opts.Embeddings = Embeddings()
	}
	if opts.Dimensions <= 0 {
		opts.Dimensions = 64
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &Server{
		t: t, opts: opts, ctx: ctx, stop: stop,
		chatScript:  append([]Behaviour(nil), opts.ChatScript...),
		embedScript: append([]Behaviour(nil), opts.EmbeddingScript...),
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL + "/v1"
	t.Cleanup(func() {
		stop() // releases hanging behaviours so Close does not wait on them
		s.srv.Close()
	})
	return s
}

// EnqueueChat appends behaviours to the chat script.
func (s *Server) EnqueueChat(b ...Behaviour) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chatScript = append(s.chatScript, b...)
}

// EnqueueEmbeddings appends behaviours to the embeddings script.
func (s *Server) EnqueueEmbeddings(b ...Behaviour) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.embedScript = append(s.embedScript, b...)
}

// Requests returns every request received so far, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// InFlight is the number of requests being answered now.
func (s *Server) InFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inFlight
}

// MaxInFlight is the most requests that were ever answered at the same time.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInFlight
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.t.Errorf("openaitest: reading request body: %v", err)
		writeResponse(w, Error(http.StatusBadRequest, "invalid_request_error", "unreadable body")(nil))
		return
	}
	req := Request{Path: r.URL.Path, Header: r.Header.Clone(), Body: body, Received: time.Now()}

	var problems []string
	var next Behaviour
	switch r.URL.Path {
	case ChatPath:
		req.Chat = new(openai.ChatCompletionRequest)
		if err := json.Unmarshal(body, req.Chat); err != nil {
			problems = append(problems, "body is not a chat completion request: "+err.Error())
		} else {
			problems = checkChat(s.opts, body, req.Chat)
		}
		next = s.pop(&s.chatScript, s.opts.Chat)
	case EmbeddingsPath:
		req.Embedding = new(openai.EmbeddingRequest)
		if err := json.Unmarshal(body, req.Embedding); err != nil {
			problems = append(problems, "body is not an embeddings request: "+err.Error())
		} else {
			problems = checkEmbedding(s.opts, req.Embedding)
		}
		next = s.pop(&s.embedScript, s.opts.Embeddings)
	default:
		problems = append(problems, "unknown path "+r.URL.Path)
	}
	if r.Method != http.MethodPost {
		problems = append(problems, "method "+r.Method+", want POST")
	}
	if s.opts.APIKey != "" && r.Header.Get("Authorization") != "Bearer "+s.opts.APIKey {
		problems = append(problems, "missing or wrong Authorization bearer key")
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()

	if len(problems) > 0 {
		for _, p := range problems {
			s.t.Errorf("openaitest: bad request to %s: %s", r.URL.Path, p)
		}
		writeResponse(w, Error(http.StatusBadRequest, "invalid_request_error", strings.Join(problems, "; "))(nil))
		return
	}

	s.mu.Lock()
	s.inFlight++
	s.maxInFlight = max(s.maxInFlight, s.inFlight)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()

	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()
	writeResponse(w, next(&Call{Request: req, Ctx: ctx, T: s.t, Dimensions: s.opts.Dimensions}))
}

func (s *Server) pop(script *[]Behaviour, fallback Behaviour) Behaviour {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(*script) == 0 {
		return fallback
	}
	b := (*script)[0]
	*script = (*script)[1:]
	return b
}

func writeResponse(w http.ResponseWriter, r Response) {
	for k, vs := range r.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	if r.Status == 0 {
		r.Status = http.StatusOK
	}
	w.WriteHeader(r.Status)
	_, _ = w.Write(r.Body)
}

// checkChat lists what a correct structured-output client would not send.
func checkChat(opts Options, raw []byte, req *openai.ChatCompletionRequest) []string {
	var p []string
	if req.Model == "" {
		p = append(p, "no model")
	} else if opts.Model != "" && req.Model != opts.Model {
		p = append(p, fmt.Sprintf("model %q, want %q", req.Model, opts.Model))
	}
	if len(req.Messages) == 0 {
		p = append(p, "no messages")
	}
	for i, m := range req.Messages {
		if m.Role == "" || m.Content == "" {
			p = append(p, fmt.Sprintf("message %d has no role or content", i))
		}
	}
	if req.Stream {
		p = append(p, "stream requested; answers must be whole")
	}
	var fields struct {
		Temperature *float64 `json:"temperature"`
	}
	_ = json.Unmarshal(raw, &fields)
	if reasoningModel(req.Model) {
		// The API refuses sampling settings and max_tokens for these.
		if fields.Temperature != nil && *fields.Temperature != 1 {
			p = append(p, "temperature sent to a reasoning model")
		}
		if req.MaxTokens > 0 || req.MaxCompletionTokens <= 0 {
			p = append(p, "reasoning models need max_completion_tokens, not max_tokens")
		}
	} else {
		// The temperature must be sent, not left to the server's default of 1.
		if fields.Temperature == nil || *fields.Temperature > 1e-6 {
			p = append(p, "temperature not sent as 0")
		}
		if req.MaxTokens <= 0 && req.MaxCompletionTokens <= 0 {
			p = append(p, "no max_tokens / max_completion_tokens")
		}
	}
	rf := req.ResponseFormat
	switch {
	case rf == nil || rf.Type != openai.ChatCompletionResponseFormatTypeJSONSchema:
		p = append(p, "response_format is not json_schema")
	case rf.JSONSchema == nil || rf.JSONSchema.Name == "" || rf.JSONSchema.Schema == nil:
		p = append(p, "response_format.json_schema has no name or schema")
	case !rf.JSONSchema.Strict:
		p = append(p, "response_format.json_schema is not strict")
	default:
		if _, err := Schema(req); err != nil {
			p = append(p, err.Error())
		}
	}
	return p
}

// reasoningModel reports OpenAI's reasoning model families by name.
func reasoningModel(model string) bool {
	for _, p := range []string{"o1", "o3", "o4", "gpt-5", "gpt-6"} {
		if strings.HasPrefix(model, p) {
			return true
		}
	}
	return false
}

func checkEmbedding(opts Options, req *openai.EmbeddingRequest) []string {
	var p []string
	if req.Model == "" {
		p = append(p, "no model")
	} else if opts.Model != "" && string(req.Model) != opts.Model {
		p = append(p, fmt.Sprintf("model %q, want %q", req.Model, opts.Model))
	}
	if _, err := embeddingInputs(req.Input); err != nil {
		p = append(p, err.Error())
	}
	switch req.EncodingFormat {
	case "", openai.EmbeddingEncodingFormatFloat, openai.EmbeddingEncodingFormatBase64:
	default:
		p = append(p, "unknown encoding_format "+string(req.EncodingFormat))
	}
	return p
}

// Error answers with an OpenAI-style error body (code null).
func Error(status int, typ, message string) Behaviour {
	return ErrorCode(status, typ, nil, message)
}

// ErrorCode is Error with an error code, e.g. "rate_limit_exceeded".
func ErrorCode(status int, typ string, code any, message string) Behaviour {
	return func(*Call) Response {
		body, _ := json.Marshal(map[string]any{"error": map[string]any{
			"message": message, "type": typ, "param": nil, "code": code,
		}})
		return Response{Status: status, Body: body}
	}
}

// ServerError answers 500 like the API does when it fails.
func ServerError() Behaviour {
	return Error(http.StatusInternalServerError, "server_error", "The server had an error while processing your request.")
}

// RateLimited answers 429 with the wait in both headers the API uses:
// retry-after-ms (exact) and Retry-After (whole seconds, rounded up).
func RateLimited(wait time.Duration) Behaviour {
	limited := ErrorCode(http.StatusTooManyRequests, "requests", "rate_limit_exceeded", "Rate limit reached. Please try again later.")
	return func(c *Call) Response {
		r := limited(c)
		r.Header = http.Header{}
		r.Header.Set("retry-after-ms", strconv.FormatInt(wait.Milliseconds(), 10))
		r.Header.Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		return r
	}
}

// Malformed answers 200 with a body that is not JSON.
func Malformed() Behaviour {
	return func(*Call) Response {
		return Response{Status: http.StatusOK, Body: []byte(`{"id":"chatcmpl-broken","choices":[{"mess`)}
	}
}

// Hang never answers: it waits until the client gives up or the test ends.
func Hang() Behaviour {
	return func(c *Call) Response {
		<-c.Ctx.Done()
		return Response{Status: http.StatusGatewayTimeout}
	}
}

// Delay waits d (or until the client gives up), then behaves as b.
func Delay(d time.Duration, b Behaviour) Behaviour {
	return func(c *Call) Response {
		select {
		case <-time.After(d):
		case <-c.Ctx.Done():
			return Response{Status: http.StatusGatewayTimeout}
		}
		return b(c)
	}
}

// Gate holds every request until release is closed (or the client gives
// up), then behaves as b: tests can look at requests while they are in flight.
func Gate(release <-chan struct{}, b Behaviour) Behaviour {
	return func(c *Call) Response {
		select {
		case <-release:
		case <-c.Ctx.Done():
			return Response{Status: http.StatusGatewayTimeout}
		}
		return b(c)
	}
}

// Content answers a chat completion whose message is content, finishing with "stop".
func Content(content string) Behaviour {
	return func(c *Call) Response { return Completion(c, content, openai.FinishReasonStop) }
}

// Truncated answers the first half of the default answer with finish_reason
// "length", as when max_tokens runs out.
func Truncated() Behaviour {
	return func(c *Call) Response {
		full := answerJSON(c)
		return Completion(c, full[:len(full)/2], openai.FinishReasonLength)
	}
}

// ContentFiltered answers with finish_reason "content_filter" and no content.
func ContentFiltered() Behaviour {
	return func(c *Call) Response { return Completion(c, "", openai.FinishReasonContentFilter) }
}

// Refused answers with a structured-output refusal instead of content.
func Refused() Behaviour {
	return func(c *Call) Response {
		r := completion(c, "", openai.FinishReasonStop)
		r.Choices[0].Message.Refusal = "I can't help with that."
		return encode(c, r)
	}
}

// Completion builds a chat completion answer with usage for the call.
func Completion(c *Call, content string, finish openai.FinishReason) Response {
	return encode(c, completion(c, content, finish))
}

func completion(c *Call, content string, finish openai.FinishReason) openai.ChatCompletionResponse {
	model := ""
	if c.Chat != nil {
		model = c.Chat.Model
	}
	prompt, completionTokens := Tokens(string(c.Body)), Tokens(content)
	return openai.ChatCompletionResponse{
		ID:      fmt.Sprintf("chatcmpl-test-%d", c.Received.UnixNano()),
		Object:  "chat.completion",
		Created: c.Received.Unix(),
		Model:   model,
		Choices: []openai.ChatCompletionChoice{{
			Message:      openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: content},
			FinishReason: finish,
		}},
		Usage: openai.Usage{
			PromptTokens: prompt, CompletionTokens: completionTokens, TotalTokens: prompt + completionTokens,
		},
		SystemFingerprint: "fp_openaitest",
	}
}

func encode(c *Call, v any) Response {
	body, err := json.Marshal(v)
	if err != nil {
		c.T.Errorf("openaitest: encoding answer: %v", err)
		return Response{Status: http.StatusInternalServerError}
	}
	return Response{Status: http.StatusOK, Body: body}
}

// Tokens is the server's usage estimate for text: about four bytes a token,
// as for English with OpenAI's tokenizers.
func Tokens(text string) int {
	return (len(text) + 3) / 4
}
