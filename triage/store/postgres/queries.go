package postgres

import "strings"

// queries are the store's SQL with the schema filled in. Templates that still
// take fmt verbs (similar, createSpaceIndex) get integers only.
type queries struct {
	upsertCase, getCase                     string
	deleteFindings, insertFindings          string
	upsertEmbedding, deleteEmbedding        string
	getEmbedding, similar                   string
	getSpace, insertSpace, createSpaceIndex string
	upsertStatus, getStatus                 string
	insertAudit, audit                      string
}

func newQueries(schema string) queries {
	r := strings.NewReplacer("{s}", schema)
	return queries{
		// The WHERE makes the upsert a no-op, returning no row, when the id
		// belongs to another tenant: a tenant can never overwrite another's case.
		upsertCase: r.Replace(`
			INSERT INTO {s}.cases AS c (id, tenant, upload_id, queue, category, severity, severity_score,
				pii_risk, status, created_at, updated_at, doc, sealed)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13)
			ON CONFLICT (id) DO UPDATE SET
				upload_id = excluded.upload_id, queue = excluded.queue, category = excluded.category,
				severity = excluded.severity, severity_score = excluded.severity_score,
				pii_risk = excluded.pii_risk, status = excluded.status, created_at = excluded.created_at,
				updated_at = excluded.updated_at, doc = excluded.doc, sealed = excluded.sealed
			WHERE c.tenant = excluded.tenant
			RETURNING id`),
		getCase:        r.Replace(`SELECT doc::text, sealed FROM {s}.cases WHERE id = $1 AND tenant = $2`),
		deleteFindings: r.Replace(`DELETE FROM {s}.findings WHERE case_id = $1`),
		// Findings come from the case document itself, so the table and the
		// document can never disagree.
		insertFindings: r.Replace(`
			INSERT INTO {s}.findings (case_id, tenant, type, category, count, locations, fingerprints)
			SELECT $1, $2, f.type, coalesce(f.category, ''), coalesce(f.count, 0), coalesce(f.locations, '[]'),
				ARRAY(SELECT jsonb_array_elements_text(coalesce(f.fingerprints, '[]')))
			FROM jsonb_to_recordset($3::jsonb -> 'findings')
				AS f(type text, category text, count integer, locations jsonb, fingerprints jsonb)`),
		upsertEmbedding: r.Replace(`
			INSERT INTO {s}.embeddings (case_id, tenant, space_id, dims, embedding, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (case_id) DO UPDATE SET tenant = excluded.tenant, space_id = excluded.space_id,
				dims = excluded.dims, embedding = excluded.embedding, created_at = excluded.created_at`),
		deleteEmbedding: r.Replace(`DELETE FROM {s}.embeddings WHERE case_id = $1`),
		getEmbedding: r.Replace(`
			SELECT sp.embedder_id, e.embedding FROM {s}.embeddings e
			JOIN {s}.embedding_spaces sp ON sp.id = e.space_id
			WHERE e.case_id = $1 AND e.tenant = $2`),
		// %[1]d dims, %[2]d space id, %[3]s the tenant condition. ORDER BY is
		// exactly the indexed expression, so the HNSW index serves it.
		similar: r.Replace(`
			SELECT e.case_id, c.tenant, coalesce(c.doc ->> 'summary', ''), c.queue,
				e.embedding::vector(%[1]d) <=> $1::vector(%[1]d), c.sealed
			FROM {s}.embeddings e JOIN {s}.cases c ON c.id = e.case_id
			WHERE e.space_id = %[2]d AND e.case_id <> $2 %[3]s
			ORDER BY e.embedding::vector(%[1]d) <=> $1::vector(%[1]d)
			LIMIT $3`),
		getSpace:    r.Replace(`SELECT id, dims FROM {s}.embedding_spaces WHERE embedder_id = $1`),
		insertSpace: r.Replace(`INSERT INTO {s}.embedding_spaces (embedder_id, dims) VALUES ($1, $2) ON CONFLICT (embedder_id) DO NOTHING`),
		// %[1]d space id, %[2]d dims: a partial index per space, on the cast
		// that gives the untyped vector column a dimension.
		createSpaceIndex: r.Replace(`
			CREATE INDEX IF NOT EXISTS embeddings_hnsw_%[1]d ON {s}.embeddings
			USING hnsw ((embedding::vector(%[2]d)) vector_cosine_ops) WHERE space_id = %[1]d`),
		upsertStatus: r.Replace(`
			INSERT INTO {s}.upload_statuses (tenant, upload_id, case_id, status, reason, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (tenant, upload_id) DO UPDATE SET case_id = excluded.case_id,
				status = excluded.status, reason = excluded.reason, updated_at = excluded.updated_at`),
		getStatus: r.Replace(`SELECT case_id, status, reason, updated_at FROM {s}.upload_statuses WHERE tenant = $1 AND upload_id = $2`),
		insertAudit: r.Replace(`
			INSERT INTO {s}.audit (at, event, tenant, case_id, upload_id, details)
			VALUES ($1, $2, $3, $4, $5, $6::jsonb)`),
		audit: r.Replace(`SELECT at, event, tenant, case_id, upload_id, details::text FROM {s}.audit WHERE tenant = $1 ORDER BY id`),
	}
}
