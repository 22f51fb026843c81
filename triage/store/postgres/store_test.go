package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/store/storetest"
)

// databaseURL is the PostgreSQL the tests run against, or a skip saying how
// to get one.
func databaseURL(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"LOGTRIAGE_TEST_DATABASE_URL", "DATABASE_URL"} {
		if url := os.Getenv(name); url != "" {
			return url
		}
	}
	t.Skip("no PostgreSQL: run ./scripts/test.sh (starts PGlite+pgvector on loopback), " +
		"or set LOGTRIAGE_TEST_DATABASE_URL to any PostgreSQL with pgvector")
	return ""
}

var schemaSeq atomic.Int64

// freshSchema names a schema no other test (or concurrent test binary) uses,
// and drops it when the test ends.
func freshSchema(t testing.TB, url string) string {
	t.Helper()
	name := fmt.Sprintf("lt_test_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6, schemaSeq.Add(1))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := DropSchema(ctx, url, name); err != nil {
			t.Logf("drop schema %s: %v", name, err)
		}
	})
	return name
}

func openTest(t testing.TB, url, schema string) *Store {
	t.Helper()
	return openTestWith(t, url, Options{Schema: schema})
}

func openTestWith(t testing.TB, url string, o Options) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Open(ctx, url, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// factory gives every subtest its own schema; Reopen opens the same schema
// through a new pool, as a restarted worker would.
type factory struct {
	url           string
	schemas       map[triage.Store]string
	deferIndexing bool
}

func (f *factory) New(t *testing.T) triage.Store {
	schema := freshSchema(t, f.url)
	s := openTestWith(t, f.url, Options{Schema: schema, DeferIndexing: f.deferIndexing})
	f.schemas[s] = schema
	return s
}

func (f *factory) Reopen(t *testing.T, s triage.Store) triage.Store {
	return openTestWith(t, f.url, Options{Schema: f.schemas[s], DeferIndexing: f.deferIndexing})
}

func TestConformance(t *testing.T) {
	url := databaseURL(t)
	storetest.RunFactory(t, &factory{url: url, schemas: map[triage.Store]string{}})
}

// The same semantics hold with every write's vector waiting outside the
// graphs (Options.DeferIndexing, no mover running): queries see it exactly.
func TestConformanceDeferredIndexing(t *testing.T) {
	url := databaseURL(t)
	storetest.RunFactory(t, &factory{url: url, schemas: map[triage.Store]string{}, deferIndexing: true})
}

func TestMigrateIsIdempotent(t *testing.T) {
	url := databaseURL(t)
	schema := freshSchema(t, url)
	ctx := context.Background()
	ms, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	applied, err := Migrate(ctx, url, schema)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != len(ms) || applied[0] != 1 {
		t.Errorf("first Migrate applied %v, want all %d migrations", applied, len(ms))
	}
	applied, err = Migrate(ctx, url, schema)
	if err != nil || len(applied) != 0 {
		t.Errorf("second Migrate applied %v, %v; want nothing", applied, err)
	}
	// Open on a migrated schema works and applies nothing.
	openTest(t, url, schema).Close()
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	url := databaseURL(t)
	schema := freshSchema(t, url)
	ctx := context.Background()
	if _, err := Migrate(ctx, url, schema); err != nil {
		t.Fatal(err)
	}
	conn := connect(t, url)
	if _, err := conn.Exec(ctx, "INSERT INTO "+schema+".schema_migrations (version, name) VALUES (9999, 'from_the_future')"); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, url, Options{Schema: schema})
	if err == nil || !strings.Contains(err.Error(), "newer than this binary") {
		t.Errorf("Open on a schema from a newer binary: err = %v, want a refusal", err)
	}
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestOpenRefusedIsTransient(t *testing.T) {
	// A port that was free a moment ago: nothing listens there.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = Open(ctx, "postgres://u:p@"+addr+"/db?sslmode=disable&connect_timeout=5", Options{})
	if triage.KindOf(err) != triage.KindTransient {
		t.Errorf("Open with nothing listening: err = %v (kind %v), want transient", err, triage.KindOf(err))
	}
}

func TestOpenRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ url, schema string }{
		{"postgres://u@127.0.0.1:1/db?sslmode=nonsense", ""},
		{"postgres://u@127.0.0.1:1/db", "Robert'); DROP TABLE cases;--"},
		{"postgres://u@127.0.0.1:1/db", "100%"},
	} {
		if _, err := Open(ctx, tc.url, Options{Schema: tc.schema}); triage.KindOf(err) != triage.KindInvalid {
			t.Errorf("Open(%q, schema %q): err = %v, want invalid", tc.url, tc.schema, err)
		}
	}
}

