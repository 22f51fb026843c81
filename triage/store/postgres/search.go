package postgres

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"github.com/logtriage/logtriage/triage"
)

// Similar-incident search. Each embedder space has one partial HNSW index
// (m, ef_construction from Options; half-precision copies of the vectors by
// default, which halves the index and its build). A query runs one of three
// plans, chosen per query:
//
//   - exact: a top-N over the tenant's own rows (b-tree on space and tenant),
//     when the tenant holds at most Options.ExactTenantRows vectors in the
//     space. A small tenant behind a filter is where HNSW loses recall (most
//     of the candidates it walks belong to other tenants), and its exact scan
//     is cheap.
//   - own index: a large tenant's own partial HNSW index (tenant_indexes.go),
//     walked as below; a graph of its rows only keeps the recall of an
//     unfiltered search.
//   - index: the HNSW index with pgvector's iterative scan (relaxed order), a
//     candidate list of Options.Candidates rows, re-ranked by the
//     full-precision distance. Other tenants and the all-tenants query.
//
// The figures behind the defaults are in docs/storage.md (BenchmarkTenantSearch).

// DefaultIndexM and DefaultEFConstruction build a new space's HNSW graph,
// denser than pgvector's defaults (16, 64): at a million vectors those give
// recall@10 0.81-0.89 at ef_search 100-200, these 0.96 at ef_search 150
// within p99 10 ms, for 1.7x the build time and a dearer graph insert, which
// the index mover pays, not the write (storage.md).
const (
	DefaultIndexM           = 24
	DefaultEFConstruction   = 100
	defaultExactTenantRows  = 1000
	defaultCandidatesFactor = 4
	defaultMinProbes        = 10    // ivfflat.probes is at least this, else 1% of the lists
	maxIVFLists             = 32768 // pgvector's limit
	tenantSizeTTL           = time.Minute
)

// indexName is the space's HNSW index (unqualified).
func indexName(spaceID int) string { return fmt.Sprintf("embeddings_hnsw_%d", spaceID) }

// tenantIndexName is the partial HNSW index of one large tenant in a space:
// the tenant's name is hashed into it (names are not identifiers).
func tenantIndexName(spaceID int, tenant string) string {
	h := sha256.Sum256([]byte(tenant))
	return fmt.Sprintf("embeddings_hnsw_%d_t%x", spaceID, h[:6])
}

// quoteLiteral makes a SQL string literal. A tenant's own index is partial on
// its name, and the planner matches a partial index only against a literal,
// not a parameter; the name is a tenant id (no NUL, checked by the caller).
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// createIndexSQL is the space's HNSW index definition; name overrides the
// index name (a rebuild builds under a new name, then swaps).
func (s *Store) createIndexSQL(sp space, name string) string {
	return s.createIndexSQLFor(sp, name, "")
}

// createIndexSQLFor is the HNSW index definition for the whole space
// (tenant "") or for one tenant's rows of it.
func (s *Store) createIndexSQLFor(sp space, name, tenant string) string {
	return s.indexDefinition(sp, name, tenant, 0)
}

