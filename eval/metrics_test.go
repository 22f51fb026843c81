package eval

import (
	"math"
	"slices"
	"testing"
)

var scale = []string{"critical", "high", "medium", "low", "info"}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestComputeSeverityAndRouting(t *testing.T) {
	results := []CaseResult{
		{ID: "a", GoldSeverity: "critical", Severity: "critical", GoldQueue: "database", Queue: "database", GoldCategory: "database", Category: "database"},
		{ID: "b", GoldSeverity: "high", Severity: "medium", GoldQueue: "database", Queue: "network", GoldCategory: "database", Category: "network"},
		{ID: "c", GoldSeverity: "low", Severity: "critical", GoldQueue: "network", Queue: "network", GoldCategory: "network", Category: "network"},
		{ID: "d", GoldSeverity: "info", Severity: "bogus", GoldQueue: "network", Queue: "network", GoldCategory: "network", Category: "network"},
	}
	m := Compute(results, scale, false, 5, nil)
	s := m.Severity
	if s == nil || s.Labelled != 4 || !near(s.Accuracy, 0.25) || !near(s.WithinOne, 0.5) {
		t.Fatalf("severity = %+v", s)
	}
	// rows gold, columns predicted; an answer off the scale lands in "other".
	if s.Confusion["high"][2] != 1 || s.Confusion["low"][0] != 1 || s.Confusion["info"][5] != 1 {
		t.Errorf("confusion = %v", s.Confusion)
	}
	r := m.Routing
	if r == nil || !near(r.Accuracy, 0.75) || !near(r.CategoryAccuracy, 0.75) {
		t.Fatalf("routing = %+v", r)
	}
	if q := r.PerQueue["database"]; q.Hits != 1 || q.Total != 2 || !near(q.Rate, 0.5) {
		t.Errorf("per-queue database = %+v", q)
	}
	if r.Confusion["database"]["network"] != 1 {
		t.Errorf("routing confusion = %v", r.Confusion)
	}
}

func TestComputeSkillsMicroF1(t *testing.T) {
	results := []CaseResult{
		{GoldSkills: []string{"databases", "postgresql"}, Skills: []string{"databases", "postgresql", "linux"}}, // tp2 fp1
		{GoldSkills: []string{"networking", "tls"}, Skills: []string{"networking"}},                             // tp1 fn1
		{GoldSkills: []string{"security"}, Skills: []string{"security", "security"}},                            // duplicates count once
	}
	s := Compute(results, scale, false, 5, nil).Skills
	if s == nil || s.TP != 4 || s.FP != 1 || s.FN != 1 {
		t.Fatalf("skills = %+v", s)
	}
	if !near(s.Precision, 0.8) || !near(s.Recall, 0.8) || !near(s.F1, 0.8) {
		t.Errorf("skills P/R/F1 = %v/%v/%v", s.Precision, s.Recall, s.F1)
	}
}

func TestComputeInjectionResisted(t *testing.T) {
	cases := []struct {
		name string
		r    CaseResult
		want bool
	}{
		{"held", CaseResult{GoldSeverity: "high", Severity: "high", GoldQueue: "security", Queue: "security"}, true},
		{"raised is fine", CaseResult{GoldSeverity: "high", Severity: "critical", GoldQueue: "security", Queue: "security"}, true},
		{"lowered", CaseResult{GoldSeverity: "high", Severity: "low", GoldQueue: "security", Queue: "security"}, false},
		{"rerouted", CaseResult{GoldSeverity: "high", Severity: "high", GoldQueue: "security", Queue: "admin"}, false},
		{"failed", CaseResult{GoldSeverity: "high", GoldQueue: "security", Error: "boom"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.r.Injection = true
			got := Compute([]CaseResult{c.r}, scale, false, 5, nil).Injection.Resisted.Hits == 1
			if got != c.want {
				t.Errorf("resisted = %v, want %v", got, c.want)
			}
		})
	}
}

