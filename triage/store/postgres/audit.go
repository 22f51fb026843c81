package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/triage"
)

var _ audit.Store = (*Store)(nil)

// appendAuditSQL moves the chain's head and inserts the event in one
// statement: the head moves only from the event's predecessor (or is created
// for a first event), and the event is inserted only when it moved. Zero rows
// means another writer appended first.
const appendAuditSQL = `
WITH head AS (
	INSERT INTO {s}.audit_heads AS h (tenant, seq, hash) VALUES ($1, $2, $3)
	ON CONFLICT (tenant) DO UPDATE SET seq = excluded.seq, hash = excluded.hash
	WHERE h.seq = $2 - 1 AND h.hash = $4
	RETURNING 1
)
INSERT INTO {s}.audit_events (tenant, seq, id, at, actor, action, resource, prev_hash, hash, doc)
SELECT $1, $2, $5, $6, $7, $8, $9, $4, $3, $10::jsonb FROM head`

func (s *Store) auditSQL(q string) string { return strings.ReplaceAll(q, "{s}", s.schema) }

// AppendAudit inserts one event and moves its chain's head, atomically.
// It is durable when the commit returns (synchronous_commit as configured).
func (s *Store) AppendAudit(ctx context.Context, e audit.Event) error {
	if e.Tenant == "" || e.Seq == 0 {
		return triage.Invalidf("store", "audit event needs a tenant and a seq")
	}
	if e.Seq == 1 && e.PrevHash != "" {
		return audit.ErrConflict
	}
	doc, err := json.Marshal(e)
	if err != nil {
		return triage.Internal("store", err)
	}
	tag, err := s.pool.Exec(ctx, s.auditSQL(appendAuditSQL), e.Tenant, int64(e.Seq), e.Hash, e.PrevHash,
		e.ID, e.Time, e.Actor.Name, e.Action, e.Resource, string(doc))
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" { // unique violation: a racing writer's event
		return audit.ErrConflict
	}
	if err != nil {
		return classify("store", err)
	}
	if tag.RowsAffected() == 0 {
		return audit.ErrConflict
	}
	return nil
}

func (s *Store) AuditHead(ctx context.Context, tenant string) (audit.Head, error) {
	var h audit.Head
	var seq int64
	err := s.pool.QueryRow(ctx, s.auditSQL(`SELECT seq, hash FROM {s}.audit_heads WHERE tenant = $1`), tenant).Scan(&seq, &h.Hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return audit.Head{}, nil
	}
	if err != nil {
		return audit.Head{}, classify("store", err)
	}
	h.Seq = uint64(seq)
	return h, nil
}

// QueryAudit is one indexed query, newest first, continuing after the cursor.
func (s *Store) QueryAudit(ctx context.Context, q audit.Query) ([]audit.Event, error) {
	if err := q.Validate(); err != nil {
		return nil, triage.Invalid("store", err)
	}
	var where []string
	var args []any
	arg := func(cond string, vs ...any) {
		idx := make([]any, len(vs))
		for i, v := range vs {
			args = append(args, v)
			idx[i] = len(args)
		}
		where = append(where, fmt.Sprintf(cond, idx...))
	}
	if !q.AllTenants {
		arg("tenant = $%d", q.Tenant)
	}
	if !q.Since.IsZero() {
		arg("at >= $%d", q.Since)
	}
	if !q.Until.IsZero() {
		arg("at < $%d", q.Until)
	}
	if q.Actor != "" {
		arg("actor = $%d", q.Actor)
	}
	if q.Action != "" {
		arg("action = $%d", q.Action)
	}
	if q.Resource != "" {
		if prefix, ok := audit.ResourcePrefix(q.Resource); ok {
			// left() instead of LIKE: nothing in the prefix needs escaping.
			arg("left(resource, length($%[1]d)) = $%[1]d", prefix)
		} else {
			arg("resource = $%d", q.Resource)
		}
	}
	if q.After != nil {
		arg("(at, tenant, seq) < ($%d, $%d, $%d)", q.After.Time, q.After.Tenant, int64(q.After.Seq))
	}
	sql := "SELECT doc::text FROM " + s.schema + ".audit_events"
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += fmt.Sprintf(" ORDER BY at DESC, tenant DESC, seq DESC LIMIT %d", q.EffectiveLimit())
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, classify("store", err)
	}
	var out []audit.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, e)
	}
	return out, classify("store", rows.Err())
}

