package eval

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logtriage/logtriage/triage"
)

// Resolved cases exported as a dataset load and run through eval: the
// labels are the agents', the text the cases' redacted key lines.
func TestExportExamplesRoundTrip(t *testing.T) {
	src, err := LoadDataset("datasets/triage/dataset.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	o := replayOptions(t)
	store, err := o.Store()
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	p, err := o.Pipeline(store, triage.FeedbackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	resolved := map[string]Case{}
	sensitive := 0
	for i, gold := range src.Cases[:12] {
		content, err := src.Content(gold)
		if err != nil {
			t.Fatal(err)
		}
		c, emb, err := PipelineTriage(p)(ctx, "acme", triage.Upload{ID: gold.ID, Name: "upload.log"}, content)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.PutCase(ctx, c, emb); err != nil {
			t.Fatal(err)
		}
		if i%3 == 2 {
			continue // left open: never exported
		}
		r := triage.Resolution{Tenant: "acme", CaseID: c.ID, Agent: "ana", Severity: gold.Severity, Category: gold.Category, Queue: gold.Queue,
			ResolvedAt: time.Date(2026, 1, 1, 0, i, 0, 0, time.UTC)}
		if err := store.(triage.Resolver).Resolve(ctx, r); err != nil {
			t.Fatal(err)
		}
		resolved[c.ID] = gold
		sensitive += len(gold.Findings)
	}
	if sensitive == 0 {
		t.Fatal("no resolved case holds a sensitive value: the redaction check below would check nothing")
	}
	xs, err := store.(triage.ExampleStore).Examples(ctx, triage.ExampleFilter{Tenant: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	written, skipped, err := ExportExamples(&buf, xs)
	if err != nil {
		t.Fatal(err)
	}
	if written+skipped != len(resolved) || written == 0 {
		t.Fatalf("exported %d, skipped %d of %d resolved cases", written, skipped, len(resolved))
	}
	path := filepath.Join(t.TempDir(), "exported.jsonl")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	ds, err := LoadDataset(path)
	if err != nil {
		t.Fatalf("eval cannot load what export wrote: %v\n%s", err, buf.String())
	}
	for _, c := range ds.Cases {
		gold, ok := resolved[c.ID]
		if !ok {
			t.Errorf("exported %s, which was never resolved", c.ID)
			continue
		}
		if c.Severity != gold.Severity || c.Category != gold.Category || c.Queue != gold.Queue || c.Tenant != "acme" {
			t.Errorf("%s exported as %s/%s/%s, resolved as %s/%s/%s", c.ID, c.Severity, c.Category, c.Queue, gold.Severity, gold.Category, gold.Queue)
		}
		if c.DetectionLabelled() {
			t.Errorf("%s: redacted text must not be scored for detection", c.ID)
		}
		content, err := src.Content(gold)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range gold.Findings {
			if v := string(content[f.Start:f.End]); strings.Contains(c.Text, v) {
				t.Errorf("%s: exported text carries a raw %s value", c.ID, f.Type)
			}
		}
	}
	run, err := Evaluate(ctx, ds, Options{Triage: PipelineTriage(p)})
	if err != nil {
		t.Fatal(err)
	}
	if run.Metrics.Severity == nil || run.Meta.Cases != written {
		t.Fatalf("eval over the export: %d cases, severity metrics %v", run.Meta.Cases, run.Metrics.Severity)
	}
	for _, r := range run.Cases {
		if r.Error != "" {
			t.Errorf("eval failed on exported case %s: %s", r.ID, r.Error)
		}
	}
}
