package worker

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/logtriage/logtriage/internal/natsx"
	"github.com/logtriage/logtriage/triage"
)

// planted are format-valid fake secrets and PII, built at run time.
type planted struct {
	email, card, iban, awsKey, githubToken, password string
}

func newPlanted(seed uint64) planted {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	pick := func(alphabet string, n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	const upper, alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	return planted{
		email:       "maria." + pick("abcdefghijklmnopqrstuvwxyz", 8) + "@example.org",
		card:        luhnComplete("4539" + pick("0123456789", 11)),
		iban:        ibanDE(pick("0123456789", 18)),
		awsKey:      "AKIA" + pick(upper, 16),
		githubToken: "ghp_" + pick(alnum, 36),
		password:    "Zx" + pick(alnum, 14),
	}
}

func (p planted) values() []string {
	return []string{p.email, p.card, p.iban, p.awsKey, p.githubToken, p.password}
}

// log is a database incident with the planted values in it.
func (p planted) log() []byte {
	var b strings.Builder
	for i := range 40 {
		fmt.Fprintf(&b, "2026-01-05 10:%02d:%02d INFO  OrderService - processed order %d in %dms\r\n", i/60, i%60, 1000+i, 20+i)
	}
	fmt.Fprintf(&b, "2026-01-05 10:01:00 INFO  CheckoutController - checkout started for %s\r\n", p.email)
	fmt.Fprintf(&b, "2026-01-05 10:01:01 DEBUG PaymentGateway - charging card %s iban %s\r\n", p.card, p.iban)
	fmt.Fprintf(&b, "2026-01-05 10:01:02 DEBUG S3Client - using aws_access_key_id=%s\r\n", p.awsKey)
	fmt.Fprintf(&b, "2026-01-05 10:01:03 DEBUG Deploy - GITHUB_TOKEN=%s\r\n", p.githubToken)
	fmt.Fprintf(&b, "2026-01-05 10:01:04 DEBUG DataSource - jdbc url with password=%s\r\n", p.password)
	for i := range 5 {
		fmt.Fprintf(&b, "2026-01-05 10:02:%02d ERROR HikariPool-1 - Connection is not available, request timed out after 30000ms.\r\n", i)
		b.WriteString("org.postgresql.util.PSQLException: FATAL: sorry, too many clients already\r\n")
		b.WriteString("\tat org.postgresql.core.v3.ConnectionFactoryImpl.doAuthentication(ConnectionFactoryImpl.java:613)\r\n")
		b.WriteString("\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:181)\r\n")
	}
	return []byte(b.String())
}

func luhnComplete(prefix string) string {
	sum := 0
	for i := len(prefix) - 1; i >= 0; i-- {
		d := int(prefix[i] - '0')
		if (len(prefix)-i)%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return prefix + fmt.Sprint((10-sum%10)%10)
}

func ibanDE(bban string) string {
	// Check digits: 98 - (BBAN + "DE00" as digits) mod 97.
	digits := bban + "131400"
	rem := 0
	for _, c := range digits {
		rem = (rem*10 + int(c-'0')) % 97
	}
	return fmt.Sprintf("DE%02d%s", 98-rem, bban)
}

// syncBuffer collects the worker's log lines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestEndToEndCaseAndAlertCarryNoRawValues(t *testing.T) {
	for name, inlineMax := range map[string]int64{"inline": 0, "payload bucket": -1} {
		t.Run(name, func(t *testing.T) { testEndToEnd(t, inlineMax) })
	}
}

func testEndToEnd(t *testing.T, inlineMax int64) {
	e := newEnv(t)
	var logs syncBuffer
	e.startWorker(e.pipeline(nil), func(o *Options) { o.Logger = slog.New(slog.NewJSONHandler(&logs, nil)) })
	secrets := newPlanted(1)
	r, err := Submit(context.Background(), e.js, Submission{Tenant: "acme", Name: "02855523_db.log",
		Content: bytes.NewReader(secrets.log()), InlineMax: inlineMax})
	if err != nil {
		t.Fatal(err)
	}
	if r.Event.Inline != (inlineMax >= 0) || r.Event.Content != nil {
		t.Fatalf("receipt: inline %v with %d content bytes", r.Event.Inline, len(r.Event.Content))
	}

	out := e.outcome(r.Event.UploadID)
	if out.Status != triage.StatusTriaged || out.Case == nil {
		t.Fatalf("outcome = %+v", out)
	}
	c := out.Case
	if c.ID != triage.CaseID("acme", r.Event.UploadID) || c.Tenant != "acme" || c.CaseRef != "02855523" {
		t.Errorf("case identity: id %s tenant %s ref %q", c.ID, c.Tenant, c.CaseRef)
	}
	if c.Queue != "database" {
		t.Errorf("queue = %q, want database (category %s)", c.Queue, c.Category)
	}
	caseMsgs := e.messages(CasesStream, CaseSubject(c.Queue))
	if len(caseMsgs) != 1 || caseMsgs[0].Headers().Get(HeaderCaseID) != c.ID {
		t.Fatalf("%d messages on %s, want the case", len(caseMsgs), CaseSubject(c.Queue))
	}
	if !c.Alerted {
		t.Fatalf("no PII alert for a log with a card, an IBAN and cloud keys (risk %+v)", c.PIIRisk)
	}
	alerts := e.messages(AlertsStream, DefaultAlertSubject)
	if len(alerts) != 1 {
		t.Fatalf("%d alerts on %s, want 1", len(alerts), DefaultAlertSubject)
	}
	alert := decode[triage.Alert](t, alerts[0].Data())
	if alert.CaseID != c.ID || alert.Tenant != "acme" || len(alert.Findings) == 0 {
		t.Errorf("alert = %+v", alert)
	}
	types := map[string]bool{}
	for _, f := range alert.Findings {
		types[f.Type] = true
		if len(f.Fingerprints) == 0 || len(f.Locations) == 0 {
			t.Errorf("finding %s without fingerprints or locations", f.Type)
		}
	}
	for _, want := range []string{"email", "credit_card", "aws_access_key_id", "github_token"} {
		if !types[want] {
			t.Errorf("alert lacks %s; has %v", want, types)
		}
	}
	// The final status is durable with the case, before anything is published.
	if st := e.status("acme", r.Event.UploadID); st != triage.StatusTriaged {
		t.Errorf("status after the outcome = %q, want triaged", st)
	}

	storeLog, err := os.ReadFile(filepath.Join(e.storeDir, "store.log"))
	if err != nil {
		t.Fatal(err)
	}
	places := map[string][]byte{
		"case message":  caseMsgs[0].Data(),
		"alert message": alerts[0].Data(),
		"store":         storeLog,
		"worker logs":   []byte(logs.String()),
	}
	for _, m := range e.messages(DoneStream, DoneSubjectPrefix+"*") {
		places["done message"] = m.Data()
	}
	for where, data := range places {
		for _, v := range secrets.values() {
			if bytes.Contains(data, []byte(v)) {
				t.Errorf("%s contains the raw planted value %q", where, v)
			}
		}
	}
	if n := len(e.messages(DLQStream, ">")); n != 0 {
		t.Errorf("%d dead letters for a good upload", n)
	}
}

func TestKilledMidCaseIsRedeliveredOnce(t *testing.T) {
	e := newEnv(t)
	g := newGate()
	defer close(g.release)
	first := e.startWorker(e.pipeline(g), func(o *Options) { o.ShutdownGrace = time.Millisecond })
	r := e.submit("acme", "crash.log", newPlanted(2).log())
	<-g.entered

	// Crash: the connection goes away and in-flight work is abandoned.
	first.nc.Close()
	first.stop()
	if st := e.status("acme", r.Event.UploadID); st != triage.StatusProcessing {
		t.Fatalf("status after the crash = %q, want processing", st)
	}

	e.startWorker(e.pipeline(nil), nil)
	out := e.outcome(r.Event.UploadID)
	if out.Status != triage.StatusTriaged {
		t.Fatalf("outcome after redelivery = %+v", out)
	}
	cases, err := e.store.ListCases(context.Background(), triage.CaseFilter{Tenant: "acme"})
	if err != nil || len(cases) != 1 {
		t.Fatalf("store has %d cases (%v), want exactly 1", len(cases), err)
	}
	if n := len(e.messages(CasesStream, ">")); n != 1 {
		t.Fatalf("cases stream has %d messages, want exactly 1", n)
	}
	e.waitDrained()
}

// waitDrained waits until the worker consumer has nothing pending or unacked.
func (e *env) waitDrained() {
	e.t.Helper()
	cons, err := e.js.Consumer(context.Background(), UploadsStream, WorkerConsumer)
	if err != nil {
		e.t.Fatal(err)
	}
	eventually(e.t, "every upload acked", func() bool {
		info, err := cons.Info(context.Background())
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0
	})
}

func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	e := newEnv(t)
	g := newGate()
	w := e.startWorker(e.pipeline(g), nil)
	r := e.submit("acme", "slow.log", newPlanted(3).log())
	<-g.entered
	w.cancel() // SIGTERM: stop fetching, finish what is in flight
	select {
	case <-w.done:
		t.Fatal("Run returned with an upload in flight")
	case <-time.After(50 * time.Millisecond):
	}
	close(g.release)
	<-w.done
	if st := e.status("acme", r.Event.UploadID); st != triage.StatusTriaged {
		t.Fatalf("status = %q, want triaged before Run returned", st)
	}
	e.waitDrained()
}

