package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logtriage/logtriage/detectors"
	"github.com/logtriage/logtriage/eval"
	"github.com/logtriage/logtriage/internal/keyring"
	"github.com/logtriage/logtriage/internal/openaitest"
	"github.com/logtriage/logtriage/router"
	"github.com/logtriage/logtriage/triage"
)

// piiLog holds a name and an address no pattern finds, and an e-mail one does.
const piiLog = "2026-11-20T10:00:01Z INFO orders-api starting\n" +
	"2026-11-20T10:00:07Z ERROR refund failed for customer Maria Gonzalez, ship to 12 Main St\n" +
	"2026-11-20T10:00:08Z WARN retry for Maria Gonzalez mail=maria.gonzalez@example.com\n" +
	"2026-11-20T10:00:10Z INFO shutting down\n"

var piiKnown = map[string]string{"Maria Gonzalez": detectors.TypePersonName, "12 Main St": detectors.TypeStreetAddress}

// piiServer plays the model for both request kinds; pii answers the PII pass.
func piiServer(t *testing.T, pii openaitest.Behaviour) *openaitest.Server {
	t.Helper()
	srv := openaitest.New(t, openaitest.Options{Chat: openaitest.BySchema(map[string]openaitest.Behaviour{
		"pii_entities":          pii,
		"triage_classification": openaitest.Answer(),
	})})
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", srv.URL)
	t.Setenv("LOGTRIAGE_LLM_MODEL", "gpt-4o-mini")
	t.Setenv("LOGTRIAGE_LLM_PII_BASE_URL", "")
	t.Setenv("LOGTRIAGE_LLM_PII_API_KEY", "")
	t.Setenv("LOGTRIAGE_LLM_PII_MODEL", "")
	t.Setenv("LOGTRIAGE_EMBEDDER", "")
	t.Setenv("LOGTRIAGE_EMBEDDING_DIMENSIONS", "64")
	return srv
}

// requestsBySchema splits what the server received into pii and classify requests.
func requestsBySchema(srv *openaitest.Server) (pii, classify []openaitest.Request) {
	for _, r := range srv.Requests() {
		if r.Chat == nil || r.Chat.ResponseFormat == nil || r.Chat.ResponseFormat.JSONSchema == nil {
			continue
		}
		switch r.Chat.ResponseFormat.JSONSchema.Name {
		case "pii_entities":
			pii = append(pii, r)
		case "triage_classification":
			classify = append(classify, r)
		}
	}
	return pii, classify
}

func findingTypes(c *triage.Case) map[string]int {
	types := map[string]int{}
	for _, f := range c.Findings {
		types[f.Type] = f.Count
	}
	return types
}

// The same switch turns the pass on in triage: --llm-pii or LOGTRIAGE_LLM_PII.
func TestTriageLLMPIIPass(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "orders.log")
	if err := os.WriteFile(path, []byte(piiLog), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		env  string
		args []string
	}{
		"flag": {"", []string{"triage", "--format", "json", "--llm-pii", path}},
		"env":  {"1", []string{"triage", "--format", "json", path}},
	} {
		t.Run(name, func(t *testing.T) {
			srv := piiServer(t, openaitest.PIIEntities(piiKnown))
			t.Setenv("LOGTRIAGE_LLM_PII", tc.env)
			code, out, errOut := runCLI(t, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, errOut)
			}
			if !strings.Contains(errOut, "LLM PII pass") {
				t.Errorf("start-up does not say the pass is on:\n%s", errOut)
			}
			var c triage.Case
			if err := json.Unmarshal([]byte(out), &c); err != nil {
				t.Fatal(err)
			}
			pii, classify := requestsBySchema(srv)
			if len(pii) != 1 || len(classify) != 1 {
				t.Fatalf("%d pii and %d classify requests; want 1 and 1", len(pii), len(classify))
			}
			for _, raw := range []string{"Maria", "Gonzalez", "12 Main St", "maria.gonzalez@"} {
				if strings.Contains(out, raw) {
					t.Errorf("the case holds %q", raw)
				}
				if bytes.Contains(classify[0].Body, []byte(raw)) {
					t.Errorf("the classify request holds %q", raw)
				}
			}
			types := findingTypes(&c)
			if c.Classifier.PIIPass != "llm" || types[detectors.TypePersonName] != 2 || types[detectors.TypeStreetAddress] != 1 || types[detectors.TypeEmail] != 1 {
				t.Errorf("pii_pass %q, findings %v", c.Classifier.PIIPass, types)
			}
			if !strings.Contains(strings.Join(c.KeyLines, "\n"), "[PERSON_NAME:") {
				t.Errorf("key lines without the name's placeholder: %q", c.KeyLines)
			}
		})
	}
}

