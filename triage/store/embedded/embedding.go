package embedded

import (
	"context"
	"slices"

	"github.com/logtriage/logtriage/triage"
)

var _ triage.EmbeddingStore = (*Store)(nil)

// GetEmbedding returns a copy of the case's stored vector; triage.ErrNotFound
// for a missing case, one of another tenant, or one without an embedding.
func (s *Store) GetEmbedding(ctx context.Context, tenant, caseID string) (triage.Embedding, error) {
	if err := s.readable(ctx); err != nil {
		return triage.Embedding{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.cases[caseID]
	if !ok || e.tenant != tenant || e.embedderID == "" {
		return triage.Embedding{}, triage.ErrNotFound
	}
	sp := s.vectors[e.embedderID]
	return triage.Embedding{EmbedderID: e.embedderID, Vector: slices.Clone(sp.vector(sp.index[caseID]))}, nil
}