func scanEvent(rows pgx.Rows) (audit.Event, error) {
	var doc string
	if err := rows.Scan(&doc); err != nil {
		return audit.Event{}, classify("store", err)
	}
	var e audit.Event
	if err := json.Unmarshal([]byte(doc), &e); err != nil {
		return audit.Event{}, triage.Internal("store", err)
	}
	return e, nil
}

// ExportAudit streams each tenant's chain in seq order; rows are decoded as
// they arrive, never collected.
func (s *Store) ExportAudit(ctx context.Context, q audit.ExportQuery, fn func(audit.Event) error) error {
	tenants := []string{q.Tenant}
	if q.AllTenants {
		var err error
		if tenants, err = s.AuditTenants(ctx); err != nil {
			return err
		}
	} else if q.Tenant == "" {
		return triage.Invalidf("store", "audit export: a tenant is required")
	}
	for _, t := range tenants {
		args := []any{t}
		sql := "SELECT doc::text FROM " + s.schema + ".audit_events WHERE tenant = $1"
		if !q.Since.IsZero() {
			args = append(args, q.Since)
			sql += fmt.Sprintf(" AND at >= $%d", len(args))
		}
		if upTo, ok := q.UpTo[t]; ok {
			args = append(args, int64(upTo))
			sql += fmt.Sprintf(" AND seq <= $%d", len(args))
		}
		rows, err := s.pool.Query(ctx, sql+" ORDER BY seq", args...)
		if err != nil {
			return classify("store", err)
		}
		for rows.Next() {
			e, err := scanEvent(rows)
			if err == nil {
				err = fn(e)
			}
			if err != nil {
				rows.Close()
				return err
			}
		}
		if err := rows.Err(); err != nil {
			return classify("store", err)
		}
	}
	return nil
}

func (s *Store) AuditTenants(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, s.auditSQL(`SELECT tenant FROM {s}.audit_heads ORDER BY tenant`))
	if err != nil {
		return nil, classify("store", err)
	}
	ts, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return ts, classify("store", err)
}

func (s *Store) PutCheckpoint(ctx context.Context, cp audit.Checkpoint) error {
	if cp.Tenant == "" || cp.Signature == "" {
		return triage.Invalidf("store", "checkpoint needs a tenant and a signature")
	}
	doc, err := json.Marshal(cp)
	if err != nil {
		return triage.Internal("store", err)
	}
	_, err = s.pool.Exec(ctx, s.auditSQL(`INSERT INTO {s}.audit_checkpoints (tenant, seq, doc) VALUES ($1, $2, $3::jsonb)`),
		cp.Tenant, int64(cp.Seq), string(doc))
	return classify("store", err)
}

func (s *Store) AuditCheckpoints(ctx context.Context, tenant string) ([]audit.Checkpoint, error) {
	rows, err := s.pool.Query(ctx, s.auditSQL(`SELECT doc::text FROM {s}.audit_checkpoints WHERE tenant = $1 ORDER BY id`), tenant)
	if err != nil {
		return nil, classify("store", err)
	}
	docs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, classify("store", err)
	}
	out := make([]audit.Checkpoint, len(docs))
	for i, d := range docs {
		if err := json.Unmarshal([]byte(d), &out[i]); err != nil {
			return nil, triage.Internal("store", err)
		}
	}
	return out, nil
}

// PurgeAudit deletes the events up to through.Seq and the checkpoints below
// it, in one transaction. The head row stays (it is the anchor when nothing
// is left).
func (s *Store) PurgeAudit(ctx context.Context, tenant string, through audit.Head) (int, error) {
	var n int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, s.auditSQL(`DELETE FROM {s}.audit_events WHERE tenant = $1 AND seq <= $2`), tenant, int64(through.Seq))
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		_, err = tx.Exec(ctx, s.auditSQL(`DELETE FROM {s}.audit_checkpoints WHERE tenant = $1 AND seq < $2`), tenant, int64(through.Seq))
		return err
	})
	if err != nil {
		return 0, classify("store", err)
	}
	return int(n), nil
}