func TestSlowPipelineKeepsItsDeliveryWithHeartbeats(t *testing.T) {
	e := newEnv(t)
	g := newGate()
	e.startWorker(e.pipeline(g), func(o *Options) { o.Heartbeat = 200 * time.Millisecond })
	r := e.submit("acme", "slow.log", newPlanted(4).log())
	<-g.entered
	// Three ack waits: without heartbeats the upload would be redelivered.
	time.Sleep(3 * e.topo.AckWait)
	close(g.release)
	if out := e.outcome(r.Event.UploadID); out.Status != triage.StatusTriaged {
		t.Fatalf("outcome = %+v", out)
	}
	cons, _ := e.js.Consumer(context.Background(), UploadsStream, WorkerConsumer)
	info, _ := cons.Info(context.Background())
	if info.NumRedelivered != 0 || info.Delivered.Consumer != 1 {
		t.Fatalf("delivered %d times, want once", info.Delivered.Consumer)
	}
}

func TestPoisonUploadsAreDeadLettered(t *testing.T) {
	e := newEnv(t)
	e.startWorker(e.pipeline(nil), nil)
	publish := func(subject, msgID string, body []byte) {
		t.Helper()
		m := &nats.Msg{Subject: subject, Data: body}
		if _, err := e.js.PublishMsg(context.Background(), m, jetstream.WithMsgID(msgID)); err != nil {
			t.Fatal(err)
		}
	}
	missing := UploadEvent{Tenant: "acme", UploadID: "umissing", Name: "gone.log", Size: 10,
		SHA256: strings.Repeat("ab", 32), Object: "umissing"}
	secret := newPlanted(11)
	forged := []byte("login for " + secret.email + " with password=" + secret.password + "\n")
	tests := []struct {
		name, uploadID, reason string
		publish                func()
	}{
		{"garbage event", "ugarbage", "bad_event", func() {
			publish(UploadSubject("acme"), "ugarbage", []byte("\x00\xffnot json{"))
		}},
		{"event missing fields", "uincomplete", "bad_event", func() {
			publish(UploadSubject("acme"), "uincomplete", []byte(`{"tenant":"acme","upload_id":"uincomplete"}`))
		}},
		{"tenant differs from subject", "uspoof", "bad_event", func() {
			ev := missing
			ev.Tenant, ev.UploadID = "globex", "uspoof"
			publish(UploadSubject("acme"), "uspoof", mustJSON(t, ev))
		}},
		{"missing object", "umissing", "missing_object", func() {
			publish(UploadSubject("acme"), "umissing", mustJSON(t, missing))
		}},
		{"inline content not matching its sha256", "uforged", "digest_mismatch", func() {
			ev := missing
			ev.UploadID, ev.Object, ev.Inline, ev.Content = "uforged", "", true, forged
			ev.Size = int64(len(forged))
			m, err := eventMessage(ev)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.js.PublishMsg(context.Background(), m, jetstream.WithMsgID("uforged")); err != nil {
				t.Fatal(err)
			}
		}},
		{"inline content in the event JSON", "uinjson", "bad_event", func() {
			publish(UploadSubject("acme"), "uinjson", mustJSON(t, map[string]any{"tenant": "acme", "upload_id": "uinjson",
				"name": "a.log", "size": len(forged), "sha256": strings.Repeat("ab", 32), "inline": true, "content": forged}))
		}},
		{"inline event missing fields", "uinlinebad", "bad_event", func() {
			publish(UploadSubject("acme"), "uinlinebad", mustJSON(t, map[string]any{
				"tenant": "acme", "upload_id": "uinlinebad", "inline": true, "content": forged}))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.publish()
			var dl DeadLetter
			eventually(t, "a dead letter", func() bool {
				for _, m := range e.messages(DLQStream, DLQSubject) {
					if m.Headers().Get(HeaderUploadID) == tc.uploadID {
						dl = decode[DeadLetter](t, m.Data())
						if m.Headers().Get(HeaderReason) != tc.reason {
							t.Errorf("reason header = %q", m.Headers().Get(HeaderReason))
						}
						return true
					}
				}
				return false
			})
			if dl.Reason != tc.reason || dl.Detail == "" || dl.StreamSeq == 0 {
				t.Errorf("dead letter = %+v, want reason %s with a detail", dl, tc.reason)
			}
			eventually(t, "status failed", func() bool { return e.status("acme", tc.uploadID) == triage.StatusFailed })
		})
	}
	e.waitDrained()
	if n := len(e.messages(CasesStream, ">")); n != 0 {
		t.Errorf("poison produced %d cases", n)
	}
	// Inline content is raw log data: the dead letters keep the event without it.
	for _, m := range e.messages(DLQStream, ">") {
		for _, v := range append(secret.values(), base64.StdEncoding.EncodeToString(forged)[:24]) {
			if bytes.Contains(m.Data(), []byte(v)) {
				t.Errorf("dead letter %s contains %q", m.Headers().Get(HeaderUploadID), v)
			}
		}
	}
}