// indexDefinition is an HNSW index (ivfLists 0) or an IVFFlat index with
// ivfLists lists, on the same expression and rows.
func (s *Store) indexDefinition(sp space, name, tenant string, ivfLists int) string {
	if name == "" {
		name = indexName(sp.id)
	}
	where := fmt.Sprintf("space_id = %d", sp.id)
	if tenant != "" {
		where += " AND tenant = " + quoteLiteral(tenant)
	}
	typ, ops := "vector", "vector_cosine_ops"
	if !s.opts.FullPrecisionIndex && sp.dims <= maxHalfvecIndexedDims {
		typ, ops = "halfvec", "halfvec_cosine_ops"
	}
	method := fmt.Sprintf("hnsw ((embedding::%s(%d)) %s) WITH (m = %d, ef_construction = %d)", typ, sp.dims, ops, s.opts.IndexM, s.opts.IndexEFConstruction)
	if ivfLists > 0 {
		method = fmt.Sprintf("ivfflat ((embedding::%s(%d)) %s) WITH (lists = %d)", typ, sp.dims, ops, ivfLists)
	}
	return fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s.embeddings USING %s WHERE %s`, name, s.schema, method, where)
}

// maxHalfvecIndexedDims is pgvector's limit for an HNSW index on halfvec.
const maxHalfvecIndexedDims = 4000

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// indexShape is what the store reads back from a space's index definition,
// so spaces indexed by older versions or other options keep working.
type indexShape struct {
	// halfvec: the index holds half-precision copies of the vectors, and the
	// query must order by the same cast to use it.
	halfvec bool
	// ivfLists: an IVFFlat index with this many lists (RebuildIndex with
	// IndexKind ivfflat); 0 for HNSW, or no index.
	ivfLists int
}

var listsOption = regexp.MustCompile(`lists\s*=\s*'?(\d+)`)

// readIndexShape reads the space's index definition.
func (s *Store) readIndexShape(ctx context.Context, q querier, spaceID int) (indexShape, error) {
	var def string
	err := q.QueryRow(ctx, `SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = $2`,
		s.opts.Schema, indexName(spaceID)).Scan(&def)
	if err == pgx.ErrNoRows {
		return indexShape{}, nil // no index (dropped for a bulk load): exact plans only
	}
	if err != nil {
		return indexShape{}, err
	}
	shape := indexShape{halfvec: strings.Contains(def, "halfvec")}
	if strings.Contains(def, "USING ivfflat") {
		m := listsOption.FindStringSubmatch(def)
		if m == nil {
			return shape, fmt.Errorf("space %d: IVFFlat index without lists: %s", spaceID, def)
		}
		shape.ivfLists, _ = strconv.Atoi(m[1])
	}
	return shape, nil
}

// ivfProbes is ivfflat.probes for a space's IVFFlat index.
func (s *Store) ivfProbes(sp space) int {
	probes := s.opts.IVFProbes
	if probes <= 0 {
		probes = max(defaultMinProbes, sp.ivfLists/100)
	}
	return min(probes, sp.ivfLists)
}

// ivfListsFor is pgvector's advice for an IVFFlat index over rows vectors:
// rows/1000 up to a million, the square root beyond.
func ivfListsFor(rows int64) int {
	if rows <= 1_000_000 {
		return int(max(rows/1000, 1))
	}
	return min(int(math.Sqrt(float64(rows))), maxIVFLists)
}

// Similar returns up to K cases nearest to the query in its embedder space,
// most similar first.
func (s *Store) Similar(ctx context.Context, q triage.SimilarQuery) ([]triage.SimilarCase, error) {
	return s.similar(ctx, q, planAuto)
}

type plan int

const (
	planAuto     plan = iota
	planExact         // top-N over the rows, no index: the baseline recall is measured against
	planIndex         // HNSW whatever the tenant's size
	planOwnIndex      // the tenant's own partial HNSW index
)

// querySpace is the space a k-NN query searches: ok is false for a zero
// vector or a space with no vectors yet (nothing to find); a vector of the
// wrong dimension for its space is invalid.
func (s *Store) querySpace(ctx context.Context, e triage.Embedding) (space, bool, error) {
	if !hasNorm(e.Vector) {
		return space{}, false, nil
	}
	sp, ok, err := s.lookupSpace(ctx, e.EmbedderID)
	if err != nil || !ok {
		return space{}, false, err
	}
	if sp.dims != len(e.Vector) {
		return space{}, false, triage.Invalidf("store", "query has %d dimensions, space %s has %d", len(e.Vector), e.EmbedderID, sp.dims)
	}
	return sp, true, nil
}

func (s *Store) similar(ctx context.Context, q triage.SimilarQuery, p plan) ([]triage.SimilarCase, error) {
	if q.Tenant == "" && !q.AllTenants {
		return nil, triage.Invalidf("store", "similar: a tenant is required")
	}
	k := q.K
	if k <= 0 {
		k = defaultSimilarK
	}
	sp, ok, err := s.querySpace(ctx, q.Embedding)
	if err != nil || !ok {
		return nil, err
	}
	if p == planAuto {
		p = planIndex
		if !q.AllTenants {
			size, err := s.tenantSize(ctx, sp.id, q.Tenant)
			if err != nil {
				return nil, classify("store", err)
			}
			switch {
			case size.small:
				p = planExact
			case size.ownIndex:
				p = planOwnIndex
			}
		}
	}
	sql, args, sets := s.similarQuery(sp, q, k, p)
	var hits []triage.SimilarCase
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		for _, set := range sets {
			if _, err := tx.Exec(ctx, set); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var h triage.SimilarCase
			var tenant string
			var distance float64
			var sealed []byte
			if err := rows.Scan(&h.CaseID, &tenant, &h.Summary, &h.Queue, &distance, &sealed); err != nil {
				return err
			}
			if sealed != nil {
				// A sealed case keeps its summary under the tenant's key.
				c, err := s.open(ctx, tenant, h.CaseID, sealed)
				if err != nil {
					return err
				}
				h.Summary = c.Summary
			}
			h.Similarity = 1 - distance
			// Rows come most similar first: the first below the threshold ends the list.
			if h.Similarity < q.MinSimilarity {
				break
			}
			if q.AllTenants {
				h.Tenant = tenant
			}
			hits = append(hits, h)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, classify("store", err)
	}
	return hits, nil
}

// similarQuery builds one plan's SQL, arguments and SET LOCAL statements
// (they end with the transaction, so no pooled connection keeps them).
// Space id and dimension are integers from our own table, written into the
// SQL so the planner matches the space's partial expression index.
func (s *Store) similarQuery(sp space, q triage.SimilarQuery, k int, p plan) (string, []any, []string) {
	args := []any{pgvector.NewVector(q.Embedding.Vector), q.ExcludeCaseID, k}
	tenantCond := ""
	switch {
	case q.AllTenants:
	case p == planOwnIndex:
		// A literal, so the planner matches the tenant's partial index.
		tenantCond = "AND e.tenant = " + quoteLiteral(q.Tenant)
	default:
		args = append(args, q.Tenant)
		tenantCond = "AND e.tenant = $4"
	}
	full := fmt.Sprintf("e.embedding::vector(%[1]d) <=> $1::vector(%[1]d)", sp.dims)
	if p == planExact {
		// The top-N runs over embeddings alone (no join, no wide rows to
		// sort), then joins the K winners: the exact plan never spills.
		sql := fmt.Sprintf(`
			SELECT e.case_id, c.tenant, coalesce(c.doc ->> 'summary', ''), c.queue, e.distance, c.sealed
			FROM (SELECT e.case_id, %[1]s AS distance FROM %[2]s.embeddings_all e
				WHERE e.space_id = %[3]d AND e.case_id <> $2 %[4]s
				ORDER BY distance LIMIT $3) e
			JOIN %[2]s.cases c ON c.id = e.case_id
			ORDER BY e.distance`, full, s.schema, sp.id, tenantCond)
		return sql, args, []string{"SET LOCAL enable_indexscan = off"}
	}
	// The index orders candidates by the indexed expression; the outer query
	// re-ranks them by the full-precision distance.
	indexed := full
	if sp.halfvec {
		indexed = fmt.Sprintf("e.embedding::halfvec(%[1]d) <=> $1::vector::halfvec(%[1]d)", sp.dims)
	}
	candidates := max(k*s.opts.CandidatesFactor, k)
	ef := min(max(s.opts.EFSearch, candidates), maxEFSearch)
	sets := []string{fmt.Sprintf("SET LOCAL hnsw.ef_search = %d", ef)}
	methods := []string{"hnsw"}
	if sp.ivfLists > 0 {
		// Both kinds: a tenant's own index is HNSW, and the planner may still
		// prefer the space's IVFFlat index for its query (at a million rows it
		// did, for tenants of 4.5% and 30%), which must then probe enough.
		methods = append(methods, "ivfflat")
		sets = append(sets, fmt.Sprintf("SET LOCAL ivfflat.probes = %d", s.ivfProbes(sp)))
	}
	if s.iterativeScan {
		// relaxed_order: the outer query sorts anyway, and relaxed is the mode
		// pgvector recommends with a re-rank (strict costs recall at no gain).
		for _, m := range methods {
			sets = append(sets, "SET LOCAL "+m+".iterative_scan = relaxed_order")
		}
	}
	// Vectors still waiting for the index mover (Options.DeferIndexing) are
	// few: an exact scan of them joins the index's candidates.
	sql := fmt.Sprintf(`
		WITH candidates AS MATERIALIZED (
			(SELECT e.case_id, %[1]s AS distance FROM %[2]s.embeddings e
			WHERE e.space_id = %[3]d AND e.case_id <> $2 %[4]s
			ORDER BY %[5]s LIMIT %[6]d)
			UNION ALL
			(SELECT e.case_id, %[1]s AS distance FROM %[2]s.embeddings_pending e
			WHERE e.space_id = %[3]d AND e.case_id <> $2 %[4]s
			ORDER BY distance LIMIT %[6]d))
		SELECT e.case_id, c.tenant, coalesce(c.doc ->> 'summary', ''), c.queue, e.distance, c.sealed
		FROM (SELECT * FROM candidates ORDER BY distance LIMIT $3) e
		JOIN %[2]s.cases c ON c.id = e.case_id
		ORDER BY e.distance`, full, s.schema, sp.id, tenantCond, indexed, candidates)
	return sql, args, sets
}

// tenantSizes caches whether a tenant is small in a space: a bounded count
// (it stops at the threshold) at most once a minute per tenant and space.
type tenantSizes struct {
	mu sync.Mutex
	m  map[tenantSpace]tenantSize
}

type tenantSpace struct {
	space  int
	tenant string
}

type tenantSize struct {
	small    bool // searched exactly
	ownIndex bool // has its own partial index (TenantIndex)
	at       time.Time
}

func (s *Store) tenantSize(ctx context.Context, spaceID int, tenant string) (tenantSize, error) {
	limit := s.opts.ExactTenantRows
	key := tenantSpace{spaceID, tenant}
	now := time.Now()
	s.sizes.mu.Lock()
	if s.sizes.m == nil {
		s.sizes.m = map[tenantSpace]tenantSize{}
	}
	c, ok := s.sizes.m[key]
	s.sizes.mu.Unlock()
	if ok && now.Sub(c.at) < tenantSizeTTL {
		return c, nil
	}
	var n int
	var own bool
	err := s.pool.QueryRow(ctx, fmt.Sprintf(
		`SELECT (SELECT count(*) FROM (SELECT 1 FROM %s.embeddings_all WHERE space_id = $1 AND tenant = $2 LIMIT $3) t),
			EXISTS (SELECT 1 FROM pg_index x WHERE x.indexrelid = to_regclass($4) AND x.indisvalid)`, s.schema),
		spaceID, tenant, max(limit, 0)+1, s.opts.Schema+"."+tenantIndexName(spaceID, tenant)).Scan(&n, &own)
	if err != nil {
		return tenantSize{}, err
	}
	c = tenantSize{small: limit >= 0 && n <= limit, ownIndex: own, at: now}
	s.sizes.mu.Lock()
	s.sizes.m[key] = c
	s.sizes.mu.Unlock()
	return c, nil
}
