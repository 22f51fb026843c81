package triage

import (
	"context"
	"time"
)

// Embedding is a vector in one embedder's space. Vectors of different
// EmbedderID are never compared.
type Embedding struct {
	EmbedderID string    `json:"embedder_id"` // e.g. "local-ngram-v1" or "openai:text-embedding-3-small"
	Vector     []float32 `json:"vector"`      // L2-normalized
}

// Embedder turns redacted text into vectors.
type Embedder interface {
	ID() string      // stable id of the model/space; part of every stored embedding
	Dimensions() int // length of every vector it returns
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// UploadStatus is the state of one upload.
type UploadStatus struct {
	Tenant    string    `json:"tenant"`
	UploadID  string    `json:"upload_id"`
	CaseID    string    `json:"case_id,omitempty"`
	Status    Status    `json:"status"`
	Reason    string    `json:"reason,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
	// DeleteAfter is when retention deletes the upload's raw payload.
	DeleteAfter time.Time `json:"delete_after,omitzero"`
}

// CaseFilter selects cases. Tenant is required unless AllTenants is set
// (operators only; never reachable from a tenant-facing path).
type CaseFilter struct {
	Tenant     string
	AllTenants bool
	Queue      string
	Since      time.Time
	Limit      int // 0 means a store default
}

// SimilarQuery asks for the nearest past cases.
type SimilarQuery struct {
	Tenant        string
	AllTenants    bool
	Embedding     Embedding
	K             int
	MinSimilarity float64 // cosine similarity threshold to suggest
	ExcludeCaseID string  // the case itself
}

// Store persists cases, their findings (never values), upload statuses and embeddings.
// Implementations: triage/store/embedded, triage/store/postgres; one conformance
// suite (triage/store/storetest) runs against each.
type Store interface {
	// PutCase writes the case, its findings, its embedding (may be nil) and an audit
	// event in one transaction. Idempotent: upsert by case id.
	PutCase(ctx context.Context, c *Case, emb *Embedding) error
	// GetCase returns ErrNotFound for a missing case or one of another tenant.
	GetCase(ctx context.Context, tenant, id string) (*Case, error)
	ListCases(ctx context.Context, f CaseFilter) ([]*Case, error)
	SetStatus(ctx context.Context, s UploadStatus) error
	GetStatus(ctx context.Context, tenant, uploadID string) (UploadStatus, error)
	// Similar returns up to K cases nearest to the query embedding, most similar
	// first, only within the same embedder space.
	Similar(ctx context.Context, q SimilarQuery) ([]SimilarCase, error)
	Close() error
}

// EmbeddingStore is implemented by stores that hand back a case's stored
// embedding (the `similar` command queries by case id with it). It returns
// ErrNotFound for a missing case, one of another tenant, or one without an embedding.
type EmbeddingStore interface {
	GetEmbedding(ctx context.Context, tenant, caseID string) (Embedding, error)
}