func TestSubmitInlinesSmallUploadsOnly(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	obs, err := e.js.ObjectStore(ctx, PayloadBucket)
	if err != nil {
		t.Fatal(err)
	}
	const limit = 1000
	big := bytes.Repeat([]byte("2026-01-05 10:00:00 INFO filler line\n"), 1_500_000/37) // over the 1 MiB payload cap
	tests := []struct {
		name      string
		size      int
		inlineMax int64
		inline    bool
	}{
		{"empty file", 0, limit, true},
		{"at the limit", limit, limit, true},
		{"one byte over", limit + 1, limit, false},
		{"inlining off", 10, -1, false},
		{"over the server's payload cap", len(big), 4 << 20, false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			content := big[:tc.size]
			if tc.size < len(big) {
				content = append([]byte(fmt.Sprintf("%d ", i)), big[:max(tc.size-2, 0)]...)[:tc.size]
			}
			r, err := Submit(ctx, e.js, Submission{Tenant: "acme", Name: fmt.Sprintf("f%d.log", i),
				Content: bytes.NewReader(content), InlineMax: tc.inlineMax})
			if err != nil {
				t.Fatal(err)
			}
			if r.Event.Inline != tc.inline || r.Event.Size != int64(tc.size) {
				t.Fatalf("inline = %v size %d, want inline %v size %d", r.Event.Inline, r.Event.Size, tc.inline, tc.size)
			}
			msgs := e.messages(UploadsStream, UploadSubject("acme"))
			last := msgs[len(msgs)-1]
			ev, err := DecodeEvent(last.Headers(), last.Data())
			if err != nil {
				t.Fatal(err)
			}
			if ev.UploadID != r.Event.UploadID || ev.Inline != tc.inline {
				t.Fatalf("stored event %s inline %v", ev.UploadID, ev.Inline)
			}
			_, objErr := obs.GetInfo(ctx, r.Event.UploadID)
			if tc.inline && (!bytes.Equal(ev.Content, content) || ev.Object != "" || objErr == nil) {
				t.Errorf("inline upload: %d content bytes, object %q, bucket lookup %v", len(ev.Content), ev.Object, objErr)
			}
			if !tc.inline && (len(ev.Content) != 0 || ev.Object != r.Event.UploadID || objErr != nil) {
				t.Errorf("bucket upload: %d content bytes in the event, object %q, bucket lookup %v", len(ev.Content), ev.Object, objErr)
			}
		})
	}
}

