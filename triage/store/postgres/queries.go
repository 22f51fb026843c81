package postgres

import "strings"

// queries are the store's SQL with the schema filled in. The k-NN queries and
// index definitions are built per space in search.go.
type queries struct {
	upsertCase, getCase                                      string
	deleteFindings, insertFindings                           string
	upsertEmbedding, upsertPendingEmbedding, deleteEmbedding string
	getEmbedding                                             string
	getSpace, insertSpace                                    string
	upsertStatus, getStatus                                  string
	insertAudit, audit                                       string
}

// onEmbeddingConflict: a vector written for a case and space that already
// have one replaces it, whether a put writes it or the index mover moves it.
const onEmbeddingConflict = `ON CONFLICT (case_id, space_id) DO UPDATE SET tenant = excluded.tenant,
	dims = excluded.dims, embedding = excluded.embedding, created_at = excluded.created_at`

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
		// The case's rows in other spaces go in the same statement: after a put
		// the case has exactly the embedding it was given.
		upsertEmbedding: r.Replace(`
			WITH others AS (DELETE FROM {s}.embeddings WHERE case_id = $1 AND space_id <> $3),
				waiting AS (DELETE FROM {s}.embeddings_pending WHERE case_id = $1)
			INSERT INTO {s}.embeddings (case_id, tenant, space_id, dims, embedding, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			` + onEmbeddingConflict),
		// Deferred (Options.DeferIndexing): the vector waits outside the
		// graphs; the case's moved vectors go, so it has exactly this one.
		upsertPendingEmbedding: r.Replace(`
			WITH moved AS (DELETE FROM {s}.embeddings WHERE case_id = $1),
				others AS (DELETE FROM {s}.embeddings_pending WHERE case_id = $1 AND space_id <> $3)
			INSERT INTO {s}.embeddings_pending (case_id, tenant, space_id, dims, embedding, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			` + onEmbeddingConflict),
		deleteEmbedding: r.Replace(`
			WITH waiting AS (DELETE FROM {s}.embeddings_pending WHERE case_id = $1)
			DELETE FROM {s}.embeddings WHERE case_id = $1`),
		// During a re-embedding a case has a vector in two spaces: the older
		// space's (the one the workers still write until the switch) is the
		// case's embedding, until that space is dropped.
		getEmbedding: r.Replace(`
			SELECT sp.embedder_id, e.embedding FROM {s}.embeddings_all e
			JOIN {s}.embedding_spaces sp ON sp.id = e.space_id
			WHERE e.case_id = $1 AND e.tenant = $2
			ORDER BY e.space_id LIMIT 1`),
		getSpace:    r.Replace(`SELECT id, dims FROM {s}.embedding_spaces WHERE embedder_id = $1`),
		insertSpace: r.Replace(`INSERT INTO {s}.embedding_spaces (embedder_id, dims) VALUES ($1, $2) ON CONFLICT (embedder_id) DO NOTHING`),
		upsertStatus: r.Replace(`
			INSERT INTO {s}.upload_statuses (tenant, upload_id, case_id, status, reason, updated_at, delete_after)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (tenant, upload_id) DO UPDATE SET case_id = excluded.case_id,
				status = excluded.status, reason = excluded.reason, updated_at = excluded.updated_at,
				delete_after = excluded.delete_after`),
		getStatus: r.Replace(`SELECT case_id, status, reason, updated_at, delete_after FROM {s}.upload_statuses WHERE tenant = $1 AND upload_id = $2`),
		insertAudit: r.Replace(`
			INSERT INTO {s}.audit (at, event, tenant, case_id, upload_id, details)
			VALUES ($1, $2, $3, $4, $5, $6::jsonb)`),
		audit: r.Replace(`SELECT at, event, tenant, case_id, upload_id, details::text FROM {s}.audit WHERE tenant = $1 ORDER BY id`),
	}
}
