package portal

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/logtriage/logtriage/portal/password"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/worker"
)

// Accounts creates accounts and tokens over an AccountStore; the CLI's
// `user add` and `token create` and the portal's sign-in share it.
type Accounts struct {
	Store    triage.AccountStore
	Password password.Params // zero: password.Default
	Now      func() time.Time
}

func (a Accounts) now() time.Time {
	if a.Now == nil {
		return time.Now().UTC()
	}
	return a.Now().UTC()
}

func (a Accounts) params() password.Params {
	if a.Password == (password.Params{}) {
		return password.Default
	}
	return a.Password
}

// MinPasswordLen is the shortest password accepted (NIST SP 800-63B's floor
// for user-chosen passwords is 8; a support portal holding other people's
// logs asks for more).
const MinPasswordLen = 12

// NewAccount says who to create.
type NewAccount struct {
	Name     string
	Role     Role
	Tenant   string
	Queues   []string
	Password string
}

// validName keeps account names printable and short: they appear in audit
// events, cookies never (sessions carry a random id).
func validName(n string) error {
	if n == "" || len(n) > 64 {
		return errors.New("account name must be 1 to 64 characters")
	}
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.@", r)) {
			return fmt.Errorf("account name %q: letters, digits and - _ . @ only", n)
		}
	}
	return nil
}

// Add creates or replaces an account. A customer needs exactly one tenant,
// an agent at least one queue; other roles take neither.
func (a Accounts) Add(ctx context.Context, n NewAccount) (triage.Account, error) {
	if err := validName(n.Name); err != nil {
		return triage.Account{}, triage.Invalid("account", err)
	}
	if _, err := ParseRole(string(n.Role)); err != nil {
		return triage.Account{}, triage.Invalid("account", err)
	}
	switch {
	case n.Role == RoleCustomer && n.Tenant == "":
		return triage.Account{}, triage.Invalidf("account", "a customer account needs --tenant")
	case n.Role != RoleCustomer && n.Tenant != "":
		return triage.Account{}, triage.Invalidf("account", "only a customer account has a tenant")
	case n.Role == RoleAgent && len(n.Queues) == 0:
		return triage.Account{}, triage.Invalidf("account", "an agent account needs --queues")
	case n.Role != RoleAgent && len(n.Queues) > 0:
		return triage.Account{}, triage.Invalidf("account", "only an agent account has queues")
	}
	if n.Tenant != "" {
		if err := worker.ValidTenant(n.Tenant); err != nil {
			return triage.Account{}, triage.Invalid("account", err)
		}
	}
	if len(n.Password) < MinPasswordLen {
		return triage.Account{}, triage.Invalidf("account", "the password must be at least %d characters", MinPasswordLen)
	}
	hash, err := password.Hash(n.Password, a.params())
	if err != nil {
		return triage.Account{}, triage.Invalid("account", err)
	}
	now := a.now()
	acct := triage.Account{Name: n.Name, Role: string(n.Role), Tenant: n.Tenant, Queues: n.Queues,
		PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	if old, err := a.Store.GetAccount(ctx, n.Name); err == nil {
		acct.CreatedAt = old.CreatedAt
		if Role(old.Role) == n.Role {
			acct.TOTPSecret = old.TOTPSecret // a password reset keeps the second factor
		}
	}
	return acct, a.Store.PutAccount(ctx, acct)
}

// Token format: "lt_" + 16 hex id + "_" + 43 base64url secret characters.
const tokenPrefix = "lt_"

// CreateToken makes an API token for an existing account and returns it;
// only its digest is stored, so this is the one time it is seen. ttl 0: no expiry.
func (a Accounts) CreateToken(ctx context.Context, account string, ttl time.Duration) (token string, t triage.APIToken, err error) {
	if _, err := a.Store.GetAccount(ctx, account); err != nil {
		if errors.Is(err, triage.ErrNotFound) {
			return "", t, triage.Invalidf("token", "no account %q", account)
		}
		return "", t, err
	}
	id := make([]byte, 8)
	secret := make([]byte, 32)
	if _, err := rand.Read(id); err != nil {
		return "", t, err
	}
	if _, err := rand.Read(secret); err != nil {
		return "", t, err
	}
	sec := base64.RawURLEncoding.EncodeToString(secret)
	t = triage.APIToken{ID: hex.EncodeToString(id), Account: account, Hash: digest(sec), CreatedAt: a.now()}
	if ttl > 0 {
		t.ExpiresAt = t.CreatedAt.Add(ttl)
	}
	if err := a.Store.PutToken(ctx, t); err != nil {
		return "", t, err
	}
	return tokenPrefix + t.ID + "_" + sec, t, nil
}

func digest(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// errBadCredentials hides which part of a credential was wrong.
var errBadCredentials = errors.New("invalid credentials")

// checkToken resolves a bearer token to its account.
func (a Accounts) checkToken(ctx context.Context, token string) (triage.Account, error) {
	rest, ok := strings.CutPrefix(token, tokenPrefix)
	if !ok {
		return triage.Account{}, errBadCredentials
	}
	id, sec, ok := strings.Cut(rest, "_")
	if !ok || len(id) != 16 {
		return triage.Account{}, errBadCredentials
	}
	t, err := a.Store.GetToken(ctx, id)
	if errors.Is(err, triage.ErrNotFound) {
		return triage.Account{}, errBadCredentials
	}
	if err != nil {
		return triage.Account{}, err
	}
	if subtle.ConstantTimeCompare([]byte(digest(sec)), []byte(t.Hash)) != 1 {
		return triage.Account{}, errBadCredentials
	}
	if !t.ExpiresAt.IsZero() && !a.now().Before(t.ExpiresAt) {
		return triage.Account{}, errBadCredentials
	}
	acct, err := a.Store.GetAccount(ctx, t.Account)
	if errors.Is(err, triage.ErrNotFound) || (err == nil && acct.Disabled) {
		return triage.Account{}, errBadCredentials
	}
	return acct, err
}

// dummyHash is checked against when the account does not exist, so a
// missing account takes as long to refuse as a wrong password.
func (a Accounts) checkPassword(ctx context.Context, name, pw string) (triage.Account, error) {
	acct, err := a.Store.GetAccount(ctx, name)
	if err != nil && !errors.Is(err, triage.ErrNotFound) {
		return triage.Account{}, err
	}
	hash := acct.PasswordHash
	if err != nil || hash == "" {
		hash = a.dummyHash()
	}
	if perr := password.Check(pw, hash); perr != nil || err != nil || acct.Disabled {
		return triage.Account{}, errBadCredentials
	}
	return acct, nil
}

func (a Accounts) dummyHash() string {
	p := a.params()
	// A fixed, valid PHC string with the configured cost; its salt and hash
	// are arbitrary, no password matches it knowingly.
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$ZHVtbXlzYWx0ZHVtbXk$ZHVtbXloYXNoZHVtbXloYXNoZHVtbXloYXNoMDA", p.MemoryKiB, p.Passes, p.Lanes)
}
