package triage

import (
	"context"
	"errors"
	"fmt"
)

// SimilarRequest asks for the past cases nearest to one case.
type SimilarRequest struct {
	Tenant        string  `json:"tenant"`
	AllTenants    bool    `json:"all_tenants,omitempty"` // operators only
	CaseID        string  `json:"case_id"`
	K             int     `json:"k"`
	MinSimilarity float64 `json:"min_similarity,omitempty"`
}

// SimilarResult is the case asked about and its nearest past cases.
type SimilarResult struct {
	CaseID     string        `json:"case_id"`
	Tenant     string        `json:"tenant"`
	Queue      string        `json:"queue,omitempty"`
	Summary    string        `json:"summary,omitempty"`
	EmbedderID string        `json:"embedder_id"`
	Source     string        `json:"source"` // "stored", or "signature embedded now"
	Similar    []SimilarCase `json:"similar"`
}

// FindSimilar looks the case up (ErrNotFound for a missing case or one of
// another tenant), takes its stored vector when the store hands it back,
// else embeds its signature with embedder (called only then), and asks the
// store for its nearest cases. The `similar` command and serve's query
// responder share it.
func FindSimilar(ctx context.Context, s Store, embedder func() (Embedder, error), r SimilarRequest) (SimilarResult, error) {
	if r.K <= 0 {
		r.K = 5
	}
	c, err := s.GetCase(ctx, r.Tenant, r.CaseID)
	if err != nil {
		return SimilarResult{}, err
	}
	emb, source, err := caseVector(ctx, s, embedder, c)
	if err != nil {
		return SimilarResult{}, err
	}
	hits, err := s.Similar(ctx, SimilarQuery{Tenant: r.Tenant, AllTenants: r.AllTenants, Embedding: emb,
		K: r.K, MinSimilarity: r.MinSimilarity, ExcludeCaseID: c.ID})
	if err != nil {
		return SimilarResult{}, err
	}
	if hits == nil {
		hits = []SimilarCase{}
	}
	return SimilarResult{CaseID: c.ID, Tenant: c.Tenant, Queue: c.Queue, Summary: c.Summary,
		EmbedderID: emb.EmbedderID, Source: source, Similar: hits}, nil
}

func caseVector(ctx context.Context, s Store, embedder func() (Embedder, error), c *Case) (Embedding, string, error) {
	if es, ok := s.(EmbeddingStore); ok {
		e, err := es.GetEmbedding(ctx, c.Tenant, c.ID)
		if err == nil {
			return e, "stored", nil
		}
		if !errors.Is(err, ErrNotFound) {
			return Embedding{}, "", err
		}
	}
	if c.Signature == "" {
		return Embedding{}, "", fmt.Errorf("case %s has no stored embedding and no signature to embed", c.ID)
	}
	e, err := embedder()
	if err != nil {
		return Embedding{}, "", err
	}
	emb, err := embedOne(ctx, e, c.Signature)
	if err != nil {
		return Embedding{}, "", err
	}
	return *emb, "signature embedded now", nil
}
