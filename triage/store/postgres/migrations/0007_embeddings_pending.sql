-- Vectors written by PutCase wait here, outside every HNSW graph, until the
-- index mover (MoveEmbeddings, run by serve) moves them into embeddings in
-- batches: the graph insert (most of a write's time at a million vectors)
-- leaves the write path. Similar-case queries scan this small table exactly
-- beside the index walk, so a case is searchable from its put on.
CREATE TABLE embeddings_pending (
	case_id    text NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	tenant     text NOT NULL,
	space_id   integer NOT NULL,
	dims       integer NOT NULL,
	embedding  vector NOT NULL CHECK (vector_dims(embedding) = dims),
	created_at timestamptz NOT NULL,
	PRIMARY KEY (case_id, space_id),
	FOREIGN KEY (space_id, dims) REFERENCES embedding_spaces (id, dims)
);
CREATE INDEX embeddings_pending_space_tenant ON embeddings_pending (space_id, tenant);
CREATE INDEX embeddings_pending_created ON embeddings_pending (created_at);

-- Every vector, moved or waiting: what exact scans, lookups and counts read.
CREATE VIEW embeddings_all AS
	SELECT case_id, tenant, space_id, dims, embedding, created_at FROM embeddings
	UNION ALL
	SELECT case_id, tenant, space_id, dims, embedding, created_at FROM embeddings_pending;
