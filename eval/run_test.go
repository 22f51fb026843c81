package eval

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/logtriage/logtriage/triage"
)

// A small dataset whose texts say what a scripted pipeline answers, so the
// harness's bookkeeping (errors, key lines, recall@k, detection, meta) is
// checked against hand-computed figures. The real pipeline is exercised by
// the triage-set tests in triageset_test.go.
const harnessDataset = `{"id":"a1","text":"sev=high queue=database fam=alpha\nuser bob@example.com failed\n","severity":"high","queue":"database","family":"alpha","key_lines":["sev=high queue=database fam=alpha"],"findings":[{"type":"email","start":39,"end":54}]}
{"id":"a2","text":"sev=medium queue=database fam=alpha\n","severity":"high","queue":"database","family":"alpha","findings":[]}
{"id":"b1","text":"sev=low queue=network fam=beta\n","severity":"low","queue":"network","family":"beta"}
{"id":"b2","text":"boom\n","severity":"low","queue":"network","family":"beta"}
{"id":"c1","text":"sev=info queue=network fam=gamma\n","severity":"info","queue":"network","family":"gamma","no_problem":true}
`

var field = regexp.MustCompile(`(sev|queue|fam)=(\w+)`)

func scripted(_ context.Context, tenant string, up triage.Upload, content []byte) (*triage.Case, *triage.Embedding, error) {
	if strings.Contains(string(content), "boom") {
		return nil, nil, errors.New("pipeline exploded")
	}
	c := &triage.Case{ID: tenant + "/" + up.ID}
	vec := make([]float32, 3)
	for _, m := range field.FindAllStringSubmatch(string(content), -1) {
		switch m[1] {
		case "sev":
			c.Severity.Label = m[2]
		case "queue":
			c.Queue = m[2]
		case "fam":
			vec[map[string]int{"alpha": 0, "beta": 1, "gamma": 2}[m[2]]] = 1
		}
	}
	first, _, _ := strings.Cut(string(content), "\n")
	c.KeyLines = []string{first, "a line that is not in the log"}
	c.Classifier.Kind = "rules"
	return c, &triage.Embedding{EmbedderID: "test", Vector: vec}, nil
}

