// Package postgres is the production triage.Store: PostgreSQL with pgvector,
// through a pgx connection pool. Cases are kept whole as jsonb beside the
// columns that filters need; findings (never values), upload statuses,
// embeddings and an audit trail have their own tables. Similar-incident
// lookup is a k-NN query over an HNSW index, one index per embedder space.
package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pgvector/pgvector-go"
	pgxvec "github.com/pgvector/pgvector-go/pgx"

	"github.com/logtriage/logtriage/triage"
)

var (
	_ triage.Store          = (*Store)(nil)
	_ triage.EmbeddingStore = (*Store)(nil)
)

const (
	defaultSchema    = "logtriage"
	defaultListLimit = 100
	defaultSimilarK  = 5
	defaultEFSearch  = 150
	maxEFSearch      = 1000 // pgvector's upper bound for hnsw.ef_search
)

// Index kinds of a space's similarity index (Options.IndexKind).
const (
	IndexHNSW    = "hnsw"
	IndexIVFFlat = "ivfflat"
)

// Options tune a store; the zero value is the production default.
type Options struct {
	// Schema holds the store's tables; "logtriage" when empty. Tests use one
	// schema each to run against a shared database.
	Schema string
	// MaxConns caps the pool; 0 keeps pgx's default (pool_max_conns in the
	// URL also works). Against PGlite the default is 4.
	MaxConns int32
	// EFSearch is hnsw.ef_search for Similar: the HNSW candidate list size,
	// trading latency for recall. 150 when 0; never below K.
	EFSearch int
	// IndexM and IndexEFConstruction build each new space's HNSW index
	// (pgvector's m and ef_construction; 24 and 100 when 0). Existing indexes
	// keep theirs until rebuilt (RebuildIndex).
	IndexM, IndexEFConstruction int
	// IndexKind is the index RebuildIndex builds for a space: IndexHNSW (the
	// default) or IndexIVFFlat. A new space always starts with HNSW (an
	// IVFFlat index learns its lists from the vectors already there).
	IndexKind string
	// IVFLists: the lists of a rebuilt IVFFlat index; 0 takes pgvector's
	// advice from the space's size (rows/1000, the square root above 1M).
	IVFLists int
	// IVFProbes is ivfflat.probes for a space with an IVFFlat index: the
	// lists a query scans; 0 means 1% of the lists, at least 10.
	IVFProbes int
	// FullPrecisionIndex indexes full float32 vectors instead of halfvec
	// copies (twice the index size and build time, for no measured recall gain).
	FullPrecisionIndex bool
	// ExactTenantRows: a tenant with at most this many vectors in a space is
	// searched exactly (1000 when 0; negative: always the index).
	ExactTenantRows int
	// TenantIndexMinRows and TenantIndexMinShare: MaintainTenantIndexes gives
	// a tenant its own HNSW index in a space where it holds at least this many
	// vectors and this share of them (2000 and 0.002 when 0), and drops it when
	// the tenant falls below half of either. A negative TenantIndexMinRows
	// turns the maintenance off (indexes built by hand stay).
	TenantIndexMinRows  int
	TenantIndexMinShare float64
	// DeferIndexing: PutCase writes the vector to embeddings_pending, outside
	// the HNSW graphs, and MoveEmbeddings moves it into them in batches
	// later (serve runs it continuously); queries scan the pending vectors
	// exactly beside the index walk. It takes the graph insert, most of a
	// write's time in a large space, off the write path.
	DeferIndexing bool
	// CandidatesFactor: the index plan fetches K times this many candidates
	// and re-ranks them by full-precision distance (4 when 0).
	CandidatesFactor int
	// Now stamps updates and audit events; time.Now when nil.
	Now func() time.Time
	// Sealer encrypts case bodies under their tenant's data key (sealed.go);
	// nil stores them in the clear.
	Sealer triage.Sealer
}

// Store is safe for concurrent use.
type Store struct {
	pool   *pgxpool.Pool
	opts   Options
	schema string // quoted identifier
	q      queries
	// iterativeScan: pgvector >= 0.8 keeps scanning the HNSW index until K
	// rows pass the tenant filter, instead of filtering one candidate list.
	iterativeScan bool
	// PGlite runs a single backend shared by all connections (see Open).
	pglite bool

	spacesMu sync.Mutex
	spaces   map[string]space // by embedder id; a space never changes once created

	sizes tenantSizes // which tenants are searched exactly (search.go)
}

