package postgres

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/logtriage/logtriage/triage"
)

// pendingAndMoved counts a schema's waiting and moved vectors.
func pendingAndMoved(t *testing.T, url, schema string) (pending, moved int) {
	t.Helper()
	conn := connect(t, url)
	ctx := context.Background()
	if err := conn.QueryRow(ctx, fmt.Sprintf("SELECT (SELECT count(*) FROM %[1]s.embeddings_pending), (SELECT count(*) FROM %[1]s.embeddings)", schema)).Scan(&pending, &moved); err != nil {
		t.Fatal(err)
	}
	return pending, moved
}

// With DeferIndexing a put's vector waits outside the graphs and is found
// exactly; the mover indexes it and it is found through the index; a re-put
// after the move leaves the case one vector, waiting again.
func TestDeferredIndexingAndMover(t *testing.T) {
	url := databaseURL(t)
	schema := freshSchema(t, url)
	s := openTestWith(t, url, Options{Schema: schema, DeferIndexing: true, ExactTenantRows: -1})
	defer s.Close()
	ctx := context.Background()
	put := func(id string, v []float32) {
		t.Helper()
		c := &triage.Case{ID: id, Tenant: "acme", Queue: "db", CreatedAt: time.Now(), Summary: id}
		if err := s.PutCase(ctx, c, &triage.Embedding{EmbedderID: "space-m", Vector: v}); err != nil {
			t.Fatal(err)
		}
	}
	putTimes := make([]time.Time, 20)
	for i := range 20 {
		put(fmt.Sprintf("c%02d", i), []float32{1, float32(i) / 10})
		putTimes[i] = time.Now()
	}
	// The backlog counts what waits and dates the oldest: the first put
	// still waiting, moved oldest first.
	backlog := func(wantVectors int, oldestPut int) {
		t.Helper()
		b, err := s.IndexBacklog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if b.Vectors != int64(wantVectors) {
			t.Errorf("IndexBacklog: %d vectors waiting, want %d", b.Vectors, wantVectors)
		}
		switch {
		case oldestPut < 0 && !b.Oldest.IsZero():
			t.Errorf("IndexBacklog: oldest %v with nothing waiting, want zero", b.Oldest)
		case oldestPut >= 0 && (b.Oldest.After(putTimes[oldestPut]) || oldestPut > 0 && !b.Oldest.After(putTimes[oldestPut-1])):
			t.Errorf("IndexBacklog: oldest %v, want the time of put %d (ended %v)", b.Oldest, oldestPut, putTimes[oldestPut])
		}
	}
	backlog(20, 0)
	similar := func() []string {
		t.Helper()
		hits, err := s.Similar(ctx, triage.SimilarQuery{Tenant: "acme", K: 3, Embedding: triage.Embedding{EmbedderID: "space-m", Vector: []float32{1, 0}}})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, h := range hits {
			ids = append(ids, h.CaseID)
		}
		return ids
	}
	want := "[c00 c01 c02]"
	if p, m := pendingAndMoved(t, url, schema); p != 20 || m != 0 {
		t.Fatalf("after the puts: %d waiting, %d moved; want 20, 0", p, m)
	}
	if got := fmt.Sprint(similar()); got != want {
		t.Errorf("similar over waiting vectors = %s, want %s", got, want)
	}
	n, err := s.MoveEmbeddings(ctx, 8)
	if err != nil || n != 8 {
		t.Fatalf("MoveEmbeddings(8) = %d, %v", n, err)
	}
	if got := fmt.Sprint(similar()); got != want {
		t.Errorf("similar with 8 moved, 12 waiting = %s, want %s", got, want)
	}
	backlog(12, 8)
	for {
		n, err := s.MoveEmbeddings(ctx, 8)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	if p, m := pendingAndMoved(t, url, schema); p != 0 || m != 20 {
		t.Fatalf("after moving: %d waiting, %d moved; want 0, 20", p, m)
	}
	backlog(0, -1)
	if got := fmt.Sprint(similar()); got != want {
		t.Errorf("similar over the index = %s, want %s", got, want)
	}
	put("c00", []float32{0, 1}) // re-put: c00 moves away from the query
	if p, m := pendingAndMoved(t, url, schema); p != 1 || m != 19 {
		t.Errorf("after a re-put: %d waiting, %d moved; want 1, 19", p, m)
	}
	if got := fmt.Sprint(similar()); got != "[c01 c02 c03]" {
		t.Errorf("similar after c00's re-put = %s, want [c01 c02 c03]", got)
	}
	if e, err := s.GetEmbedding(ctx, "acme", "c00"); err != nil || e.Vector[0] != 0 {
		t.Errorf("GetEmbedding(c00) = %+v, %v; want the re-put vector", e, err)
	}
}

// Writers re-putting cases while movers run: no case ever ends with a
// vector in both tables, and every case ends with the vector of its last put.
func TestMoverRacesPutCase(t *testing.T) {
	url := databaseURL(t)
	schema := freshSchema(t, url)
	s := openTestWith(t, url, Options{Schema: schema, DeferIndexing: true})
	defer s.Close()
	if s.pglite {
		t.Skip("PGlite serves every connection from one session: concurrent movers and writers are checked on native PostgreSQL (scripts/pgnative.sh start)")
	}
	ctx := context.Background()
	const cases, rounds = 4, 80
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 8)
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.MoveEmbeddings(ctx, 1); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var writers sync.WaitGroup
	for w := range 2 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for r := range rounds {
				for i := w; i < cases; i += 2 {
					c := &triage.Case{ID: fmt.Sprintf("c%d", i), Tenant: "acme", Queue: "db", CreatedAt: time.Now()}
					if err := s.PutCase(ctx, c, &triage.Embedding{EmbedderID: "space-r", Vector: []float32{1, float32(r)}}); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	writers.Wait()
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	conn := connect(t, url)
	var both int
	if err := conn.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM %[1]s.embeddings e JOIN %[1]s.embeddings_pending p USING (case_id)`, schema)).Scan(&both); err != nil {
		t.Fatal(err)
	}
	if both != 0 {
		t.Errorf("%d cases have a vector both moved and waiting", both)
	}
	for i := range cases {
		e, err := s.GetEmbedding(ctx, "acme", fmt.Sprintf("c%d", i))
		if err != nil || e.Vector[1] != rounds-1 {
			t.Errorf("c%d: %+v, %v; want the last put's vector", i, e, err)
		}
	}
}

// A put of a case whose vector a mover is moving waits for the move and
// then replaces the moved vector: the mover locks the case row, which the
// put's first statement also takes.
func TestPutWaitsForTheMoveOfItsCase(t *testing.T) {
	url := databaseURL(t)
	schema := freshSchema(t, url)
	s := openTestWith(t, url, Options{Schema: schema, DeferIndexing: true})
	defer s.Close()
	if s.pglite {
		t.Skip("PGlite serves every connection from one session, where a transaction cannot wait for another's lock; run on native PostgreSQL (scripts/pgnative.sh start)")
	}
	ctx := context.Background()
	c := &triage.Case{ID: "c1", Tenant: "acme", Queue: "db", CreatedAt: time.Now()}
	if err := s.PutCase(ctx, c, &triage.Embedding{EmbedderID: "space-w", Vector: []float32{1, 0}}); err != nil {
		t.Fatal(err)
	}
	conn := connect(t, url)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, s.moveSQL(), 10); err != nil { // moved, not committed
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- s.PutCase(ctx, c, &triage.Embedding{EmbedderID: "space-w", Vector: []float32{0, 1}})
	}()
	// Poll until the put is waiting on a lock (or has finished, which the
	// mover's lock should have prevented).
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting int
		if err := connect(t, url).QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the put finished (%v) while the move of its case was uncommitted", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the put never waited for the move")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if p, m := pendingAndMoved(t, url, schema); p != 1 || m != 0 {
		t.Errorf("after the put: %d waiting, %d moved; want 1, 0 (the moved vector replaced)", p, m)
	}
	if e, err := s.GetEmbedding(ctx, "acme", "c1"); err != nil || e.Vector[1] != 1 {
		t.Errorf("GetEmbedding = %+v, %v; want the second put's vector", e, err)
	}
}