func TestBadContentIsQuarantinedNotDeadLettered(t *testing.T) {
	e := newEnv(t)
	e.startWorker(e.pipeline(nil), nil)
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	f, _ := zw.Create("../../etc/cron.d/evil.log")
	f.Write([]byte("ERROR x\n"))
	zw.Close()
	elf := append([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0}, bytes.Repeat([]byte{0, 1, 2, 3, 0xff}, 200)...)
	// 64 MiB of one repeated line in a zip of about 64 KiB: the pipeline stops
	// inflating at its ratio cap (100:1 past 16 MiB).
	var bomb bytes.Buffer
	zw = zip.NewWriter(&bomb)
	f, _ = zw.Create("app.log")
	line := []byte("2026-01-05 10:00:00 INFO all quiet\n")
	if !testing.Short() { // 64 MiB of inflation is a size test: -short (the -race run) leaves it out
		for range (64 << 20) / len(line) {
			f.Write(line)
		}
	}
	zw.Close()
	var tarred bytes.Buffer
	gzw := gzip.NewWriter(&tarred)
	tw := tar.NewWriter(gzw)
	tw.WriteHeader(&tar.Header{Name: "../../../root/.ssh/authorized_keys", Mode: 0o644, Size: 8})
	tw.Write([]byte("ERROR x\n"))
	tw.Close()
	gzw.Close()

	for name, tc := range map[string]struct {
		content []byte
		reason  string
	}{
		"traversal.zip":    {zipped.Bytes(), "path traversal"},
		"binary.log":       {elf, "executable"},
		"bomb.zip":         {bomb.Bytes(), "compression ratio"},
		"traversal.tar.gz": {tarred.Bytes(), "path traversal"},
	} {
		t.Run(name, func(t *testing.T) {
			if name == "bomb.zip" && testing.Short() {
				t.Skip("-short: the bomb is a size test")
			}
			r := e.submit("acme", name, tc.content)
			out := e.outcome(r.Event.UploadID)
			if out.Status != triage.StatusQuarantined || out.Case == nil || !strings.Contains(out.Case.StatusReason, tc.reason) {
				t.Fatalf("outcome = %+v, want quarantined for %q", out, tc.reason)
			}
			eventually(t, "status quarantined", func() bool { return e.status("acme", r.Event.UploadID) == triage.StatusQuarantined })
			if len(e.messages(CasesStream, CaseSubject(out.Case.Queue))) == 0 {
				t.Errorf("quarantined case not published on %s", CaseSubject(out.Case.Queue))
			}
		})
	}
	e.waitDrained()
	if n := len(e.messages(DLQStream, ">")); n != 0 {
		t.Errorf("%d dead letters for quarantined content", n)
	}
}

