package portal

import (
	"context"
	"fmt"
	"slices"

	"github.com/logtriage/logtriage/triage"
)

// Role is what an account may do. Names are part of the CLI contract
// (`logtriage user add --role`).
type Role string

const (
	// RoleCustomer belongs to one tenant: uploads, its uploads' statuses, its
	// cases' summaries, its own access log.
	RoleCustomer Role = "customer"
	// RoleAgent works the cases of its queues (any tenant): read, take, resolve.
	RoleAgent Role = "agent"
	// RoleSecurity reads PII alerts of every tenant and the cases behind them.
	RoleSecurity Role = "security"
	// RoleML reads eval runs and reports.
	RoleML Role = "ml"
	// RoleAdmin manages accounts and settings; no case content.
	RoleAdmin Role = "admin"
)

// Roles lists every role.
var Roles = []Role{RoleCustomer, RoleAgent, RoleSecurity, RoleML, RoleAdmin}

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !slices.Contains(Roles, r) {
		return "", fmt.Errorf("role %q: want one of customer, agent, security, ml, admin", s)
	}
	return r, nil
}

// needsTOTP: these roles see every tenant's alerts or manage accounts, so a
// stolen password alone must not be enough once they have enrolled.
func (r Role) needsTOTP() bool { return r == RoleAdmin || r == RoleSecurity }

// Principal is who is asking, resolved from a token or a session.
type Principal struct {
	Name   string   `json:"name"`
	Role   Role     `json:"role"`
	Tenant string   `json:"tenant,omitempty"`
	Queues []string `json:"queues,omitempty"`
	// Via is "token" or "session".
	Via string `json:"via"`
}

// PortalTenant is the audit chain of events that concern no tenant: sign-in
// failures and account changes of staff. The '@' keeps it apart from every
// real tenant name (letters, digits, '-' and '_').
const PortalTenant = "@portal"

func tenantOrPortal(t string) string {
	if t == "" {
		return PortalTenant
	}
	return t
}

type principalKey struct{}

// PrincipalFrom returns the authenticated principal of a request handled by
// the portal (mounted handlers, such as the audit API, read it from here).
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

func withPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// canSeeCase is the one place that decides whether p may read c. Everything
// that shows a case (API and console) asks it before answering.
func (p Principal) canSeeCase(c *triage.Case) bool {
	switch p.Role {
	case RoleCustomer:
		return p.Tenant != "" && c.Tenant == p.Tenant
	case RoleAgent:
		return slices.Contains(p.Queues, c.Queue)
	case RoleSecurity:
		// The cases behind PII alerts, and uploads kept aside unprocessed
		// (binaries, bombs, traversal) that someone must look at.
		return c.Alerted || c.Status == triage.StatusQuarantined
	}
	return false
}

// canWorkCase: only agents of the case's queue take and resolve it.
func (p Principal) canWorkCase(c *triage.Case) bool {
	return p.Role == RoleAgent && p.canSeeCase(c)
}

func principalOf(a triage.Account, via string) Principal {
	return Principal{Name: a.Name, Role: Role(a.Role), Tenant: a.Tenant, Queues: slices.Clone(a.Queues), Via: via}
}
