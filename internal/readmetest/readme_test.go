// Package readmetest runs the README as a newcomer would: in a fresh clone,
// the commands of its shell blocks in order, read out of README.md (not
// copied here), so a README that drifts from the code fails the suite.
package readmetest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// shellBlocks returns the command lines of README's ```sh blocks, without
// comments, block by block.
func shellBlocks(t *testing.T, readme string) [][]string {
	t.Helper()
	f, err := os.Open(readme)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks [][]string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "```sh":
			in = true
			blocks = append(blocks, nil)
		case strings.HasPrefix(line, "```"):
			in = false
		case in:
			if i := strings.Index(line, " #"); i >= 0 {
				line = line[:i]
			}
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				blocks[len(blocks)-1] = append(blocks[len(blocks)-1], line)
			}
		}
	}
	return blocks
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestREADMENewcomer clones the repository, checks that the README starts
// with its two set-up commands (serve on the embedded default, the tests),
// starts serve with the first, and runs every other command of the README's
// blocks in order. Adjustments, all for running inside a test: serve runs
// from the binary the README builds (as the tour does) on a free port
// without the metrics listener; `--follow` commands are stopped after a
// few seconds and must have printed something; CASE_ID is the id the
// README's submit printed; the test command itself is not run (it is this
// suite).
func TestREADMENewcomer(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the README run builds the binary in a fresh clone")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if err := exec.Command("git", "-C", root, "rev-parse", "--git-dir").Run(); err != nil {
		t.Skip("not a git checkout: the README run needs a clone")
	}
	clone := filepath.Join(t.TempDir(), "logtriage")
	if out, err := exec.Command("git", "clone", "--quiet", "--no-hardlinks", root, clone).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	blocks := shellBlocks(t, filepath.Join(clone, "README.md"))
	if len(blocks) < 3 {
		t.Fatalf("README has %d shell blocks, want the set-up, the tour and the service-free commands", len(blocks))
	}
	setup := blocks[0]
	if len(setup) != 2 || !strings.HasSuffix(setup[0], " serve") || !strings.Contains(setup[1], "test") {
		t.Fatalf("README must start with exactly two commands, serve on the embedded default then the tests; has %q", setup)
	}
	testCmd := strings.Fields(setup[1])[0]
	if fi, err := os.Stat(filepath.Join(clone, testCmd)); err != nil || fi.Mode()&0o111 == 0 {
		t.Errorf("the README's test command %s is not an executable file in the clone: %v", testCmd, err)
	}

	port := freePort(t)
	var serveEnv []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "NATS_URL=") { // serve would take it for an external server
			serveEnv = append(serveEnv, kv)
		}
	}
	serveEnv = append(serveEnv, "OPENAI_API_KEY=", "OPENAI_BASE_URL=", "LOGTRIAGE_LLM_PII=", "DATABASE_URL=", "LOGTRIAGE_DATA_DIR=")
	// The clients find serve on its port.
	env := append(append([]string(nil), serveEnv...), "NATS_URL=nats://127.0.0.1:"+fmt.Sprint(port))
	run := func(line string, timeout time.Duration) (string, string, int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, "bash", "-c", line)
		cmd.Dir, cmd.Env = clone, env
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) }
		cmd.WaitDelay = 5 * time.Second
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := cmd.ProcessState.ExitCode()
		if err != nil && ctx.Err() != nil {
			code = -1 // stopped by the timeout
		}
		return stdout.String(), stderr.String(), code
	}

	var rest []string
	for _, b := range blocks[1:] {
		rest = append(rest, b...)
	}
	if len(rest) == 0 || !strings.HasPrefix(rest[0], "go build -o bin/logtriage ") {
		t.Fatalf("the tour must start by building the binary, starts with %q", rest)
	}
	if out, errOut, code := run(rest[0], 5*time.Minute); code != 0 {
		t.Fatalf("%s: exit %d\n%s%s", rest[0], code, out, errOut)
	}

	// serve, as the first set-up line says, from the built binary.
	serveLine := strings.Replace(setup[0], "go run ./cmd/logtriage", "bin/logtriage", 1) +
		fmt.Sprintf(" --nats-listen 127.0.0.1:%d --http ''", port)
	serve := exec.Command("bash", "-c", "exec "+serveLine)
	serve.Dir, serve.Env = clone, serveEnv
	var serveLog syncBuffer
	serve.Stdout, serve.Stderr = &serveLog, &serveLog
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		serve.Process.Signal(syscall.SIGTERM)
		if err := serve.Wait(); err != nil {
			t.Errorf("serve did not stop cleanly: %v\n%s", err, serveLog.String())
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(serveLog.String(), "worker running") {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", serveLog.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	caseID := ""
	idRE := regexp.MustCompile(`"id": "([^"]+)"`)
	for _, line := range rest[1:] {
		if strings.Contains(line, "CASE_ID") {
			if caseID == "" {
				t.Fatalf("%s: no case id printed before it", line)
			}
			line = strings.ReplaceAll(line, "CASE_ID", caseID)
		}
		timeout, follow := 2*time.Minute, strings.Contains(line, "--follow")
		if follow {
			timeout = 3 * time.Second
		}
		out, errOut, code := run(line, timeout)
		t.Logf("$ %s -> exit %d", line, code)
		switch {
		case follow && code == -1 && strings.TrimSpace(out) != "":
		case follow:
			t.Errorf("%s: printed nothing before it was stopped (exit %d)\n%s", line, code, errOut)
		case strings.HasPrefix(line, "bin/logtriage scan ") && (code == 0 || code == 1):
		case code != 0:
			t.Errorf("%s: exit %d\n%s%s", line, code, out, errOut)
		}
		if m := idRE.FindStringSubmatch(out); caseID == "" && m != nil && strings.Contains(line, " submit ") {
			var c struct{ ID string }
			if json.Unmarshal([]byte(out), &c) == nil {
				caseID = c.ID
			}
		}
	}
	if caseID == "" {
		t.Error("the tour's submit printed no case")
	}
	for _, out := range []string{"eval/out/report.html", "redacted.log"} {
		if fi, err := os.Stat(filepath.Join(clone, out)); err != nil || fi.Size() == 0 {
			t.Errorf("%s was not written: %v", out, err)
		}
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
