package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logtriage/logtriage/eval"
	"github.com/logtriage/logtriage/internal/openaitest"
)

const cmdDataset = `{"id":"c1","text":"2026-01-02T03:04:05Z ERROR db: connection refused to postgres primary\n2026-01-02T03:04:06Z ERROR db: connection refused to postgres primary\n","severity":"high","category":"database","queue":"database","findings":[]}
{"id":"c2","text":"2026-01-02T03:04:05Z INFO web: GET /healthz 200\n","severity":"info","queue":"triage-general","no_problem":true,"findings":[]}
`

func evalCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")
	var out, errOut bytes.Buffer
	code := run(context.Background(), append([]string{"eval"}, args...), strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestEvalCommandGate(t *testing.T) {
	dir := t.TempDir()
	ds := filepath.Join(dir, "d.jsonl")
	if err := os.WriteFile(ds, []byte(cmdDataset), 0o644); err != nil {
		t.Fatal(err)
	}
	saved := filepath.Join(dir, "run.json")
	code, out, stderr := evalCmd(t, "--dataset", ds, "--save", saved)
	if code != 0 || !strings.Contains(out, "severity accuracy") || !strings.Contains(stderr, "rules classifier") {
		t.Fatalf("plain run: exit %d\n%s\n%s", code, out, stderr)
	}
	// The same code and data against its own run: every delta is zero.
	if code, out, stderr := evalCmd(t, "--dataset", ds, "--baseline", saved); code != 0 || !strings.Contains(out, "against baseline") {
		t.Fatalf("equal run: exit %d\n%s\n%s", code, out, stderr)
	}
	// A baseline better than what the code does now: the gate fails with 3.
	var rec map[string]any
	data, _ := os.ReadFile(saved)
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	rec["metrics"].(map[string]any)["severity"].(map[string]any)["accuracy"] = 1.5
	better := filepath.Join(dir, "better.json")
	data, _ = json.Marshal(rec)
	if err := os.WriteFile(better, data, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = evalCmd(t, "--dataset", ds, "--baseline", better, "--format", "json")
	if code != 3 || !strings.Contains(stderr, "REGRESSION") || !json.Valid([]byte(out)) {
		t.Fatalf("degraded run: exit %d\n%s", code, stderr)
	}
	// A loose enough tolerance on that metric lets it pass.
	if code, _, stderr := evalCmd(t, "--dataset", ds, "--baseline", better, "--tolerance", "severity.accuracy=2"); code != 0 {
		t.Fatalf("tolerated run: exit %d\n%s", code, stderr)
	}
	html := filepath.Join(dir, "r.html")
	if code, _, stderr := evalCmd(t, "--dataset", ds, "--format", "html", "--out", html); code != 0 {
		t.Fatalf("html: exit %d\n%s", code, stderr)
	}
	if page, _ := os.ReadFile(html); !bytes.Contains(page, []byte("<svg")) {
		t.Error("html report without charts")
	}
}

func TestEvalCommandErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--dataset", filepath.Join(t.TempDir(), "missing.jsonl")},
		{"--dataset", "x.jsonl", "--format", "xml"},
		{"--dataset", "x.jsonl", "--tolerance", "lots"},
		{"--dataset", "x.jsonl", "--baseline", filepath.Join(t.TempDir(), "none.json")},
	} {
		if code, _, _ := evalCmd(t, args...); code != 2 {
			t.Errorf("eval %q: exit %d, want 2", args, code)
		}
	}
}

