package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logtriage/logtriage/internal/openaitest"
	"github.com/logtriage/logtriage/triage"
)

// genSecret is a deterministic, obviously generated value over alnum: test
// material that is nobody's secret.
func genSecret(seed string, n int) string {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	h := uint64(1469598103934665603)
	for i := 0; i < len(seed); i++ {
		h = (h ^ uint64(seed[i])) * 1099511628211
	}
	out := make([]byte, n)
	for i := range out {
		h ^= h << 13
		h ^= h >> 7
		h ^= h << 17
		out[i] = alnum[h%uint64(len(alnum))]
	}
	return string(out)
}

// plantedShape is one line of the shapes issue 10 found leaking or missed,
// the values it plants (none may reach any output) and the finding type the
// case must report for it.
type plantedShape struct {
	name   string
	line   string
	values []string
	typ    string
}

func plantedShapes() []plantedShape {
	s := genSecret
	basicKey := "sk_live_" + s("basic", 24)
	sendgrid := "SG.ab-" + s("sg1", 19) + "." + s("sg2", 40) + "=yz"
	return []plantedShape{
		{"url password with ?", "dial mysql://svc:" + s("url1", 12) + "?@db.internal:3306/app failed", []string{s("url1", 12)}, "url_credentials"},
		{"url password with #", "jdbc:postgresql://report:" + s("url2", 12) + "#@10.0.0.5:5432/reports", []string{s("url2", 12)}, "url_credentials"},
		{"url password with @ ! $ & ;", "amqp://guest:p@" + s("url3", 10) + "!$&;@rabbit:5672/", []string{s("url3", 10)}, "url_credentials"},
		{"url password with /", "redis://default:" + s("url4a", 8) + "/" + s("url4b", 8) + "@cache:6379/0", []string{s("url4a", 8), s("url4b", 8)}, "url_credentials"},
		{"go assignment", `DB_PASSWORD := "` + s("assign", 14) + `"`, []string{s("assign", 14)}, "password"},
		{"make assignment", "SMTP_PASSWORD ?= " + s("assign2", 14), []string{s("assign2", 14)}, "password"},
		{"setter call", `System.setProperty("STRIPE_TOKEN", "` + s("setter", 32) + `");`, []string{s("setter", 32)}, "generic_secret"},
		{"xml across lines", "<apiToken>\n    " + s("xml", 32) + "\n</apiToken>", []string{s("xml", 32)}, "generic_secret"},
		{"slack workflow hook", "POST https://hooks.slack.com/workflows/T0ABCDEFGH/A0ABCDEFGHI/456789012345678901/" + s("hook", 24) + " 200", []string{s("hook", 24)}, "slack_webhook_url"},
		{"basic, empty password", "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(basicKey+":")), []string{base64.StdEncoding.EncodeToString([]byte(basicKey + ":")), basicKey}, "basic_auth"},
		{"api-token scheme", "Authorization: Api-Token " + s("apitoken", 32), []string{s("apitoken", 32)}, "generic_secret"},
		{"lower-case bearer", "authorization: bearer " + s("bearer", 36), []string{s("bearer", 36)}, "bearer_token"},
		{"sendgrid with - and =", "SENDGRID_API_KEY=" + sendgrid, []string{sendgrid, s("sg2", 40)}, "sendgrid_api_key"},
		{"creds key", "creds=" + s("creds", 32), []string{s("creds", 32)}, "generic_secret"},
		{"secret inside a key", "app_secret_value=" + s("infix", 32), []string{s("infix", 32)}, "generic_secret"},
		{"password-stdin pipe", `+ echo "` + s("stdin", 16) + `" | docker login -u ci --password-stdin registry.example.com`, []string{s("stdin", 16)}, "password"},
		{"phone labelled after", "call back on 07700 900123 is my mobile", []string{"07700 900123", "07700900123"}, "phone"},
		{"vendor token wrapped", "git credential helper configured with token ghp_" + s("wrapgh", 36)[:12] + "\n    " + s("wrapgh", 36)[12:],
			[]string{s("wrapgh", 36)[:12], s("wrapgh", 36)[12:]}, "github_token"},
		{"secret wrapped", "2026-01-05 DEBUG loaded settings: client_secret=" + s("wrapcs", 20) + "\n  " + s("wrapcs2", 40),
			[]string{s("wrapcs", 20), s("wrapcs2", 40)}, "generic_secret"},
	}
}

// TestServeRedactsPlantedShapes submits a log holding every shape above to
// `serve` with an LLM configured (the OpenAI-compatible test server records
// every request) and checks that no planted value reaches the LLM requests,
// the case, the alerts, the case listing, the store on disk or serve's log,
// and that the case reports each shape's finding type.
func TestServeRedactsPlantedShapes(t *testing.T) {
	srv := openaitest.New(t, openaitest.Options{}) // chat and embeddings, recorded
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", srv.URL)
	t.Setenv("LOGTRIAGE_LLM_MODEL", "gpt-4o-mini")
	t.Setenv("LOGTRIAGE_EMBEDDER", "")
	t.Setenv("LOGTRIAGE_EMBEDDING_DIMENSIONS", "64")
	t.Setenv("DATABASE_URL", "")
	t.Setenv("LOGTRIAGE_DETECTORS", "")

	shapes := plantedShapes()
	var content strings.Builder
	for i, sh := range shapes {
		fmt.Fprintf(&content, "2026-01-05 10:00:%02d ERROR worker: %s\n", i, sh.line)
	}
	content.WriteString(strings.Repeat("2026-01-05 10:01:00 ERROR java.net.ConnectException: Connection refused\n", 3))
	logPath := filepath.Join(t.TempDir(), "00424242_app.log")
	if err := os.WriteFile(logPath, []byte(content.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	dataDir := t.TempDir()
	t.Setenv("LOGTRIAGE_DATA_DIR", dataDir) // where the CLI finds its NATS key
	url := fmt.Sprintf("nats://127.0.0.1:%d", freeServePort(t))
	ctx, stop := context.WithCancel(context.Background())
	var serveLog serveLogBuffer
	served := make(chan int, 1)
	go func() {
		served <- run(ctx, []string{"serve", "--data-dir", dataDir, "--nats-listen", strings.TrimPrefix(url, "nats://"),
			"--http", "", "--listen", "", "--workers", "1"}, strings.NewReader(""), &bytes.Buffer{}, &serveLog)
	}()
	stopped := false
	stopServe := func() {
		if !stopped {
			stopped = true
			stop()
			if code := <-served; code != 0 {
				t.Errorf("serve exited %d:\n%s", code, serveLog.String())
			}
		}
	}
	defer stopServe()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(serveLog.String(), "worker running") {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", serveLog.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	code, caseJSON, errOut := runServeCLI(t, "submit", "--nats-url", url, "--tenant", "acme", "--wait", "--timeout", "30s", "--format", "json", logPath)
	if code != 0 {
		t.Fatalf("submit --wait exited %d: %s", code, errOut)
	}
	var c triage.Case
	if err := json.Unmarshal([]byte(caseJSON), &c); err != nil {
		t.Fatalf("no case JSON: %v\n%s", err, caseJSON)
	}
	if c.Classifier.Kind != "llm" {
		t.Errorf("the case was not classified by the LLM (kind %q): the LLM request path is not under test", c.Classifier.Kind)
	}
	found := map[string]int{}
	for _, f := range c.Findings {
		found[f.Type] += f.Count
	}
	want := map[string]int{}
	for _, sh := range shapes {
		want[sh.typ]++
	}
	for typ, n := range want {
		if found[typ] < n {
			t.Errorf("case reports %d %s findings, want at least %d (findings %v)", found[typ], typ, n, found)
		}
	}
	_, casesOut, _ := runServeCLI(t, "cases", "--nats-url", url, "--tenant", "acme", "--format", "json")
	_, alertsOut, _ := runServeCLI(t, "alerts", "--nats-url", url, "--format", "json")
	stopServe() // the store is flushed and the log complete

	outputs := map[string]string{"case": caseJSON, "cases": casesOut, "alerts": alertsOut, "serve log": serveLog.String()}
	reqs := srv.Requests()
	if len(reqs) == 0 {
		t.Fatal("the LLM test server received nothing")
	}
	for i, r := range reqs {
		outputs[fmt.Sprintf("LLM request %d (%s)", i, r.Path)] = string(r.Body)
	}
	// the store on disk: everything under the data dir but the JetStream
	// stream, which holds the upload as submitted
	err := filepath.WalkDir(dataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "jetstream" {
				return filepath.SkipDir
			}
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		outputs["store file "+strings.TrimPrefix(path, dataDir)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range shapes {
		for _, v := range sh.values {
			for where, text := range outputs {
				if strings.Contains(text, v) {
					t.Errorf("%s: planted value %q reached the %s", sh.name, v, where)
				}
			}
		}
	}
}
