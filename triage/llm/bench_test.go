package llm

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/logtriage/logtriage/triage"
)

// benchInput is a full-size excerpt: 200 lines, 20 templates.
func benchInput() triage.ClassifyInput {
	in := testInput()
	in.Excerpt = nil
	for i := range 200 {
		in.Excerpt = append(in.Excerpt, fmt.Sprintf("2026-11-20T10:%02d:%02dZ ERROR worker-%d pq: too many connections for role \"app\" user=[REDACTED:email] attempt=%d", i/60, i%60, i%7, i))
	}
	for i := range 20 {
		in.Templates = append(in.Templates, triage.TemplateStat{Template: fmt.Sprintf("<*> ERROR worker-<*> template %d <*>", i), Level: "error", Count: 100 - i})
	}
	return in
}

func benchAnswer(in triage.ClassifyInput) string {
	b, _ := json.Marshal(answer{
		Severity: "high", Category: "database", Skills: []string{"databases", "made-up"},
		Summary:    "The connection pool is exhausted: Postgres refuses new connections for role app.",
		RootCause:  "max_connections too low for the number of workers",
		KeyLines:   []string{in.Excerpt[3], in.Excerpt[50], "not a line", in.Excerpt[199]},
		ReproSteps: []string{"start 8 workers", "send 200 requests per second"},
		Reasons:    []string{"repeated connection errors", "pq driver messages"},
	})
	return string(b)
}

// BenchmarkRequestEncode is the baseline: encoding a request that is
// already built, which the client library does for every attempt anyway.
func BenchmarkRequestEncode(b *testing.B) {
	c, err := New(Options{BaseURL: "http://localhost"})
	if err != nil {
		b.Fatal(err)
	}
	req, err := c.buildRequest(benchInput())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuildRequest renders the prompt (with a fresh boundary) and
// narrows the schema: the classifier's own work before sending.
func BenchmarkBuildRequest(b *testing.B) {
	c, err := New(Options{BaseURL: "http://localhost"})
	if err != nil {
		b.Fatal(err)
	}
	in := benchInput()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.buildRequest(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAnswerDecode is the baseline for validation: decoding the answer.
func BenchmarkAnswerDecode(b *testing.B) {
	content := benchAnswer(benchInput())
	b.ReportAllocs()
	for b.Loop() {
		var a answer
		if err := json.Unmarshal([]byte(content), &a); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidate decodes and checks an answer against the closed sets
// and the excerpt.
func BenchmarkValidate(b *testing.B) {
	in := benchInput()
	content := benchAnswer(in)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := validate(content, in); err != nil {
			b.Fatal(err)
		}
	}
}