func TestFindingsAuditAndEmbeddingRows(t *testing.T) {
	url := databaseURL(t)
	schema := freshSchema(t, url)
	s := openTest(t, url, schema)
	defer s.Close()
	ctx := context.Background()
	c := &triage.Case{ID: "c1", Tenant: "acme", Queue: "db", CreatedAt: time.Now(),
		Upload: triage.Upload{ID: "up-1"},
		Findings: []triage.FindingSummary{
			{Type: "email", Category: "pii", Count: 3, Locations: []triage.Location{{File: "a.log", Line: 4, Start: 10, End: 30}}, Fingerprints: []string{"fp-1", "fp-2"}},
			{Type: "jwt", Category: "secret", Count: 1},
		}}
	if err := s.PutCase(ctx, c, &triage.Embedding{EmbedderID: "space-x", Vector: []float32{0.6, 0.8}}); err != nil {
		t.Fatal(err)
	}
	c.Findings = c.Findings[:1]
	if err := s.PutCase(ctx, c, &triage.Embedding{EmbedderID: "space-x", Vector: []float32{0.8, 0.6}}); err != nil {
		t.Fatal(err)
	}

	conn := connect(t, url)
	var n int
	var fps []string
	if err := conn.QueryRow(ctx, "SELECT count(*), max(fingerprints::text) FROM "+schema+".findings WHERE case_id = 'c1'").Scan(&n, new(string)); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("findings rows after the second put = %d, want 1 (replaced)", n)
	}
	// Security correlates by fingerprint through the GIN index.
	rows, err := conn.Query(ctx, "SELECT case_id FROM "+schema+".findings WHERE fingerprints @> ARRAY['fp-2']")
	if err != nil {
		t.Fatal(err)
	}
	fps, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(fps) != 1 || fps[0] != "c1" {
		t.Errorf("cases by fingerprint fp-2 = %v, %v; want [c1]", fps, err)
	}
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+schema+".embeddings").Scan(&n); err != nil || n != 1 {
		t.Errorf("embedding rows = %d, %v; want 1 (upserted)", n, err)
	}
	got, err := s.GetEmbedding(ctx, "acme", "c1")
	if err != nil || got.EmbedderID != "space-x" || len(got.Vector) != 2 || got.Vector[0] != 0.8 {
		t.Errorf("GetEmbedding = %+v, %v; want space-x [0.8 0.6]", got, err)
	}
	if _, err := s.GetEmbedding(ctx, "globex", "c1"); !errors.Is(err, triage.ErrNotFound) {
		t.Errorf("GetEmbedding of another tenant's case: err = %v, want ErrNotFound", err)
	}
	if err := s.SetStatus(ctx, triage.UploadStatus{Tenant: "acme", UploadID: "up-1", CaseID: "c1", Status: triage.StatusTriaged}); err != nil {
		t.Fatal(err)
	}
	evs, err := s.Audit(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Event+":"+e.CaseID)
	}
	if strings.Join(kinds, ",") != "case.put:c1,case.put:c1,status.set:c1" {
		t.Errorf("audit = %v, want two puts and a status", kinds)
	}
	if evs, _ := s.Audit(ctx, "globex"); len(evs) != 0 {
		t.Errorf("audit of another tenant = %v, want none", evs)
	}
}

func TestNULInCaseIsStored(t *testing.T) {
	url := databaseURL(t)
	s := openTest(t, url, freshSchema(t, url))
	defer s.Close()
	ctx := context.Background()
	c := &triage.Case{ID: "nul", Tenant: "acme", KeyLines: []string{"before\x00after", `literal \u0000 text`}, CreatedAt: time.Now()}
	if err := s.PutCase(ctx, c, nil); err != nil {
		t.Fatalf("PutCase with a NUL in a key line: %v", err)
	}
	got, err := s.GetCase(ctx, "acme", "nul")
	if err != nil {
		t.Fatal(err)
	}
	if got.KeyLines[0] != "before\ufffdafter" || got.KeyLines[1] != `literal \u0000 text` {
		t.Errorf("key lines = %q, want NUL replaced by U+FFFD and the literal text kept", got.KeyLines)
	}
}

