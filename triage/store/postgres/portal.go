package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/logtriage/logtriage/triage"
)

var (
	_ triage.AccountStore  = (*Store)(nil)
	_ triage.CaseWorkStore = (*Store)(nil)
)

func (s *Store) sql(q string) string { return strings.ReplaceAll(q, "{s}", s.schema) }

// PutAccount creates or replaces an account.
func (s *Store) PutAccount(ctx context.Context, a triage.Account) error {
	if a.Name == "" || a.Role == "" {
		return triage.Invalidf("store", "an account needs a name and a role")
	}
	doc, err := json.Marshal(a)
	if err != nil {
		return triage.Internal("store", err)
	}
	_, err = s.pool.Exec(ctx, s.sql(`INSERT INTO {s}.accounts (name, doc) VALUES ($1, $2::jsonb)
		ON CONFLICT (name) DO UPDATE SET doc = excluded.doc`), a.Name, string(doc))
	return classify("store", err)
}

// GetAccount returns triage.ErrNotFound for an unknown name.
func (s *Store) GetAccount(ctx context.Context, name string) (triage.Account, error) {
	var a triage.Account
	return a, s.getDoc(ctx, &a, `SELECT doc::text FROM {s}.accounts WHERE name = $1`, name)
}

// ListAccounts returns every account by name.
func (s *Store) ListAccounts(ctx context.Context) ([]triage.Account, error) {
	rows, err := s.pool.Query(ctx, s.sql(`SELECT doc::text FROM {s}.accounts ORDER BY name`))
	if err != nil {
		return nil, classify("store", err)
	}
	return scanDocs[triage.Account](rows)
}

// PutToken stores a token digest.
func (s *Store) PutToken(ctx context.Context, t triage.APIToken) error {
	if t.ID == "" || t.Account == "" || t.Hash == "" {
		return triage.Invalidf("store", "a token needs an id, an account and a hash")
	}
	doc, err := json.Marshal(t)
	if err != nil {
		return triage.Internal("store", err)
	}
	_, err = s.pool.Exec(ctx, s.sql(`INSERT INTO {s}.api_tokens (id, account, doc) VALUES ($1, $2, $3::jsonb)
		ON CONFLICT (id) DO UPDATE SET account = excluded.account, doc = excluded.doc`), t.ID, t.Account, string(doc))
	return classify("store", err)
}

// GetToken returns triage.ErrNotFound for an unknown id.
func (s *Store) GetToken(ctx context.Context, id string) (triage.APIToken, error) {
	var t triage.APIToken
	return t, s.getDoc(ctx, &t, `SELECT doc::text FROM {s}.api_tokens WHERE id = $1`, id)
}

// DeleteToken revokes a token; deleting an unknown one is not an error.
func (s *Store) DeleteToken(ctx context.Context, id string) error {
	_, err := s.pool.Exec(ctx, s.sql(`DELETE FROM {s}.api_tokens WHERE id = $1`), id)
	return classify("store", err)
}

// LocateCase returns the tenant of a case id.
func (s *Store) LocateCase(ctx context.Context, caseID string) (string, error) {
	var tenant string
	err := s.pool.QueryRow(ctx, s.sql(`SELECT tenant FROM {s}.cases WHERE id = $1`), caseID).Scan(&tenant)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", triage.ErrNotFound
	}
	return tenant, classify("store", err)
}

// TakeCase gives the case to w.TakenBy unless someone else holds it. The
// row lock (FOR UPDATE, or the insert's conflict) makes concurrent takes
// of one case line up: exactly one wins.
func (s *Store) TakeCase(ctx context.Context, w triage.CaseWork) (triage.CaseWork, error) {
	if w.Tenant == "" || w.CaseID == "" || w.TakenBy == "" {
		return triage.CaseWork{}, triage.Invalidf("store", "taking a case needs a tenant, a case id and an agent")
	}
	var out triage.CaseWork
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Make sure a row exists to lock; a new one starts open.
		empty, _ := json.Marshal(triage.CaseWork{Tenant: w.Tenant, CaseID: w.CaseID, Queue: w.Queue})
		if _, err := tx.Exec(ctx, s.sql(`INSERT INTO {s}.case_work (tenant, case_id, queue, doc)
			VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT DO NOTHING`), w.Tenant, w.CaseID, w.Queue, string(empty)); err != nil {
			return err
		}
		var doc string
		if err := tx.QueryRow(ctx, s.sql(`SELECT doc::text FROM {s}.case_work WHERE tenant = $1 AND case_id = $2 FOR UPDATE`),
			w.Tenant, w.CaseID).Scan(&doc); err != nil {
			return err
		}
		var cur triage.CaseWork
		if err := json.Unmarshal([]byte(doc), &cur); err != nil {
			return triage.Internal("store", err)
		}
		if cur.TakenBy != "" {
			out = cur
			if cur.TakenBy != w.TakenBy {
				return triage.ErrTaken
			}
			return nil
		}
		cur.TakenBy, cur.TakenAt = w.TakenBy, w.TakenAt
		if cur.Queue == "" {
			cur.Queue = w.Queue
		}
		out = cur
		return s.putWork(ctx, tx, cur)
	})
	if errors.Is(err, triage.ErrTaken) {
		return out, err
	}
	return out, classify("store", err)
}

// PutCaseWork writes the record as given.
func (s *Store) PutCaseWork(ctx context.Context, w triage.CaseWork) error {
	if w.Tenant == "" || w.CaseID == "" {
		return triage.Invalidf("store", "case work needs a tenant and a case id")
	}
	return classify("store", s.putWork(ctx, s.pool, w))
}