// space is one embedder's vectors: its row in embedding_spaces.
type space struct {
	id   int
	dims int
	indexShape
}

// Open connects, creates the pgvector extension, applies pending migrations
// and returns the store. url is a PostgreSQL connection string
// ("postgres://user:pass@host:5432/db?sslmode=disable").
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	if opts.Schema == "" {
		opts.Schema = defaultSchema
	}
	if !validSchema(opts.Schema) {
		return nil, triage.Invalidf("postgres", "schema %q: use lower-case letters, digits and _", opts.Schema)
	}
	if opts.EFSearch <= 0 {
		opts.EFSearch = defaultEFSearch
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.IndexM <= 0 {
		opts.IndexM = DefaultIndexM
	}
	if opts.IndexEFConstruction <= 0 {
		opts.IndexEFConstruction = DefaultEFConstruction
	}
	if opts.ExactTenantRows == 0 {
		opts.ExactTenantRows = defaultExactTenantRows
	}
	if opts.CandidatesFactor <= 0 {
		opts.CandidatesFactor = defaultCandidatesFactor
	}
	switch opts.IndexKind {
	case "":
		opts.IndexKind = IndexHNSW
	case IndexHNSW, IndexIVFFlat:
	default:
		return nil, triage.Invalidf("postgres", "index kind %q: want %s or %s", opts.IndexKind, IndexHNSW, IndexIVFFlat)
	}
	if opts.IVFLists > maxIVFLists {
		return nil, triage.Invalidf("postgres", "%d IVFFlat lists: pgvector takes at most %d", opts.IVFLists, maxIVFLists)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, triage.Invalid("postgres", fmt.Errorf("database url: %w", err))
	}

	// Start-up work runs on one connection in the simple protocol, which every
	// server speaks safely, before the pool exists: the pool registers the
	// vector type on each new connection, so the extension must exist first.
	boot := cfg.ConnConfig.Copy()
	boot.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	conn, err := pgx.ConnectConfig(ctx, boot)
	if err != nil {
		return nil, classify("connect", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var version string
	if err := conn.QueryRow(ctx, "SELECT version()").Scan(&version); err != nil {
		return nil, classify("connect", err)
	}
	if _, err := migrate(ctx, conn, opts.Schema); err != nil {
		return nil, classify("migrate", err)
	}
	var vecVersion string
	if err := conn.QueryRow(ctx, "SELECT extversion FROM pg_extension WHERE extname = 'vector'").Scan(&vecVersion); err != nil {
		return nil, classify("connect", err)
	}

	s := &Store{
		opts:          opts,
		schema:        pgx.Identifier{opts.Schema}.Sanitize(),
		iterativeScan: versionAtLeast(vecVersion, 0, 8),
		pglite:        strings.Contains(version, "PGlite"),
		spaces:        map[string]space{},
	}
	s.q = newQueries(s.schema)
	if s.pglite {
		// PGlite serves every connection from one backend and interleaves
		// their protocol messages between transactions: named prepared
		// statements of two connections collide and an unnamed one can be
		// replaced between Parse and Bind. A simple-protocol query is one
		// message, so it is always safe.
		cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
		cfg.MaxConns = 4
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		return pgxvec.RegisterTypes(ctx, c)
	}
	s.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, classify("connect", err)
	}
	return s, nil
}

// Migrate applies pending migrations to the schema without opening a store
// and returns the versions it applied (none when up to date).
func Migrate(ctx context.Context, url, schema string) ([]int, error) {
	if schema == "" {
		schema = defaultSchema
	}
	if !validSchema(schema) {
		return nil, triage.Invalidf("postgres", "schema %q: use lower-case letters, digits and _", schema)
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, triage.Invalid("postgres", fmt.Errorf("database url: %w", err))
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, classify("connect", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	applied, err := migrate(ctx, conn, schema)
	return applied, classify("migrate", err)
}

// Close releases the pool. It is safe to call more than once.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// PutCase upserts the case, replaces its findings and its embedding (removed
// when emb is nil) and appends an audit event, in one transaction.
func (s *Store) PutCase(ctx context.Context, c *triage.Case, emb *triage.Embedding) error {
	if c == nil || c.ID == "" || c.Tenant == "" {
		return triage.Invalidf("store", "case needs an id and a tenant")
	}
	hasVector := emb != nil && len(emb.Vector) > 0
	if hasVector && emb.EmbedderID == "" {
		return triage.Invalidf("store", "embedding of case %s has no embedder id", c.ID)
	}
	doc, err := marshalDoc(c)
	if err != nil {
		return triage.Internal("store", err)
	}
	doc, sealed, err := s.seal(ctx, c, doc)
	if err != nil {
		return err
	}
	var sp space
	if hasVector {
		if sp, err = s.ensureSpace(ctx, emb.EmbedderID, len(emb.Vector)); err != nil {
			return err
		}
	}
	now := s.opts.Now().UTC()
	// The statements go to the server in one batch (one round trip, not one
	// each), inside the transaction: a refused upsert rolls the rest back.
	batch := &pgx.Batch{}
	batch.Queue(s.q.upsertCase, c.ID, c.Tenant, c.Upload.ID, c.Queue, c.Category,
		c.Severity.Label, c.Severity.Score, c.PIIRisk.Label, string(c.Status), c.CreatedAt, now, doc, sealed)
	batch.Queue(s.q.deleteFindings, c.ID)
	if len(c.Findings) > 0 {
		batch.Queue(s.q.insertFindings, c.ID, c.Tenant, doc)
	}
	if hasVector {
		upsert := s.q.upsertEmbedding
		if s.opts.DeferIndexing {
			upsert = s.q.upsertPendingEmbedding
		}
		batch.Queue(upsert, c.ID, c.Tenant, sp.id, sp.dims, pgvector.NewVector(emb.Vector), now)
	} else {
		batch.Queue(s.q.deleteEmbedding, c.ID)
	}
	details := auditDetails("status", string(c.Status), "queue", c.Queue, "embedder_id", embedderID(emb))
	batch.Queue(s.q.insertAudit, now, "case.put", c.Tenant, c.ID, c.Upload.ID, details)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		br := tx.SendBatch(ctx, batch)
		var id string
		err := br.QueryRow().Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			// The upsert's WHERE refused: the id is taken by another tenant.
			err = triage.Invalidf("store", "case %s belongs to another tenant", c.ID)
		}
		for i := 1; err == nil && i < batch.Len(); i++ {
			_, err = br.Exec()
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		return err
	})
	return classify("store", err)
}

// auditDetails renders key/value pairs as a JSON object.
func auditDetails(kv ...string) string {
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	b, _ := json.Marshal(m) // a map of strings always encodes
	return replaceNULEscapes(string(b))
}

func embedderID(e *triage.Embedding) string {
	if e == nil || len(e.Vector) == 0 {
		return ""
	}
	return e.EmbedderID
}

// marshalDoc encodes the case for its jsonb column. PostgreSQL text cannot
// hold NUL, and jsonb refuses its \u0000 escape; a log line may carry one, so
// it is stored as U+FFFD, the replacement character.
func marshalDoc(c *triage.Case) (string, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	return replaceNULEscapes(string(b)), nil
}

// replaceNULEscapes rewrites \u0000 escapes in JSON text, skipping escaped
// backslashes so a literal `\\u0000` in a string stays as it is.
func replaceNULEscapes(js string) string {
	if !strings.Contains(js, `\u0000`) {
		return js
	}
	var b strings.Builder
	b.Grow(len(js))
	for i := 0; i < len(js); i++ {
		if js[i] != '\\' || i+1 == len(js) {
			b.WriteByte(js[i])
			continue
		}
		if strings.HasPrefix(js[i:], `\u0000`) {
			b.WriteString(`\ufffd`)
			i += len(`\u0000`) - 1
			continue
		}
		b.WriteString(js[i : i+2]) // any other escape, \\ included
		i++
	}
	return b.String()
}

// GetCase returns triage.ErrNotFound for a missing case or one of another tenant.
func (s *Store) GetCase(ctx context.Context, tenant, id string) (*triage.Case, error) {
	var doc string
	var sealed []byte
	err := s.pool.QueryRow(ctx, s.q.getCase, id, tenant).Scan(&doc, &sealed)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, triage.ErrNotFound
	}
	if err != nil {
		return nil, classify("store", err)
	}
	return s.decodeRow(ctx, tenant, id, doc, sealed)
}