func TestDuplicatesMakeOneCase(t *testing.T) {
	e := newEnv(t)
	e.startWorker(e.pipeline(nil), nil)
	content := newPlanted(5).log()
	first := e.submit("acme", "dup.log", content)
	again := e.submit("acme", "dup.log", content)
	if first.Duplicate || !again.Duplicate || again.Event.UploadID != first.Event.UploadID {
		t.Fatalf("resubmit: first dup=%v, second dup=%v, ids %s %s", first.Duplicate, again.Duplicate,
			first.Event.UploadID, again.Event.UploadID)
	}
	e.outcome(first.Event.UploadID)
	// The same event again past the stream's dedup (a producer retrying with
	// another message id) is redelivered work: still one case.
	stored := e.messages(UploadsStream, UploadSubject("acme"))[0]
	if _, err := e.js.PublishMsg(context.Background(), &nats.Msg{Subject: UploadSubject("acme"), Header: stored.Headers(), Data: stored.Data()},
		jetstream.WithMsgID("retry-"+first.Event.UploadID)); err != nil {
		t.Fatal(err)
	}
	// A broken copy of the event is dead-lettered, but does not undo the
	// finished upload it names.
	broken := mustJSON(t, map[string]any{"tenant": "acme", "upload_id": first.Event.UploadID, "inline": true})
	if _, err := e.js.PublishMsg(context.Background(), &nats.Msg{Subject: UploadSubject("acme"), Data: broken},
		jetstream.WithMsgID("broken-"+first.Event.UploadID)); err != nil {
		t.Fatal(err)
	}
	e.waitDrained()
	if st := e.status("acme", first.Event.UploadID); st != triage.StatusTriaged {
		t.Errorf("status after duplicates = %q, want triaged", st)
	}
	if out := e.outcome(first.Event.UploadID); out.Status != triage.StatusTriaged {
		t.Errorf("outcome after duplicates = %+v", out)
	}
	if n := len(e.messages(DLQStream, ">")); n != 1 {
		t.Errorf("%d dead letters, want 1 (the broken copy)", n)
	}
	cases, _ := e.store.ListCases(context.Background(), triage.CaseFilter{Tenant: "acme"})
	if len(cases) != 1 {
		t.Fatalf("%d cases in the store, want 1", len(cases))
	}
	if n := len(e.messages(CasesStream, ">")); n != 1 {
		t.Fatalf("%d case messages, want 1", n)
	}
	if other := e.submit("globex", "dup.log", content); other.Duplicate || other.Event.UploadID == first.Event.UploadID {
		t.Fatal("another tenant's identical file was taken for a duplicate")
	}
}