// A pass that fails is skipped and recorded; the upload is still triaged.
func TestTriageLLMPIIPassFailure(t *testing.T) {
	srv := piiServer(t, openaitest.ServerError())
	t.Setenv("LOGTRIAGE_LLM_PII", "1")
	path := filepath.Join(t.TempDir(), "orders.log")
	if err := os.WriteFile(path, []byte(piiLog), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "triage", "--format", "json", path)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	var c triage.Case
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.Classifier.PIIPass, "skipped: ") || c.Classifier.Kind != "llm" || c.Status != triage.StatusTriaged {
		t.Errorf("classifier %+v status %s", c.Classifier, c.Status)
	}
	if types := findingTypes(&c); types[detectors.TypePersonName] != 0 || types[detectors.TypeEmail] != 1 {
		t.Errorf("findings %v; want the pattern findings only", types)
	}
	if strings.Contains(c.Classifier.PIIPass, "Maria") {
		t.Errorf("the reason quotes the log: %q", c.Classifier.PIIPass)
	}
	if pii, _ := requestsBySchema(srv); len(pii) < 2 {
		t.Errorf("%d pii attempts; want retries before giving up", len(pii))
	}
}

// Asked for without an endpoint, the pass is off and says so; not an error.
func TestTriageLLMPIIWithoutEndpoint(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")
	t.Setenv("LOGTRIAGE_LLM_PII_BASE_URL", "")
	t.Setenv("LOGTRIAGE_LLM_PII_API_KEY", "")
	path := filepath.Join(t.TempDir(), "orders.log")
	if err := os.WriteFile(path, []byte(piiLog), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "triage", "--format", "json", "--llm-pii", path)
	var c triage.Case
	if code != 0 || json.Unmarshal([]byte(out), &c) != nil || c.Classifier.PIIPass != "" || !strings.Contains(errOut, "no endpoint") {
		t.Fatalf("exit %d, pii_pass %q\n%s", code, c.Classifier.PIIPass, errOut)
	}
}

func TestLLMPIIFlagDefault(t *testing.T) {
	for env, want := range map[string]bool{"": false, "0": false, "1": true, "true": true, " ON ": true, "no": false} {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		on := llmPIIFlag(fs, func(k string) string {
			if k == llmPIIEnv {
				return env
			}
			return ""
		})
		if err := fs.Parse(nil); err != nil || *on != want {
			t.Errorf("%s=%q: --llm-pii defaults to %v; want %v", llmPIIEnv, env, *on, want)
		}
		if err := fs.Parse([]string{"--llm-pii=false"}); err != nil || *on {
			t.Errorf("%s=%q: --llm-pii=false does not turn it off", llmPIIEnv, env)
		}
	}
}

