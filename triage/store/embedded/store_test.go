package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/logtriage/logtriage/triage"
)

func open(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var base = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func newCase(tenant, id, queue string, minute int) *triage.Case {
	return &triage.Case{
		ID: id, Tenant: tenant, Queue: queue, Status: triage.StatusTriaged,
		Summary:   "summary of " + id,
		Upload:    triage.Upload{ID: "up-" + id, Name: id + ".log"},
		Findings:  []triage.FindingSummary{{Type: "email", Category: "pii", Count: 2, Fingerprints: []string{"fp1"}}},
		CreatedAt: base.Add(time.Duration(minute) * time.Minute),
	}
}

func emb(id string, v ...float32) *triage.Embedding {
	return &triage.Embedding{EmbedderID: id, Vector: v}
}

func TestPutGetTenantIsolation(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	c := newCase("acme", "c1", "storage", 0)
	if err := s.PutCase(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetCase(ctx, "acme", "c1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Summary != c.Summary || got.Findings[0].Count != 2 || !got.CreatedAt.Equal(c.CreatedAt) {
		t.Fatalf("round trip changed the case: %+v", got)
	}
	got.Summary = "mutated by caller"
	again, _ := s.GetCase(ctx, "acme", "c1")
	if again.Summary != c.Summary {
		t.Fatal("a caller's copy aliases the stored case")
	}
	for _, tc := range []struct{ tenant, id string }{{"globex", "c1"}, {"acme", "nope"}, {"", "c1"}} {
		if _, err := s.GetCase(ctx, tc.tenant, tc.id); !errors.Is(err, triage.ErrNotFound) {
			t.Errorf("GetCase(%q, %q) = %v, want ErrNotFound", tc.tenant, tc.id, err)
		}
	}
	if err := s.PutCase(ctx, newCase("globex", "c1", "storage", 0), nil); triage.KindOf(err) != triage.KindInvalid {
		t.Errorf("taking over another tenant's case id: err = %v, want invalid", err)
	}
}

func TestPutCaseRejectsIncompleteCases(t *testing.T) {
	s := open(t, t.TempDir())
	for name, tc := range map[string]struct {
		c   *triage.Case
		emb *triage.Embedding
	}{
		"nil":           {nil, nil},
		"no id":         {newCase("acme", "", "q", 0), nil},
		"no tenant":     {newCase("", "c1", "q", 0), nil},
		"anonymous emb": {newCase("acme", "c1", "q", 0), emb("", 1, 0)},
	} {
		if err := s.PutCase(context.Background(), tc.c, tc.emb); triage.KindOf(err) != triage.KindInvalid {
			t.Errorf("%s: err = %v, want invalid", name, err)
		}
	}
}

func TestPutCaseIsIdempotent(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	for i := range 3 {
		c := newCase("acme", "c1", "storage", 0)
		c.Summary = fmt.Sprintf("attempt %d", i)
		if err := s.PutCase(ctx, c, emb("e", 1, 0)); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.ListCases(ctx, triage.CaseFilter{Tenant: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Summary != "attempt 2" {
		t.Fatalf("after three puts of one id: %d cases, want 1 with the last summary", len(list))
	}
	sim, err := s.Similar(ctx, triage.SimilarQuery{Tenant: "acme", Embedding: *emb("e", 1, 0), K: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(sim) != 1 {
		t.Fatalf("upserts left %d vectors, want 1", len(sim))
	}
}

func TestListCases(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	for i, c := range []*triage.Case{
		newCase("acme", "a1", "storage", 1),
		newCase("acme", "a2", "network", 2),
		newCase("acme", "a3", "storage", 3),
		newCase("globex", "g1", "storage", 4),
	} {
		if err := s.PutCase(ctx, c, nil); err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
	}
	tests := []struct {
		name string
		f    triage.CaseFilter
		want []string
	}{
		{"tenant newest first", triage.CaseFilter{Tenant: "acme"}, []string{"a3", "a2", "a1"}},
		{"queue", triage.CaseFilter{Tenant: "acme", Queue: "storage"}, []string{"a3", "a1"}},
		{"since", triage.CaseFilter{Tenant: "acme", Since: base.Add(2 * time.Minute)}, []string{"a3", "a2"}},
		{"limit", triage.CaseFilter{Tenant: "acme", Limit: 1}, []string{"a3"}},
		{"other tenant", triage.CaseFilter{Tenant: "globex"}, []string{"g1"}},
		{"unknown tenant", triage.CaseFilter{Tenant: "initech"}, nil},
		{"all tenants", triage.CaseFilter{AllTenants: true, Queue: "storage"}, []string{"g1", "a3", "a1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListCases(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, c := range got {
				ids = append(ids, c.ID)
			}
			if fmt.Sprint(ids) != fmt.Sprint(tc.want) {
				t.Fatalf("got %v, want %v", ids, tc.want)
			}
		})
	}
	if _, err := s.ListCases(ctx, triage.CaseFilter{}); triage.KindOf(err) != triage.KindInvalid {
		t.Errorf("list without tenant: err = %v, want invalid", err)
	}
}

func TestStatus(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	if _, err := s.GetStatus(ctx, "acme", "u1"); !errors.Is(err, triage.ErrNotFound) {
		t.Fatalf("unknown upload: %v", err)
	}
	for _, st := range []triage.Status{triage.StatusPending, triage.StatusProcessing, triage.StatusTriaged} {
		if err := s.SetStatus(ctx, triage.UploadStatus{Tenant: "acme", UploadID: "u1", CaseID: "c1", Status: st}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.GetStatus(ctx, "acme", "u1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != triage.StatusTriaged || got.CaseID != "c1" || got.UpdatedAt.IsZero() {
		t.Fatalf("status = %+v", got)
	}
	if _, err := s.GetStatus(ctx, "globex", "u1"); !errors.Is(err, triage.ErrNotFound) {
		t.Fatalf("another tenant's upload: %v", err)
	}
	if err := s.SetStatus(ctx, triage.UploadStatus{Tenant: "acme", UploadID: "u2"}); triage.KindOf(err) != triage.KindInvalid {
		t.Fatalf("status without a status: %v", err)
	}
	if a := s.Audit("acme"); len(a) != 3 || a[2].Status != triage.StatusTriaged {
		t.Fatalf("audit = %+v", a)
	}
}

func TestPutCaseWithStatus(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	c := newCase("acme", "c1", "database", 0)
	if err := s.SetStatus(ctx, triage.UploadStatus{Tenant: "acme", UploadID: c.Upload.ID, Status: triage.StatusProcessing}); err != nil {
		t.Fatal(err)
	}
	final := triage.UploadStatus{Tenant: "acme", UploadID: c.Upload.ID, CaseID: c.ID, Status: triage.StatusTriaged}
	if err := s.PutCaseWithStatus(ctx, c, emb("e1", 1, 0), final); err != nil {
		t.Fatal(err)
	}
	check := func(s *Store, when string) {
		t.Helper()
		if _, err := s.GetCase(ctx, "acme", "c1"); err != nil {
			t.Errorf("%s: case: %v", when, err)
		}
		st, err := s.GetStatus(ctx, "acme", c.Upload.ID)
		if err != nil || st.Status != triage.StatusTriaged || st.CaseID != "c1" || st.UpdatedAt.IsZero() {
			t.Errorf("%s: status = %+v, %v", when, st, err)
		}
		var actions []string
		for _, a := range s.Audit("acme") {
			actions = append(actions, a.Action+":"+string(a.Status))
		}
		if want := "[status.set:processing case.put:triaged status.set:triaged]"; fmt.Sprint(actions) != want {
			t.Errorf("%s: audit %v, want %s", when, actions, want)
		}
	}
	check(s, "after the put")

	// Case and status are one line: both come back on replay.
	raw, err := os.ReadFile(filepath.Join(dir, logName))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(raw, []byte("\n")); n != 2 {
		t.Errorf("log has %d lines, want 2 (processing, then case with its status)", n)
	}
	s.Close()
	check(open(t, dir), "after reopening")

	s = open(t, t.TempDir())
	for name, st := range map[string]triage.UploadStatus{
		"another tenant": {Tenant: "globex", UploadID: c.Upload.ID, CaseID: c.ID, Status: triage.StatusTriaged},
		"no upload id":   {Tenant: "acme", CaseID: c.ID, Status: triage.StatusTriaged},
		"no status":      {Tenant: "acme", UploadID: c.Upload.ID, CaseID: c.ID},
	} {
		if err := s.PutCaseWithStatus(ctx, c, nil, st); triage.KindOf(err) != triage.KindInvalid {
			t.Errorf("%s: err = %v, want invalid", name, err)
		}
	}
	if _, err := s.GetCase(ctx, "acme", "c1"); !errors.Is(err, triage.ErrNotFound) {
		t.Errorf("a refused put stored the case: %v", err)
	}
}

func TestSimilar(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	put := func(tenant, id string, e *triage.Embedding) {
		t.Helper()
		if err := s.PutCase(ctx, newCase(tenant, id, "q", 0), e); err != nil {
			t.Fatal(err)
		}
	}
	put("acme", "same", emb("e1", 1, 0, 0))
	put("acme", "close", emb("e1", 0.9, 0.1, 0))
	put("acme", "far", emb("e1", 0, 1, 0))
	put("acme", "opposite", emb("e1", -1, 0, 0))
	put("acme", "other-space", emb("e2", 1, 0, 0))
	put("acme", "no-vector", nil)
	put("globex", "foreign", emb("e1", 1, 0, 0))

	q := func(mod func(*triage.SimilarQuery)) []string {
		t.Helper()
		sq := triage.SimilarQuery{Tenant: "acme", Embedding: *emb("e1", 2, 0, 0), K: 10}
		mod(&sq)
		got, err := s.Similar(ctx, sq)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for i, c := range got {
			if i > 0 && c.Similarity > got[i-1].Similarity {
				t.Fatalf("not sorted: %+v", got)
			}
			ids = append(ids, c.CaseID)
		}
		return ids
	}
	tests := []struct {
		name string
		mod  func(*triage.SimilarQuery)
		want []string
	}{
		{"tenant and space only", func(*triage.SimilarQuery) {}, []string{"same", "close", "far"}},
		{"k", func(q *triage.SimilarQuery) { q.K = 2 }, []string{"same", "close"}},
		{"threshold", func(q *triage.SimilarQuery) { q.MinSimilarity = 0.95 }, []string{"same", "close"}},
		{"exclude self", func(q *triage.SimilarQuery) { q.ExcludeCaseID = "same" }, []string{"close", "far"}},
		{"all tenants", func(q *triage.SimilarQuery) { q.AllTenants = true; q.K = 2 }, []string{"foreign", "same"}},
		{"other space", func(q *triage.SimilarQuery) { q.Embedding = *emb("e2", 1, 0, 0) }, []string{"other-space"}},
		{"unknown space", func(q *triage.SimilarQuery) { q.Embedding = *emb("e3", 1, 0, 0) }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := q(tc.mod); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	got, _ := s.Similar(ctx, triage.SimilarQuery{Tenant: "acme", Embedding: *emb("e1", 1, 0, 0), K: 2})
	if got[0].Summary != "summary of same" || math.Abs(got[0].Similarity-1) > 1e-9 || got[0].Tenant != "" {
		t.Fatalf("best match = %+v", got[0])
	}
	if _, err := s.Similar(ctx, triage.SimilarQuery{Tenant: "acme", Embedding: *emb("e1", 1, 0)}); triage.KindOf(err) != triage.KindInvalid {
		t.Fatalf("wrong dimensions: %v", err)
	}
	if err := s.PutCase(ctx, newCase("acme", "bad", "q", 0), emb("e1", 1, 0)); triage.KindOf(err) != triage.KindInvalid {
		t.Fatalf("putting a vector of the wrong dimensions: %v", err)
	}
}

func TestDurableAcrossReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, Options{}); err == nil {
		t.Fatal("a second open of a directory in use succeeded")
	}
	for i := range 5 {
		c := newCase("acme", "c1", "q", i)
		c.Summary = fmt.Sprintf("v%d", i)
		if err := s.PutCase(ctx, c, emb("e", float32(i+1), 1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutCase(ctx, newCase("acme", "c2", "q", 9), emb("e", 0, 1)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetStatus(ctx, triage.UploadStatus{Tenant: "acme", UploadID: "u1", Status: triage.StatusFailed, Reason: "bad json"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCase(ctx, newCase("acme", "late", "q", 0), nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("put after close: %v", err)
	}
	before := fileSize(t, filepath.Join(dir, logName))

	s = open(t, dir)
	c, err := s.GetCase(ctx, "acme", "c1")
	if err != nil || c.Summary != "v4" {
		t.Fatalf("after reopen: %v %+v", err, c)
	}
	st, err := s.GetStatus(ctx, "acme", "u1")
	if err != nil || st.Status != triage.StatusFailed || st.Reason != "bad json" {
		t.Fatalf("status after reopen: %v %+v", err, st)
	}
	sim, err := s.Similar(ctx, triage.SimilarQuery{Tenant: "acme", Embedding: *emb("e", 5, 1), K: 5})
	if err != nil || len(sim) != 2 || sim[0].CaseID != "c1" {
		t.Fatalf("vectors after reopen: %v %+v", err, sim)
	}
	if after := fileSize(t, filepath.Join(dir, logName)); after >= before {
		t.Errorf("log not compacted on open: %d bytes before, %d after", before, after)
	}
	if n := len(s.Audit("acme")); n != 7 {
		t.Errorf("audit after compaction has %d events, want 7", n)
	}
}

func TestTornTailIsDropped(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.PutCase(ctx, newCase("acme", "c1", "q", 0), nil)
	s.PutCase(ctx, newCase("acme", "c2", "q", 0), nil)
	s.Close()
	path := filepath.Join(dir, logName)
	data, _ := os.ReadFile(path)
	// Cut the last record in half, as a crash mid-write would.
	if err := os.WriteFile(path, data[:len(data)-20], 0o600); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir)
	if _, err := s.GetCase(ctx, "acme", "c1"); err != nil {
		t.Fatalf("intact record lost: %v", err)
	}
	if _, err := s.GetCase(ctx, "acme", "c2"); !errors.Is(err, triage.ErrNotFound) {
		t.Fatalf("torn record: %v", err)
	}
	if err := s.PutCase(ctx, newCase("acme", "c3", "q", 0), nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, dir)
	if _, err := s.GetCase(ctx, "acme", "c3"); err != nil {
		t.Fatalf("write after a torn tail: %v", err)
	}
}

func TestCorruptionFailsOpen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.PutCase(context.Background(), newCase("acme", "c1", "q", 0), nil)
	s.PutCase(context.Background(), newCase("acme", "c2", "q", 0), nil)
	s.Close()
	path := filepath.Join(dir, logName)
	data, _ := os.ReadFile(path)
	data[20] ^= 0x01 // inside the first record's JSON
	os.WriteFile(path, data, 0o600)
	if s, err := Open(dir, Options{}); err == nil {
		s.Close()
		t.Fatal("opened a log with a corrupt record followed by valid ones")
	}
}

func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 25
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				id := fmt.Sprintf("w%d-%d", w, i)
				if err := s.PutCase(ctx, newCase("acme", id, "q", i), emb("e", float32(w), float32(i), 1)); err != nil {
					t.Error(err)
				}
				if err := s.SetStatus(ctx, triage.UploadStatus{Tenant: "acme", UploadID: id, Status: triage.StatusTriaged}); err != nil {
					t.Error(err)
				}
				s.ListCases(ctx, triage.CaseFilter{Tenant: "acme", Limit: 5})
			}
		})
	}
	wg.Wait()
	s.Close()
	s = open(t, dir)
	list, err := s.ListCases(ctx, triage.CaseFilter{Tenant: "acme", Limit: 1000})
	if err != nil || len(list) != writers*each {
		t.Fatalf("after reopen: %v, %d cases, want %d", err, len(list), writers*each)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func BenchmarkPutCase(b *testing.B) {
	for _, bc := range []struct {
		name   string
		noSync bool
	}{{"fsync", false}, {"nosync", true}} {
		b.Run(bc.name, func(b *testing.B) {
			s, err := Open(b.TempDir(), Options{NoSync: bc.noSync})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			vec := randomVector(rand.New(rand.NewPCG(1, 2)), 256)
			b.ReportAllocs()
			b.SetParallelism(4) // a few writers per core, as the worker pool has
			b.RunParallel(func(pb *testing.PB) {
				n := rand.Int()
				for pb.Next() {
					n++
					c := newCase("acme", fmt.Sprintf("c%d", n), "q", 0)
					if err := s.PutCase(context.Background(), c, emb("e", vec...)); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func BenchmarkSimilar(b *testing.B) {
	for _, n := range []int{1_000, 10_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s, err := Open(b.TempDir(), Options{NoSync: true})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			rng := rand.New(rand.NewPCG(3, 4))
			for i := range n {
				if err := s.PutCase(context.Background(), newCase("acme", fmt.Sprint(i), "q", 0), emb("e", randomVector(rng, 256)...)); err != nil {
					b.Fatal(err)
				}
			}
			q := triage.SimilarQuery{Tenant: "acme", Embedding: *emb("e", randomVector(rng, 256)...), K: 5}
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.Similar(context.Background(), q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func randomVector(rng *rand.Rand, dims int) []float32 {
	v := make([]float32, dims)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

func TestInBetweenStatusesReachDiskWithoutADurableWrite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetStatus(ctx, triage.UploadStatus{Tenant: "acme", UploadID: "u1", Status: triage.StatusProcessing}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, logName)
	// No other write comes along: the lazy flush must carry it on its own.
	eventually(t, func() bool { return fileSize(t, path) > 0 })
	if err := s.SetStatus(ctx, triage.UploadStatus{Tenant: "acme", UploadID: "u2", Status: triage.StatusPending}); err != nil {
		t.Fatal(err)
	}
	s.Close() // carries the second one
	s = open(t, dir)
	for _, id := range []string{"u1", "u2"} {
		if _, err := s.GetStatus(ctx, "acme", id); err != nil {
			t.Errorf("status of %s after reopen: %v", id, err)
		}
	}
}

func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestReplayRefusesInconsistentRecords(t *testing.T) {
	line := func(r record) []byte {
		b, err := appendRecord(nil, r)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	caseRec := func(id string, v ...float32) record {
		return record{Op: "case", Case: []byte(`{"id":"` + id + `","tenant":"acme"}`), Emb: packEmbedding(emb("e", v...))}
	}
	for name, log := range map[string][][]byte{
		"dimensions change":  {line(caseRec("a", 1, 0)), line(caseRec("b", 1, 0, 0))},
		"case without id":    {line(record{Op: "case", Case: []byte(`{"tenant":"acme"}`)})},
		"status without one": {line(record{Op: "status"})},
		"case with a half status": {line(record{Op: "case", Case: []byte(`{"id":"c","tenant":"acme"}`),
			Status: &triage.UploadStatus{Tenant: "acme"}})},
		"ragged packed vector": {line(record{Op: "case", Case: []byte(`{"id":"c","tenant":"acme"}`),
			Emb: &storedEmbedding{EmbedderID: "e", Packed: []byte{1, 2, 3}}})},
		"unknown op": {line(record{Op: "drop table"})},
	} {
		dir := t.TempDir()
		var data []byte
		for _, l := range log {
			data = append(data, l...)
		}
		// A valid record after the bad one: it is not a torn tail.
		data = append(data, line(record{Op: "status", Status: &triage.UploadStatus{Tenant: "acme", UploadID: "u", Status: triage.StatusFailed}})...)
		os.WriteFile(filepath.Join(dir, logName), data, 0o600)
		if s, err := Open(dir, Options{}); err == nil {
			s.Close()
			t.Errorf("%s: opened", name)
		}
	}
}

// Embeddings are written packed; a log written before packing (vectors as
// JSON arrays) still replays, and both give the same neighbours.
func TestEmbeddingsPackedAndLegacyReplay(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	old := newCase("acme", "old", "q", 0)
	raw, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	legacy := []float32{0.6, 0.8, 0}
	line, err := appendRecord(nil, record{Op: "case", Case: raw, Emb: &storedEmbedding{EmbedderID: "e1", Vector: legacy}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(line, []byte(`"vector":[0.6,0.8,0]`)) {
		t.Fatalf("not the legacy shape: %s", line)
	}
	if err := os.WriteFile(filepath.Join(dir, logName), line, 0o600); err != nil {
		t.Fatal(err)
	}
	s := open(t, dir)
	exact := []float32{1, 0, float32(math.SmallestNonzeroFloat32)}
	if err := s.PutCase(ctx, newCase("acme", "new", "q", 1), emb("e1", exact...)); err != nil {
		t.Fatal(err)
	}
	raw2, _ := os.ReadFile(filepath.Join(dir, logName))
	if bytes.Count(raw2, []byte(`"packed":`)) != 1 {
		t.Fatalf("the new case's vector is not packed:\n%s", raw2)
	}
	check := func(s *Store, when string) {
		t.Helper()
		got, err := s.Similar(ctx, triage.SimilarQuery{Tenant: "acme", Embedding: *emb("e1", 1, 0, 0), K: 2})
		if err != nil || len(got) != 2 || got[0].CaseID != "new" || got[1].CaseID != "old" ||
			math.Abs(got[1].Similarity-0.6) > 1e-6 {
			t.Fatalf("%s: similar = %+v, %v", when, got, err)
		}
		sp := s.vectors["e1"]
		if v := sp.vector(sp.index["new"]); v[2] != exact[2] {
			t.Errorf("%s: packed vector not exact: %v", when, v)
		}
	}
	check(s, "before reopening")
	s.Close()
	check(open(t, dir), "after reopening")

	for name, bad := range map[string]*storedEmbedding{
		"ragged packing":    {EmbedderID: "e1", Packed: []byte{1, 2, 3}},
		"packed and vector": {EmbedderID: "e1", Packed: make([]byte, 4), Vector: []float32{1}},
	} {
		if _, err := bad.embedding(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// The scan over the packed vector slab agrees with a plain computation
// after inserts, replacements (which move the last vector into the freed
// slot) and a caller reusing its vector afterwards.
func TestSimilarAfterReplacements(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	rng := rand.New(rand.NewPCG(7, 8))
	want := map[string][]float32{}
	tenants := map[string]string{}
	buf := make([]float32, 8)
	for i := range 300 {
		id := fmt.Sprint("c", rng.IntN(60))
		tenant := []string{"acme", "globex"}[rng.IntN(2)]
		if old, ok := tenants[id]; ok {
			tenant = old
		}
		for j := range buf {
			buf[j] = float32(rng.NormFloat64())
		}
		if err := s.PutCase(ctx, newCase(tenant, id, "q", i), emb("e", buf...)); err != nil {
			t.Fatal(err)
		}
		want[id], tenants[id] = slices.Clone(buf), tenant
		buf[0] = 1e9 // the store must not keep the caller's slice
	}
	q := emb("e", 1, -1, 0.5, 0, 2, 0, -0.5, 1)
	got, err := s.Similar(ctx, triage.SimilarQuery{Tenant: "acme", Embedding: *q, K: 5})
	if err != nil {
		t.Fatal(err)
	}
	type hit struct {
		id  string
		sim float64
	}
	var ref []hit
	for id, v := range want {
		if tenants[id] == "acme" {
			ref = append(ref, hit{id, dot(q.Vector, v) / (norm(q.Vector) * norm(v))})
		}
	}
	sort.Slice(ref, func(i, j int) bool { return ref[i].sim > ref[j].sim })
	if len(got) != 5 {
		t.Fatalf("%d hits", len(got))
	}
	for i, h := range got {
		if h.CaseID != ref[i].id || math.Abs(h.Similarity-ref[i].sim) > 1e-9 {
			t.Errorf("hit %d = %s %.6f, want %s %.6f", i, h.CaseID, h.Similarity, ref[i].id, ref[i].sim)
		}
	}
}