func TestReadersAndTenantIsolation(t *testing.T) {
	e := newEnv(t)
	e.startWorker(e.pipeline(nil), nil)
	var ids []string
	var last *triage.Case
	for i, tenant := range []string{"acme", "globex", "acme"} {
		r := e.submit(tenant, fmt.Sprintf("db-%d.log", i), newPlanted(uint64(10+i)).log())
		last = e.outcome(r.Event.UploadID).Case
		ids = append(ids, last.ID)
	}
	// The same incident again: the earlier acme case is suggested, never globex's.
	if len(last.Similar) != 1 || last.Similar[0].CaseID != ids[0] {
		t.Errorf("similar cases of the second acme upload = %+v, want only %s", last.Similar, ids[0])
	}
	ctx := context.Background()
	read := func(o ReadOptions) []string {
		var got []string
		if err := ReadCases(ctx, e.js, o, func(c *triage.Case) error { got = append(got, c.Tenant+"/"+c.ID); return nil }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := read(ReadOptions{Tenant: "acme"}); len(got) != 2 || !strings.HasPrefix(got[0], "acme/") || !strings.HasPrefix(got[1], "acme/") {
		t.Errorf("acme sees %v", got)
	}
	if got := read(ReadOptions{Tenant: "globex", Queue: "database"}); len(got) != 1 || got[0] != "globex/"+ids[1] {
		t.Errorf("globex sees %v", got)
	}
	if got := read(ReadOptions{Queue: "network"}); len(got) != 0 {
		t.Errorf("the network queue has %v", got)
	}
	var alerts []string
	if err := ReadAlerts(ctx, e.js, ReadOptions{Tenant: "globex"}, func(a *triage.Alert) error {
		alerts = append(alerts, a.Tenant)
		return nil
	}); err != nil || len(alerts) != 1 || alerts[0] != "globex" {
		t.Errorf("globex alerts = %v (%v)", alerts, err)
	}

	// Two agents on one queue never take the same case.
	a, err := NextCase(ctx, e.js, "database", "", time.Second)
	if err != nil || a == nil {
		t.Fatalf("first take: %v %v", a, err)
	}
	b, err := NextCase(ctx, e.js, "database", "", time.Second)
	if err != nil || b == nil || b.ID == a.ID {
		t.Fatalf("second take: %v %v", b, err)
	}
	// A tenant's view has its own position and sees only its cases.
	g, err := NextCase(ctx, e.js, "database", "globex", time.Second)
	if err != nil || g == nil || g.Tenant != "globex" {
		t.Fatalf("globex take: %+v %v", g, err)
	}
	if g2, err := NextCase(ctx, e.js, "database", "globex", 200*time.Millisecond); err != nil || g2 != nil {
		t.Fatalf("globex second take: %+v %v, want none", g2, err)
	}
}

func TestMetricsAndHealth(t *testing.T) {
	e := newEnv(t)
	rw := e.startWorker(e.pipeline(nil), nil)
	srv := httptest.NewServer(rw.w.Handler())
	defer srv.Close()
	r := e.submit("acme", "m.log", newPlanted(6).log())
	e.outcome(r.Event.UploadID)
	e.waitDrained()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	eventually(t, "ready", func() bool { code, _ := get("/readyz"); return code == 200 })
	_, body := get("/metrics")
	for _, want := range []string{
		`logtriage_uploads_processed_total{status="triaged"} 1`,
		`logtriage_upload_latency_seconds_count 1`,
		`logtriage_upload_queue_wait_seconds_count 1`,
		`logtriage_cases_classified_total{classifier="rules"} 1`,
		`logtriage_queue_pending 0`,
		`# TYPE logtriage_pipeline_duration_seconds histogram`,
		// The client library's Go runtime and process collectors.
		`# TYPE go_goroutines gauge`,
		`go_memstats_heap_alloc_bytes `,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
	rw.stop()
	if code, _ := get("/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz after stop = %d", code)
	}
}

func TestSubmitRefusesOversizeAndBadTenants(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := Submit(ctx, e.js, Submission{Tenant: "acme", Name: "big.log", Content: bytes.NewReader(make([]byte, 2048)), MaxSize: 1024}); err == nil {
		t.Error("oversize upload accepted")
	}
	for _, tenant := range []string{"", "a.b", "a*", "a b", strings.Repeat("x", 65)} {
		if _, err := Submit(ctx, e.js, Submission{Tenant: tenant, Name: "x.log", Content: strings.NewReader("x")}); err == nil {
			t.Errorf("tenant %q accepted", tenant)
		}
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// flakyStore fails PutCase with a transient error while failures remain
// (negative: forever), as a database that is down would.
type flakyStore struct {
	triage.Store
	mu       sync.Mutex
	failures int
	attempts int
}

func (f *flakyStore) PutCase(ctx context.Context, c *triage.Case, emb *triage.Embedding) error {
	f.mu.Lock()
	f.attempts++
	fail := f.failures != 0
	if f.failures > 0 {
		f.failures--
	}
	f.mu.Unlock()
	if fail {
		return triage.Transient("store", fmt.Errorf("connection refused"))
	}
	return f.Store.PutCase(ctx, c, emb)
}

func (f *flakyStore) puts() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.attempts
}

func TestTransientStoreErrors(t *testing.T) {
	t.Run("retried until the store is back", func(t *testing.T) {
		e := newEnv(t)
		fs := &flakyStore{Store: e.store, failures: 2}
		e.startWorker(e.pipeline(nil), func(o *Options) { o.Store = fs })
		r := e.submit("acme", "flaky.log", newPlanted(7).log())
		if out := e.outcome(r.Event.UploadID); out.Status != triage.StatusTriaged {
			t.Fatalf("outcome = %+v", out)
		}
		if n := fs.puts(); n != 3 {
			t.Errorf("%d attempts, want 3", n)
		}
		e.waitDrained()
	})
	t.Run("dead-lettered on the last delivery", func(t *testing.T) {
		e := newEnv(t)
		fs := &flakyStore{Store: e.store, failures: -1}
		e.startWorker(e.pipeline(nil), func(o *Options) { o.Store = fs })
		r := e.submit("acme", "down.log", newPlanted(8).log())
		out := e.outcome(r.Event.UploadID)
		if out.Status != triage.StatusFailed || !strings.HasPrefix(out.Reason, "max_deliveries") {
			t.Fatalf("outcome = %+v", out)
		}
		dls := e.messages(DLQStream, DLQSubject)
		if len(dls) != 1 || dls[0].Headers().Get(HeaderReason) != "max_deliveries" {
			t.Fatalf("%d dead letters", len(dls))
		}
		if n := fs.puts(); n != e.topo.MaxDeliver {
			t.Errorf("%d attempts, want MaxDeliver=%d", n, e.topo.MaxDeliver)
		}
		eventually(t, "status failed", func() bool { return e.status("acme", r.Event.UploadID) == triage.StatusFailed })
		e.waitDrained()
	})
}

// A worker that dies on an upload's last allowed delivery leaves nobody to
// dead-letter it; the server's max-deliveries advisory lets a live worker do it.
func TestDeathOnTheLastDeliveryIsDeadLettered(t *testing.T) {
	e := newEnvWith(t, Topology{AckWait: time.Second, MaxDeliver: 1, Backoff: []time.Duration{}})
	g := newGate()
	defer close(g.release)
	first := e.startWorker(e.pipeline(g), func(o *Options) { o.ShutdownGrace = time.Millisecond })
	r := e.submit("acme", "last.log", newPlanted(9).log())
	<-g.entered
	first.nc.Close()
	first.stop()

	e.startWorker(e.pipeline(nil), nil)
	out := e.outcome(r.Event.UploadID)
	if out.Status != triage.StatusFailed || !strings.HasPrefix(out.Reason, "max_deliveries") {
		t.Fatalf("outcome = %+v, want failed after max deliveries", out)
	}
	dls := e.messages(DLQStream, DLQSubject)
	if len(dls) != 1 || dls[0].Headers().Get(HeaderUploadID) != r.Event.UploadID {
		t.Fatalf("%d dead letters, want one for the upload", len(dls))
	}
	eventually(t, "status failed", func() bool { return e.status("acme", r.Event.UploadID) == triage.StatusFailed })
}

// failingPipeline fails the first deliveries with err, then runs the real pipeline.
type failingPipeline struct {
	real     Pipeline
	err      error
	mu       sync.Mutex
	failures int
}

func (f *failingPipeline) Run(ctx context.Context, in triage.Input) (*triage.Case, *triage.Embedding, error) {
	f.mu.Lock()
	fail := f.failures > 0
	f.failures--
	f.mu.Unlock()
	if fail {
		return nil, nil, f.err
	}
	return f.real.Run(ctx, in)
}

func TestPipelineErrorsByKind(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		wantStatus  triage.Status
		wantDelays  []uint64 // deliveries RetryDelay was asked about
		wantDLQ     string
		wantFailure string
	}{
		{"transient: nak with a delay, then done", triage.Transient("classify", errors.New("429")), triage.StatusTriaged, []uint64{1, 2}, "", "transient"},
		{"internal: nak at once, then done", triage.Internal("classify", errors.New("bug")), triage.StatusTriaged, nil, "", "internal"},
		{"invalid: dead-lettered, never retried", triage.Invalidf("open", "not a log"), triage.StatusFailed, nil, "invalid", "invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			fp := &failingPipeline{real: e.pipeline(nil), err: tc.err, failures: 2}
			var mu sync.Mutex
			var delays []uint64
			rw := e.startWorker(fp, func(o *Options) {
				o.RetryDelay = func(n uint64) time.Duration {
					mu.Lock()
					defer mu.Unlock()
					delays = append(delays, n)
					return 10 * time.Millisecond
				}
			})
			r := e.submit("acme", "kinds.log", newPlanted(12).log())
			out := e.outcome(r.Event.UploadID)
			if out.Status != tc.wantStatus {
				t.Fatalf("outcome = %+v, want %s", out, tc.wantStatus)
			}
			e.waitDrained()
			mu.Lock()
			if fmt.Sprint(delays) != fmt.Sprint(tc.wantDelays) {
				t.Errorf("retry delays asked for deliveries %v, want %v", delays, tc.wantDelays)
			}
			mu.Unlock()
			dls := e.messages(DLQStream, DLQSubject)
			if tc.wantDLQ == "" && len(dls) != 0 || tc.wantDLQ != "" && (len(dls) != 1 || dls[0].Headers().Get(HeaderReason) != tc.wantDLQ) {
				t.Errorf("%d dead letters, want reason %q", len(dls), tc.wantDLQ)
			}
			if n := rw.w.Metrics().failures.get(tc.wantFailure); n == 0 {
				t.Errorf("no %s failure counted", tc.wantFailure)
			}
			if tc.wantDLQ != "" {
				// Term: the server never offers it again.
				cons, _ := e.js.Consumer(context.Background(), UploadsStream, WorkerConsumer)
				info, _ := cons.Info(context.Background())
				if info.Delivered.Consumer != 1 {
					t.Errorf("delivered %d times after a dead letter, want 1", info.Delivered.Consumer)
				}
			}
		})
	}
}

// Every status an upload passes through is recorded, in order.
func TestStatusesInOrder(t *testing.T) {
	e := newEnv(t)
	e.startWorker(e.pipeline(nil), nil)
	r := e.submit("acme", "order.log", newPlanted(13).log())
	e.outcome(r.Event.UploadID)
	var got []string
	for _, a := range e.store.Audit("acme") {
		if a.UploadID == r.Event.UploadID && a.Action == "status.set" {
			got = append(got, string(a.Status))
		}
	}
	if want := "[pending processing triaged]"; fmt.Sprint(got) != want {
		t.Fatalf("statuses %v, want %s", got, want)
	}
}

// Setup runs at every start: again on a live topology it changes nothing,
// keeps what is queued and keeps the consumer's position.
func TestSetupIsIdempotent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := e.submit("acme", "queued.log", newPlanted(14).log())
	before, err := e.js.Consumer(ctx, UploadsStream, WorkerConsumer)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := Setup(ctx, e.js, Topology{AckWait: time.Second, MaxDeliver: 4, Backoff: []time.Duration{}}); err != nil {
			t.Fatal(err)
		}
	}
	after, err := e.js.Consumer(ctx, UploadsStream, WorkerConsumer)
	if err != nil {
		t.Fatal(err)
	}
	cfg := after.CachedInfo().Config
	if cfg.AckPolicy != jetstream.AckExplicitPolicy || cfg.MaxDeliver != 4 || cfg.AckWait != time.Second || cfg.Durable != WorkerConsumer {
		t.Errorf("consumer config = %+v", cfg)
	}
	if after.CachedInfo().NumPending != 1 || before.CachedInfo().Created != after.CachedInfo().Created {
		t.Errorf("pending %d (want 1); consumer recreated: %v -> %v", after.CachedInfo().NumPending,
			before.CachedInfo().Created, after.CachedInfo().Created)
	}
	for _, name := range []string{UploadsStream, CasesStream, AlertsStream, DLQStream, DoneStream, payloadStream} {
		s, err := e.js.Stream(ctx, name)
		if err != nil {
			t.Fatalf("stream %s: %v", name, err)
		}
		if s.CachedInfo().Config.Storage != jetstream.FileStorage {
			t.Errorf("stream %s is not on disk", name)
		}
	}
	e.startWorker(e.pipeline(nil), nil)
	if out := e.outcome(r.Event.UploadID); out.Status != triage.StatusTriaged {
		t.Fatalf("the upload queued before Setup ran again: %+v", out)
	}
	// The production defaults: backoff starting at the ack wait, bounded deliveries.
	prod, err := Setup(ctx, e.js, Topology{})
	if err != nil {
		t.Fatal(err)
	}
	if prod.MaxDeliver != 5 || len(prod.Backoff) == 0 || prod.Backoff[0] != prod.AckWait {
		t.Errorf("default topology = %+v", prod)
	}
	if _, err := Setup(ctx, e.js, Topology{AckWait: time.Second, Backoff: []time.Duration{2 * time.Second}}); err == nil {
		t.Error("a backoff not starting at the ack wait was accepted")
	}
}

