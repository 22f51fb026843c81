package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/internal/keyring"
	"github.com/logtriage/logtriage/internal/natsx"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/store/postgres"
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
	t.Setenv("LOGTRIAGE_DATA_DIR", dataDir) // where the CLI finds its NATS key
	args := append([]string{"serve", "--data-dir", dataDir, "--nats-listen", strings.TrimPrefix(rs.url, "nats://"),
		"--http", "", "--listen", "", "--workers", "2", "--database-url", ""}, extra...)
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
	nc, err := natsx.Connect(rs.url, natsx.ClientOptions{Name: rs.t.Name(),
		NkeySeed: natsCreds(rs.dataDir).SeedPath(cliIdentity), Identity: cliIdentity})
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

// waitDoneOrLog is waitDone that shows serve's log when it times out.
func waitDoneOrLog(t *testing.T, js jetstream.JetStream, n int, rs *runningServe) {
	t.Helper()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("serve's log:\n%s", rs.log.String())
		}
	})
	waitDone(t, js, n)
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
// JetStream's files are encrypted by the server, case bodies by tenant keys;
// with PostgreSQL, not in any of its tables either.
func TestServePlantedValuesNeverOnDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("processes 100 uploads")
	}
	t.Run("embedded store", func(t *testing.T) { testPlantedValues(t, "") })
	t.Run("postgres store", func(t *testing.T) {
		url := os.Getenv("LOGTRIAGE_TEST_DATABASE_URL")
		if url == "" {
			t.Skip("LOGTRIAGE_TEST_DATABASE_URL is not set; ./scripts/test.sh starts PGlite")
		}
		testPlantedValues(t, url)
	})
}

func testPlantedValues(t *testing.T, dbURL string) {
	if dbURL != "" {
		// serve uses the default schema: a clean one, so no other run's data
		// keys (wrapped by another master key) are in it.
		dropDefaultSchema(t, dbURL)
		t.Cleanup(func() { dropDefaultSchema(t, dbURL) })
	}
	dataDir := t.TempDir()
	rs := startServe(t, dataDir, "--database-url", dbURL)
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
	waitDoneOrLog(t, js, 100, rs)
	rs.stop()
	for _, sub := range []string{"jetstream", "keys"} {
		if _, err := os.Stat(filepath.Join(dataDir, sub)); err != nil {
			t.Fatalf("nothing under %s: %v", sub, err)
		}
	}
	if hits := filesContaining(t, dataDir, planted); len(hits) > 0 {
		t.Errorf("planted values on disk: %v", hits)
	}
	if dbURL != "" {
		dump := dumpTables(t, dbURL, "logtriage")
		for _, v := range planted {
			if bytes.Contains(dump, []byte(v)) {
				t.Errorf("planted value %s in the PostgreSQL tables", v)
			}
		}
	}
	// The data is there and readable with the keys: 100 cases.
	st, err := openReadStore(context.Background(), dbURL, dataDir)
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
	if n < 100 {
		t.Errorf("%d cases readable after restart, want 100", n)
	}
}

func dropDefaultSchema(t *testing.T, url string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := postgres.DropSchema(ctx, url, "logtriage"); err != nil {
		t.Fatal(err)
	}
}

// dumpTables is every row of every table of the schema as COPY writes it
// (what a dump holds), read through psql too when it is installed.
func dumpTables(t *testing.T, url, schema string) []byte {
	t.Helper()
	dump, tables, err := postgres.DumpSchema(context.Background(), url, schema)
	if err != nil || len(tables) < 5 {
		t.Fatalf("tables of %s: %v, %v", schema, tables, err)
	}
	out := bytes.NewBuffer(dump)
	if _, err := exec.LookPath("psql"); err == nil {
		for _, tbl := range tables {
			name := pgx.Identifier{schema, tbl}.Sanitize()
			if b, err := exec.Command("psql", url, "-At", "-c", "COPY "+name+" TO STDOUT").Output(); err == nil {
				out.Write(b)
			}
		}
	}
	return out.Bytes()
}

func caseFilter(tenant string) triage.CaseFilter {
	return triage.CaseFilter{Tenant: tenant, Limit: 1000}
}

