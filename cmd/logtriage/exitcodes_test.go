package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logtriage/logtriage/internal/natsx"
	"github.com/logtriage/logtriage/internal/openaitest"
	"github.com/logtriage/logtriage/triage/store/embedded"
	"github.com/logtriage/logtriage/triage/worker"
)

// exitRow is one row of docs/cli.md's exit code table.
type exitRow struct {
	command string
	code    int
	when    string
}

var exitRowRE = regexp.MustCompile("^\\| `([a-z-]+)` \\| ([0-9]) \\| (.+) \\|$")

// exitTable reads the table under "## Exit codes" in docs/cli.md.
func exitTable(t *testing.T) []exitRow {
	t.Helper()
	f, err := os.Open("../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []exitRow
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			in = line == "## Exit codes"
			continue
		}
		if m := exitRowRE.FindStringSubmatch(line); in && m != nil {
			code, _ := strconv.Atoi(m[2])
			rows = append(rows, exitRow{m[1], code, m[3]})
		}
	}
	if len(rows) == 0 {
		t.Fatal("no exit code table under '## Exit codes' in docs/cli.md")
	}
	return rows
}

// exitFixture is what the cases need: files, a NATS server with the
// topology, an embedded store, a free port.
type exitFixture struct {
	dir, clean, quiet, dirty, natsURL, deadURL, dataset, baseline string
	dataDir, caseID                                               string
}

