package audit

import (
	"context"
	"errors"
	"time"
)

// ErrConflict is returned by Store.AppendAudit when the tenant's chain already
// has an event at that position or the event does not follow the stored head:
// another process appended first. The chain reloads its head and retries.
var ErrConflict = errors.New("audit: chain position already taken")

// Head is the end of one tenant's chain: the last event's position and hash,
// or the anchor left by a retention purge when every event is gone.
type Head struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

// Query selects events for the audit API. Results are newest first:
// by time, then tenant, then seq, all descending.
type Query struct {
	Tenant     string // required unless AllTenants
	AllTenants bool   // security and admin only; never reachable from a tenant's own scope
	Since      time.Time
	Until      time.Time // exclusive
	Actor      string    // actor name
	Action     string
	Resource   string // exact, or a prefix when it ends in "/" or "*" ("case/" = every case)
	Limit      int    // 0 means DefaultQueryLimit; at most MaxQueryLimit
	// After continues a listing: only events strictly after this one in the
	// result order (the last event of the previous page).
	After *Cursor
}

// Cursor is a position in the result order of a Query.
type Cursor struct {
	Time   time.Time `json:"t"`
	Tenant string    `json:"n"`
	Seq    uint64    `json:"s"`
}

// CursorOf is the cursor just past e.
func CursorOf(e Event) *Cursor { return &Cursor{Time: e.Time, Tenant: e.Tenant, Seq: e.Seq} }

// Before reports whether e comes after the cursor in the newest-first order.
func (c *Cursor) Before(e *Event) bool {
	if c == nil {
		return true
	}
	if !e.Time.Equal(c.Time) {
		return e.Time.Before(c.Time)
	}
	if e.Tenant != c.Tenant {
		return e.Tenant < c.Tenant
	}
	return e.Seq < c.Seq
}

const (
	DefaultQueryLimit = 100
	MaxQueryLimit     = 1000
)

// EffectiveLimit is the page size a store uses for q.
func (q Query) EffectiveLimit() int {
	switch {
	case q.Limit <= 0:
		return DefaultQueryLimit
	case q.Limit > MaxQueryLimit:
		return MaxQueryLimit
	}
	return q.Limit
}

// Matches is the filter of q on one event, for stores that filter in Go.
func (q Query) Matches(e *Event) bool {
	if !q.AllTenants && e.Tenant != q.Tenant {
		return false
	}
	if !q.Since.IsZero() && e.Time.Before(q.Since) {
		return false
	}
	if !q.Until.IsZero() && !e.Time.Before(q.Until) {
		return false
	}
	if q.Actor != "" && e.Actor.Name != q.Actor {
		return false
	}
	if q.Action != "" && e.Action != q.Action {
		return false
	}
	if q.Resource != "" {
		if prefix, ok := ResourcePrefix(q.Resource); ok {
			if len(e.Resource) < len(prefix) || e.Resource[:len(prefix)] != prefix {
				return false
			}
		} else if e.Resource != q.Resource {
			return false
		}
	}
	return q.After.Before(e)
}

// ResourcePrefix tells a prefix filter ("case/", "upload/*") from an exact one.
func ResourcePrefix(r string) (string, bool) {
	switch {
	case len(r) > 0 && r[len(r)-1] == '*':
		return r[:len(r)-1], true
	case len(r) > 0 && r[len(r)-1] == '/':
		return r, true
	}
	return "", false
}

// Validate refuses a query without a tenant scope.
func (q Query) Validate() error {
	if q.Tenant == "" && !q.AllTenants {
		return errors.New("audit query: a tenant is required")
	}
	return nil
}

// ExportQuery selects what an export streams: one tenant's chain (or every
// chain, for operators) from Since, in chain order (tenant, then seq).
type ExportQuery struct {
	Tenant     string
	AllTenants bool
	Since      time.Time
	// UpTo, when set, stops each tenant's chain at that seq (an export's
	// snapshot of the heads, so checkpoints and events agree).
	UpTo map[string]uint64
}

// Store persists audit events and checkpoints. Both triage stores implement
// it (triage/store/embedded, triage/store/postgres) and pass the conformance
// suite in triage/store/storetest (RunAudit).
type Store interface {
	// AppendAudit writes one event; it is durable when AppendAudit returns
	// nil. It returns ErrConflict when e.Seq is not the position after the
	// tenant's stored head (or e.PrevHash not its hash).
	AppendAudit(ctx context.Context, e Event) error
	// AuditHead is the tenant's chain end; the zero Head for a new tenant.
	AuditHead(ctx context.Context, tenant string) (Head, error)
	// QueryAudit returns one page of matching events, newest first.
	QueryAudit(ctx context.Context, q Query) ([]Event, error)
	// ExportAudit calls fn for each matching event in chain order
	// (tenant, then seq) without holding the whole result in memory.
	ExportAudit(ctx context.Context, q ExportQuery, fn func(Event) error) error
	// AuditTenants lists every tenant with a chain, sorted.
	AuditTenants(ctx context.Context) ([]string, error)
	PutCheckpoint(ctx context.Context, cp Checkpoint) error
	// AuditCheckpoints returns the tenant's checkpoints, oldest first.
	AuditCheckpoints(ctx context.Context, tenant string) ([]Checkpoint, error)
	// PurgeAudit deletes the tenant's events up to and including through.Seq,
	// and its checkpoints below through.Seq (they cover only deleted events;
	// the anchor checkpoint at through.Seq stays), and keeps through as the
	// chain's anchor, so AuditHead stays right when nothing is left and
	// verification starts after it. Returns the count of events deleted.
	PurgeAudit(ctx context.Context, tenant string, through Head) (int, error)
}

// PipelinedStore is optional: a store that can put an event in line behind
// its tenant's last queued one and report later when it is durable. The
// chain then holds a tenant's lock only while queueing, so one tenant's
// concurrent events share a flush instead of each waiting for the previous
// one's (the embedded store implements it; PostgreSQL commits each event).
type PipelinedStore interface {
	Store
	// EnqueueAudit is AppendAudit in two steps: it checks and queues e
	// (ErrConflict as AppendAudit), and wait returns once e is durable.
	EnqueueAudit(ctx context.Context, e Event) (wait func() error, err error)
}
