package worker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/internal/natsx"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/retention"
)

// memRecorder is an in-memory audit.Recorder: what the purge recorded.
type memRecorder struct {
	mu     sync.Mutex
	events []audit.Event
}

func (r *memRecorder) Record(_ context.Context, e audit.Event) (audit.Event, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e.Seq = uint64(len(r.events) + 1)
	r.events = append(r.events, e)
	return e, nil
}

func (r *memRecorder) byAction(action string) []audit.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []audit.Event
	for _, e := range r.events {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// rawState is what JetStream holds of one upload.
type rawState struct{ message, object bool }

func (e *env) raw(tenant, uploadID string) rawState {
	e.t.Helper()
	var s rawState
	for _, m := range e.messages(UploadsStream, UploadSubject(tenant)) {
		if m.Headers().Get(jetstream.MsgIDHeader) == uploadID {
			s.message = true
		}
	}
	obs, err := e.js.ObjectStore(context.Background(), PayloadBucket)
	if err != nil {
		e.t.Fatal(err)
	}
	_, err = obs.GetInfo(context.Background(), uploadID)
	s.object = err == nil
	return s
}

func (e *env) hasCase(tenant, id string) bool {
	_, err := e.store.GetCase(context.Background(), tenant, id)
	if err != nil && !errors.Is(err, triage.ErrNotFound) {
		e.t.Fatal(err)
	}
	return err == nil
}

func (e *env) hasEmbedding(tenant, id string) bool {
	_, err := e.store.GetEmbedding(context.Background(), tenant, id)
	return err == nil
}

// A fake clock moves past each retention window in turn: each time exactly
// the data of that window goes (object, message, case, embedding), the
// purge's audit events stay, and nothing else is touched.
func TestRetentionWindowsWithAFakeClock(t *testing.T) {
	e := newEnv(t)
	policy := retention.DefaultPolicy()
	// globex keeps everything longer: its data must outlive acme's at each step.
	policy.Tenants = map[string]retention.Windows{"globex": {Raw: retention.Duration(60 * retention.Day), Cases: retention.Duration(365 * retention.Day)}}
	rw := e.startWorker(e.pipeline(nil), func(o *Options) { o.Retention = policy })
	t0 := time.Now()
	logText := []byte(repeat("2026-03-01 10:00:00 ERROR java.net.ConnectException: Connection refused\n", 3))
	submit := func(tenant, name string, content []byte, inlineMax int64) Receipt {
		r, err := Submit(context.Background(), e.js, Submission{Tenant: tenant, Name: name, Content: bytes.NewReader(content), InlineMax: inlineMax})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	inline := submit("acme", "inline.log", logText, 0)
	object := submit("acme", "object.log", append([]byte("big\n"), logText...), -1)
	elf := append([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0}, bytes.Repeat([]byte{0, 1, 2, 3, 0xff}, 200)...)
	quarantined := submit("acme", "core.bin", elf, -1)
	other := submit("globex", "globex.log", logText, -1)
	cases := map[string]string{}
	for _, r := range []Receipt{inline, object, quarantined, other} {
		if out := e.outcome(r.Event.UploadID); out.Case != nil {
			cases[r.Event.UploadID] = out.Case.ID
		}
	}
	rw.stop()
	hadEmb := map[string]bool{}
	for _, id := range cases {
		hadEmb[id] = e.hasEmbedding("acme", id) || e.hasEmbedding("globex", id)
	}
	if !hadEmb[cases[inline.Event.UploadID]] {
		t.Fatal("a triaged case has no embedding: the embedding check below would prove nothing")
	}
	if e.status("acme", quarantined.Event.UploadID) != triage.StatusQuarantined {
		t.Fatalf("core.bin: status %s, want quarantined", e.status("acme", quarantined.Event.UploadID))
	}
	// An incomplete upload: its object was stored, its event never published.
	obs, _ := e.js.ObjectStore(context.Background(), PayloadBucket)
	if _, err := obs.Put(context.Background(), jetstream.ObjectMeta{Name: "u-orphan", Headers: nats.Header{HeaderTenant: []string{"acme"}}}, bytes.NewReader(logText)); err != nil {
		t.Fatal(err)
	}
	if err := e.store.SetStatus(context.Background(), triage.UploadStatus{Tenant: "acme", UploadID: "u-stuck", Status: triage.StatusProcessing, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	// A dead letter carries its upload's event (and so its inline content).
	dl := &nats.Msg{Subject: DLQSubject, Data: []byte(`{"reason":"poison"}`), Header: nats.Header{}}
	dl.Header.Set(HeaderTenant, "acme")
	dl.Header.Set(HeaderUploadID, "u-dead")
	if _, err := e.js.PublishMsg(context.Background(), dl); err != nil {
		t.Fatal(err)
	}
	deadLetters := func() int { return len(e.messages(DLQStream, ">")) }
	c, err := e.store.GetCase(context.Background(), "acme", cases[inline.Event.UploadID])
	if err != nil {
		t.Fatal(err)
	}
	if want := c.CreatedAt.Add(180 * retention.Day); !c.DeleteAfter.Equal(want) {
		t.Errorf("case delete_after %s, want created + 180d = %s", c.DeleteAfter, want)
	}
	if st, _ := e.store.GetStatus(context.Background(), "acme", quarantined.Event.UploadID); st.DeleteAfter.Sub(t0) < 7*retention.Day-time.Minute || st.DeleteAfter.Sub(t0) > 7*retention.Day+time.Minute {
		t.Errorf("quarantined upload delete_after %s, want about 7 days after %s", st.DeleteAfter, t0)
	}

	rec := &memRecorder{}
	all := []Receipt{inline, object, quarantined, other}
	kept := rawState{message: true}
	keptObj := rawState{message: true, object: true}
	steps := []struct {
		after      time.Duration
		raw        map[string]rawState
		gone       []string // uploads whose case is gone
		orphanGone bool
		purges     int // purge events so far
	}{
		{after: 12 * time.Hour, raw: map[string]rawState{inline.Event.UploadID: kept, object.Event.UploadID: keptObj, quarantined.Event.UploadID: keptObj, other.Event.UploadID: keptObj}},
		{after: 2 * retention.Day, orphanGone: true, purges: 1,
			raw: map[string]rawState{inline.Event.UploadID: kept, object.Event.UploadID: keptObj, quarantined.Event.UploadID: keptObj, other.Event.UploadID: keptObj}},
		{after: 8 * retention.Day, orphanGone: true, purges: 2,
			raw: map[string]rawState{inline.Event.UploadID: kept, object.Event.UploadID: keptObj, other.Event.UploadID: keptObj}},
		{after: 31 * retention.Day, orphanGone: true, purges: 3,
			raw: map[string]rawState{other.Event.UploadID: keptObj}},
		{after: 181 * retention.Day, orphanGone: true, purges: 5, // acme's cases, and globex's raw upload (60d)
			raw: map[string]rawState{}, gone: []string{inline.Event.UploadID, object.Event.UploadID, quarantined.Event.UploadID}},
	}
	for _, step := range steps {
		p, err := retention.New(retention.Options{Policy: policy, Store: e.store, Payloads: NewPayloads(e.js), Recorder: rec,
			Now: func() time.Time { return t0.Add(step.after) }})
		if err != nil {
			t.Fatal(err)
		}
		dry, err := p.Purge(context.Background(), true)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := p.Purge(context.Background(), false)
		if err != nil {
			t.Fatalf("after %s: %v", step.after, err)
		}
		dr, dc, _, _ := dry.Totals()
		rr, rc, _, _ := rep.Totals()
		if dr != rr || dc != rc {
			t.Errorf("after %s: the dry run reported %d raw, %d cases; the purge removed %d, %d", step.after, dr, dc, rr, rc)
		}
		for _, r := range all {
			id := r.Event.UploadID
			if got, want := e.raw(r.Event.Tenant, id), step.raw[id]; got != want {
				t.Errorf("after %s: %s raw %+v, want %+v", step.after, r.Event.Name, got, want)
			}
			caseGone := slices.Contains(step.gone, id)
			if cases[id] == "" {
				continue // quarantined: no case
			}
			if e.hasCase(r.Event.Tenant, cases[id]) == caseGone || hadEmb[cases[id]] && e.hasEmbedding(r.Event.Tenant, cases[id]) == caseGone {
				t.Errorf("after %s: %s case present %v, embedding %v; want gone %v", step.after, r.Event.Name,
					e.hasCase(r.Event.Tenant, cases[id]), e.hasEmbedding(r.Event.Tenant, cases[id]), caseGone)
			}
		}
		if _, err := obs.GetInfo(context.Background(), "u-orphan"); (err != nil) != step.orphanGone {
			t.Errorf("after %s: orphan object gone %v, want %v", step.after, err != nil, step.orphanGone)
		}
		if (deadLetters() == 0) != step.orphanGone {
			t.Errorf("after %s: %d dead letters, want gone %v", step.after, deadLetters(), step.orphanGone)
		}
		if (e.status("acme", "u-stuck") == "") != step.orphanGone {
			t.Errorf("after %s: the stuck status is %q", step.after, e.status("acme", "u-stuck"))
		}
		if got := len(rec.byAction(audit.ActionPurge)); got != step.purges {
			t.Errorf("after %s: %d purge events, want %d", step.after, got, step.purges)
		}
	}
	for _, ev := range rec.byAction(audit.ActionPurge) {
		if ev.Tenant == "" || ev.Actor.Kind != audit.ActorService || ev.Outcome != audit.Success || ev.Detail["cases"] == "" {
			t.Errorf("purge event %+v", ev)
		}
		if n, _ := strconv.Atoi(ev.Detail["cases"]); ev.Tenant == "globex" && n != 0 {
			t.Errorf("globex lost %d cases before its 365 days", n)
		}
	}
	if !e.hasCase("globex", cases[other.Event.UploadID]) {
		t.Error("globex's case went before its window")
	}
}

func repeat(s string, n int) string { return string(bytes.Repeat([]byte(s), n)) }

// Deleting a tenant's uploads removes their bytes from JetStream's files
// (secure delete), not only from the stream's index: with encryption at rest
// off, no planted value is left in any file of the server's store.
func TestDeletedUploadsLeaveNoBytes(t *testing.T) {
	e := newEnvOn(t, natsx.ServerOptions{}, Topology{AckWait: time.Second, MaxDeliver: 4, Backoff: []time.Duration{}})
	storeDir := e.srv.JetStreamConfig().StoreDir
	rw := e.startWorker(e.pipeline(nil), nil)
	marker := fmt.Sprintf("PlantedMarker%x", time.Now().UnixNano())
	r := e.submit("acme", "app.log", []byte("2026-03-01 10:00:00 ERROR auth failed trace="+marker+"\n"))
	e.submit("globex", "other.log", []byte("2026-03-01 10:00:00 ERROR disk full\n"))
	e.outcome(r.Event.UploadID)
	rw.stop()
	n, err := NewPayloads(e.js).DeleteTenantUploads(context.Background(), "acme")
	if err != nil || n != 1 {
		t.Fatalf("DeleteTenantUploads = %d, %v", n, err)
	}
	files := 0
	filepath.WalkDir(storeDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files++
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(marker)) {
				t.Errorf("the deleted upload's marker is still in %s", p)
			}
		}
		return nil
	})
	if files == 0 {
		t.Fatalf("no files under %s: the check above proved nothing", storeDir)
	}
	if len(e.messages(UploadsStream, UploadSubject("globex"))) != 1 {
		t.Error("another tenant's upload went too")
	}
}