func decodeCase(doc string) (*triage.Case, error) {
	var c triage.Case
	if err := json.Unmarshal([]byte(doc), &c); err != nil {
		return nil, triage.Internal("store", err)
	}
	return &c, nil
}

// ListCases returns matching cases, newest first.
func (s *Store) ListCases(ctx context.Context, f triage.CaseFilter) ([]*triage.Case, error) {
	if f.Tenant == "" && !f.AllTenants {
		return nil, triage.Invalidf("store", "list cases: a tenant is required")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultListLimit
	}
	var where []string
	var args []any
	arg := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if !f.AllTenants {
		arg("tenant = $%d", f.Tenant)
	}
	if f.Queue != "" {
		arg("queue = $%d", f.Queue)
	}
	if !f.Since.IsZero() {
		arg("created_at >= $%d", f.Since)
	}
	sql := "SELECT tenant, id, doc::text, sealed FROM " + s.schema + ".cases"
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, limit)
	sql += fmt.Sprintf(" ORDER BY created_at DESC, id LIMIT $%d", len(args))

	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, classify("store", err)
	}
	docs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[caseRow])
	if err != nil {
		return nil, classify("store", err)
	}
	out := make([]*triage.Case, 0, len(docs))
	for _, d := range docs {
		c, err := s.decodeRow(ctx, d.Tenant, d.ID, d.Doc, d.Sealed)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// SetStatus records the state of one upload, with an audit event.
func (s *Store) SetStatus(ctx context.Context, st triage.UploadStatus) error {
	if st.Tenant == "" || st.UploadID == "" || st.Status == "" {
		return triage.Invalidf("store", "status needs a tenant, an upload id and a status")
	}
	now := s.opts.Now().UTC()
	if st.UpdatedAt.IsZero() {
		st.UpdatedAt = now
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, s.q.upsertStatus, st.Tenant, st.UploadID, st.CaseID, string(st.Status), st.Reason, st.UpdatedAt, nullTime(st.DeleteAfter)); err != nil {
			return err
		}
		details := auditDetails("status", string(st.Status), "reason", st.Reason)
		_, err := tx.Exec(ctx, s.q.insertAudit, now, "status.set", st.Tenant, st.CaseID, st.UploadID, details)
		return err
	})
	return classify("store", err)
}

