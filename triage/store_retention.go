package triage

import (
	"context"
	"time"
)

// ExpiredCase names a case a purge removed (or would remove, dry run).
type ExpiredCase struct {
	ID        string    `json:"id"`
	UploadID  string    `json:"upload_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Expirer is the optional store capability retention and tenant deletion
// need (both stores implement it; storetest checks it). Every method with
// dryRun only reports what it would remove.
type Expirer interface {
	// Tenants lists every tenant the store holds cases or statuses of.
	Tenants(ctx context.Context) ([]string, error)
	// ExpireCases removes the tenant's cases created before cutoff, with
	// their findings, embeddings and upload statuses.
	ExpireCases(ctx context.Context, tenant string, cutoff time.Time, dryRun bool) ([]ExpiredCase, error)
	// ExpireStatuses removes the tenant's upload statuses that name no case
	// and are in one of statuses, last updated before cutoff.
	ExpireStatuses(ctx context.Context, tenant string, statuses []Status, cutoff time.Time, dryRun bool) ([]UploadStatus, error)
	// ExpireAudit removes the store's own write-trail events of the tenant
	// older than cutoff and returns how many.
	ExpireAudit(ctx context.Context, tenant string, cutoff time.Time, dryRun bool) (int, error)
	// DeleteTenant removes every case, finding, embedding, status and
	// write-trail event of the tenant and returns how many cases it held.
	DeleteTenant(ctx context.Context, tenant string) (int, error)
}

// Retention says when a tenant's data is due for deletion
// (triage/retention.Policy). Cases and statuses carry the date as
// delete_after, so the API and console can show it.
type Retention interface {
	CaseDeleteAfter(tenant string, created time.Time) time.Time
	// UploadDeleteAfter is when the raw upload goes, by its status.
	UploadDeleteAfter(tenant string, st Status, received time.Time) time.Time
}
