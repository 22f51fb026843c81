package embedded

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/logtriage/logtriage/internal/keyring"
	"github.com/logtriage/logtriage/triage"
)

// sealedCase is a case record's body under its tenant's data key. The id and
// tenant stay in the clear: replay needs them to ask for the right key, and
// they carry no customer values.
type sealedCase struct {
	ID     string `json:"id"`
	Tenant string `json:"tenant"`
	Body   []byte `json:"body"` // the case JSON, sealed with the case id as additional data
}

// ErrLocked is Open's error when another process (a running serve) holds
// the store: one process owns an embedded store at a time.
var ErrLocked = errors.New("store is in use by another process")

// errShredded marks a sealed case whose tenant's key is destroyed.
var errShredded = errors.New("tenant data key destroyed")

func (s *Store) seal(ctx context.Context, c *triage.Case, raw []byte) (*sealedCase, error) {
	if s.opts.Sealer == nil {
		return nil, nil
	}
	body, err := s.opts.Sealer.Seal(ctx, c.Tenant, raw, []byte(c.ID))
	if err != nil {
		return nil, triage.Transient("store", fmt.Errorf("seal case %s: %w", c.ID, err))
	}
	return &sealedCase{ID: c.ID, Tenant: c.Tenant, Body: body}, nil
}

// unsealRecord returns the case JSON of a case record, opening it when sealed.
// A sealed case of a tenant whose key is destroyed is errShredded: it is
// skipped on replay and gone from the log at the next compaction.
func (s *Store) unsealRecord(r record) (json.RawMessage, *sealedCase, error) {
	if r.Sealed == nil {
		return r.Case, nil, nil
	}
	if s.opts.Sealer == nil {
		return nil, nil, errors.New("the log holds encrypted cases: open the store with its keys (serve does; see docs/security.md)")
	}
	sc := r.Sealed
	raw, err := s.opts.Sealer.Open(context.Background(), sc.Tenant, sc.Body, []byte(sc.ID))
	if errors.Is(err, keyring.ErrShredded) {
		return nil, nil, errShredded
	}
	if err != nil {
		return nil, nil, fmt.Errorf("case record %s: %w", sc.ID, err)
	}
	return raw, sc, nil
}

// Shredded is how many sealed cases Open dropped because their tenant's data
// key was destroyed (a log restored from before a tenant delete).
func (s *Store) Shredded() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.shredded
}

// sealResolution moves a resolve record's resolution under the tenant's key.
func (s *Store) sealResolution(ctx context.Context, rec *record) error {
	if s.opts.Sealer == nil || rec.Resolution == nil {
		return nil
	}
	r := rec.Resolution
	b, err := json.Marshal(r)
	if err != nil {
		return triage.Internal("store", err)
	}
	body, err := s.opts.Sealer.Seal(ctx, r.Tenant, b, []byte("resolution:"+r.CaseID))
	if err != nil {
		return triage.Transient("store", fmt.Errorf("seal resolution of %s: %w", r.CaseID, err))
	}
	rec.Resolution, rec.SealedResolution = nil, &sealedCase{ID: r.CaseID, Tenant: r.Tenant, Body: body}
	return nil
}

func (s *Store) unsealResolution(r record) (*triage.Resolution, error) {
	if r.SealedResolution == nil {
		return r.Resolution, nil
	}
	if s.opts.Sealer == nil {
		return nil, errors.New("the log holds encrypted resolutions: open the store with its keys (see docs/security.md)")
	}
	sc := r.SealedResolution
	b, err := s.opts.Sealer.Open(context.Background(), sc.Tenant, sc.Body, []byte("resolution:"+sc.ID))
	if errors.Is(err, keyring.ErrShredded) {
		return nil, errShredded
	}
	if err != nil {
		return nil, fmt.Errorf("resolve record %s: %w", sc.ID, err)
	}
	var res triage.Resolution
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, fmt.Errorf("resolve record %s: %w", sc.ID, err)
	}
	return &res, nil
}