// A worker holds no upload it is not working on: while one upload runs long
// (kept alive by heartbeats), the next one waits in the stream, not in the
// worker where its ack wait would run out and have it delivered twice.
func TestWaitingUploadIsNotHeldPastItsAckWait(t *testing.T) {
	e := newEnv(t)
	g := newGate()
	e.startWorker(e.pipeline(g), func(o *Options) { o.Workers = 1; o.Heartbeat = 200 * time.Millisecond })
	first := e.submit("acme", "long.log", newPlanted(15).log())
	<-g.entered
	second := e.submit("acme", "next.log", newPlanted(16).log())
	time.Sleep(3 * e.topo.AckWait)
	close(g.release)
	for _, r := range []Receipt{first, second} {
		if out := e.outcome(r.Event.UploadID); out.Status != triage.StatusTriaged {
			t.Fatalf("outcome = %+v", out)
		}
	}
	e.waitDrained()
	cons, _ := e.js.Consumer(context.Background(), UploadsStream, WorkerConsumer)
	info, _ := cons.Info(context.Background())
	if info.NumRedelivered != 0 || info.Delivered.Consumer != 2 {
		t.Fatalf("%d deliveries (%d redelivered) for 2 uploads", info.Delivered.Consumer, info.NumRedelivered)
	}
}