func loadHarness(t *testing.T) *Dataset {
	t.Helper()
	path := filepath.Join(t.TempDir(), "d.jsonl")
	if err := os.WriteFile(path, []byte(harnessDataset), 0o644); err != nil {
		t.Fatal(err)
	}
	ds, err := LoadDataset(path)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestEvaluateHarness(t *testing.T) {
	ds := loadHarness(t)
	emails := regexp.MustCompile(`\S+@\S+`)
	run, err := Evaluate(context.Background(), ds, Options{
		Triage: scripted,
		Detect: func(_ context.Context, content []byte) ([]Span, error) {
			var out []Span
			for _, loc := range emails.FindAllIndex(content, -1) {
				out = append(out, Span{Type: "email", Start: int64(loc[0]), End: int64(loc[1])})
			}
			return out, nil
		},
		Redact: func(_ context.Context, content []byte) ([]byte, error) {
			return emails.ReplaceAll(content, []byte("[EMAIL]")), nil
		},
		K:    1,
		Meta: Meta{ConfigHash: "cfg", Seed: 7},
	})
	if err != nil {
		t.Fatal(err)
	}
	m := run.Metrics
	if m.Cases != 5 || m.Errors != 1 || run.Cases[3].Error == "" {
		t.Fatalf("cases/errors = %d/%d", m.Cases, m.Errors)
	}
	// a1, b1, c1 right; a2 one step low; b2 failed.
	if !near(m.Severity.Accuracy, 0.6) || !near(m.Severity.WithinOne, 0.8) {
		t.Errorf("severity = %+v", m.Severity)
	}
	if !near(m.Routing.Accuracy, 0.8) {
		t.Errorf("routing = %v", m.Routing.Accuracy)
	}
	// Each answered case picks its first line (valid) and one made-up line.
	if k := m.KeyLines; k.Predicted != 8 || k.Valid != 4 || k.GoldHit.Hits != 1 || k.GoldHit.Total != 1 {
		t.Errorf("key lines = %+v", k)
	}
	// alpha: a1 and a2 find each other; beta: b2 failed so b1 has no
	// neighbour embedding of its family; gamma has one member, not counted.
	if s := m.Similar; s == nil || s.Recall.Total != 3 || s.Recall.Hits != 2 {
		t.Errorf("similar = %+v", s)
	}
	// Only a1 and a2 are labelled for detection.
	if d := m.Detection; d == nil || d.ScoredCases != 2 || d.Overall.TP != 1 || d.Overall.FP != 0 || d.Overall.FN != 0 {
		t.Errorf("detection = %+v", d)
	}
	if mt := run.Meta; mt.DatasetHash != ds.Hash() || mt.Cases != 5 || mt.Mode != "rules" || mt.ConfigHash != "cfg" || mt.Seed != 7 || mt.Embedder != "test" || mt.Time.IsZero() {
		t.Errorf("meta = %+v", mt)
	}
	if m.NoProblem == nil || m.NoProblem.CalledInfo.Hits != 1 {
		t.Errorf("no problem = %+v", m.NoProblem)
	}
}

func TestEvaluateNeedsPipeline(t *testing.T) {
	if _, err := Evaluate(context.Background(), loadHarness(t), Options{}); err == nil {
		t.Error("evaluate without a pipeline succeeded")
	}
}

func TestHashConfig(t *testing.T) {
	if HashConfig([]byte("ab"), []byte("c")) == HashConfig([]byte("a"), []byte("bc")) {
		t.Error("parts are not delimited")
	}
	if HashConfig([]byte("x")) != HashConfig([]byte("x")) {
		t.Error("not deterministic")
	}
}

func TestEvaluateParallelKeepsOrderAndFigures(t *testing.T) {
	ds := loadHarness(t)
	serial, err := Evaluate(context.Background(), ds, Options{Triage: scripted, K: 1})
	if err != nil {
		t.Fatal(err)
	}
	parallel, err := Evaluate(context.Background(), ds, Options{Triage: scripted, K: 1, Parallel: 4})
	if err != nil {
		t.Fatal(err)
	}
	for i := range serial.Cases {
		a, b := serial.Cases[i], parallel.Cases[i]
		if a.ID != b.ID || a.Severity != b.Severity || a.Queue != b.Queue || a.Error != b.Error {
			t.Errorf("case %d: serial %+v, parallel %+v", i, a, b)
		}
	}
	if Compare(serial, parallel, Tolerances{"*": 0}).Regressed() {
		t.Error("parallel run scores differently")
	}
}

func TestEvaluateMissingFileFailsTheRun(t *testing.T) {
	ds := loadHarness(t)
	ds.Cases = append(ds.Cases, Case{ID: "gone", File: "does-not-exist.log"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := Evaluate(ctx, ds, Options{Triage: scripted, Parallel: 2}); err == nil || !strings.Contains(err.Error(), "gone") {
		t.Errorf("err = %v", err)
	}
	cancel()
	if _, err := Evaluate(ctx, ds, Options{Triage: scripted}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled run: err = %v", err)
	}
}

func TestUploadNameHidesLabels(t *testing.T) {
	ds := loadHarness(t)
	var names []string
	_, err := Evaluate(context.Background(), ds, Options{Triage: func(ctx context.Context, tenant string, up triage.Upload, content []byte) (*triage.Case, *triage.Embedding, error) {
		names = append(names, up.Name)
		return scripted(ctx, tenant, up, content)
	}})
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range names {
		if strings.Contains(n, ds.Cases[i].ID) || !strings.HasPrefix(n, "upload-") {
			t.Errorf("case %s uploaded as %q", ds.Cases[i].ID, n)
		}
	}
	if got := uploadName(Case{File: "logs/tri-001-dns-nxdomain.log.gz"}, strings.Repeat("ab", 32)); got != "upload-abababababab.gz" {
		t.Errorf("name = %q", got)
	}
}
