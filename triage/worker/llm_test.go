package worker

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/logtriage/logtriage/internal/openaitest"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/llm"
)

func newLLM(t *testing.T, srv *openaitest.Server) *llm.Classifier {
	t.Helper()
	c, err := llm.New(llm.Options{BaseURL: srv.URL, APIKey: "sk-test", Model: "test-model",
		MaxRetries: 1, BackoffBase: 10 * time.Millisecond, BackoffMax: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLLMSeesNoRawValues(t *testing.T) {
	e := newEnv(t)
	srv := openaitest.New(t, openaitest.Options{APIKey: "sk-test", Model: "test-model"})
	rw := e.startWorker(e.pipeline(newLLM(t, srv)), nil)
	secrets := newPlanted(21)
	r := e.submit("acme", "llm.log", secrets.log())
	out := e.outcome(r.Event.UploadID)
	if out.Case == nil || out.Case.Classifier.Kind != "llm" || out.Case.Classifier.FallbackReason != "" {
		t.Fatalf("case not judged by the LLM: %+v", out.Case.Classifier)
	}
	// The tokens the case reports are the ones the metrics count.
	e.waitDrained()
	m := rw.w.Metrics()
	used := out.Case.Classifier.Tokens
	if used.Prompt == 0 || m.promptTokens.Load() != int64(used.Prompt+out.Case.Classifier.PIITokens.Prompt) ||
		m.completionTokens.Load() != int64(used.Completion+out.Case.Classifier.PIITokens.Completion) || m.classified.get("llm") != 1 {
		t.Errorf("metrics: prompt %d completion %d llm cases %d; case used %+v", m.promptTokens.Load(),
			m.completionTokens.Load(), m.classified.get("llm"), used)
	}
	var text bytes.Buffer
	m.WritePrometheus(&text, nil)
	if want := fmt.Sprintf("logtriage_llm_prompt_tokens_total %d\n", m.promptTokens.Load()); !strings.Contains(text.String(), want) {
		t.Errorf("/metrics lacks %q", want)
	}
	reqs := srv.Requests()
	if len(reqs) == 0 {
		t.Fatal("the LLM got no request")
	}
	for _, req := range reqs {
		for _, v := range secrets.values() {
			if bytes.Contains(req.Body, []byte(v)) {
				t.Errorf("request to %s contains the raw planted value %q", req.Path, v)
			}
		}
	}
}

func TestLLMOutageFallsBackToRules(t *testing.T) {
	e := newEnv(t)
	srv := openaitest.New(t, openaitest.Options{Chat: openaitest.ServerError()})
	e.startWorker(e.pipeline(newLLM(t, srv)), nil)
	r := e.submit("acme", "outage.log", newPlanted(22).log())
	out := e.outcome(r.Event.UploadID)
	if out.Status != triage.StatusTriaged || out.Case.Classifier.FallbackReason == "" || out.Case.Summary == "" {
		t.Fatalf("want a rules case with the fallback reason, got %+v", out.Case.Classifier)
	}
	if len(srv.Requests()) < 2 {
		t.Errorf("%d requests: the 500 was not retried once", len(srv.Requests()))
	}
	e.waitDrained()
}
