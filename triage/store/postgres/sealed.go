package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/logtriage/logtriage/internal/keyring"
	"github.com/logtriage/logtriage/triage"
)

var _ keyring.Store = (*Store)(nil)

// caseRow is a cases row as ListCases reads it.
type caseRow struct {
	Tenant, ID, Doc string
	Sealed          []byte
}

// seal returns what the doc and sealed columns hold: with a Sealer, the
// findings alone in doc (the findings table is built from them) and the
// whole case sealed; without one, the case in doc and nothing sealed.
func (s *Store) seal(ctx context.Context, c *triage.Case, doc string) (string, []byte, error) {
	if s.opts.Sealer == nil {
		return doc, nil, nil
	}
	sealed, err := s.opts.Sealer.Seal(ctx, c.Tenant, []byte(doc), []byte(c.ID))
	if err != nil {
		return "", nil, triage.Transient("store", fmt.Errorf("seal case %s: %w", c.ID, err))
	}
	// What stays readable: the findings (types, counts, locations, keyed
	// fingerprints) and, for a resolved case, only when it was resolved, so
	// the labelled examples can be found and filtered without the key.
	type resolvedAt struct {
		ResolvedAt time.Time `json:"resolved_at"`
	}
	var res *resolvedAt
	if c.Resolution != nil {
		res = &resolvedAt{c.Resolution.ResolvedAt}
	}
	// The space a fallback-embedded case waits for (a model name, no case
	// content) stays readable too, for PendingReembed.
	type waitsFor struct {
		Reembed string `json:"reembed_into"`
	}
	var emb *waitsFor
	if c.Embedder.Reembed != "" {
		emb = &waitsFor{c.Embedder.Reembed}
	}
	findings, err := json.Marshal(struct {
		Findings   []triage.FindingSummary `json:"findings"`
		Resolution *resolvedAt             `json:"resolution,omitempty"`
		Embedder   *waitsFor               `json:"embedder,omitempty"`
	}{c.Findings, res, emb})
	if err != nil {
		return "", nil, triage.Internal("store", err)
	}
	return replaceNULEscapes(string(findings)), sealed, nil
}

func (s *Store) decodeRow(ctx context.Context, tenant, id, doc string, sealed []byte) (*triage.Case, error) {
	if sealed == nil {
		return decodeCase(doc)
	}
	return s.open(ctx, tenant, id, sealed)
}

// open decrypts a sealed case. A case whose tenant key is destroyed reads as
// not found: its rows outlived a tenant delete (a restored dump).
func (s *Store) open(ctx context.Context, tenant, id string, sealed []byte) (*triage.Case, error) {
	if s.opts.Sealer == nil {
		return nil, triage.Internal("store", fmt.Errorf("case %s is encrypted: open the store with its keys (docs/security.md)", id))
	}
	doc, err := s.opts.Sealer.Open(ctx, tenant, sealed, []byte(id))
	if errors.Is(err, keyring.ErrShredded) {
		return nil, triage.ErrNotFound
	}
	if err != nil {
		return nil, triage.Internal("store", err)
	}
	return decodeCase(string(doc))
}

// Data keys: the fleet's shared keyring.Store.

func (s *Store) GetDataKey(ctx context.Context, tenant string) (keyring.WrappedKey, error) {
	w := keyring.WrappedKey{Tenant: tenant}
	err := s.pool.QueryRow(ctx, "SELECT master_id, wrapped, created_at FROM "+s.schema+".data_keys WHERE tenant = $1", tenant).
		Scan(&w.MasterID, &w.Wrapped, &w.Created)
	if errors.Is(err, pgx.ErrNoRows) {
		return w, keyring.ErrNotFound
	}
	return w, classify("store", err)
}

func (s *Store) CreateDataKey(ctx context.Context, k keyring.WrappedKey) (keyring.WrappedKey, error) {
	// Insert or keep the existing row; either way read back the stored key.
	if _, err := s.pool.Exec(ctx, "INSERT INTO "+s.schema+".data_keys (tenant, master_id, wrapped, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (tenant) DO NOTHING",
		k.Tenant, k.MasterID, k.Wrapped, k.Created); err != nil {
		return keyring.WrappedKey{}, classify("store", err)
	}
	return s.GetDataKey(ctx, k.Tenant)
}

func (s *Store) ReplaceDataKey(ctx context.Context, k keyring.WrappedKey) error {
	tag, err := s.pool.Exec(ctx, "UPDATE "+s.schema+".data_keys SET master_id = $2, wrapped = $3 WHERE tenant = $1", k.Tenant, k.MasterID, k.Wrapped)
	if err != nil {
		return classify("store", err)
	}
	if tag.RowsAffected() == 0 {
		return keyring.ErrNotFound
	}
	return nil
}

func (s *Store) DeleteDataKey(ctx context.Context, tenant string) error {
	_, err := s.pool.Exec(ctx, "DELETE FROM "+s.schema+".data_keys WHERE tenant = $1", tenant)
	return classify("store", err)
}

func (s *Store) ListDataKeys(ctx context.Context) ([]keyring.WrappedKey, error) {
	rows, err := s.pool.Query(ctx, "SELECT tenant, master_id, wrapped, created_at FROM "+s.schema+".data_keys ORDER BY tenant")
	if err != nil {
		return nil, classify("store", err)
	}
	keys, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (keyring.WrappedKey, error) {
		var w keyring.WrappedKey
		err := r.Scan(&w.Tenant, &w.MasterID, &w.Wrapped, &w.Created)
		return w, err
	})
	return keys, classify("store", err)
}
