package triage

import "context"

// EmbeddingMover is implemented by stores that can keep a write's vector out
// of the similarity index and index it later in batches (the PostgreSQL
// store with Options.DeferIndexing: a graph insert into a large HNSW index
// is most of a write's time). Queries see a waiting vector from its write on.
// MoveEmbeddings indexes up to batch waiting vectors and returns how many;
// serve runs it until nothing waits, then polls.
type EmbeddingMover interface {
	MoveEmbeddings(ctx context.Context, batch int) (int, error)
}