// copyTree copies the files under from into to (the lock files too: a
// backup is a plain copy).
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// submitN submits n uploads per tenant and returns the planted values by tenant.
func submitN(t *testing.T, js jetstream.JetStream, n int, tenants ...string) map[string][]string {
	t.Helper()
	planted := map[string][]string{}
	for i := 0; i < n; i++ {
		for _, tenant := range tenants {
			content, values := plantedUpload(i)
			planted[tenant] = append(planted[tenant], values...)
			if _, err := worker.Submit(context.Background(), js, worker.Submission{Tenant: tenant, Name: fmt.Sprintf("%s-%d.log", tenant, i), Content: bytes.NewReader(content)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return planted
}

func countCases(t *testing.T, dataDir, tenant string) ([]*triage.Case, error) {
	t.Helper()
	st, err := openReadStore(context.Background(), "", dataDir)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return st.ListCases(context.Background(), caseFilter(tenant))
}

// uploadsHeld counts the tenant's upload messages in serve's JetStream files.
func uploadsHeld(t *testing.T, dataDir, tenant string) uint64 {
	t.Helper()
	keys, err := keyFlags{}.load(dataDir, func(string) string { return "" }, stderrLogger(io.Discard), false)
	if err != nil {
		t.Fatal(err)
	}
	srv, nc, js, err := startEmbeddedNATS(dataDir, keys)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	defer nc.Close()
	st, err := js.Stream(context.Background(), worker.UploadsStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background(), jetstream.WithSubjectFilter(worker.UploadSubject(tenant)))
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Subjects[worker.UploadSubject(tenant)]
}

// Tenant delete, then an old copy of the data (store and JetStream files)
// is restored: the tenant's cases cannot be read (its key is gone), the
// other tenant's are intact, and serve removes the restored uploads again.
func TestTenantDeleteThenRestoreOldCopy(t *testing.T) {
	if testing.Short() {
		t.Skip("runs serve")
	}
	dataDir := t.TempDir()
	rs := startServe(t, dataDir)
	js := rs.js()
	planted := submitN(t, js, 4, "acme", "globex")
	waitDone(t, js, 8)

	// With serve running the embedded store is serve's: the commands say so.
	code, _, errOut := runServeCLI(t, "tenant", "delete", "--data-dir", dataDir, "acme")
	if code != 1 || !strings.Contains(errOut, "held by a running serve") {
		t.Errorf("tenant delete while serve runs: exit %d, %s", code, errOut)
	}
	rs.stop()

	backup := t.TempDir()
	for _, sub := range []string{"store", "jetstream"} {
		copyTree(t, filepath.Join(dataDir, sub), filepath.Join(backup, sub))
	}
	code, out, errOut := runServeCLI(t, "tenant", "delete", "--data-dir", dataDir, "acme")
	if code != 0 || !strings.Contains(out, "tenant acme deleted") {
		t.Fatalf("tenant delete: exit %d\n%s%s", code, out, errOut)
	}
	if evs := auditEvents(t, dataDir, "acme", audit.ActionTenantDeleted); len(evs) != 1 || evs[0].Detail["data_key_destroyed"] != "true" {
		t.Errorf("tenant.deleted events: %+v", evs)
	}
	if cs, err := countCases(t, dataDir, "acme"); err != nil || len(cs) != 0 {
		t.Errorf("after delete: %d acme cases, %v", len(cs), err)
	}
	if n := uploadsHeld(t, dataDir, "acme"); n != 0 {
		t.Errorf("after delete: %d acme uploads in JetStream", n)
	}

	// Restore the old copy of the data over the current one.
	for _, sub := range []string{"store", "jetstream"} {
		if err := os.RemoveAll(filepath.Join(dataDir, sub)); err != nil {
			t.Fatal(err)
		}
		copyTree(t, filepath.Join(backup, sub), filepath.Join(dataDir, sub))
	}
	if cs, err := countCases(t, dataDir, "acme"); err != nil || len(cs) != 0 {
		t.Errorf("restored copy: %d acme cases readable (%v); its data key is destroyed", len(cs), err)
	}
	globex, err := countCases(t, dataDir, "globex")
	if err != nil || len(globex) != 4 || globex[0].Summary == "" {
		t.Fatalf("restored copy: globex has %d readable cases, %v", len(globex), err)
	}
	if n := uploadsHeld(t, dataDir, "acme"); n != 4 {
		t.Fatalf("the restored JetStream copy holds %d acme uploads; the test needs the old copy back", n)
	}
	// serve's first purge finds the deleted tenant in the restored copy and removes it again.
	rs = startServe(t, dataDir)
	rs.stop()
	if !strings.Contains(rs.log.String(), "deleted tenant found in restored data") {
		t.Errorf("serve did not report the restored deleted tenant:\n%s", rs.log.String())
	}
	if n := uploadsHeld(t, dataDir, "acme"); n != 0 {
		t.Errorf("after serve's start: %d acme uploads still held", n)
	}
	if n := uploadsHeld(t, dataDir, "globex"); n != 4 {
		t.Errorf("globex's uploads: %d, want 4 untouched", n)
	}
	if hits := filesContaining(t, dataDir, planted["acme"]); len(hits) > 0 {
		t.Errorf("acme's planted values readable on disk: %v", hits)
	}
}

// keys rotate re-wraps the data keys under a new master key: after it and a
// restart everything reads; the old master key alone opens nothing new.
func TestKeysRotate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs serve")
	}
	dataDir := t.TempDir()
	rs := startServe(t, dataDir)
	js := rs.js()
	submitN(t, js, 3, "acme", "globex")
	waitDone(t, js, 6)
	rs.stop()
	oldText, err := os.ReadFile(filepath.Join(dataDir, keysDirName, masterKeyName))
	if err != nil {
		t.Fatal(err)
	}
	oldMaster, _ := keyring.ParseMaster(oldText)

	code, out, errOut := runServeCLI(t, "keys", "rotate", "--data-dir", dataDir)
	if code != 0 || !strings.Contains(out, "re-wrapped 2 data keys") {
		t.Fatalf("keys rotate: exit %d\n%s%s", code, out, errOut)
	}
	newText, _ := os.ReadFile(filepath.Join(dataDir, keysDirName, masterKeyName))
	if bytes.Equal(bytes.TrimSpace(newText), bytes.TrimSpace(oldText)) {
		t.Fatal("master.key is unchanged")
	}
	if _, err := os.Stat(filepath.Join(dataDir, keysDirName, nextMasterKeyName)); err == nil {
		t.Error("the next-key file is left behind")
	}
	// The old master key alone no longer opens the re-wrapped data keys.
	ds, err := keyring.OpenDirStore(filepath.Join(dataDir, keysDirName, dataKeysDirName))
	if err != nil {
		t.Fatal(err)
	}
	withOld := keyring.New(oldMaster, ds)
	if _, err := withOld.Seal(context.Background(), "acme", []byte("x"), nil); err == nil {
		t.Error("the old master key still unwraps acme's data key")
	}

	// Restart: serve reads JetStream (re-keyed) and the store with the new key.
	rs = startServe(t, dataDir)
	js = rs.js()
	submitN(t, js, 1, "acme")
	waitDone(t, js, 7)
	rs.stop()
	for tenant, want := range map[string]int{"acme": 4, "globex": 3} {
		if cs, err := countCases(t, dataDir, tenant); err != nil || len(cs) != want {
			t.Errorf("after rotate and restart: %s has %d cases (%v), want %d", tenant, len(cs), err, want)
		}
	}
}

func TestPurgeCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("runs serve")
	}
	dataDir := t.TempDir()
	rs := startServe(t, dataDir)
	js := rs.js()
	submitN(t, js, 2, "acme")
	waitDone(t, js, 2)
	code, _, errOut := runServeCLI(t, "purge", "--data-dir", dataDir)
	if code != 1 || !strings.Contains(errOut, "held by a running serve") {
		t.Errorf("purge while serve runs: exit %d, %s", code, errOut)
	}
	rs.stop()
	// Windows of zero length: everything is due.
	policy := filepath.Join(t.TempDir(), "retention.json")
	os.WriteFile(policy, []byte(`{"default":{"raw":"1ns","quarantined":"1ns","incomplete":"1ns","cases":"1ns","audit":"1ns"}}`), 0o600)
	code, out, errOut := runServeCLI(t, "purge", "--dry-run", "--data-dir", dataDir, "--retention", policy)
	if code != 0 || !strings.Contains(out, "would remove 2 raw uploads, 2 cases") {
		t.Fatalf("purge --dry-run: exit %d\n%s%s", code, out, errOut)
	}
	if cs, _ := countCases(t, dataDir, "acme"); len(cs) != 2 {
		t.Errorf("a dry run removed cases: %d left", len(cs))
	}
	code, out, errOut = runServeCLI(t, "purge", "--data-dir", dataDir, "--retention", policy, "--format", "json")
	if code != 0 || !strings.Contains(out, `"dry_run": false`) {
		t.Fatalf("purge: exit %d\n%s%s", code, out, errOut)
	}
	if cs, _ := countCases(t, dataDir, "acme"); len(cs) != 0 {
		t.Errorf("%d cases left after the purge", len(cs))
	}
	if n := uploadsHeld(t, dataDir, "acme"); n != 0 {
		t.Errorf("%d raw uploads left after the purge", n)
	}
	if evs := auditEvents(t, dataDir, "acme", audit.ActionPurge); len(evs) != 1 || evs[0].Detail["cases"] != "2" || evs[0].Detail["raw_uploads"] != "2" {
		t.Errorf("retention.purged events: %+v", evs)
	}
}

