package llm

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/logtriage/logtriage/internal/breaker"
	"github.com/logtriage/logtriage/internal/openaitest"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/embed"
)

// One breaker per endpoint: the classifier's failures open it, and the
// embeddings client of the same endpoint then fails at once without a
// request; after OpenFor one probe goes out and, answered, closes it.
func TestBreakerSharedWithTheEmbedder(t *testing.T) {
	srv := openaitest.New(t, openaitest.Options{Chat: openaitest.ServerError()})
	br := breaker.New(breaker.Options{Name: "test endpoint", Threshold: 3, OpenFor: 200 * time.Millisecond})
	c := newClassifier(t, srv, func(o *Options) { o.Breaker, o.MaxRetries = br, 2 })
	e, err := embed.NewOpenAI(embed.OpenAIOptions{BaseURL: srv.URL, APIKey: "sk-test", Dimensions: 16, Breaker: br})
	if err != nil {
		t.Fatal(err)
	}

	_, err = c.Classify(context.Background(), testInput())
	if !errors.Is(err, ErrServer) || triage.KindOf(err) != triage.KindTransient {
		t.Fatalf("first call: %v, want a transient server error", err)
	}
	if st := br.Stats(); st.State != breaker.Open || st.Opened != 1 {
		t.Fatalf("after 3 failed attempts: %+v, want open", st)
	}
	sent := len(srv.Requests())
	_, err = c.Classify(context.Background(), testInput())
	if !errors.Is(err, ErrCircuitOpen) || triage.KindOf(err) != triage.KindTransient {
		t.Errorf("classify while open: %v, want a transient ErrCircuitOpen", err)
	}
	if _, err := e.Embed(context.Background(), []string{"pool exhausted"}); !errors.Is(err, embed.ErrCircuitOpen) {
		t.Errorf("embed while open: %v, want ErrCircuitOpen", err)
	}
	if got := len(srv.Requests()); got != sent {
		t.Errorf("%d requests sent while the circuit was open", got-sent)
	}

	time.Sleep(200 * time.Millisecond) // OpenFor: the next call is the probe
	if _, err := e.Embed(context.Background(), []string{"pool exhausted"}); err != nil {
		t.Fatalf("probe: %v", err)
	}
	if st := br.Stats(); st.State != breaker.Closed || st.Probes != 1 {
		t.Errorf("after an answered probe: %+v, want closed", st)
	}
}

// A hanging endpoint cut by the caller's deadline counts against it; a
// caller that cancels says nothing about the endpoint.
func TestBreakerCountsHangsNotCancellations(t *testing.T) {
	srv := openaitest.New(t, openaitest.Options{Chat: openaitest.Hang()})
	br := breaker.New(breaker.Options{Threshold: 1, OpenFor: time.Minute})
	c := newClassifier(t, srv, func(o *Options) { o.Breaker = br })

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := c.Classify(ctx, testInput()); err == nil {
		t.Fatal("no error from a cancelled call")
	}
	if st := br.Stats(); st.State != breaker.Closed {
		t.Fatalf("a cancelled call opened the circuit: %+v", st)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Classify(ctx, testInput()); !errors.Is(err, ErrTimeout) {
		t.Fatalf("hang past the deadline: %v, want ErrTimeout", err)
	}
	if st := br.Stats(); st.State != breaker.Open {
		t.Errorf("a hang cut by the deadline left the circuit %s", st.State)
	}
}
