package triage

import (
	"context"
	"time"

	"github.com/logtriage/logtriage/triage/anomaly"
)

// HistoryQuery selects a tenant's upload summaries.
type HistoryQuery struct {
	Tenant string
	Since  time.Time // summaries stamped at or after it
	Limit  int       // the newest this many; 0 means a store default (500)
	// ExcludeUpload leaves one upload out: a redelivered upload is compared
	// with the history before it, not with itself.
	ExcludeUpload string
}

// HistoryStore is the optional store capability that keeps each tenant's
// upload summaries (template counts, fingerprints of auth actors and
// addresses; no raw values) for anomaly signals. Both stores implement it;
// the conformance suite checks it.
type HistoryStore interface {
	// RecordHistory stores what one upload adds to its tenant's history,
	// idempotent by (tenant, upload id): recording again replaces it.
	RecordHistory(ctx context.Context, tenant string, s anomaly.Summary) error
	// History returns a tenant's summaries, oldest first. Only that
	// tenant's: another tenant's history never enters the comparison.
	History(ctx context.Context, q HistoryQuery) ([]anomaly.Summary, error)
	// KnownTemplates says which of ids was first recorded by an upload
	// other than (tenant, excludeUpload), of any tenant: a yes or no per
	// id, never another tenant's text or counts.
	KnownTemplates(ctx context.Context, ids []string, tenant, excludeUpload string) (map[string]bool, error)
	// DeleteHistory removes everything the tenant's uploads recorded (a
	// tenant delete), from disk too, not only from what reads return.
	DeleteHistory(ctx context.Context, tenant string) error
	// PurgeHistory removes every tenant's summaries stamped before the
	// time (retention) and returns how many it removed.
	PurgeHistory(ctx context.Context, before time.Time) (int, error)
}

// DefaultHistoryLimit is how many summaries History returns when the query sets no limit.
const DefaultHistoryLimit = 500
