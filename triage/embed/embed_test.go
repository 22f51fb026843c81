package embed

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/logtriage/logtriage/internal/openaitest"
	"github.com/logtriage/logtriage/triage"
)

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return dot / math.Sqrt(na*nb)
}

func norm(v []float32) float64 { return math.Sqrt(cosineDot(v, v)) }

func cosineDot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func TestTokens(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2026-03-01T12:00:01Z ERROR pool exhausted after 30000 ms", "pool exhausted after ms"},
		{"user=[EMAIL:3f2a9c1e] login failed from [IP_ADDRESS]", "user <email> login failed <ip_address>"},
		{"connect to 10.2.3.4:5432 refused", "connect <ip> refused"},
		{"request 7d9f3c2a-1b2c-4d5e-8f90-a1b2c3d4e5f6 took 5s", "request <id> took"},
		{"commit 3fa9c0de11b2 on web-03.prod", "commit <hex> web prod"},
		{"<*> <*> ERROR <EMAIL> not found", "<email> not found"},
		{"java.lang.NullPointerException at com.acme.Billing.charge(Billing.java:88)",
			"java lang nullpointerexception com acme billing charge billing java"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := strings.Join(Tokens(tc.in), " "); got != tc.want {
			t.Errorf("Tokens(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLocalVectors(t *testing.T) {
	l, err := NewLocal(LocalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if l.ID() != "local-ngram-v2-256" || l.Dimensions() != 256 {
		t.Errorf("ID %q dims %d, want local-ngram-v2-256 and 256", l.ID(), l.Dimensions())
	}
	texts := []string{
		"ERROR db pool exhausted: timeout acquiring connection after 30000ms (pool size 10) host=db-01",
		"ERROR db pool exhausted: timeout acquiring connection after 5000ms (pool size 50) host=db-07",
		"FATAL x509: certificate has expired or is not yet valid: current time 2026-03-01 is after 2026-02-28",
		"",
		"   ",
	}
	vecs, err := l.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vecs {
		if len(v) != 256 || math.Abs(norm(v)-1) > 1e-5 {
			t.Errorf("vector %d: len %d norm %.6f, want 256 and unit length", i, len(v), norm(v))
		}
	}
	again, _ := l.Embed(context.Background(), texts[:1])
	if cosine(again[0], vecs[0]) < 1-1e-9 {
		t.Error("the same text embeds differently")
	}
	same, other := cosine(vecs[0], vecs[1]), cosine(vecs[0], vecs[2])
	if same < 0.9 || other > 0.3 {
		t.Errorf("same failure, other ids: %.3f (want >= 0.9); another failure: %.3f (want <= 0.3)", same, other)
	}
	if cosine(vecs[3], vecs[4]) < 1-1e-9 {
		t.Error("empty and blank texts should share the fixed empty vector")
	}
}

func TestLocalOptionsAndContext(t *testing.T) {
	for _, d := range []int{-1, 8, 5000} {
		if _, err := NewLocal(LocalOptions{Dimensions: d}); err == nil {
			t.Errorf("NewLocal(%d): no error", d)
		}
	}
	l, _ := NewLocal(LocalOptions{Dimensions: 64})
	if l.ID() != "local-ngram-v2-64" {
		t.Errorf("ID = %q", l.ID())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Embed(ctx, []string{"x"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Embed with a canceled context: %v", err)
	}
}

func newOpenAI(t *testing.T, srv *openaitest.Server, opts OpenAIOptions) *OpenAI {
	t.Helper()
	opts.BaseURL = srv.URL
	if opts.APIKey == "" {
		opts.APIKey = "sk-test-" + strings.Repeat("x", 20)
	}
	opts.BackoffBase, opts.BackoffMax = time.Millisecond, 5*time.Millisecond
	o, err := NewOpenAI(opts)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestOpenAIEmbedsInBatches(t *testing.T) {
	key := "sk-test-" + strings.Repeat("k", 24)
	srv := openaitest.New(t, openaitest.Options{Model: "text-embedding-3-small", APIKey: key})
	o := newOpenAI(t, srv, OpenAIOptions{APIKey: key, Dimensions: 32, BatchSize: 2})
	if o.ID() != "openai:text-embedding-3-small:32" || o.Dimensions() != 32 {
		t.Errorf("ID %q dims %d", o.ID(), o.Dimensions())
	}
	texts := []string{"pool exhausted", "certificate expired", "", "disk full on /var", "dns lookup failed"}
	vecs, err := o.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if len(vecs) != len(texts) {
		t.Fatalf("%d vectors for %d texts", len(vecs), len(texts))
	}
	for i, text := range texts {
		if text == "" {
			text = "(empty)"
		}
		if c := cosine(vecs[i], openaitest.Embed(text, 32)); c < 1-1e-6 {
			t.Errorf("vector %d is not the server's vector for its text (cosine %.4f): order lost?", i, c)
		}
	}
	reqs := srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests for 5 texts in batches of 2, want 3", len(reqs))
	}
	if reqs[0].Embedding.Dimensions != 32 {
		t.Errorf("request asked for %d dimensions, want 32", reqs[0].Embedding.Dimensions)
	}
}

func TestOpenAIDimensionsOnlyWhenAsked(t *testing.T) {
	srv := openaitest.New(t, openaitest.Options{Dimensions: 1536})
	o := newOpenAI(t, srv, OpenAIOptions{Model: "text-embedding-ada-002"})
	if o.Dimensions() != 1536 {
		t.Fatalf("dims = %d, want the model's 1536", o.Dimensions())
	}
	if _, err := o.Embed(context.Background(), []string{"x"}); err != nil {
		t.Fatal(err)
	}
	if d := srv.Requests()[0].Embedding.Dimensions; d != 0 {
		t.Errorf("sent dimensions=%d for a model that does not take it", d)
	}
	if _, err := NewOpenAI(OpenAIOptions{Model: "nomic-embed-text"}); err == nil {
		t.Error("a model of unknown size without Dimensions: no error")
	}
	if _, err := NewOpenAI(OpenAIOptions{BaseURL: "localhost:11434"}); err == nil {
		t.Error("a base URL without scheme: no error")
	}
}

func TestOpenAIErrors(t *testing.T) {
	tests := []struct {
		name     string
		script   []openaitest.Behaviour
		wantErr  error
		kind     triage.ErrorKind
		requests int
	}{
		{"429 then success", []openaitest.Behaviour{openaitest.RateLimited(time.Millisecond)}, nil, 0, 2},
		{"5xx until retries run out", []openaitest.Behaviour{openaitest.ServerError(), openaitest.ServerError(), openaitest.ServerError()},
			ErrServer, triage.KindTransient, 3},
		{"bad key is not retried", []openaitest.Behaviour{openaitest.Error(http.StatusUnauthorized, "invalid_request_error", "Incorrect API key provided")},
			ErrRejected, triage.KindInternal, 1},
		{"out of quota is not retried", []openaitest.Behaviour{openaitest.ErrorCode(http.StatusTooManyRequests, "insufficient_quota", "insufficient_quota", "You exceeded your current quota")},
			ErrRejected, triage.KindInternal, 1},
		{"malformed body", []openaitest.Behaviour{openaitest.Malformed()}, ErrBadResponse, triage.KindInternal, 1},
		{"wrong dimension", []openaitest.Behaviour{func(c *openaitest.Call) openaitest.Response {
			c.Embedding.Dimensions = 8
			return openaitest.Embeddings()(c)
		}}, ErrBadResponse, triage.KindInternal, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := openaitest.New(t, openaitest.Options{EmbeddingScript: tc.script})
			o := newOpenAI(t, srv, OpenAIOptions{Dimensions: 16, MaxRetries: 2})
			vecs, err := o.Embed(context.Background(), []string{"pool exhausted"})
			if tc.wantErr == nil {
				if err != nil || len(vecs) != 1 {
					t.Fatalf("Embed = %d vectors, %v; want one", len(vecs), err)
				}
			} else if !errors.Is(err, tc.wantErr) || triage.KindOf(err) != tc.kind {
				t.Errorf("err = %v (kind %v), want %v of kind %v", err, triage.KindOf(err), tc.wantErr, tc.kind)
			}
			if got := len(srv.Requests()); got != tc.requests {
				t.Errorf("%d requests, want %d", got, tc.requests)
			}
		})
	}
}

func TestOpenAINetworkErrorIsTransient(t *testing.T) {
	o, err := NewOpenAI(OpenAIOptions{BaseURL: "http://127.0.0.1:1/v1", Dimensions: 8, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = o.Embed(context.Background(), []string{"x"})
	if !errors.Is(err, ErrNetwork) || triage.KindOf(err) != triage.KindTransient {
		t.Errorf("err = %v (kind %v), want a transient network error", err, triage.KindOf(err))
	}
}

func TestFromEnv(t *testing.T) {
	tests := []struct {
		env    map[string]string
		wantID string
		err    bool
	}{
		{map[string]string{}, "local-ngram-v2-256", false},
		{map[string]string{"LOGTRIAGE_EMBEDDING_DIMENSIONS": "128"}, "local-ngram-v2-128", false},
		{map[string]string{"OPENAI_API_KEY": "sk-x"}, "openai:text-embedding-3-small:1536", false},
		{map[string]string{"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "LOGTRIAGE_EMBEDDING_MODEL": "text-embedding-3-large", "LOGTRIAGE_EMBEDDING_DIMENSIONS": "256"},
			"openai:text-embedding-3-large:256", false},
		{map[string]string{"OPENAI_API_KEY": "sk-x", "LOGTRIAGE_EMBEDDER": "local"}, "local-ngram-v2-256", false},
		{map[string]string{"LOGTRIAGE_EMBEDDER": "openai"}, "", true},
		{map[string]string{"LOGTRIAGE_EMBEDDER": "bert"}, "", true},
		{map[string]string{"LOGTRIAGE_EMBEDDING_DIMENSIONS": "many"}, "", true},
		{map[string]string{"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "LOGTRIAGE_EMBEDDING_MODEL": "nomic-embed-text"}, "", true},
	}
	for _, tc := range tests {
		e, err := FromEnv(func(k string) string { return tc.env[k] })
		if tc.err {
			if err == nil {
				t.Errorf("FromEnv(%v): no error", tc.env)
			}
			continue
		}
		if err != nil || e.ID() != tc.wantID {
			t.Errorf("FromEnv(%v) = %v, %v; want %s", tc.env, e, err, tc.wantID)
		}
	}
}

func FuzzLocalEmbed(f *testing.F) {
	for _, s := range []string{"", "ERROR pool exhausted 10.0.0.1:5432", "[EMAIL:3f2a] <*> \x00\xff", strings.Repeat("a", 300)} {
		f.Add(s)
	}
	l, _ := NewLocal(LocalOptions{Dimensions: 64})
	f.Fuzz(func(t *testing.T, s string) {
		v, err := l.Embed(context.Background(), []string{s})
		if err != nil {
			t.Fatal(err)
		}
		if n := norm(v[0]); math.Abs(n-1) > 1e-4 || math.IsNaN(n) {
			t.Fatalf("norm %.6f for %q", n, s)
		}
	})
}

// BenchmarkLocalEmbed reports the cost of embedding a typical five-line
// signature, against Tokens alone as the baseline.
func BenchmarkLocalEmbed(b *testing.B) {
	sig := strings.Join([]string{
		"ERROR pool exhausted: timeout acquiring connection after <*>ms (pool size <*>)",
		"ERROR org.postgresql.util.PSQLException: FATAL: sorry, too many clients already",
		"ERROR request failed status=503 path=/api/v1/orders user=[EMAIL:3f2a9c1e]",
		"WARN retrying in <*> ms attempt <*>/5",
		"ERROR at com.acme.db.Pool.acquire(Pool.java:88)",
	}, "\n")
	l, _ := NewLocal(LocalOptions{})
	b.Run("tokens", func(b *testing.B) {
		for b.Loop() {
			Tokens(sig)
		}
	})
	b.Run("embed", func(b *testing.B) {
		for b.Loop() {
			if _, err := l.Embed(context.Background(), []string{sig}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
