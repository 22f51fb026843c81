// Package audit is the access trail: every access to tenant data becomes an
// Event, chained per tenant (each event carries the SHA-256 of the previous
// one in its tenant's chain), with signed checkpoints of every chain's head.
// It is a leaf: stores persist events, and everyone who reads or changes
// tenant data (worker, portal, CLI, purge) records through a Recorder.
package audit

import (
	"context"
	"time"
)

// ActorKind says whether an actor is a person's account or a service.
type ActorKind string

const (
	ActorUser    ActorKind = "user"
	ActorService ActorKind = "service"
)

// Actor is who did it: an account (with its role) or a service identity
// (the worker, the CLI, the purger).
type Actor struct {
	Kind ActorKind `json:"kind"`
	Name string    `json:"name"`
	Role string    `json:"role,omitempty"`
}

// Outcome of the audited access.
type Outcome string

const (
	Success Outcome = "success"
	Failure Outcome = "failure"
	Denied  Outcome = "denied"
)

// Actions. Names are part of the documented schema: extend, never rename.
const (
	ActionUploadReceived  = "upload.received"
	ActionUploadProcessed = "upload.processed"
	ActionLLMSent         = "llm.sent" // redacted excerpt sent to an LLM endpoint (a subprocessor)
	ActionCaseViewed      = "case.viewed"
	ActionCaseListed      = "case.listed"
	ActionCaseTaken       = "case.taken"
	ActionCaseResolved    = "case.resolved"
	ActionCaseCommented   = "case.commented" // an agent's note on a case
	ActionCaseExported    = "case.exported"
	ActionAlertViewed     = "alert.viewed"
	ActionAlertAcked      = "alert.acknowledged"
	ActionSearch          = "search.results" // a search or similar-case lookup returned this tenant's cases
	ActionPurge           = "retention.purged"
	ActionTenantDeleted   = "tenant.deleted"
	ActionAccountChanged  = "account.changed"
	ActionRoleChanged     = "account.role_changed"
	ActionLoginFailed     = "login.failed"
	ActionAuditQueried    = "audit.queried"
	ActionAuditExported   = "audit.exported"
)

// Event is one audited access. ID, Seq, PrevHash and Hash are assigned by the
// chain when the event is recorded; callers fill the rest.
type Event struct {
	ID         string            `json:"id"`
	Seq        uint64            `json:"seq"` // position in its tenant's chain, from 1
	Time       time.Time         `json:"time"`
	Tenant     string            `json:"tenant"`
	Actor      Actor             `json:"actor"`
	Action     string            `json:"action"`
	Resource   string            `json:"resource"` // e.g. "case/c-123", "upload/u-9"
	Outcome    Outcome           `json:"outcome"`
	Reason     string            `json:"reason,omitempty"` // justification, or why it failed
	SourceAddr string            `json:"source_addr,omitempty"`
	RequestID  string            `json:"request_id,omitempty"`
	Detail     map[string]string `json:"detail,omitempty"` // e.g. LLM endpoint, model, token count
	PrevHash   string            `json:"prev_hash"`        // hex SHA-256 of the previous event in the tenant's chain ("" for the first)
	Hash       string            `json:"hash"`             // hex SHA-256 over this event's canonical form (including PrevHash)
}

// Recorder writes events. Record returns only after the event is durable:
// callers answer an access only when Record succeeded (no audit, no data).
type Recorder interface {
	Record(ctx context.Context, e Event) (Event, error)
}
