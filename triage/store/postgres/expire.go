package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/logtriage/logtriage/triage"
)

var _ triage.Expirer = (*Store)(nil)

// expireBatch bounds the rows one statement deletes, so a large purge holds
// its locks briefly and the workers' writes interleave.
const expireBatch = 2000

func (s *Store) Tenants(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, "SELECT tenant FROM "+s.schema+".cases UNION SELECT tenant FROM "+s.schema+".upload_statuses ORDER BY 1")
	if err != nil {
		return nil, classify("store", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return out, classify("store", err)
}

// ExpireCases deletes the tenant's cases created before cutoff; findings and
// embeddings go by ON DELETE CASCADE, the uploads' statuses in the same statement.
func (s *Store) ExpireCases(ctx context.Context, tenant string, cutoff time.Time, dryRun bool) ([]triage.ExpiredCase, error) {
	scan := func(r pgx.CollectableRow) (triage.ExpiredCase, error) {
		var c triage.ExpiredCase
		err := r.Scan(&c.ID, &c.UploadID, &c.CreatedAt)
		c.CreatedAt = c.CreatedAt.UTC()
		return c, err
	}
	if dryRun {
		rows, err := s.pool.Query(ctx, "SELECT id, upload_id, created_at FROM "+s.schema+".cases WHERE tenant = $1 AND created_at < $2 ORDER BY created_at, id", tenant, cutoff)
		if err != nil {
			return nil, classify("store", err)
		}
		out, err := pgx.CollectRows(rows, scan)
		return out, classify("store", err)
	}
	q := `WITH gone AS (
			DELETE FROM {s}.cases WHERE id IN (
				SELECT id FROM {s}.cases WHERE tenant = $1 AND created_at < $2 ORDER BY created_at, id LIMIT $3)
			RETURNING id, upload_id, created_at),
		st AS (DELETE FROM {s}.upload_statuses u USING gone WHERE u.tenant = $1 AND u.upload_id = gone.upload_id AND u.case_id = gone.id),
		work AS (DELETE FROM {s}.case_work w USING gone WHERE w.tenant = $1 AND w.case_id = gone.id)
		SELECT id, upload_id, created_at FROM gone ORDER BY created_at, id`
	q = s.fill(q)
	var out []triage.ExpiredCase
	for {
		rows, err := s.pool.Query(ctx, q, tenant, cutoff, expireBatch)
		if err != nil {
			return out, classify("store", err)
		}
		batch, err := pgx.CollectRows(rows, scan)
		if err != nil {
			return out, classify("store", err)
		}
		out = append(out, batch...)
		if len(batch) < expireBatch {
			return out, nil
		}
	}
}

func (s *Store) ExpireStatuses(ctx context.Context, tenant string, statuses []triage.Status, cutoff time.Time, dryRun bool) ([]triage.UploadStatus, error) {
	names := make([]string, len(statuses))
	for i, st := range statuses {
		names[i] = string(st)
	}
	verb := "DELETE FROM {s}.upload_statuses WHERE"
	tail := " RETURNING upload_id, status, reason, updated_at"
	if dryRun {
		verb, tail = "SELECT upload_id, status, reason, updated_at FROM {s}.upload_statuses WHERE", ""
	}
	rows, err := s.pool.Query(ctx, s.fill(verb+" tenant = $1 AND case_id = '' AND status = ANY($2) AND updated_at < $3"+tail), tenant, names, cutoff)
	if err != nil {
		return nil, classify("store", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (triage.UploadStatus, error) {
		st := triage.UploadStatus{Tenant: tenant}
		var status string
		err := r.Scan(&st.UploadID, &status, &st.Reason, &st.UpdatedAt)
		st.Status = triage.Status(status)
		return st, err
	})
	return out, classify("store", err)
}

func (s *Store) ExpireAudit(ctx context.Context, tenant string, cutoff time.Time, dryRun bool) (int, error) {
	sql := "DELETE FROM {s}.audit WHERE tenant = $1 AND at < $2"
	if dryRun {
		sql = "SELECT count(*) FROM {s}.audit WHERE tenant = $1 AND at < $2"
		var n int
		err := s.pool.QueryRow(ctx, s.fill(sql), tenant, cutoff).Scan(&n)
		return n, classify("store", err)
	}
	tag, err := s.pool.Exec(ctx, s.fill(sql), tenant, cutoff)
	return int(tag.RowsAffected()), classify("store", err)
}

// DeleteTenant removes every row of the tenant in one transaction.
func (s *Store) DeleteTenant(ctx context.Context, tenant string) (int, error) {
	var n int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, s.fill("DELETE FROM {s}.cases WHERE tenant = $1"), tenant)
		if err != nil {
			return err
		}
		n = int(tag.RowsAffected())
		for _, tbl := range []string{"findings", "embeddings", "embeddings_pending", "upload_statuses", "audit", "case_work"} {
			if _, err := tx.Exec(ctx, s.fill("DELETE FROM {s}."+tbl+" WHERE tenant = $1"), tenant); err != nil {
				return err
			}
		}
		return nil
	})
	return n, classify("store", err)
}

func (s *Store) fill(q string) string {
	return replaceSchema(q, s.schema)
}

func replaceSchema(q, schema string) string { return strings.ReplaceAll(q, "{s}", schema) }

// nullTime is NULL for the zero time.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
