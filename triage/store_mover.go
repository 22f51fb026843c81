package triage

import (
	"context"
	"time"
)

// EmbeddingMover is implemented by stores that can keep a write's vector out
// of the similarity index and index it later in batches (the PostgreSQL
// store with Options.DeferIndexing: a graph insert into a large HNSW index
// is most of a write's time). Queries see a waiting vector from its write on.
// MoveEmbeddings indexes up to batch waiting vectors and returns how many;
// serve runs it until nothing waits, then polls. IndexBacklog says what
// still waits, so an operator sees movers falling behind the writes.
type EmbeddingMover interface {
	MoveEmbeddings(ctx context.Context, batch int) (int, error)
	IndexBacklog(ctx context.Context) (IndexBacklog, error)
}

// IndexBacklog is what waits outside the similarity index.
type IndexBacklog struct {
	Vectors int64
	Oldest  time.Time // when the longest-waiting vector was written; zero when none waits
}