// On a server with a small payload cap, inline events and object chunks
// both stay under it, and the upload is triaged either way.
func TestSmallServerPayloadCap(t *testing.T) {
	e := newEnvOn(t, natsx.ServerOptions{MaxPayload: 32 << 10}, Topology{AckWait: time.Second, MaxDeliver: 4, Backoff: []time.Duration{}})
	e.startWorker(e.pipeline(nil), nil)
	log := newPlanted(17).log()
	for name, tc := range map[string]struct {
		size   int
		inline bool
	}{"fits inline": {20 << 10, true}, "chunked": {100 << 10, false}} {
		t.Run(name, func(t *testing.T) {
			content := bytes.Repeat(log, tc.size/len(log)+1)[:tc.size]
			r := e.submit("acme", strings.ReplaceAll(name, " ", "-")+".log", content)
			if r.Event.Inline != tc.inline {
				t.Fatalf("inline = %v, want %v", r.Event.Inline, tc.inline)
			}
			if out := e.outcome(r.Event.UploadID); out.Status != triage.StatusTriaged {
				t.Fatalf("outcome = %+v", out)
			}
		})
	}
}

// barrierPipeline holds each run until n runs are in flight at once (or a
// deadline passes), and remembers the most it saw together.
type barrierPipeline struct {
	real    Pipeline
	n       int
	mu      sync.Mutex
	active  int
	most    int
	reached chan struct{}
}

func (b *barrierPipeline) Run(ctx context.Context, in triage.Input) (*triage.Case, *triage.Embedding, error) {
	b.mu.Lock()
	b.active++
	b.most = max(b.most, b.active)
	if b.active == b.n {
		close(b.reached)
	}
	b.mu.Unlock()
	select {
	case <-b.reached:
	case <-time.After(5 * time.Second):
	}
	defer func() { b.mu.Lock(); b.active--; b.mu.Unlock() }()
	return b.real.Run(ctx, in)
}

func TestWorkersRunConcurrently(t *testing.T) {
	e := newEnv(t)
	const n = 3
	bp := &barrierPipeline{real: e.pipeline(nil), n: n, reached: make(chan struct{})}
	e.startWorker(bp, func(o *Options) { o.Workers = n })
	var ids []string
	for i := range n {
		ids = append(ids, e.submit("acme", fmt.Sprintf("par-%d.log", i), newPlanted(uint64(30+i)).log()).Event.UploadID)
	}
	for _, id := range ids {
		if out := e.outcome(id); out.Status != triage.StatusTriaged {
			t.Fatalf("outcome = %+v", out)
		}
	}
	bp.mu.Lock()
	defer bp.mu.Unlock()
	if bp.most != n {
		t.Fatalf("at most %d uploads in the pipeline together, want %d", bp.most, n)
	}
}
