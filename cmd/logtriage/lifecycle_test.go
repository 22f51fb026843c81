package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/logtriage/logtriage/internal/keyring"
	"github.com/logtriage/logtriage/internal/natsx"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/worker"
)

// runningServe is `serve` on a temp data dir with the embedded NATS server.
type runningServe struct {
	t       *testing.T
	dataDir string
	url     string
	log     *serveLogBuffer
	stop    func()
}

func startServe(t *testing.T, dataDir string, extra ...string) *runningServe {
	t.Helper()
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")
	t.Setenv("DATABASE_URL", "")
	for _, k := range []string{envMasterKey, envMasterKeyFile, envFingerprintKey, envFingerprintKeyFile} {
		t.Setenv(k, "")
	}
	rs := &runningServe{t: t, dataDir: dataDir, url: fmt.Sprintf("nats://127.0.0.1:%d", freeServePort(t)), log: &serveLogBuffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan int, 1)
	args := append([]string{"serve", "--data-dir", dataDir, "--nats-listen", strings.TrimPrefix(rs.url, "nats://"),
		"--http", "", "--workers", "2", "--database-url", ""}, extra...)
	go func() { served <- run(ctx, args, strings.NewReader(""), &bytes.Buffer{}, rs.log) }()
	stopped := false
	rs.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if code := <-served; code != 0 {
			t.Errorf("serve exited %d:\n%s", code, rs.log.String())
		}
	}
	t.Cleanup(rs.stop)
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(rs.log.String(), "worker running") {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", rs.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return rs
}

func (rs *runningServe) js() jetstream.JetStream {
	rs.t.Helper()
	nc, err := natsx.Connect(rs.url, natsx.ClientOptions{Name: rs.t.Name()})
	if err != nil {
		rs.t.Fatal(err)
	}
	rs.t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		rs.t.Fatal(err)
	}
	return js
}

// waitDone waits until n uploads have an outcome.
func waitDone(t *testing.T, js jetstream.JetStream, n int) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		st, err := js.Stream(context.Background(), worker.DoneStream)
		if err == nil {
			info, err := st.Info(context.Background())
			if err == nil && info.State.Msgs >= uint64(n) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d uploads finished", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// plantedUpload is a log with sensitive values unique to it.
func plantedUpload(i int) (content []byte, values []string) {
	r := keyring.Random(8)
	email := fmt.Sprintf("planted.%x@example.org", r[:4])
	phone := fmt.Sprintf("(212) 555-%04d", int(r[4])<<8|int(r[5])%10000)
	token := "ghp_" + strings.ToUpper(fmt.Sprintf("%x", keyring.Random(18)))
	marker := fmt.Sprintf("PlantedMarker%x", r)
	var b strings.Builder
	fmt.Fprintf(&b, "2026-03-01 10:00:%02d INFO user %s called from %s\n", i%60, email, phone)
	fmt.Fprintf(&b, "2026-03-01 10:00:%02d ERROR auth failed token=%s trace=%s\n", i%60, token, marker)
	b.WriteString(strings.Repeat("2026-03-01 10:00:02 ERROR java.net.ConnectException: Connection refused\n", 3))
	if i%10 == 0 { // every tenth upload is large enough for the payload bucket
		b.WriteString(strings.Repeat("2026-03-01 10:00:03 DEBUG padding line for the object store path\n", 1200))
	}
	return []byte(b.String()), []string{email, marker, token}
}

// filesContaining lists the files under dir whose bytes contain any needle.
func filesContaining(t *testing.T, dir string, needles []string) map[string]string {
	t.Helper()
	hits := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, n := range needles {
			if bytes.Contains(b, []byte(n)) {
				hits[p] = n
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

// After 100 uploads, no planted value is in any file under the data dir:
// JetStream's files are encrypted by the server, case bodies by tenant keys.
func TestServePlantedValuesNeverOnDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("processes 100 uploads")
	}
	dataDir := t.TempDir()
	rs := startServe(t, dataDir)
	js := rs.js()
	var planted []string
	for i := 0; i < 100; i++ {
		content, values := plantedUpload(i)
		planted = append(planted, values...)
		sub := worker.Submission{Tenant: fmt.Sprintf("tenant%d", i%3), Name: fmt.Sprintf("app-%d.log", i), Content: bytes.NewReader(content)}
		if _, err := worker.Submit(context.Background(), js, sub); err != nil {
			t.Fatal(err)
		}
	}
	waitDone(t, js, 100)
	rs.stop()
	for _, sub := range []string{"jetstream", "store", "keys"} {
		if _, err := os.Stat(filepath.Join(dataDir, sub)); err != nil {
			t.Fatalf("nothing under %s: %v", sub, err)
		}
	}
	if hits := filesContaining(t, dataDir, planted); len(hits) > 0 {
		t.Errorf("planted values on disk: %v", hits)
	}
	// The data is there and readable with the keys: 100 cases.
	st, err := openReadStore(context.Background(), "", dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n := 0
	for _, tenant := range []string{"tenant0", "tenant1", "tenant2"} {
		cs, err := st.ListCases(context.Background(), caseFilter(tenant))
		if err != nil {
			t.Fatal(err)
		}
		n += len(cs)
	}
	if n != 100 {
		t.Errorf("%d cases readable after restart, want 100", n)
	}
}

func caseFilter(tenant string) triage.CaseFilter {
	return triage.CaseFilter{Tenant: tenant, Limit: 1000}
}