// GetStatus returns triage.ErrNotFound for an unknown upload or one of another tenant.
func (s *Store) GetStatus(ctx context.Context, tenant, uploadID string) (triage.UploadStatus, error) {
	st := triage.UploadStatus{Tenant: tenant, UploadID: uploadID}
	var status string
	var deleteAfter *time.Time
	err := s.pool.QueryRow(ctx, s.q.getStatus, tenant, uploadID).Scan(&st.CaseID, &status, &st.Reason, &st.UpdatedAt, &deleteAfter)
	if deleteAfter != nil {
		st.DeleteAfter = deleteAfter.UTC()
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return triage.UploadStatus{}, triage.ErrNotFound
	}
	if err != nil {
		return triage.UploadStatus{}, classify("store", err)
	}
	st.Status = triage.Status(status)
	return st, nil
}

// GetEmbedding returns the stored embedding of a case, or triage.ErrNotFound
// when the case is missing, of another tenant or has none.
func (s *Store) GetEmbedding(ctx context.Context, tenant, caseID string) (triage.Embedding, error) {
	var e triage.Embedding
	var v pgvector.Vector
	err := s.pool.QueryRow(ctx, s.q.getEmbedding, caseID, tenant).Scan(&e.EmbedderID, &v)
	if errors.Is(err, pgx.ErrNoRows) {
		return triage.Embedding{}, triage.ErrNotFound
	}
	if err != nil {
		return triage.Embedding{}, classify("store", err)
	}
	e.Vector = v.Slice()
	return e, nil
}

