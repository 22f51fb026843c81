package triage

import (
	"context"
	"time"
)

// TenantIndexMaintainer is implemented by stores whose similar-case search
// keeps per-tenant indexes beside the shared one (the PostgreSQL store: a
// tenant that is a large share of a space gets its own HNSW graph, where the
// shared graph behind a tenant filter loses recall and tail latency).
// MaintainTenantIndexes builds the indexes of tenants that grew past the
// store's threshold and drops those of tenants that shrank far below it. It
// is safe to run from several processes at once (one does the work, the
// others report Skipped) and never blocks writes. serve runs it hourly;
// `logtriage reembed --tenant-indexes` runs it once.
type TenantIndexMaintainer interface {
	MaintainTenantIndexes(ctx context.Context) (TenantIndexReport, error)
}

// TenantIndexReport is what one maintenance pass did.
type TenantIndexReport struct {
	// Skipped: another process was running the maintenance; nothing was done.
	Skipped bool
	Built   []TenantIndexChange
	Dropped []TenantIndexChange
	// Kept counts the tenants' indexes left as they were.
	Kept int
}

// TenantIndexChange is one tenant's index built or dropped in one space.
type TenantIndexChange struct {
	Space  string        `json:"space"` // embedder id
	Tenant string        `json:"tenant"`
	Rows   int64         `json:"rows"`  // the tenant's vectors in the space
	Share  float64       `json:"share"` // of the space's vectors
	Took   time.Duration `json:"took_ns"`
}
