package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/logtriage/logtriage/internal/natsx"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/worker"
)

// Two serve processes share one external NATS server (started here from the
// nats-server module) and one PostgreSQL: they split the upload stream, and
// when one is killed with SIGKILL mid-stream the other finishes its uploads
// after the ack wait — every upload one case, none twice (docs/worker.md,
// "Running N workers").
func TestTwoServesOneKilled(t *testing.T) {
	dbURL := os.Getenv("LOGTRIAGE_TEST_DATABASE_URL")
	if dbURL == "" {
		t.Skip("LOGTRIAGE_TEST_DATABASE_URL is not set; ./scripts/test.sh starts PGlite (two serves need a shared store)")
	}
	if testing.Short() {
		t.Skip("-short: builds the binary and waits out an ack wait")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "logtriage")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	srv, err := natsx.StartServer(natsx.ServerOptions{Port: -1, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })

	env := append(os.Environ(), "OPENAI_API_KEY=", "OPENAI_BASE_URL=", "LOGTRIAGE_LLM_PII=", "NATS_URL=", "DATABASE_URL=")
	type proc struct {
		cmd *exec.Cmd
		log *serveLogBuffer
	}
	start := func(name string, extra ...string) proc {
		log := &serveLogBuffer{}
		args := append([]string{"serve", "--listen", "", "--nats-url", srv.ClientURL(), "--database-url", dbURL,
			"--data-dir", filepath.Join(dir, name), "--http", "", "--workers", "2"}, extra...)
		cmd := exec.Command(bin, args...)
		cmd.Env, cmd.Stdout, cmd.Stderr = env, log, log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(log.String(), "worker running") {
			if time.Now().After(deadline) {
				t.Fatalf("serve %s did not start:\n%s", name, log.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		return proc{cmd, log}
	}
	a := start("a")
	// One fleet, one set of keys: b uses the keys a generated.
	keys := filepath.Join(dir, "a", "keys")
	b := start("b", "--fingerprint-key-file", filepath.Join(keys, "fingerprint.key"), "--master-key-file", filepath.Join(keys, "master.key"))

	nc, js, err := (&natsFlags{url: srv.ClientURL()}).connect("scale-test")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	tenant := fmt.Sprintf("scale%d", time.Now().UnixNano()%1e9)
	const uploads = 60
	ids := make([]string, uploads)
	killed, killedAfter := false, 0
	for i := range uploads {
		content := fmt.Sprintf("2026-02-01 10:00:%02d ERROR upstream %d timed out after %d ms\n", i%60, i, 1000+i)
		r, err := worker.Submit(context.Background(), js, worker.Submission{Tenant: tenant, Name: fmt.Sprintf("u%02d.log", i),
			Content: strings.NewReader(content)})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = r.Event.UploadID
		// Mid-stream, as soon as a has finished a case of its own while
		// uploads remain: a dies without a word, the uploads in its hands
		// unacked. (Submitting is faster than triage: a backlog builds.)
		if i == uploads/3 {
			deadline := time.Now().Add(30 * time.Second)
			for strings.Count(a.log.String(), "case done") == 0 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			killed, killedAfter = strings.Count(a.log.String(), "case done") > 0, i+1
			a.cmd.Process.Signal(syscall.SIGKILL)
			a.cmd.Wait()
		}
	}

	// Every upload gets its outcome (a's in-flight ones after the 30 s ack wait).
	var wg sync.WaitGroup
	outcomes := make([]*worker.Outcome, uploads)
	for i, id := range ids {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			out, err := worker.WaitOutcome(ctx, js, id)
			if err != nil {
				t.Errorf("upload %d (%s): %v", i, id, err)
				return
			}
			outcomes[i] = out
		})
	}
	wg.Wait()
	caseOf := map[string]string{}
	for i, out := range outcomes {
		if out == nil {
			continue
		}
		if out.Status != triage.StatusTriaged || out.Case == nil {
			t.Errorf("upload %d: %s %s", i, out.Status, out.Reason)
			continue
		}
		caseOf[ids[i]] = out.Case.ID
	}

	// The cases stream holds each case once.
	cons, err := js.OrderedConsumer(context.Background(), worker.CasesStream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{worker.CasesSubjectPrefix + ">"}})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for {
		batch, err := cons.FetchNoWait(200)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			if m.Headers().Get(worker.HeaderTenant) == tenant {
				seen[m.Headers().Get(worker.HeaderCaseID)]++
			}
		}
		if n == 0 {
			break
		}
	}
	if len(seen) != uploads {
		t.Errorf("%d distinct cases in the stream for %d uploads", len(seen), uploads)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("case %s published %d times", id, n)
		}
	}
	if len(caseOf) != uploads {
		t.Errorf("%d uploads triaged of %d", len(caseOf), uploads)
	}
	if !strings.Contains(b.log.String(), "case done") {
		t.Logf("b's log:\n%s", b.log.String())
	}
	if !killed {
		t.Errorf("a finished no case while uploads were being submitted: not killed mid-stream\na's log:\n%s", a.log.String())
	}
	t.Logf("a killed after upload %d of %d with %d case(s) done; b finished %d", killedAfter, uploads,
		strings.Count(a.log.String(), "case done"), strings.Count(b.log.String(), "case done"))
}
