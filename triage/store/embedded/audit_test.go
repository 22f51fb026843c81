package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logtriage/logtriage/audit"
)

func recordN(t testing.TB, s *Store, sg *audit.Signer, n int) []audit.Event {
	t.Helper()
	c := audit.NewChain(s, sg, audit.Options{})
	var out []audit.Event
	for i := 0; i < n; i++ {
		e, err := c.Record(context.Background(), audit.Event{Tenant: "acme",
			Actor: audit.Actor{Kind: audit.ActorUser, Name: "dana", Role: "agent"}, Action: audit.ActionCaseViewed,
			Resource: fmt.Sprintf("case/c-%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	if _, err := c.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	return out
}

// rewriteAuditLine edits the event line of seq in audit.log; with fixCRC the
// line's checksum is recomputed, as a careful attacker would.
func rewriteAuditLine(t *testing.T, dir string, seq uint64, fixCRC bool, edit func(*audit.Event)) {
	t.Helper()
	path := filepath.Join(dir, auditLogName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(b, []byte("\n"))
	for i, l := range lines {
		js, _ := splitLine(l)
		var rec auditRecord
		if js == nil || json.Unmarshal(js, &rec) != nil || rec.Event == nil || rec.Event.Seq != seq {
			continue
		}
		edit(rec.Event)
		nl, _ := auditLine(rec)
		if !fixCRC {
			nl = append(append([]byte{}, l[:9]...), nl[9:]...)
		}
		lines[i] = nl
	}
	if err := os.WriteFile(path, bytes.Join(lines, nil), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Someone with access to the data dir edits audit.log while the server is
// stopped: the store still opens and verification names the event.
func TestAuditFileTamperingDetected(t *testing.T) {
	for _, fixCRC := range []bool{true, false} {
		t.Run(fmt.Sprintf("fixCRC=%v", fixCRC), func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			sg, _ := audit.GenerateSigner()
			es := recordN(t, s, sg, 8)
			s.Close()
			rewriteAuditLine(t, dir, 3, fixCRC, func(e *audit.Event) { e.Actor.Name = "nobody" })
			s = open(t, dir)
			if got, want := s.AuditDamagedLines(), map[bool]int{true: 0, false: 1}[fixCRC]; got != want {
				t.Fatalf("damaged lines %d, want %d", got, want)
			}
			rep, err := audit.VerifyStore(context.Background(), s, audit.VerifyOptions{PublicKey: sg.PublicKey()})
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK || rep.First.Kind != audit.ProblemModified || rep.First.EventID != es[2].ID {
				t.Fatalf("first problem %v, want modified event %s", rep.First, es[2].ID)
			}
		})
	}
}

// A crash in the middle of an audit write leaves a torn last line: it is cut
// off on open, and the event it held was never acknowledged (Record had not
// returned), so the chain continues from the last complete event.
func TestAuditTornTail(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sg, _ := audit.GenerateSigner()
	es := recordN(t, s, sg, 3)
	s.Close()
	f, _ := os.OpenFile(filepath.Join(dir, auditLogName), os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`1234abcd {"op":"event","event":{"id":"half`)
	f.Close()
	s = open(t, dir)
	h, err := s.AuditHead(context.Background(), "acme")
	if err != nil || h.Hash != es[2].Hash {
		t.Fatalf("head after torn tail: %+v %v", h, err)
	}
	c := audit.NewChain(s, sg, audit.Options{})
	if e, err := c.Record(context.Background(), audit.Event{Tenant: "acme", Actor: audit.Actor{Kind: audit.ActorService, Name: "w"}, Action: "x"}); err != nil || e.Seq != 4 {
		t.Fatalf("record after torn tail: seq %d %v", e.Seq, err)
	}
	if rep, _ := audit.VerifyStore(context.Background(), s, audit.VerifyOptions{PublicKey: sg.PublicKey()}); !rep.OK {
		t.Fatalf("verify after torn tail: %v", rep.First)
	}
}

// Cutting events off the end of audit.log is found against the checkpoint.
func TestAuditFileTruncationDetected(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(dir, Options{})
	sg, _ := audit.GenerateSigner()
	recordN(t, s, sg, 6)
	s.Close()
	path := filepath.Join(dir, auditLogName)
	b, _ := os.ReadFile(path)
	var kept [][]byte
	for _, l := range bytes.SplitAfter(b, []byte("\n")) {
		if !bytes.Contains(l, []byte(`"seq":5,`)) && !bytes.Contains(l, []byte(`"seq":6,`)) || bytes.Contains(l, []byte(`"checkpoint"`)) {
			kept = append(kept, l)
		}
	}
	os.WriteFile(path, bytes.Join(kept, nil), 0o600)
	s = open(t, dir)
	rep, _ := audit.VerifyStore(context.Background(), s, audit.VerifyOptions{PublicKey: sg.PublicKey()})
	if rep.OK || rep.First.Kind != audit.ProblemTruncated || rep.First.Seq != 5 {
		t.Fatalf("truncation: %v", rep.First)
	}
}

// BenchmarkAuditExport streams a large chain (LOGTRIAGE_BENCH_AUDIT_EVENTS,
// default 200,000; the docs' figure is 1,000,000) to io.Discard and reports
// the heap in use during the export against the heap before it (which holds
// the store's index, 40 bytes an event): flat memory means the extra heap of
// the export stays the same whatever the count.
func BenchmarkAuditExport(b *testing.B) {
	n := 200_000
	if v := os.Getenv("LOGTRIAGE_BENCH_AUDIT_EVENTS"); v != "" {
		fmt.Sscan(v, &n)
	}
	dir := b.TempDir()
	s, err := Open(dir, Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	sg, _ := audit.GenerateSigner()
	c := audit.NewChain(s, sg, audit.Options{})
	start := time.Now()
	for i := 0; i < n; i++ {
		_, err := c.Record(context.Background(), audit.Event{Tenant: fmt.Sprintf("tenant-%d", i%10),
			Actor: audit.Actor{Kind: audit.ActorService, Name: "worker-1", Role: "worker"}, Action: audit.ActionLLMSent,
			Resource: fmt.Sprintf("upload/u-%d", i), RequestID: fmt.Sprintf("req-%08d", i),
			Detail: map[string]string{"endpoint": "api.openai.com", "model": "gpt-4o-mini", "prompt_tokens": "1834"}})
		if err != nil {
			b.Fatal(err)
		}
	}
	c.Checkpoint(context.Background())
	b.Logf("recorded %d events in %v (no fsync)", n, time.Since(start))
	runtime.GC()
	before := liveHeap()
	for b.Loop() {
		peak := uint64(0)
		done := make(chan struct{})
		sampled := make(chan struct{})
		go func() { // sample the live heap (as of each GC) while the export runs
			defer close(sampled)
			for {
				select {
				case <-done:
					return
				case <-time.After(10 * time.Millisecond):
					peak = max(peak, liveHeap())
				}
			}
		}()
		cw := &countWriter{}
		t0 := time.Now()
		if err := audit.WriteExport(context.Background(), s, cw, audit.ExportQuery{AllTenants: true}, audit.ExportHeader{}); err != nil {
			b.Fatal(err)
		}
		close(done)
		<-sampled
		if cw.lines != n+1+10 {
			b.Fatalf("exported %d lines, want %d", cw.lines, n+11)
		}
		took := time.Since(t0)
		b.ReportMetric(float64(peak)/float64(before), "peak-live/baseline-live")
		b.ReportMetric(float64(int64(peak)-int64(before))/(1<<20), "export-extra-MiB")
		b.ReportMetric(float64(peak)/(1<<20), "peak-live-MiB")
		b.ReportMetric(float64(before)/(1<<20), "baseline-live-MiB")
		b.ReportMetric(float64(n)/took.Seconds(), "events/s")
		b.SetBytes(cw.n)
	}
}

// liveHeap is the heap the last GC found live: garbage waiting for the next
// cycle is not memory the export holds.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

type countWriter struct {
	n     int64
	lines int
}

func (w *countWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	w.lines += strings.Count(string(p), "\n")
	return len(p), nil
}

var _ io.Writer = (*countWriter)(nil)

// Eight writers of one tenant share flushes (the chain queues each event
// behind the previous one without waiting for its fsync), and a reader
// verifying the trail meanwhile never sees a gap: events become visible in
// seq order, once durable.
func TestAuditOneTenantConcurrentPipelined(t *testing.T) {
	s := open(t, t.TempDir())
	sg, _ := audit.GenerateSigner()
	c := audit.NewChain(s, sg, audit.Options{})
	ctx := context.Background()
	done := make(chan struct{})
	readerErr := make(chan error, 1)
	go func() {
		defer close(readerErr)
		for {
			select {
			case <-done:
				return
			default:
			}
			rep, err := audit.VerifyStore(ctx, s, audit.VerifyOptions{PublicKey: sg.PublicKey()})
			if err != nil || !rep.OK {
				readerErr <- fmt.Errorf("mid-write verify: %v %v", err, rep.First)
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 40; i++ {
				if _, err := c.Record(ctx, audit.Event{Tenant: "acme", Actor: audit.Actor{Kind: audit.ActorService, Name: "w"},
					Action: audit.ActionCaseViewed}); err != nil {
					t.Error(err)
					return
				}
				if i%10 == 0 {
					c.Checkpoint(ctx)
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	if err := <-readerErr; err != nil {
		t.Fatal(err)
	}
	rep, err := audit.VerifyStore(ctx, s, audit.VerifyOptions{PublicKey: sg.PublicKey()})
	if err != nil || !rep.OK || rep.Events != 320 || rep.Tenants[0].LastSeq != 320 {
		t.Fatalf("after: %v %+v", err, rep.First)
	}
}