// serve builds its pipeline with the same switch.
func TestServePipelineLLMPIIPass(t *testing.T) {
	srv := piiServer(t, openaitest.PIIEntities(piiKnown))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, on := range []bool{true, false} {
		p, usesLLM, err := workerPipeline(router.Default(), nil, keyring.Random(keyring.KeySize), on, log)
		if err != nil || !usesLLM {
			t.Fatalf("workerPipeline: %v (uses LLM %v)", err, usesLLM)
		}
		c, _, err := p.Run(context.Background(), triage.Input{Tenant: "acme", Upload: triage.Upload{ID: "u1", Name: "orders.log"}, Content: strings.NewReader(piiLog)})
		if err != nil {
			t.Fatal(err)
		}
		data, _ := json.Marshal(c)
		switch {
		case on && (c.Classifier.PIIPass != "llm" || bytes.Contains(data, []byte("Gonzalez"))):
			t.Errorf("pass on: pii_pass %q, name in case %v", c.Classifier.PIIPass, bytes.Contains(data, []byte("Gonzalez")))
		case !on && c.Classifier.PIIPass != "":
			t.Errorf("pass off: pii_pass %q", c.Classifier.PIIPass)
		}
	}
	if pii, _ := requestsBySchema(srv); len(pii) != 1 {
		t.Errorf("%d pii requests; want 1 (pass on once)", len(pii))
	}
}

// eval runs the pass on request, records it, and counts key lines with the
// pass's placeholders as valid lines of the redacted log.
func TestEvalLLMPIIPass(t *testing.T) {
	text, _ := json.Marshal(piiLog)
	ds := filepath.Join(t.TempDir(), "d.jsonl")
	line := `{"id":"p1","text":` + string(text) + `,"severity":"high","category":"application","queue":"application","findings":[]}` + "\n"
	if err := os.WriteFile(ds, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		pii      openaitest.Behaviour
		env      string
		args     []string
		requests int // pii requests expected
		status   string
		model    bool
	}{
		"llm":          {openaitest.PIIEntities(piiKnown), "1", nil, 1, "llm", true},
		"failure":      {openaitest.ServerError(), "", []string{"--llm-pii"}, 3, "skipped: ", true},
		"rules":        {openaitest.PIIEntities(piiKnown), "1", []string{"--rules"}, 0, "", false},
		"rules + flag": {openaitest.PIIEntities(piiKnown), "", []string{"--rules", "--llm-pii"}, 1, "llm", true},
	} {
		t.Run(name, func(t *testing.T) {
			srv := piiServer(t, tc.pii)
			t.Setenv("LOGTRIAGE_LLM_PII", tc.env)
			var out, errOut bytes.Buffer
			code := run(context.Background(), append([]string{"eval", "--dataset", ds, "--format", "json"}, tc.args...), strings.NewReader(""), &out, &errOut)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, errOut.String())
			}
			var rec eval.Run
			if err := json.Unmarshal(out.Bytes(), &rec); err != nil {
				t.Fatal(err)
			}
			r := rec.Cases[0]
			if r.Error != "" || !strings.HasPrefix(r.PIIPass, tc.status) || (tc.status == "") != (r.PIIPass == "") {
				t.Errorf("case error %q, pii_pass %q; want %q", r.Error, r.PIIPass, tc.status)
			}
			if (rec.Meta.PIIModel != "" && rec.Meta.PIIPromptVersion != "") != tc.model {
				t.Errorf("meta %+v", rec.Meta)
			}
			if pii, _ := requestsBySchema(srv); len(pii) != tc.requests {
				t.Errorf("%d pii requests; want %d", len(pii), tc.requests)
			}
			l := rec.Metrics.LLM
			ran, skipped := 0, 0
			if tc.status == "llm" {
				ran = 1
			} else if tc.status != "" {
				skipped = 1
			}
			if l.PIIPassCases != ran || l.PIIPassSkipped != skipped || (ran == 1) != (l.PIITokens > 0) {
				t.Errorf("pii pass metrics: %d ran, %d skipped, %d tokens", l.PIIPassCases, l.PIIPassSkipped, l.PIITokens)
			}
			if len(r.InvalidKeyLines) > 0 || r.KeyLines == 0 {
				t.Errorf("%d key lines, invalid: %q", r.KeyLines, r.InvalidKeyLines)
			}
			if strings.Contains(out.String(), "Gonzalez") && tc.status == "llm" {
				t.Error("the run record holds the name")
			}
		})
	}
}