func newExitFixture(t *testing.T) *exitFixture {
	t.Helper()
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")
	t.Setenv("LOGTRIAGE_LLM_PII", "")
	t.Setenv("DATABASE_URL", "")
	t.Setenv("NATS_URL", "")
	f := &exitFixture{dir: t.TempDir()}
	write := func(name, content string) string {
		p := filepath.Join(f.dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	f.clean = write("clean.log", "2026-01-05 10:00:00 ERROR connection refused to db-01\n")
	f.quiet = write("quiet.log", "2026-01-05 10:00:00 INFO ok\n")
	f.dirty = write("dirty.log", "2026-01-05 10:00:00 ERROR login failed for jo."+strings.Repeat("q", 5)+"@example.net\n")
	f.dataset = write("d.jsonl", cmdDataset)
	f.baseline = filepath.Join(f.dir, "better.json")

	srv, err := natsx.StartServer(natsx.ServerOptions{Port: -1, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	f.natsURL = srv.ClientURL()
	nc, js, err := (&natsFlags{url: f.natsURL}).connect("exit-codes")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := worker.Setup(context.Background(), js, worker.Topology{}); err != nil {
		t.Fatal(err)
	}
	f.deadURL = fmt.Sprintf("nats://127.0.0.1:%d", freeServePort(t))

	// An embedded store with the similar command's cases.
	f.dataDir = t.TempDir()
	s, err := embedded.Open(filepath.Join(f.dataDir, "store"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	seedStore(t, s, "")
	s.Close()
	f.caseID = "db-1"
	return f
}

// exitCase runs one situation of a row and reports the exit code.
type exitCase struct {
	name string
	run  func(t *testing.T, f *exitFixture) int
}

func cli(args ...string) func(t *testing.T, f *exitFixture) int {
	return func(t *testing.T, f *exitFixture) int { code, _, _ := runCLI(t, args...); return code }
}

func cliF(build func(f *exitFixture) []string) func(t *testing.T, f *exitFixture) int {
	return func(t *testing.T, f *exitFixture) int { code, _, _ := runCLI(t, build(f)...); return code }
}

// exitCases are keyed like the table's rows: "command code".
var exitCases = map[string][]exitCase{
	"scan 0":   {{"clean file", cliF(func(f *exitFixture) []string { return []string{"scan", f.clean} })}},
	"scan 1":   {{"an email", cliF(func(f *exitFixture) []string { return []string{"scan", f.dirty} })}},
	"scan 2":   {{"missing file", cli("scan", "/nonexistent/app.log")}, {"bad format", cliF(func(f *exitFixture) []string { return []string{"scan", "--format", "yaml", f.clean} })}},
	"redact 0": {{"a file", cliF(func(f *exitFixture) []string { return []string{"redact", f.dirty} })}},
	"redact 2": {{"missing file", cli("redact", "/nonexistent/app.log")}},
	"triage 0": {{"a log", cliF(func(f *exitFixture) []string { return []string{"triage", f.clean} })}},
	"triage 2": {{"missing file", cli("triage", "/nonexistent/app.log")}, {"bad format", cliF(func(f *exitFixture) []string { return []string{"triage", "--format", "yaml", f.clean} })}},
	"serve 0": {{"SIGTERM", func(t *testing.T, f *exitFixture) int {
		ctx, stop := context.WithCancel(context.Background())
		var logBuf serveLogBuffer
		done := make(chan int, 1)
		go func() {
			done <- run(ctx, []string{"serve", "--listen", "", "--data-dir", t.TempDir(), "--nats-listen", fmt.Sprintf("127.0.0.1:%d", freeServePort(t)), "--http", ""}, strings.NewReader(""), &bytes.Buffer{}, &logBuf)
		}()
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(logBuf.String(), "worker running") && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		stop()
		return <-done
	}}},
	"serve 2": {{"negative workers", cli("serve", "--workers", "-3")}, {"NATS port taken", func(t *testing.T, f *exitFixture) int {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		code, _, _ := runCLI(t, "serve", "--data-dir", t.TempDir(), "--nats-listen", ln.Addr().String(), "--http", "")
		return code
	}}},
	"submit 0": {{"one file", cliF(func(f *exitFixture) []string {
		return []string{"submit", "--nats-url", f.natsURL, "--tenant", "acme", f.clean}
	})}},
	"submit 1": {{"one file missing", cliF(func(f *exitFixture) []string {
		return []string{"submit", "--nats-url", f.natsURL, "--tenant", "acme", f.clean, "/nonexistent/app.log"}
	})}, {"no worker before --timeout", cliF(func(f *exitFixture) []string {
		return []string{"submit", "--nats-url", f.natsURL, "--tenant", "acme", "--wait", "--timeout", "200ms", f.dirty}
	})}},
	"submit 2": {{"no NATS", cliF(func(f *exitFixture) []string { return []string{"submit", "--nats-url", f.deadURL, f.clean} })}, {"no file", cli("submit")}},
	"cases 0": {{"list a queue", cliF(func(f *exitFixture) []string {
		return []string{"cases", "--nats-url", f.natsURL, "--queue", "database"}
	})}},
	"cases 1": {{"--next on an empty queue", cliF(func(f *exitFixture) []string {
		return []string{"cases", "--nats-url", f.natsURL, "--queue", "database", "--next", "--wait", "100ms"}
	})}},
	"cases 2":  {{"no NATS", cliF(func(f *exitFixture) []string { return []string{"cases", "--nats-url", f.deadURL} })}},
	"alerts 0": {{"list", cliF(func(f *exitFixture) []string { return []string{"alerts", "--nats-url", f.natsURL} })}},
	"alerts 2": {{"no NATS", cliF(func(f *exitFixture) []string { return []string{"alerts", "--nats-url", f.deadURL} })}},
	"similar 0": {{"a stored case", cliF(func(f *exitFixture) []string {
		return []string{"similar", "--nats-url", "", "--data-dir", f.dataDir, "--tenant", "acme", f.caseID}
	})}},
	"similar 1": {{"no such case", cliF(func(f *exitFixture) []string {
		return []string{"similar", "--nats-url", "", "--data-dir", f.dataDir, "--tenant", "acme", "case_missing"}
	})}},
	"similar 2": {{"no store", cli("similar", "--nats-url", "", "--data-dir", "/nonexistent", "x")}, {"no case id", cli("similar")}},
	"eval 0":    {{"a run", cliF(func(f *exitFixture) []string { return []string{"eval", "--rules", "--dataset", f.dataset} })}},
	"eval 2":    {{"missing dataset", cli("eval", "--dataset", "/nonexistent/d.jsonl")}},
	"eval 3": {{"a better baseline", func(t *testing.T, f *exitFixture) int {
		saved := filepath.Join(f.dir, "run.json")
		if code, _, errOut := runCLI(t, "eval", "--rules", "--dataset", f.dataset, "--save", saved); code != 0 {
			t.Fatalf("save: %d %s", code, errOut)
		}
		b, _ := os.ReadFile(saved)
		b = bytes.Replace(b, []byte(`"accuracy": `), []byte(`"accuracy": 1.5, "was": `), 1)
		os.WriteFile(f.baseline, b, 0o600)
		code, _, _ := runCLI(t, "eval", "--rules", "--dataset", f.dataset, "--baseline", f.baseline)
		return code
	}}},
	"migrate 0": {{"a database", func(t *testing.T, f *exitFixture) int {
		url := os.Getenv("LOGTRIAGE_TEST_DATABASE_URL")
		if url == "" {
			t.Skip("LOGTRIAGE_TEST_DATABASE_URL is not set; ./scripts/test.sh starts PGlite")
		}
		code, _, _ := runCLI(t, "migrate", "--database-url", url)
		return code
	}}},
	"migrate 2": {{"no URL", cli("migrate", "--database-url", "")}, {"nothing listening", cliF(func(f *exitFixture) []string {
		return []string{"migrate", "--timeout", "5s", "--database-url", "postgres://u:p@" + strings.TrimPrefix(f.deadURL, "nats://") + "/db?sslmode=disable"}
	})}},
	"backfill 0": {{"nothing waiting", func(t *testing.T, f *exitFixture) int {
		srv := openaitest.New(t, openaitest.Options{})
		t.Setenv("OPENAI_BASE_URL", srv.URL)
		t.Setenv("LOGTRIAGE_EMBEDDING_DIMENSIONS", "32")
		code, _, _ := runCLI(t, "backfill", "--data-dir", f.dataDir)
		return code
	}}},
	"backfill 2": {{"local embedder", cliF(func(f *exitFixture) []string { return []string{"backfill", "--data-dir", f.dataDir} })}},
	"reembed 0": {{"list the spaces", func(t *testing.T, f *exitFixture) int {
		url := os.Getenv("LOGTRIAGE_TEST_DATABASE_URL")
		if url == "" {
			t.Skip("LOGTRIAGE_TEST_DATABASE_URL is not set; ./scripts/test.sh starts PGlite")
		}
		code, _, _ := runCLI(t, "reembed", "--database-url", url, "--list")
		return code
	}}},
	"version 0": {{"plain", cli("version")}},
	"train 0": {{"the labelled sets", cliF(func(f *exitFixture) []string {
		return []string{"train", "--sets", "../../eval/datasets/triage", "--out", filepath.Join(f.dir, "model.json")}
	})}},
	"train 2":     {{"missing sets", cli("train", "--sets", "/nonexistent")}},
	"types 0":     {{"plain", cli("types")}},
	"types 2":     {{"bad format", cli("types", "--format", "xml")}},
	"anomalies 0": {{"no history, a quiet log", cliF(func(f *exitFixture) []string { return []string{"anomalies", f.clean} })}},
	"anomalies 1": {{"a new error against a quiet history", cliF(func(f *exitFixture) []string {
		return []string{"anomalies", "--history", f.quiet, "../../eval/datasets/triage/logs/tri-003-upstream-timeouts.log"}
	})}},
	"anomalies 2": {{"missing file", cli("anomalies", "/nonexistent/app.log")}},
	"audit 0": {{"an empty export", func(t *testing.T, f *exitFixture) int {
		code, _, _ := runScanCLI(t, "", "audit", "verify", "-")
		return code
	}}},
	"audit 1": {{"a broken export", func(t *testing.T, f *exitFixture) int {
		code, _, _ := runScanCLI(t, "garbage\n", "audit", "verify", "-")
		return code
	}}},
	"audit 2":   {{"no subcommand", cli("audit")}},
	"version 2": {{"an argument", cli("version", "extra")}},
	"user 0":    {{"an agent", func(t *testing.T, f *exitFixture) int { return addUser(t, f.dataDir, "ann") }}},
	"user 1":    {{"no data dir", func(t *testing.T, f *exitFixture) int { return addUser(t, filepath.Join(f.clean, "x"), "ann") }}},
	"user 2":    {{"no name", cli("user", "add")}},
	"token 0": {{"for an account", func(t *testing.T, f *exitFixture) int {
		dir := t.TempDir()
		if code := addUser(t, dir, "bob"); code != 0 {
			t.Fatalf("user add: exit %d", code)
		}
		code, _, _ := runCLI(t, "token", "create", "bob", "--data-dir", dir)
		return code
	}}},
	"token 1": {{"no data dir", cliF(func(f *exitFixture) []string {
		return []string{"token", "create", "bob", "--data-dir", filepath.Join(f.clean, "x")}
	})}},
	"token 2": {{"no name", cli("token", "create")}, {"no such account", func(t *testing.T, f *exitFixture) int {
		dir := t.TempDir()
		if code := addUser(t, dir, "bob"); code != 0 {
			t.Fatalf("user add: exit %d", code)
		}
		code, _, _ := runCLI(t, "token", "create", "nobody", "--data-dir", dir)
		return code
	}}},
	"nats-key 0": {{"a customer's", cliF(func(f *exitFixture) []string {
		return []string{"nats-key", "add", "cust", "--role", "customer", "--tenant", "acme", "--data-dir", filepath.Join(f.dir, "nk")}
	})}},
	"nats-key 2": {{"no name", cli("nats-key", "add")}, {"unwritable", cliF(func(f *exitFixture) []string {
		return []string{"nats-key", "add", "cust", "--role", "customer", "--tenant", "acme", "--data-dir", filepath.Join(f.clean, "x")}
	})}},
	"login 0": {{"device flow approved", func(t *testing.T, f *exitFixture) int { return loginThroughDeviceFlow(t) }}},
	"login 1": {{"no portal", cli("login", "--api", "http://127.0.0.1:1")}},
	"login 2": {{"no --api", cli("login")}},
	"dataset 0": {{"an embedded store", cliF(func(f *exitFixture) []string {
		return []string{"dataset", "export", "--data-dir", f.dataDir, "--tenant", "acme", "--out", filepath.Join(f.dir, "export.jsonl")}
	})}},
	"dataset 1": {{"serve unreachable", cliF(func(f *exitFixture) []string {
		return []string{"dataset", "export", "--nats-url", f.deadURL, "--tenant", "acme"}
	})}},
	"dataset 2": {{"no subcommand", cli("dataset")}},
	"purge 0":   {{"dry run", func(t *testing.T, f *exitFixture) int { return keyedCLI(t, "purge", "--dry-run") }}},
	"purge 1":   {{"no keys", cliF(func(f *exitFixture) []string { return []string{"purge", "--data-dir", filepath.Join(f.dir, "nokeys")} })}},
	"purge 2":   {{"an argument", cli("purge", "extra")}},
	"tenant 0":  {{"delete", func(t *testing.T, f *exitFixture) int { return keyedCLI(t, "tenant", "delete", "acme") }}},
	"tenant 1": {{"no keys", cliF(func(f *exitFixture) []string {
		return []string{"tenant", "delete", "acme", "--data-dir", filepath.Join(f.dir, "nokeys")}
	})}},
	"tenant 2": {{"no tenant", cli("tenant", "delete")}},
	"keys 0":   {{"rotate", func(t *testing.T, f *exitFixture) int { return keyedCLI(t, "keys", "rotate") }}},
	"keys 1": {{"no keys", cliF(func(f *exitFixture) []string {
		return []string{"keys", "rotate", "--data-dir", filepath.Join(f.dir, "nokeys")}
	})}},
	"keys 2": {{"no subcommand", cli("keys")}},
	"reembed 2": {{"no database", cli("reembed", "--database-url", "")}, {"nothing listening", cliF(func(f *exitFixture) []string {
		return []string{"reembed", "--list", "--database-url", "postgres://u:p@" + strings.TrimPrefix(f.deadURL, "nats://") + "/db?sslmode=disable&connect_timeout=5"}
	})}},
}

// TestExitCodeTable checks every row of docs/cli.md's exit code table
// against what the command does, and that every command has rows.
func TestExitCodeTable(t *testing.T) {
	rows := exitTable(t)
	f := newExitFixture(t)
	seen := map[string]bool{}
	documented := map[string]bool{}
	for _, r := range rows {
		key := fmt.Sprintf("%s %d", r.command, r.code)
		seen[key], documented[r.command] = true, true
		cases, ok := exitCases[key]
		if !ok {
			t.Errorf("docs/cli.md row %q (exit %d: %s) has no case in exitCases", r.command, r.code, r.when)
			continue
		}
		for _, c := range cases {
			t.Run(key+"/"+c.name, func(t *testing.T) {
				if got := c.run(t, f); got != r.code {
					t.Errorf("%s (%s): exit %d, want %d (%s)", r.command, c.name, got, r.code, r.when)
				}
			})
		}
	}
	for key := range exitCases {
		if !seen[key] {
			t.Errorf("exitCases has %q, which docs/cli.md's table does not list", key)
		}
	}
	for name := range commands {
		if !documented[name] {
			t.Errorf("command %s has no row in docs/cli.md's exit code table", name)
		}
	}
}

// addUser runs `user add NAME --role agent` with a password on stdin.
func addUser(t *testing.T, dataDir, name string) int {
	t.Helper()
	code, _, _ := runScanCLI(t, "correct horse battery staple\n", "user", "add", name, "--role", "agent", "--queues", "database", "--data-dir", dataDir)
	return code
}

// keyedCLI runs a command against a fresh data dir whose keys serve would
// have made (DATA_DIR/keys), as the lifecycle commands need them.
func keyedCLI(t *testing.T, args ...string) int {
	t.Helper()
	dir := t.TempDir()
	if _, err := (keyFlags{}).load(dir, func(string) string { return "" }, stderrLogger(io.Discard), true); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCLI(t, append(args, "--data-dir", dir)...)
	if code != 0 {
		t.Logf("%v: %s", args, errOut)
	}
	return code
}