// TestEvalDetectionAgreesWithScan scores `scan --format jsonl` over the triage
// set's files with the dataset scorer and checks eval printed the same counts:
// eval measures exactly what scan reports.
func TestEvalDetectionAgreesWithScan(t *testing.T) {
	if testing.Short() {
		t.Skip("whole triage set")
	}
	const dataset = "../../eval/datasets/triage/dataset.jsonl"
	code, out, stderr := evalCmd(t, "--dataset", dataset, "--rules", "--format", "json")
	if code != 0 {
		t.Fatalf("eval: exit %d\n%s", code, stderr)
	}
	var rec eval.Run
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatal(err)
	}
	ds, err := eval.LoadDataset(dataset)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"scan", "--format", "jsonl"}
	byFile := map[string]eval.Case{}
	for _, c := range ds.Cases {
		path := filepath.Join(ds.Dir, c.File)
		args = append(args, path)
		byFile[path] = c
	}
	var scanOut, scanErr bytes.Buffer
	if code := run(context.Background(), args, strings.NewReader(""), &scanOut, &scanErr); code != 1 {
		t.Fatalf("scan: exit %d\n%s", code, scanErr.String())
	}
	pred := map[string][]eval.Span{}
	for _, line := range strings.Split(strings.TrimSpace(scanOut.String()), "\n") {
		var f struct {
			File       string
			Type       string
			Start, End int64
		}
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatalf("scan line %q: %v", line, err)
		}
		pred[f.File] = append(pred[f.File], eval.Span{Type: f.Type, Start: f.Start, End: f.End})
	}
	total := map[string]eval.TypeCounts{}
	for path, c := range byFile {
		eval.AddCounts(total, eval.ScoreSpans(c.Findings, pred[path]))
	}
	want := eval.Summarize(total)
	got := rec.Metrics.Detection
	if got == nil || got.Overall.TypeCounts != want.Micro.TypeCounts || len(got.PerType) != len(want.PerType) {
		t.Fatalf("eval detection %+v, scan scored %+v", got, want.Micro)
	}
	for typ, w := range want.PerType {
		if got.PerType[typ].TypeCounts != w.TypeCounts {
			t.Errorf("%s: eval %+v, scan %+v", typ, got.PerType[typ].TypeCounts, w.TypeCounts)
		}
	}
}

// TestEvalCommandLLMMode drives the CLI with the LLM settings pointing at the
// OpenAI-compatible test server: the run records the model, the prompt
// version, the seed, token usage and the embedder the endpoint serves.
func TestEvalCommandLLMMode(t *testing.T) {
	srv := openaitest.New(t, openaitest.Options{}) // serves chat and embeddings
	dir := t.TempDir()
	ds := filepath.Join(dir, "d.jsonl")
	if err := os.WriteFile(ds, []byte(cmdDataset), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", srv.URL)
	t.Setenv("LOGTRIAGE_LLM_MODEL", "gpt-4o-mini")
	t.Setenv("LOGTRIAGE_EMBEDDER", "")
	t.Setenv("LOGTRIAGE_EMBEDDING_DIMENSIONS", "64") // what the test server serves
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"eval", "--dataset", ds, "--format", "json", "--seed", "11", "--parallel", "2"}, strings.NewReader(""), &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut.String())
	}
	var rec eval.Run
	if err := json.Unmarshal(out.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	m, l := rec.Meta, rec.Metrics.LLM
	if m.Mode != "llm" || m.Model != "gpt-4o-mini" || m.PromptVersion == "" || m.Seed != 11 || !strings.HasPrefix(m.Embedder, "openai:") {
		t.Errorf("meta = %+v", m)
	}
	for _, c := range rec.Cases {
		if c.Error != "" {
			t.Errorf("%s: %s", c.ID, c.Error)
		}
	}
	if rec.Metrics.Errors != 0 || l.LLMCases != 2 || l.PromptTokens == 0 || !l.PricedModel || l.CostUSD <= 0 || l.FallbackRate != 0 {
		t.Errorf("llm = %+v", l)
	}
	// --rules keeps the same environment offline.
	out.Reset()
	if code := run(context.Background(), []string{"eval", "--dataset", ds, "--format", "json", "--rules"}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("--rules: exit %d", code)
	}
	requests := len(srv.Requests())
	if err := json.Unmarshal(out.Bytes(), &rec); err != nil || rec.Meta.Mode != "rules" || rec.Metrics.LLM.LLMCases != 0 {
		t.Errorf("--rules run: %v %+v", err, rec.Meta)
	}
	if len(srv.Requests()) != requests {
		t.Error("--rules still called the endpoint")
	}
}