// AddComment appends a comment in a transaction holding the row lock.
func (s *Store) AddComment(ctx context.Context, tenant, caseID, queue string, c triage.Comment) (triage.CaseWork, error) {
	if tenant == "" || caseID == "" || c.By == "" || c.Text == "" {
		return triage.CaseWork{}, triage.Invalidf("store", "a comment needs a tenant, a case id, an author and text")
	}
	var out triage.CaseWork
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		empty, _ := json.Marshal(triage.CaseWork{Tenant: tenant, CaseID: caseID, Queue: queue})
		if _, err := tx.Exec(ctx, s.sql(`INSERT INTO {s}.case_work (tenant, case_id, queue, doc)
			VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT DO NOTHING`), tenant, caseID, queue, string(empty)); err != nil {
			return err
		}
		var doc string
		if err := tx.QueryRow(ctx, s.sql(`SELECT doc::text FROM {s}.case_work WHERE tenant = $1 AND case_id = $2 FOR UPDATE`),
			tenant, caseID).Scan(&doc); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(doc), &out); err != nil {
			return triage.Internal("store", err)
		}
		out.Comments = append(out.Comments, c)
		return s.putWork(ctx, tx, out)
	})
	return out, classify("store", err)
}

// execer is a pool or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func (s *Store) putWork(ctx context.Context, db execer, w triage.CaseWork) error {
	doc, err := json.Marshal(w)
	if err != nil {
		return triage.Internal("store", err)
	}
	_, err = db.Exec(ctx, s.sql(`INSERT INTO {s}.case_work (tenant, case_id, queue, taken_by, resolved_by, doc)
		VALUES ($1, $2, $3, $4, $5, $6::jsonb)
		ON CONFLICT (tenant, case_id) DO UPDATE SET queue = excluded.queue, taken_by = excluded.taken_by,
			resolved_by = excluded.resolved_by, doc = excluded.doc`),
		w.Tenant, w.CaseID, w.Queue, w.TakenBy, w.ResolvedBy, string(doc))
	return err
}

// GetCaseWork returns triage.ErrNotFound for an open case.
func (s *Store) GetCaseWork(ctx context.Context, tenant, caseID string) (triage.CaseWork, error) {
	var w triage.CaseWork
	err := s.getDoc(ctx, &w, `SELECT doc::text FROM {s}.case_work WHERE tenant = $1 AND case_id = $2`, tenant, caseID)
	if err == nil && w.State() == triage.WorkOpen && w.AlertAckedBy == "" && len(w.Comments) == 0 {
		return triage.CaseWork{}, triage.ErrNotFound // a row TakeCase made for a take that lost
	}
	return w, err
}

// ListCaseWork returns matching records, by tenant then case id.
func (s *Store) ListCaseWork(ctx context.Context, f triage.CaseWorkFilter) ([]triage.CaseWork, error) {
	if f.Tenant == "" && !f.AllTenants {
		return nil, triage.Invalidf("store", "list case work: a tenant is required")
	}
	var state string
	switch f.State {
	case triage.WorkTaken:
		state = ` AND taken_by <> '' AND resolved_by = ''`
	case triage.WorkResolved:
		state = ` AND resolved_by <> ''`
	case "":
		state = ` AND (taken_by <> '' OR resolved_by <> '' OR doc->>'alert_acked_by' IS NOT NULL OR doc->'comments' IS NOT NULL)`
	default:
		return nil, nil // open cases have no record
	}
	rows, err := s.pool.Query(ctx, s.sql(`SELECT doc::text FROM {s}.case_work
		WHERE ($1 OR tenant = $2) AND ($3 = '' OR queue = $3)`+state+` ORDER BY tenant, case_id`),
		f.AllTenants, f.Tenant, f.Queue)
	if err != nil {
		return nil, classify("store", err)
	}
	return scanDocs[triage.CaseWork](rows)
}

func (s *Store) getDoc(ctx context.Context, into any, q string, args ...any) error {
	var doc string
	err := s.pool.QueryRow(ctx, s.sql(q), args...).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return triage.ErrNotFound
	}
	if err != nil {
		return classify("store", err)
	}
	if err := json.Unmarshal([]byte(doc), into); err != nil {
		return triage.Internal("store", err)
	}
	return nil
}

func scanDocs[T any](rows pgx.Rows) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, classify("store", err)
		}
		var v T
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			return nil, triage.Internal("store", err)
		}
		out = append(out, v)
	}
	return out, classify("store", rows.Err())
}

var _ triage.CaseLister = (*Store)(nil)

// ListCaseRefs is ListCases without reading the case documents.
func (s *Store) ListCaseRefs(ctx context.Context, f triage.CaseFilter) ([]triage.CaseRef, error) {
	if f.Tenant == "" && !f.AllTenants {
		return nil, triage.Invalidf("store", "list cases: a tenant is required")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultListLimit
	}
	var since any
	if !f.Since.IsZero() {
		since = f.Since
	}
	rows, err := s.pool.Query(ctx, s.sql(`SELECT id, tenant, queue, created_at FROM {s}.cases
		WHERE ($1 OR tenant = $2) AND ($3 = '' OR queue = $3) AND ($4::timestamptz IS NULL OR created_at >= $4)
		ORDER BY created_at DESC, id LIMIT $5`), f.AllTenants, f.Tenant, f.Queue, since, limit)
	if err != nil {
		return nil, classify("store", err)
	}
	defer rows.Close()
	var out []triage.CaseRef
	for rows.Next() {
		var r triage.CaseRef
		if err := rows.Scan(&r.ID, &r.Tenant, &r.Queue, &r.CreatedAt); err != nil {
			return nil, classify("store", err)
		}
		r.CreatedAt = r.CreatedAt.UTC()
		out = append(out, r)
	}
	return out, classify("store", rows.Err())
}
