-- Cases, their findings (types, counts, locations, fingerprints: never values),
-- upload statuses, embeddings and the audit trail. Runs with search_path set
-- to the store's schema; the vector type comes from the pgvector extension,
-- created before migrations run.

CREATE TABLE cases (
	id             text PRIMARY KEY,
	tenant         text NOT NULL,
	upload_id      text NOT NULL DEFAULT '',
	queue          text NOT NULL DEFAULT '',
	category       text NOT NULL DEFAULT '',
	severity       text NOT NULL DEFAULT '',
	severity_score double precision NOT NULL DEFAULT 0,
	pii_risk       text NOT NULL DEFAULT '',
	status         text NOT NULL DEFAULT '',
	created_at     timestamptz NOT NULL,
	updated_at     timestamptz NOT NULL,
	doc            jsonb NOT NULL -- the whole triage.Case as the pipeline wrote it
);
-- Agents list a tenant's cases newest first, optionally by queue.
CREATE INDEX cases_tenant_created ON cases (tenant, created_at DESC, id);
CREATE INDEX cases_tenant_queue_created ON cases (tenant, queue, created_at DESC, id);
CREATE INDEX cases_created ON cases (created_at DESC, id);

CREATE TABLE findings (
	case_id      text NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	tenant       text NOT NULL,
	type         text NOT NULL,
	category     text NOT NULL,
	count        integer NOT NULL,
	locations    jsonb NOT NULL DEFAULT '[]',
	fingerprints text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX findings_case ON findings (case_id);
-- Security correlates a leaked value across uploads by its keyed fingerprint.
CREATE INDEX findings_fingerprints ON findings USING gin (fingerprints);
CREATE INDEX findings_tenant_type ON findings (tenant, type);

CREATE TABLE upload_statuses (
	tenant     text NOT NULL,
	upload_id  text NOT NULL,
	case_id    text NOT NULL DEFAULT '',
	status     text NOT NULL,
	reason     text NOT NULL DEFAULT '',
	updated_at timestamptz NOT NULL,
	PRIMARY KEY (tenant, upload_id)
);

-- One row per embedder (model + dimension). A space's dimension never changes:
-- a new model or dimension is a new space, so vectors of two spaces are never
-- compared, and each space gets its own HNSW index (created by the store when
-- the space first appears, as a partial index on the cast to vector(dims)).
CREATE TABLE embedding_spaces (
	id          serial PRIMARY KEY,
	embedder_id text NOT NULL UNIQUE,
	dims        integer NOT NULL CHECK (dims BETWEEN 1 AND 16000),
	created_at  timestamptz NOT NULL DEFAULT now(),
	UNIQUE (id, dims)
);

CREATE TABLE embeddings (
	case_id    text PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
	tenant     text NOT NULL,
	space_id   integer NOT NULL,
	dims       integer NOT NULL,
	embedding  vector NOT NULL CHECK (vector_dims(embedding) = dims),
	created_at timestamptz NOT NULL,
	-- The vector has its space's dimension, by construction.
	FOREIGN KEY (space_id, dims) REFERENCES embedding_spaces (id, dims)
);
CREATE INDEX embeddings_space_tenant ON embeddings (space_id, tenant);

CREATE TABLE audit (
	id        bigserial PRIMARY KEY,
	at        timestamptz NOT NULL,
	event     text NOT NULL, -- "case.put" | "status.set"
	tenant    text NOT NULL,
	case_id   text NOT NULL DEFAULT '',
	upload_id text NOT NULL DEFAULT '',
	details   jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_tenant_at ON audit (tenant, at);
