package triage

import (
	"context"
	"time"
)

// Resolution is an agent closing a case. Empty label fields confirm the
// classifier's answer; a non-empty one is the agent's correction. Either way
// the resolved case becomes a labelled example (learning from agents).
type Resolution struct {
	Tenant     string    `json:"tenant"`
	CaseID     string    `json:"case_id"`
	Agent      string    `json:"agent"`
	Severity   string    `json:"severity,omitempty"` // corrected severity label
	Category   string    `json:"category,omitempty"` // corrected category
	Queue      string    `json:"queue,omitempty"`    // corrected queue
	Note       string    `json:"note,omitempty"`
	ResolvedAt time.Time `json:"resolved_at"`
}

// Resolver is the optional store capability that records resolutions
// (both stores implement it; the conformance suite checks it). It returns
// ErrNotFound for a missing case or one of another tenant.
type Resolver interface {
	Resolve(ctx context.Context, r Resolution) error
}
