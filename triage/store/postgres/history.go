package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/anomaly"
)

var _ triage.HistoryStore = (*Store)(nil)

func (s *Store) historySQL(q string) string { return strings.ReplaceAll(q, "{s}", s.schema) }

// RecordHistory upserts the upload's summary and, in the same transaction,
// the template IDs it is the first to record.
func (s *Store) RecordHistory(ctx context.Context, tenant string, sum anomaly.Summary) error {
	if tenant == "" || sum.UploadID == "" {
		return triage.Invalidf("store", "history needs a tenant and an upload id")
	}
	doc, err := json.Marshal(sum)
	if err != nil {
		return triage.Internal("store", err)
	}
	ids := make([]string, 0, len(sum.Templates))
	for _, t := range sum.Templates {
		ids = append(ids, t.ID)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, s.historySQL(`
			INSERT INTO {s}.anomaly_history (tenant, upload_id, recorded_at, summary)
			VALUES ($1, $2, $3, $4::jsonb)
			ON CONFLICT (tenant, upload_id) DO UPDATE SET recorded_at = excluded.recorded_at, summary = excluded.summary`),
			tenant, sum.UploadID, sum.Time, string(doc)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, s.historySQL(`
			INSERT INTO {s}.anomaly_templates_seen (template_id, tenant, upload_id)
			SELECT id, $2, $3 FROM unnest($1::text[]) AS id
			ON CONFLICT (template_id) DO NOTHING`), ids, tenant, sum.UploadID)
		return err
	})
	return classify("store", err)
}

// History returns the tenant's newest summaries since q.Since, oldest first.
func (s *Store) History(ctx context.Context, q triage.HistoryQuery) ([]anomaly.Summary, error) {
	if q.Tenant == "" {
		return nil, triage.Invalidf("store", "history needs a tenant")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = triage.DefaultHistoryLimit
	}
	rows, err := s.pool.Query(ctx, s.historySQL(`
		SELECT summary::text FROM (
			SELECT summary, recorded_at, upload_id FROM {s}.anomaly_history
			WHERE tenant = $1 AND recorded_at >= $2 AND upload_id <> $3
			ORDER BY recorded_at DESC, upload_id DESC LIMIT $4
		) newest ORDER BY recorded_at, upload_id`), q.Tenant, q.Since, q.ExcludeUpload, limit)
	if err != nil {
		return nil, classify("store", err)
	}
	defer rows.Close()
	var out []anomaly.Summary
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, classify("store", err)
		}
		var sum anomaly.Summary
		if err := json.Unmarshal([]byte(doc), &sum); err != nil {
			return nil, triage.Internal("store", errors.New("stored history summary: "+err.Error()))
		}
		out = append(out, sum)
	}
	return out, classify("store", rows.Err())
}

// KnownTemplates says which ids an upload other than (tenant, excludeUpload) recorded first.
func (s *Store) KnownTemplates(ctx context.Context, ids []string, tenant, excludeUpload string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, s.historySQL(`
		SELECT template_id FROM {s}.anomaly_templates_seen
		WHERE template_id = ANY($1::text[]) AND NOT (tenant = $2 AND upload_id = $3)`), ids, tenant, excludeUpload)
	if err != nil {
		return nil, classify("store", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, classify("store", err)
		}
		out[id] = true
	}
	return out, classify("store", rows.Err())
}

// DeleteHistory removes the tenant's summaries and first-recorded marks.
func (s *Store) DeleteHistory(ctx context.Context, tenant string) error {
	if tenant == "" {
		return triage.Invalidf("store", "history needs a tenant")
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, s.historySQL(`DELETE FROM {s}.anomaly_history WHERE tenant = $1`), tenant); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, s.historySQL(`DELETE FROM {s}.anomaly_templates_seen WHERE tenant = $1`), tenant)
		return err
	})
	return classify("store", err)
}

// PurgeHistory removes the summaries recorded before the time.
func (s *Store) PurgeHistory(ctx context.Context, before time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, s.historySQL(`DELETE FROM {s}.anomaly_history WHERE recorded_at < $1`), before)
	if err != nil {
		return 0, classify("store", err)
	}
	return int(tag.RowsAffected()), nil
}
