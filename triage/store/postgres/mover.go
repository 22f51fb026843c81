package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/logtriage/logtriage/triage"
)

var _ triage.EmbeddingMover = (*Store)(nil)

// MoveEmbeddings moves up to batch vectors, oldest first, from
// embeddings_pending into embeddings, where the HNSW graphs take them (the
// inserts PutCase skips under Options.DeferIndexing). It returns how many it
// moved. Each moved row's case row is locked, skipping cases a write holds:
// a PutCase of the same case waits for the move to commit and then replaces
// the moved vector, so a case never has a vector in both tables. Several
// movers may run at once; each takes other rows.
func (s *Store) MoveEmbeddings(ctx context.Context, batch int) (int, error) {
	if batch <= 0 {
		batch = 500
	}
	tag, err := s.pool.Exec(ctx, s.moveSQL(), batch)
	if err != nil {
		return 0, classify("store", err)
	}
	return int(tag.RowsAffected()), nil
}

// moveSQL moves $1 waiting vectors in one statement.
func (s *Store) moveSQL() string {
	return fmt.Sprintf(`
		WITH picked AS (
			SELECT p.case_id, p.space_id FROM %[1]s.embeddings_pending p
			JOIN %[1]s.cases c ON c.id = p.case_id
			ORDER BY p.created_at LIMIT $1
			FOR UPDATE OF p, c SKIP LOCKED),
		moved AS (
			DELETE FROM %[1]s.embeddings_pending p USING picked
			WHERE p.case_id = picked.case_id AND p.space_id = picked.space_id
			RETURNING p.case_id, p.tenant, p.space_id, p.dims, p.embedding, p.created_at)
		INSERT INTO %[1]s.embeddings (case_id, tenant, space_id, dims, embedding, created_at)
		SELECT case_id, tenant, space_id, dims, embedding, created_at FROM moved
		%[2]s`, s.schema, onEmbeddingConflict)
}

// IndexBacklog counts the vectors waiting for the mover and the oldest
// one's write time. The waiting table is small while the movers keep up,
// and its created_at index gives the oldest without a sort.
func (s *Store) IndexBacklog(ctx context.Context) (triage.IndexBacklog, error) {
	var b triage.IndexBacklog
	var oldest *time.Time
	err := s.pool.QueryRow(ctx, fmt.Sprintf("SELECT count(*), min(created_at) FROM %s.embeddings_pending", s.schema)).Scan(&b.Vectors, &oldest)
	if err != nil {
		return b, classify("store", err)
	}
	if oldest != nil {
		b.Oldest = *oldest
	}
	return b, nil
}
