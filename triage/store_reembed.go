package triage

import (
	"context"
	"errors"
	"fmt"
)

// ReembedStore is implemented by stores that can list the cases still
// waiting for a vector in an embedder's space: their embedder failed, the
// fallback embedded them, and Case.Embedder.Reembed names the space.
type ReembedStore interface {
	// PendingReembed returns up to limit cases of every tenant whose
	// Embedder.Reembed is space, oldest first. It is an operator's query
	// (the backfill's), never reachable from a tenant-facing path.
	PendingReembed(ctx context.Context, space string, limit int) ([]*Case, error)
}

// ReembedResult is what one Reembed pass did.
type ReembedResult struct {
	Done    int // cases now embedded in the configured space
	Pending int // cases listed but not done (the embedder failed again)
}

// Reembed gives up to limit cases waiting for a vector in e's space that
// vector (from their stored signature) and writes them back with PutCase,
// their Embedder saying which embedder made it and no longer naming a space
// to re-embed into. It stops at the embedder's first error (the endpoint is
// still down: the next pass retries) and returns what it did with it.
// Similar suggestions already on a case are left as they were.
func Reembed(ctx context.Context, s Store, e Embedder, limit int) (ReembedResult, error) {
	var res ReembedResult
	rs, ok := s.(ReembedStore)
	if !ok {
		return res, errors.New("reembed: this store cannot list cases waiting for re-embedding")
	}
	cases, err := rs.PendingReembed(ctx, e.ID(), limit)
	if err != nil {
		return res, err
	}
	for i, c := range cases {
		emb := (*Embedding)(nil)
		if c.Signature != "" {
			emb, err = embedOne(ctx, e, c.Signature)
			if err != nil {
				res.Pending = len(cases) - i
				return res, err
			}
		}
		prev := c.Embedder
		c.Embedder = EmbedderInfo{ID: e.ID()}
		if emb == nil {
			c.Embedder.ID = "" // nothing to embed: no space claims it
		}
		if err := s.PutCase(ctx, c, emb); err != nil {
			res.Pending = len(cases) - i
			return res, fmt.Errorf("reembed case %s (was %s): %w", c.ID, prev.ID, err)
		}
		res.Done++
	}
	return res, nil
}
