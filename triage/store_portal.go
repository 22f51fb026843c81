package triage

import (
	"context"
	"errors"
	"time"
)

// Account is a person (or a script) who signs in to the portal. The store
// keeps it; what a role may see is the portal's business (package portal).
// Secrets are kept only in derived form: PasswordHash is an argon2id PHC
// string, and API tokens are stored as SHA-256 digests (APIToken).
type Account struct {
	Name         string    `json:"name"`
	Role         string    `json:"role"`             // customer | agent | security | ml | admin
	Tenant       string    `json:"tenant,omitempty"` // a customer's one tenant
	Queues       []string  `json:"queues,omitempty"` // an agent's queues
	PasswordHash string    `json:"password_hash,omitempty"`
	TOTPSecret   string    `json:"totp_secret,omitempty"` // base32; set once the second factor is enrolled
	Disabled     bool      `json:"disabled,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// APIToken is a bearer token's stored form: the random part is never kept,
// only its SHA-256 (the token has 256 bits of entropy, so a fast hash is
// enough; passwords, which do not, get argon2id).
type APIToken struct {
	ID        string    `json:"id"` // public lookup part of the token
	Account   string    `json:"account"`
	Hash      string    `json:"hash"` // hex SHA-256 of the secret part
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at,omitzero"` // zero: does not expire
}

// AccountStore is the optional store capability behind the portal's
// sign-in: accounts and API tokens (both stores implement it; the
// conformance suite checks it). Getters return ErrNotFound when missing.
type AccountStore interface {
	// PutAccount creates or replaces the account by name.
	PutAccount(ctx context.Context, a Account) error
	GetAccount(ctx context.Context, name string) (Account, error)
	// ListAccounts returns every account, by name.
	ListAccounts(ctx context.Context) ([]Account, error)
	PutToken(ctx context.Context, t APIToken) error
	GetToken(ctx context.Context, id string) (APIToken, error)
	DeleteToken(ctx context.Context, id string) error
}

// CaseWork is the support workflow of one case: who took it, who resolved
// it, who acknowledged its PII alert. A case without a record is open.
type CaseWork struct {
	Tenant       string    `json:"tenant"`
	CaseID       string    `json:"case_id"`
	Queue        string    `json:"queue"`
	TakenBy      string    `json:"taken_by,omitempty"`
	TakenAt      time.Time `json:"taken_at,omitzero"`
	ResolvedBy   string    `json:"resolved_by,omitempty"`
	ResolvedAt   time.Time `json:"resolved_at,omitzero"`
	AlertAckedBy string    `json:"alert_acked_by,omitempty"`
	AlertAckedAt time.Time `json:"alert_acked_at,omitzero"`
	// Comments are the agents' notes on the case, oldest first.
	Comments []Comment `json:"comments,omitempty"`
}

// Comment is an agent's note on a case (written by staff, shown to staff).
type Comment struct {
	By   string    `json:"by"`
	At   time.Time `json:"at"`
	Text string    `json:"text"`
}

// Work states a CaseWorkFilter selects.
const (
	WorkOpen     = "open"
	WorkTaken    = "taken"
	WorkResolved = "resolved"
)

// State is open, taken or resolved.
func (w CaseWork) State() string {
	switch {
	case w.ResolvedBy != "":
		return WorkResolved
	case w.TakenBy != "":
		return WorkTaken
	}
	return WorkOpen
}

// CaseWorkFilter selects workflow records; empty fields match everything
// except Tenant, which is required unless AllTenants is set.
type CaseWorkFilter struct {
	Tenant     string
	AllTenants bool
	Queue      string
	State      string // taken | resolved ("open" cases have no record)
}

// ErrTaken is returned by TakeCase when another agent holds the case.
var ErrTaken = errors.New("case is taken by another agent")

// CaseWorkStore is the optional store capability behind the portal's case
// workflow (both stores implement it; the conformance suite checks it).
type CaseWorkStore interface {
	// LocateCase returns the tenant of a case id, for staff whose scope spans
	// tenants (an agent's queues). ErrNotFound when there is no such case.
	LocateCase(ctx context.Context, caseID string) (tenant string, err error)
	// TakeCase gives the case to w.TakenBy unless another agent holds it
	// (ErrTaken, with the current record). Taking again is a no-op.
	TakeCase(ctx context.Context, w CaseWork) (CaseWork, error)
	// PutCaseWork writes the record (resolution, alert acknowledgement).
	PutCaseWork(ctx context.Context, w CaseWork) error
	// AddComment appends a comment to the case's record (made if none),
	// atomically: concurrent comments are all kept.
	AddComment(ctx context.Context, tenant, caseID, queue string, c Comment) (CaseWork, error)
	// GetCaseWork returns ErrNotFound for an open case.
	GetCaseWork(ctx context.Context, tenant, caseID string) (CaseWork, error)
	ListCaseWork(ctx context.Context, f CaseWorkFilter) ([]CaseWork, error)
}

// CaseRef is a listed case without its body.
type CaseRef struct {
	ID        string
	Tenant    string
	Queue     string
	CreatedAt time.Time
}

// CaseLister is the optional store capability to list cases without
// decoding (or unsealing) them, in ListCases' order (newest first, then id):
// a console page 100 deep then decodes only its 50 cases.
type CaseLister interface {
	ListCaseRefs(ctx context.Context, f CaseFilter) ([]CaseRef, error)
}