// auditEvents are the tenant's audit events of one action in the store's trail.
func auditEvents(t *testing.T, dataDir, tenant, action string) []audit.Event {
	t.Helper()
	st, as, err := openAuditStore(context.Background(), "", dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	evs, err := as.QueryAudit(context.Background(), audit.Query{Tenant: tenant, Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// serve started with another master key than its data's refuses to start,
// naming the cause, rather than failing each tenant's uploads one by one.
func TestServeRefusesAnotherMasterKey(t *testing.T) {
	if testing.Short() {
		t.Skip("runs serve")
	}
	dataDir := t.TempDir()
	rs := startServe(t, dataDir)
	submitN(t, rs.js(), 1, "acme")
	waitDone(t, rs.js(), 1)
	rs.stop()
	t.Setenv(envMasterKey, keyring.EncodeKey(keyring.Random(keyring.KeySize)))
	var log serveLogBuffer
	code := run(context.Background(), []string{"serve", "--data-dir", dataDir, "--nats-listen", fmt.Sprintf("127.0.0.1:%d", freeServePort(t)), "--http", "", "--listen", "", "--database-url", ""},
		strings.NewReader(""), &bytes.Buffer{}, &log)
	// Could not run: exit 2 (docs/cli.md's convention).
	if code != 2 || !strings.Contains(log.String(), "master key") {
		t.Errorf("serve with another master key: exit %d\n%s", code, log.String())
	}
}

// serve purges on its schedule: with windows shorter than the test, an
// upload's case and raw upload are gone within a few purge periods.
func TestServePurgesOnSchedule(t *testing.T) {
	if testing.Short() {
		t.Skip("runs serve")
	}
	dataDir := t.TempDir()
	policy := filepath.Join(t.TempDir(), "retention.json")
	os.WriteFile(policy, []byte(`{"default":{"raw":"2s","quarantined":"2s","incomplete":"2s","cases":"2s","audit":"2s"}}`), 0o600)
	rs := startServe(t, dataDir, "--retention", policy, "--purge-every", "200ms")
	js := rs.js()
	submitN(t, js, 2, "acme")
	waitDone(t, js, 2)
	deadline := time.Now().Add(30 * time.Second)
	// The raw uploads go by the purge or by the streams' MaxAge (the same 2s), whichever comes first.
	for !strings.Contains(rs.log.String(), `msg="retention purge" raw_uploads=`) || !strings.Contains(rs.log.String(), " cases=2 ") {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not purge the expired upload and case:\n%s", rs.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	rs.stop()
	if strings.Contains(rs.log.String(), "level=ERROR") {
		t.Errorf("the purge logged an error:\n%s", rs.log.String())
	}
	if cs, err := countCases(t, dataDir, "acme"); err != nil || len(cs) != 0 {
		t.Errorf("%d cases left (%v)", len(cs), err)
	}
	if n := uploadsHeld(t, dataDir, "acme"); n != 0 {
		t.Errorf("%d raw uploads left", n)
	}
}