func TestReplaceNULEscapes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`"plain"`, `"plain"`},
		{`"a\u0000b"`, `"a\ufffdb"`},
		{`"a\\u0000b"`, `"a\\u0000b"`},
		{`"a\\\u0000b"`, `"a\\\ufffdb"`},
		{`"\u0000\u0000"`, `"\ufffd\ufffd"`},
		{`"\u00001"`, `"\ufffd1"`},
	} {
		if got := replaceNULEscapes(tc.in); got != tc.want {
			t.Errorf("replaceNULEscapes(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestSimilarUsesHNSWIndex(t *testing.T) {
	url := databaseURL(t)
	schema := freshSchema(t, url)
	s := openTest(t, url, schema)
	defer s.Close()
	ctx := context.Background()
	if err := s.PutCase(ctx, &triage.Case{ID: "c1", Tenant: "acme", CreatedAt: time.Now()},
		&triage.Embedding{EmbedderID: "space-y", Vector: []float32{1, 0, 0}}); err != nil {
		t.Fatal(err)
	}
	sp, ok, err := s.lookupSpace(ctx, "space-y")
	if err != nil || !ok {
		t.Fatalf("space: %v %v", ok, err)
	}
	// Enough rows that walking the graph beats sorting them all: pgvector
	// costs a walk by ef_search, and at the default of 150 the planner
	// rightly sorts 3,000 rows instead (a millisecond or two).
	conn := connect(t, url)
	fill := strings.ReplaceAll(fmt.Sprintf(`
		INSERT INTO {s}.cases (id, tenant, created_at, updated_at, doc)
			SELECT 'bulk-' || i, 'acme', now(), now(), '{}' FROM generate_series(1, 6000) i;
		INSERT INTO {s}.embeddings (case_id, tenant, space_id, dims, embedding, created_at)
			SELECT 'bulk-' || i, 'acme', %d, 3, ARRAY[random(), random(), random()]::vector, now()
			FROM generate_series(1, 6000) i;
		ANALYZE {s}.embeddings`, sp.id), "{s}", schema)
	if _, err := conn.PgConn().Exec(ctx, fill).ReadAll(); err != nil {
		t.Fatal(err)
	}
	if !sp.halfvec {
		t.Errorf("a new space's index is not a halfvec index")
	}
	if plan := explain(t, s, sp, planIndex); !strings.Contains(plan, fmt.Sprintf("embeddings_hnsw_%d", sp.id)) {
		t.Errorf("the k-NN query does not use the space's HNSW index:\n%s", plan)
	}
	if plan := explain(t, s, sp, planExact); strings.Contains(plan, "embeddings_hnsw_") {
		t.Errorf("the exact query uses the HNSW index:\n%s", plan)
	}
}

// explain returns the plan of the cross-tenant k-NN query under plan p.
// (BenchmarkTenantSearch measures the plans at scale.)
func explain(t *testing.T, s *Store, sp space, p plan) string {
	t.Helper()
	ctx := context.Background()
	var lines []string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := triage.SimilarQuery{AllTenants: true, Embedding: triage.Embedding{Vector: make([]float32, sp.dims)}}
		sql, _, sets := s.similarQuery(sp, q, 5, p)
		for _, set := range sets {
			if _, err := tx.Exec(ctx, set); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, "EXPLAIN "+strings.NewReplacer("$1", "'[1,0,0]'", "$2", "''", "$3", "5").Replace(sql))
		if err != nil {
			return err
		}
		lines, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

func (f *factory) NewAudit(t *testing.T) audit.Store { return f.New(t).(audit.Store) }

func (f *factory) ReopenAudit(t *testing.T, s audit.Store) audit.Store {
	s.(triage.Store).Close()
	r := f.Reopen(t, s.(triage.Store))
	t.Cleanup(func() { r.Close() })
	return r.(audit.Store)
}

func TestAuditConformance(t *testing.T) {
	url := databaseURL(t)
	storetest.RunAudit(t, &factory{url: url, schemas: map[triage.Store]string{}})
}
