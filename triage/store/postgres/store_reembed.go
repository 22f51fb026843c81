package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/logtriage/logtriage/triage"
)

var _ triage.ReembedStore = (*Store)(nil)

// PendingReembed lists the cases waiting for a vector in space, oldest
// first. It reads the case document: the backfill runs rarely and over few
// cases, which does not justify an index.
func (s *Store) PendingReembed(ctx context.Context, space string, limit int) ([]*triage.Case, error) {
	if limit <= 0 {
		limit = defaultListLimit
	}
	rows, err := s.pool.Query(ctx, "SELECT tenant, id, doc::text, sealed FROM "+s.schema+".cases WHERE doc->'embedder'->>'reembed_into' = $1 ORDER BY created_at, id LIMIT $2", space, limit)
	if err != nil {
		return nil, classify("store", err)
	}
	docs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[caseRow])
	if err != nil {
		return nil, classify("store", err)
	}
	out := make([]*triage.Case, 0, len(docs))
	for _, d := range docs {
		c, err := s.decodeRow(ctx, d.Tenant, d.ID, d.Doc, d.Sealed) // sealed cases keep reembed_into readable
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
