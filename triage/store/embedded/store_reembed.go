package embedded

import (
	"context"
	"sort"

	"github.com/logtriage/logtriage/triage"
)

var _ triage.ReembedStore = (*Store)(nil)

// PendingReembed lists the cases waiting for a vector in space, oldest first.
func (s *Store) PendingReembed(ctx context.Context, space string, limit int) ([]*triage.Case, error) {
	if err := ctx.Err(); err != nil {
		return nil, triage.Transient("store", err)
	}
	if limit <= 0 {
		limit = defaultListLimit
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return nil, ErrClosed
	}
	var hits []*caseEntry
	for _, e := range s.cases {
		if e.reembed != "" && e.reembed == space {
			hits = append(hits, e)
		}
	}
	s.mu.RUnlock()
	sort.Slice(hits, func(i, j int) bool {
		if !hits[i].created.Equal(hits[j].created) {
			return hits[i].created.Before(hits[j].created)
		}
		return hits[i].id < hits[j].id
	})
	hits = hits[:min(len(hits), limit)]
	out := make([]*triage.Case, 0, len(hits))
	for _, e := range hits {
		c, err := decodeCase(e.raw)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
