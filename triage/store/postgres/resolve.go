package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"github.com/logtriage/logtriage/triage"
)

var (
	_ triage.Resolver     = (*Store)(nil)
	_ triage.ExampleStore = (*Store)(nil)
)

// The resolution lives in the case document (doc -> 'resolution'), beside
// the classifier's labels, so no table or migration is needed and the case
// an agent reads shows it. Resolved cases are found by that key.

// Resolve records an agent's resolution on the case, with an audit event,
// in one transaction.
func (s *Store) Resolve(ctx context.Context, r triage.Resolution) error {
	now := s.opts.Now().UTC()
	if r.ResolvedAt.IsZero() {
		r.ResolvedAt = now
	}
	if err := triage.CheckResolution(r); err != nil {
		return err
	}
	get := "SELECT doc::text, sealed FROM " + s.schema + ".cases WHERE id = $1 AND tenant = $2 FOR UPDATE"
	update := "UPDATE " + s.schema + ".cases SET status = $3, doc = $4::jsonb, sealed = $5, updated_at = $6 WHERE id = $1 AND tenant = $2"
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var doc string
		var sealed []byte
		if err := tx.QueryRow(ctx, get, r.CaseID, r.Tenant).Scan(&doc, &sealed); err != nil {
			return err
		}
		c, err := s.decodeRow(ctx, r.Tenant, r.CaseID, doc, sealed)
		if err != nil {
			return err
		}
		triage.ApplyResolution(c, r)
		if doc, err = marshalDoc(c); err != nil {
			return triage.Internal("store", err)
		}
		if doc, sealed, err = s.seal(ctx, c, doc); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, update, r.CaseID, r.Tenant, string(c.Status), doc, sealed, now); err != nil {
			return err
		}
		details := auditDetails("agent", r.Agent, "severity", r.Severity, "category", r.Category, "queue", r.Queue)
		_, err = tx.Exec(ctx, s.q.insertAudit, now, "case.resolve", r.Tenant, r.CaseID, c.Upload.ID, details)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return triage.ErrNotFound
	}
	return classify("store", err)
}

// ConfirmedNeighbours scans the resolved cases of the query's space exactly:
// they are a small part of all cases, and a filtered walk of the HNSW index
// could return fewer than K of them.
func (s *Store) ConfirmedNeighbours(ctx context.Context, q triage.NeighbourQuery) ([]triage.Example, error) {
	if err := triage.CheckNeighbourQuery(q); err != nil {
		return nil, err
	}
	k := q.K
	if k <= 0 {
		k = defaultSimilarK
	}
	sp, ok, err := s.querySpace(ctx, q.Embedding)
	if err != nil || !ok {
		return nil, err
	}
	args := []any{pgvector.NewVector(q.Embedding.Vector), q.ExcludeCaseID, k, q.MinSimilarity}
	tenantCond := ""
	if !q.CrossTenant {
		args = append(args, q.Tenant)
		tenantCond = "AND c.tenant = $5"
	}
	// Space id and dimension are integers from our own table.
	sql := fmt.Sprintf(`
		SELECT c.id, c.tenant, c.doc::text, c.sealed, 1 - (e.embedding::vector(%[1]d) <=> $1::vector(%[1]d)) AS sim
		FROM %[3]s.embeddings_all e JOIN %[3]s.cases c ON c.id = e.case_id
		WHERE e.space_id = %[2]d AND e.case_id <> $2 AND c.doc -> 'resolution' IS NOT NULL %[4]s
			AND 1 - (e.embedding::vector(%[1]d) <=> $1::vector(%[1]d)) >= $4
		ORDER BY sim DESC, c.id
		LIMIT $3`, sp.dims, sp.id, s.schema, tenantCond)
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, classify("store", err)
	}
	var out []triage.Example
	for rows.Next() {
		var id, tenant, doc string
		var sealed []byte
		var sim float64
		if err := rows.Scan(&id, &tenant, &doc, &sealed, &sim); err != nil {
			rows.Close()
			return nil, classify("store", err)
		}
		ex, err := s.exampleOf(ctx, caseRow{Tenant: tenant, ID: id, Doc: doc, Sealed: sealed})
		if errors.Is(err, triage.ErrNotFound) {
			continue // its tenant's key is destroyed
		}
		if err != nil {
			rows.Close()
			return nil, err
		}
		ex.Similarity = sim
		out = append(out, ex)
	}
	rows.Close()
	return out, classify("store", rows.Err())
}

// Examples returns the resolved cases of the filter, oldest resolution first.
func (s *Store) Examples(ctx context.Context, f triage.ExampleFilter) ([]triage.Example, error) {
	if f.Tenant == "" && !f.AllTenants {
		return nil, triage.Invalidf("store", "examples: a tenant is required")
	}
	where := []string{"doc -> 'resolution' IS NOT NULL"}
	var args []any
	if !f.AllTenants {
		args = append(args, f.Tenant)
		where = append(where, fmt.Sprintf("tenant = $%d", len(args)))
	}
	if !f.Since.IsZero() {
		args = append(args, f.Since)
		where = append(where, fmt.Sprintf("(doc -> 'resolution' ->> 'resolved_at')::timestamptz >= $%d", len(args)))
	}
	rows, err := s.pool.Query(ctx, "SELECT tenant, id, doc::text, sealed FROM "+s.schema+".cases WHERE "+strings.Join(where, " AND "), args...)
	if err != nil {
		return nil, classify("store", err)
	}
	docs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[caseRow])
	if err != nil {
		return nil, classify("store", err)
	}
	out := make([]triage.Example, 0, len(docs))
	for _, d := range docs {
		ex, err := s.exampleOf(ctx, d)
		if errors.Is(err, triage.ErrNotFound) {
			continue // its tenant's key is destroyed
		}
		if err != nil {
			return nil, err
		}
		out = append(out, ex)
	}
	triage.SortExamples(out)
	return out, nil
}

func (s *Store) exampleOf(ctx context.Context, r caseRow) (triage.Example, error) {
	c, err := s.decodeRow(ctx, r.Tenant, r.ID, r.Doc, r.Sealed)
	if err != nil {
		return triage.Example{}, err
	}
	ex, ok := triage.ExampleOf(c)
	if !ok {
		return triage.Example{}, triage.Internal("store", fmt.Errorf("case %s selected as resolved has no resolution", c.ID))
	}
	return ex, nil
}