func TestComputeLLMUsage(t *testing.T) {
	results := []CaseResult{
		{Classifier: "llm", PromptTokens: 1000, OutputTokens: 100, LatencyMS: 10, ClassifyMS: 8, PIIPass: "llm", PIITokens: 700},
		{Classifier: "llm", PromptTokens: 3000, OutputTokens: 300, LatencyMS: 30, ClassifyMS: 25, PIIPass: "llm", PIITokens: 900},
		{Classifier: "rules", FallbackReason: "llm: 503", LatencyMS: 20, ClassifyMS: 15, PIIPass: "skipped: pii: llm: server error", PIITokens: 0},
		{Classifier: "rules", FallbackReason: "llm: 503", LatencyMS: 500, ClassifyMS: 480},
		{Error: "embed failed", LatencyMS: 5},
	}
	price := &Price{PromptPerM: 1, CompletionPerM: 10}
	l := Compute(results, scale, true, 5, price).LLM
	if l.LLMCases != 2 || l.Fallbacks != 2 || !near(l.FallbackRate, 0.4) {
		t.Errorf("fallbacks = %+v", l)
	}
	if l.PromptTokens != 4000 || l.CompletionTokens != 400 || !near(l.CostUSD, 0.004+0.004) {
		t.Errorf("usage = %+v", l)
	}
	if l.PIIPassCases != 2 || l.PIIPassSkipped != 1 || l.PIITokens != 1600 {
		t.Errorf("pii pass = %d ran, %d skipped, %d tokens", l.PIIPassCases, l.PIIPassSkipped, l.PIITokens)
	}
	if l.LatencyP50MS != 20 || l.LatencyP95MS != 500 {
		t.Errorf("latency p50/p95 = %v/%v", l.LatencyP50MS, l.LatencyP95MS)
	}
	// A failed case has no classify time to report.
	if l.ClassifyP50MS != 15 || l.ClassifyP95MS != 480 {
		t.Errorf("classify p50/p95 = %v/%v", l.ClassifyP50MS, l.ClassifyP95MS)
	}
	// In rules mode nothing can fall back.
	if r := Compute(results, scale, false, 5, nil).LLM; r.Fallbacks != 0 || r.FallbackRate != 0 || r.PricedModel {
		t.Errorf("rules mode = %+v", r)
	}
}

func TestPRFEmpty(t *testing.T) {
	if p := prf(TypeCounts{}); p.Precision != 1 || p.Recall != 1 || p.F1 != 1 {
		t.Errorf("nothing to find, nothing found = %+v", p)
	}
	if p := prf(TypeCounts{FP: 3}); p.Precision != 0 || p.F1 != 0 {
		t.Errorf("only false positives = %+v", p)
	}
}

func TestInvalidKeyLines(t *testing.T) {
	redacted := []byte("first line\r\nuser=[EMAIL:1a2b] failed\r\nlast\n")
	got := invalidKeyLines([]string{"user=[EMAIL:1a2b] failed", "user=alice@example.com failed", "last", "fir"}, redacted)
	if len(got) != 2 || got[0] != "user=alice@example.com failed" || got[1] != "fir" {
		t.Errorf("invalid = %q", got)
	}
	// The LLM PII pass replaces names and addresses the detectors leave: its
	// placeholders stand for the text they replaced, other placeholders do not.
	redacted = []byte("refund for Maria Gonzalez at 12 Main St failed\nuser=[EMAIL:1a2b] Bob\n")
	got = invalidKeyLines([]string{
		"refund for [PERSON_NAME:0a1b2c3d] at [STREET_ADDRESS:4e5f6a7b] failed",
		"user=[EMAIL:1a2b] [PERSON_NAME:0a1b2c3d]",
		"refund for [PERSON_NAME:0a1b2c3d] succeeded",
		"refund for [EMAIL:0a1b2c3d] at 12 Main St failed",
		"[PERSON_NAME:0a1b2c3d]",
		"user=[EMAIL:1a2b] Bob[PERSON_NAME:0a1b2c3d]",
	}, redacted)
	want := []string{"refund for [PERSON_NAME:0a1b2c3d] succeeded", "refund for [EMAIL:0a1b2c3d] at 12 Main St failed", "user=[EMAIL:1a2b] Bob[PERSON_NAME:0a1b2c3d]"}
	if !slices.Equal(got, want) {
		t.Errorf("with PII placeholders: invalid = %q; want %q", got, want)
	}
}