func hasNorm(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return true
		}
	}
	return false
}

// ensureSpace returns the embedder's space, creating it and its HNSW index on
// first use. A vector whose dimension differs from its space's is refused:
// a model or dimension change must come with a new embedder id.
func (s *Store) ensureSpace(ctx context.Context, embedderID string, dims int) (space, error) {
	sp, ok, err := s.lookupSpace(ctx, embedderID)
	if err != nil {
		return space{}, err
	}
	if !ok {
		if sp, err = s.createSpace(ctx, embedderID, dims); err != nil {
			return space{}, err
		}
	}
	if sp.dims != dims {
		return space{}, triage.Invalidf("store", "embedding has %d dimensions, space %s has %d", dims, embedderID, sp.dims)
	}
	return sp, nil
}

func (s *Store) lookupSpace(ctx context.Context, embedderID string) (space, bool, error) {
	s.spacesMu.Lock()
	sp, ok := s.spaces[embedderID]
	s.spacesMu.Unlock()
	if ok {
		return sp, true, nil
	}
	err := s.pool.QueryRow(ctx, s.q.getSpace, embedderID).Scan(&sp.id, &sp.dims)
	if errors.Is(err, pgx.ErrNoRows) {
		return space{}, false, nil
	}
	if err == nil {
		sp.indexShape, err = s.readIndexShape(ctx, s.pool, sp.id)
	}
	if err != nil {
		return space{}, false, classify("store", err)
	}
	s.remember(embedderID, sp)
	return sp, true, nil
}

func (s *Store) remember(embedderID string, sp space) {
	s.spacesMu.Lock()
	s.spaces[embedderID] = sp
	s.spacesMu.Unlock()
}

// createSpace registers the space and builds its index in one transaction,
// under an advisory lock so two writers meeting a new model do not race.
func (s *Store) createSpace(ctx context.Context, embedderID string, dims int) (space, error) {
	if dims > maxIndexedDims {
		return space{}, triage.Invalidf("store", "embedding of %d dimensions: the HNSW index takes at most %d", dims, maxIndexedDims)
	}
	var sp space
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", "logtriage.spaces."+s.schema); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, s.q.insertSpace, embedderID, dims); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, s.q.getSpace, embedderID).Scan(&sp.id, &sp.dims); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, s.createIndexSQL(sp, "")); err != nil {
			return err
		}
		var err error
		sp.indexShape, err = s.readIndexShape(ctx, tx, sp.id)
		return err
	})
	if err != nil {
		return space{}, classify("store", err)
	}
	s.remember(embedderID, sp)
	return sp, nil
}

// maxIndexedDims is pgvector's limit for an HNSW index on vector.
const maxIndexedDims = 2000

// AuditEvent is one row of the audit trail.
type AuditEvent struct {
	At       time.Time       `json:"at"`
	Event    string          `json:"event"` // "case.put" | "status.set"
	Tenant   string          `json:"tenant"`
	CaseID   string          `json:"case_id,omitempty"`
	UploadID string          `json:"upload_id,omitempty"`
	Details  json.RawMessage `json:"details"`
}

// Audit returns one tenant's audit events, oldest first.
func (s *Store) Audit(ctx context.Context, tenant string) ([]AuditEvent, error) {
	rows, err := s.pool.Query(ctx, s.q.audit, tenant)
	if err != nil {
		return nil, classify("store", err)
	}
	evs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditEvent, error) {
		var e AuditEvent
		var details string
		err := r.Scan(&e.At, &e.Event, &e.Tenant, &e.CaseID, &e.UploadID, &details)
		e.Details = json.RawMessage(details)
		return e, err
	})
	return evs, classify("store", err)
}

func versionAtLeast(v string, major, minor int) bool {
	var ma, mi int
	if _, err := fmt.Sscanf(v, "%d.%d", &ma, &mi); err != nil {
		return false
	}
	return ma > major || (ma == major && mi >= minor)
}

// validSchema keeps schema names to plain identifiers: they are written into
// SQL text (quoted), and a query template must not meet a stray %.
func validSchema(name string) bool {
	if name == "" || len(name) > 63 || name[0] >= '0' && name[0] <= '9' {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}
