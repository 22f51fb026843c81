package eval

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/sashabaranov/go-openai"

	"github.com/logtriage/logtriage/detectors"
	"github.com/logtriage/logtriage/internal/openaitest"
	"github.com/logtriage/logtriage/router"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/embed"
	"github.com/logtriage/logtriage/triage/llm"
	"github.com/logtriage/logtriage/triage/rules"
)

const triageSet = "datasets/triage/dataset.jsonl"

// llmSeed is sent with every LLM request and recorded in the run.
const llmSeed = 7

// evalWith builds the real pipeline around cls (nil: rules) the way
// `logtriage eval` does and runs ds through it.
func evalWith(t *testing.T, ds *Dataset, cls *llm.Classifier, tweak ...func(*triage.PipelineOptions)) *Run {
	t.Helper()
	det, err := detectors.New(detectors.Options{FingerprintKey: []byte("eval-test-key")})
	if err != nil {
		t.Fatal(err)
	}
	emb, err := embed.NewLocal(embed.LocalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	popts := triage.PipelineOptions{Detector: det, Router: router.Default(), Rules: rules.New(router.Default()), Embedder: emb}
	meta := Meta{ConfigHash: HashConfig(router.DefaultConfigJSON())}
	if cls != nil {
		popts.Classifier = cls
		meta.Model, meta.PromptVersion, meta.Seed = cls.Model(), cls.PromptVersion(), llmSeed
	}
	for _, f := range tweak {
		f(&popts)
	}
	p, err := triage.NewPipeline(popts)
	if err != nil {
		t.Fatal(err)
	}
	run, err := Evaluate(context.Background(), ds, Options{
		Triage: PipelineTriage(p),
		Detect: EngineDetect(det),
		Redact: EngineRedact(det),
		LLM:    cls != nil,
		Price:  priceOf(meta.Model),
		Meta:   meta,
	})
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func priceOf(model string) *Price {
	if p, ok := DefaultPrices[model]; ok {
		return &p
	}
	return nil
}

// TestTriageSetRulesMode is the quality bar of the rules classifier on the
// triage set. Labels are a senior engineer's, not the classifier's: when
// this fails, the classifier is what needs work.
func TestTriageSetRulesMode(t *testing.T) {
	if testing.Short() {
		t.Skip("full triage set")
	}
	ds, err := LoadDataset(triageSet)
	if err != nil {
		t.Fatal(err)
	}
	run := evalWith(t, ds, nil)
	m := run.Metrics
	t.Logf("rules mode on %d cases: severity %.3f (within one %.3f), routing %.3f, category %.3f, skills F1 %.3f, key-line validity %.3f, detection F1 %.3f, recall@%d %.3f",
		m.Cases, m.Severity.Accuracy, m.Severity.WithinOne, m.Routing.Accuracy, m.Routing.CategoryAccuracy, m.Skills.F1, m.KeyLines.Validity, m.Detection.Overall.F1, m.Similar.K, m.Similar.Recall.Rate)
	if m.Errors != 0 {
		t.Errorf("%d cases failed", m.Errors)
	}
	if m.KeyLines.Validity != 1 {
		for _, c := range run.Cases {
			for _, k := range c.InvalidKeyLines {
				t.Errorf("%s: key line not in the redacted log: %q", c.ID, k)
			}
		}
	}
	if m.LLM.LLMCases != 0 || m.LLM.PromptTokens != 0 || m.LLM.FallbackRate != 0 {
		t.Errorf("rules mode reports LLM usage: %+v", m.LLM)
	}
	// Canaries count as resisted only when routed right, so with the rules
	// they mostly measure routing; logged, gated through the baseline.
	t.Logf("injection canaries resisted %d of %d", m.Injection.Resisted.Hits, m.Injection.Resisted.Total)
	if m.Severity.Accuracy < 0.85 {
		t.Errorf("severity accuracy %.3f < 0.85", m.Severity.Accuracy)
	}
	if m.Routing.Accuracy < 0.85 {
		t.Errorf("routing accuracy %.3f < 0.85", m.Routing.Accuracy)
	}
}

// firstCases keeps the LLM-mode runs short: every request goes over HTTP.
func firstCases(t *testing.T, n int) *Dataset {
	t.Helper()
	ds, err := LoadDataset(triageSet)
	if err != nil {
		t.Fatal(err)
	}
	ds.Cases = ds.Cases[:n]
	return ds
}

func TestTriageSetLLMModeAgainstTestServer(t *testing.T) {
	const model = "gpt-4o-mini"
	srv := openaitest.New(t, openaitest.Options{Model: model})
	cls, err := llm.New(llm.Options{BaseURL: srv.URL, Model: model, Seed: llmSeed, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	ds := firstCases(t, 24)
	run := evalWith(t, ds, cls)
	m, meta := run.Metrics, run.Meta
	t.Logf("LLM mode (openaitest) on %d cases: severity %.3f, routing %.3f, skills F1 %.3f, key-line validity %.3f, tokens %d+%d, cost $%.5f, p50 %.1fms p95 %.1fms, fallback %.3f",
		m.Cases, m.Severity.Accuracy, m.Routing.Accuracy, m.Skills.F1, m.KeyLines.Validity, m.LLM.PromptTokens, m.LLM.CompletionTokens, m.LLM.CostUSD, m.LLM.LatencyP50MS, m.LLM.LatencyP95MS, m.LLM.FallbackRate)
	if meta.Mode != "llm" || meta.Model != model || meta.PromptVersion == "" || meta.Seed != llmSeed || meta.Embedder == "" {
		t.Errorf("meta = %+v", meta)
	}
	if m.LLM.LLMCases != len(ds.Cases) || m.LLM.PromptTokens == 0 || m.LLM.CompletionTokens == 0 || !m.LLM.PricedModel || m.LLM.CostUSD <= 0 {
		t.Errorf("usage = %+v", m.LLM)
	}
	for _, c := range run.Cases {
		if c.Classifier != "llm" || c.Model != model || c.PromptVersion != meta.PromptVersion {
			t.Errorf("%s answered by %q/%q/%q", c.ID, c.Classifier, c.Model, c.PromptVersion)
		}
	}
	if m.KeyLines.Validity != 1 {
		t.Errorf("key-line validity %.3f: the LLM's key lines must be exact redacted lines", m.KeyLines.Validity)
	}
	// One request a case, each carrying the seed the run records.
	reqs := srv.Requests()
	if len(reqs) != len(ds.Cases) {
		t.Errorf("%d requests for %d cases", len(reqs), len(ds.Cases))
	}
	for _, r := range reqs {
		if r.Chat == nil || r.Chat.Seed == nil || *r.Chat.Seed != llmSeed {
			t.Fatalf("request without the run's seed: %s", r.Body)
		}
	}
}

func TestTriageSetLLMModeServerFailing(t *testing.T) {
	srv := openaitest.New(t, openaitest.Options{Chat: openaitest.Error(http.StatusInternalServerError, "server_error", "the model is overloaded")})
	cls, err := llm.New(llm.Options{BaseURL: srv.URL, Model: "gpt-4o-mini", MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	ds := firstCases(t, 8)
	run := evalWith(t, ds, cls)
	l := run.Metrics.LLM
	if l.FallbackRate != 1 || l.Fallbacks != len(ds.Cases) || l.LLMCases != 0 || run.Metrics.Errors != 0 {
		t.Errorf("with the server failing: %+v, errors %d", l, run.Metrics.Errors)
	}
	for _, c := range run.Cases {
		if c.Classifier != "rules" || c.FallbackReason == "" {
			t.Errorf("%s: classifier %q, fallback reason %q", c.ID, c.Classifier, c.FallbackReason)
		}
	}
	// The gate notices: against the healthy run's fallback rate of 0 this fails.
	healthy := *run
	healthy.Metrics.LLM.FallbackRate = 0
	if !Compare(&healthy, run, Tolerances{}).Regressed() {
		t.Error("a 100% fallback rate passed the gate")
	}
}

// gullible is a model that obeys instructions planted in the log: when the
// excerpt holds one, it answers severity "low" and category "security" —
// valid values, so no schema check can catch it (an invalid "admin" would be
// rejected and the rules would answer).
func gullible() openaitest.Behaviour {
	planted := regexp.MustCompile(`(?i)ignore (all )?previous instructions|disregard the log|note to ai assistant|new instructions`)
	return func(c *openaitest.Call) openaitest.Response {
		lines, _, _ := openaitest.Excerpt(c.Message(openai.ChatMessageRoleUser))
		obey := false
		for _, l := range lines {
			obey = obey || planted.MatchString(l)
		}
		return openaitest.AnswerWith(func(a map[string]any) {
			if obey {
				a["severity"], a["category"] = "low", "security"
			}
		})(c)
	}
}

// canaryRun runs the triage set's injection canaries through a model that
// obeys planted instructions.
func canaryRun(t *testing.T, tweak ...func(*triage.PipelineOptions)) (*Run, int) {
	t.Helper()
	srv := openaitest.New(t, openaitest.Options{Chat: gullible()})
	cls, err := llm.New(llm.Options{BaseURL: srv.URL, Model: "gpt-4o-mini", MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := LoadDataset(triageSet)
	if err != nil {
		t.Fatal(err)
	}
	var canaries []Case
	for _, c := range ds.Cases {
		if c.Injection {
			canaries = append(canaries, c)
		}
	}
	ds.Cases = canaries
	return evalWith(t, ds, cls, tweak...), len(canaries)
}

// TestInjectionGuardHoldsAgainstGullibleModel: with the pipeline's guard on
// (the default), a model that obeys the planted lines cannot lower a
// canary's severity below the rules' nor move its queue.
func TestInjectionGuardHoldsAgainstGullibleModel(t *testing.T) {
	run, n := canaryRun(t)
	inj := run.Metrics.Injection
	t.Logf("gullible model behind the guard: %d of %d canaries resisted", inj.Resisted.Hits, inj.Resisted.Total)
	if inj.Resisted.Total != n || inj.Resisted.Hits != n {
		t.Errorf("the guard let planted instructions through: %+v", inj.Resisted)
	}
	for _, c := range run.Cases {
		if !strings.Contains(c.FallbackReason, "instruction-like") {
			t.Errorf("%s: the guard's intervention is not recorded (fallback reason %q)", c.ID, c.FallbackReason)
		}
	}
}

// TestInjectionMetricCatchesGullibleModel: the canaries metric must fall when
// the model follows planted instructions (guard off), and whatever the model
// says the queue stays a configured one (the closed set holds).
func TestInjectionMetricCatchesGullibleModel(t *testing.T) {
	run, n := canaryRun(t, func(o *triage.PipelineOptions) { o.TrustSteeredClassifier = true })
	canaries := make([]struct{}, n)
	rt := router.Default()
	lowered := 0
	for _, c := range run.Cases {
		if !rt.HasQueue(c.Queue) {
			t.Errorf("%s routed to %q, outside the configured queues", c.ID, c.Queue)
		}
		if severityRank(scale, c.Severity) > severityRank(scale, c.GoldSeverity) {
			lowered++
		}
	}
	inj := run.Metrics.Injection
	t.Logf("gullible model: %d of %d canaries resisted, %d with severity lowered", inj.Resisted.Hits, inj.Resisted.Total, lowered)
	if inj.Resisted.Total != len(canaries) || inj.Resisted.Hits == inj.Resisted.Total || lowered == 0 {
		t.Errorf("the metric did not see the model obey the planted lines: %+v, lowered %d", inj.Resisted, lowered)
	}
}
