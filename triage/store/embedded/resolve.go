package embedded

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/logtriage/logtriage/triage"
)

var (
	_ triage.Resolver     = (*Store)(nil)
	_ triage.ExampleStore = (*Store)(nil)
)

// Resolve records an agent's resolution: the case is written again with
// the resolution folded in (sealed like any case when the store seals),
// keeping its embedding, in one log line with its audit event. A concurrent
// write of the same case makes it read the case again and retry.
func (s *Store) Resolve(ctx context.Context, r triage.Resolution) error {
	if err := ctx.Err(); err != nil {
		return triage.Transient("store", err)
	}
	now := s.opts.Now().UTC()
	if r.ResolvedAt.IsZero() {
		r.ResolvedAt = now
	}
	if err := triage.CheckResolution(r); err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		err := s.resolveOnce(ctx, r, now)
		if !errors.Is(err, errRaced) || attempt == 3 {
			return err
		}
	}
}

// errRaced: the case changed between reading it and writing its resolution.
var errRaced = triage.Transient("store", errors.New("case changed while it was being resolved"))

func (s *Store) resolveOnce(ctx context.Context, r triage.Resolution, now time.Time) error {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	e, ok := s.cases[r.CaseID]
	if !ok || e.tenant != r.Tenant {
		s.mu.RUnlock()
		return triage.ErrNotFound
	}
	raw, readSeq := e.raw, e.seq
	var emb *triage.Embedding
	if e.embedderID != "" {
		sp := s.vectors[e.embedderID]
		emb = &triage.Embedding{EmbedderID: e.embedderID, Vector: slices.Clone(sp.vector(sp.index[e.id]))}
	}
	s.mu.RUnlock()

	var c triage.Case
	if err := json.Unmarshal(raw, &c); err != nil {
		return triage.Internal("store", err)
	}
	triage.ApplyResolution(&c, r)
	raw, err := json.Marshal(&c)
	if err != nil {
		return triage.Internal("store", err)
	}
	sealed, err := s.seal(ctx, &c, raw)
	if err != nil {
		return err
	}
	rec := record{Op: "case", Case: raw, Sealed: sealed, Emb: packEmbedding(emb), Audit: &AuditEvent{
		Time: now, Action: "case.resolve", Tenant: r.Tenant, CaseID: r.CaseID, UploadID: c.Upload.ID, Status: c.Status,
	}}
	if sealed != nil {
		rec.Case = nil
	}
	line, err := appendRecord(nil, rec)
	if err != nil {
		return triage.Internal("store", err)
	}
	return s.write(line, true, func() error {
		e, ok := s.cases[r.CaseID]
		switch {
		case !ok || e.tenant != r.Tenant:
			return triage.ErrNotFound
		case e.seq != readSeq:
			return errRaced
		}
		return nil
	}, func(seq uint64) {
		s.putLocked(&c, raw, sealed, emb, seq)
		s.audit = append(s.audit, *rec.Audit)
	})
}

// applyResolve replays a "resolve" record, which stores wrote before
// resolutions became case records: it folds the resolution into its case.
// A resolution of a case that is gone (or of another tenant's id) changes
// nothing: on replay that is a case removed after it was resolved.
func (s *Store) applyResolve(r *triage.Resolution, seq uint64) error {
	if r == nil || r.CaseID == "" || r.Tenant == "" {
		return errors.New("resolve record without a case or tenant")
	}
	e, ok := s.cases[r.CaseID]
	if !ok || e.tenant != r.Tenant {
		return nil
	}
	var c triage.Case
	if err := json.Unmarshal(e.raw, &c); err != nil {
		return fmt.Errorf("resolve record %s: %w", r.CaseID, err)
	}
	triage.ApplyResolution(&c, *r)
	raw, err := json.Marshal(&c)
	if err != nil {
		return triage.Internal("store", err)
	}
	ex, _ := triage.ExampleOf(&c)
	// The sealed copy is stale now: compaction seals the new body (store.go).
	e.raw, e.sealed, e.example, e.seq = raw, nil, &ex, max(e.seq, seq)
	return nil
}

// ConfirmedNeighbours is an exact cosine scan over the resolved cases of the
// query's embedder space.
func (s *Store) ConfirmedNeighbours(ctx context.Context, q triage.NeighbourQuery) ([]triage.Example, error) {
	if err := ctx.Err(); err != nil {
		return nil, triage.Transient("store", err)
	}
	if err := triage.CheckNeighbourQuery(q); err != nil {
		return nil, err
	}
	k := q.K
	if k <= 0 {
		k = defaultSimilarK
	}
	qnorm := norm(q.Embedding.Vector)
	if qnorm == 0 {
		return nil, nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	sp, err := s.querySpaceLocked(q.Embedding)
	if sp == nil || err != nil {
		return nil, err
	}
	var top []triage.Example
	for i, e := range sp.entries {
		if e.example == nil || e.id == q.ExcludeCaseID || (!q.CrossTenant && e.tenant != q.Tenant) {
			continue
		}
		sim := dot(q.Embedding.Vector, sp.vector(i)) / (qnorm * sp.norms[i])
		if sim < q.MinSimilarity || (len(top) == k && sim <= top[k-1].Similarity) {
			continue
		}
		ex := *e.example
		ex.Similarity = sim
		ex.KeyLines = slices.Clone(ex.KeyLines)
		at := sort.Search(len(top), func(j int) bool {
			return top[j].Similarity < sim || (top[j].Similarity == sim && top[j].CaseID > ex.CaseID)
		})
		top = slices.Insert(top, at, ex)
		if len(top) > k {
			top = top[:k]
		}
	}
	return top, nil
}

// Examples returns the resolved cases of the filter, oldest resolution first.
func (s *Store) Examples(ctx context.Context, f triage.ExampleFilter) ([]triage.Example, error) {
	if err := ctx.Err(); err != nil {
		return nil, triage.Transient("store", err)
	}
	if f.Tenant == "" && !f.AllTenants {
		return nil, triage.Invalidf("store", "examples: a tenant is required")
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return nil, ErrClosed
	}
	var out []triage.Example
	for _, e := range s.cases {
		if e.example == nil || (!f.AllTenants && e.tenant != f.Tenant) {
			continue
		}
		if !f.Since.IsZero() && e.example.ResolvedAt.Before(f.Since) {
			continue
		}
		ex := *e.example
		ex.KeyLines = slices.Clone(ex.KeyLines)
		out = append(out, ex)
	}
	s.mu.RUnlock()
	triage.SortExamples(out)
	return out, nil
}
