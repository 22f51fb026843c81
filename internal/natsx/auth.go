package natsx

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
)

// Roles of NATS identities. Every client of the embedded server signs in
// with an nkey (a seed file, 0600, under the data dir); anonymous clients
// are refused.
const (
	// RoleService is serve's own connections: everything, including stream
	// and consumer management.
	RoleService = "service"
	// RoleOperator is the local CLI (submit, cases, alerts, resolve): reads
	// everything and submits for any tenant, but manages no stream, deletes
	// no consumer of the worker, and cannot publish cases, alerts or outcomes.
	RoleOperator = "operator"
	// RoleCustomer publishes uploads of one tenant, inline, and reads its
	// tenant's audit feed; nothing else.
	RoleCustomer = "customer"
	// RoleAgent reads the cases of its queues through push consumers it
	// creates, filtered to those queues and delivered to its own inbox.
	RoleAgent = "agent"
)

// Layout names the subjects and streams permissions are written against;
// the caller fills it from its topology (natsx knows no application names).
type Layout struct {
	UploadsPrefix string // "logtriage.uploads." + tenant
	CasesPrefix   string // "logtriage.cases." + queue
	// AuditPrefix + tenant is the tenant's audit feed, which its customer
	// identities may read ("" for none).
	AuditPrefix string
	// Protected are subjects only the service publishes to (cases, alerts,
	// outcomes, dead letters), as wildcards ("logtriage.cases.>").
	Protected     []string
	CasesStream   string
	UploadsStream string
	// WorkerConsumer is the durable consumer only the service may touch.
	WorkerConsumer string
}

// Identity is one NATS user: who, what role, and its scope.
type Identity struct {
	Name   string   `json:"name"`
	Role   string   `json:"role"`
	Tenant string   `json:"tenant,omitempty"`
	Queues []string `json:"queues,omitempty"`
	// Public is the nkey public key (U...); the seed stays in its file.
	Public string `json:"public"`
}

// InboxPrefix is where an identity receives replies: a prefix of its own,
// so no client can subscribe to another's replies.
func InboxPrefix(name string) string { return "_INBOX_" + tokenSafe(name) }

func tokenSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '.' || r == '*' || r == '>' || r <= ' ' || r == 0x7f {
			return '_'
		}
		return r
	}, s)
}

// Permissions is the server-side permission set of an identity.
func Permissions(id Identity, l Layout) (*server.Permissions, error) {
	inbox := InboxPrefix(id.Name) + ".>"
	switch id.Role {
	case RoleService:
		return nil, nil // no restriction
	case RoleOperator:
		deny := []string{
			"$JS.API.STREAM.CREATE.>", "$JS.API.STREAM.UPDATE.>", "$JS.API.STREAM.DELETE.>",
			"$JS.API.STREAM.PURGE.>", "$JS.API.STREAM.MSG.DELETE.>", "$JS.API.STREAM.RESTORE.>",
			"$JS.API.CONSUMER.CREATE." + l.UploadsStream + ".>", "$JS.API.CONSUMER.DURABLE.CREATE." + l.UploadsStream + ".>",
			"$JS.API.CONSUMER.DELETE." + l.UploadsStream + ".>", "$JS.API.CONSUMER.MSG.NEXT." + l.UploadsStream + ".>",
			"$JS.ACK." + l.UploadsStream + ".>",
		}
		deny = append(deny, l.Protected...)
		return &server.Permissions{
			Publish:   &server.SubjectPermission{Allow: []string{">"}, Deny: deny},
			Subscribe: &server.SubjectPermission{Allow: []string{">"}},
		}, nil
	case RoleCustomer:
		if id.Tenant == "" || strings.ContainsAny(id.Tenant, ".*> ") {
			return nil, fmt.Errorf("natsx: customer %s needs a tenant that is one subject token", id.Name)
		}
		sub := []string{inbox}
		if l.AuditPrefix != "" {
			sub = append(sub, l.AuditPrefix+id.Tenant)
		}
		return &server.Permissions{
			Publish:   &server.SubjectPermission{Allow: []string{l.UploadsPrefix + id.Tenant}},
			Subscribe: &server.SubjectPermission{Allow: sub},
		}, nil
	case RoleAgent:
		if len(id.Queues) == 0 {
			return nil, fmt.Errorf("natsx: agent %s needs queues", id.Name)
		}
		var pub []string
		for _, q := range id.Queues {
			// The filter is part of the API subject, and the server checks it
			// against the consumer's configuration: another queue's filter
			// is another subject, which this identity may not publish to.
			pub = append(pub, "$JS.API.CONSUMER.CREATE."+l.CasesStream+".*."+l.CasesPrefix+tokenSafe(q))
		}
		pub = append(pub, "$JS.ACK."+l.CasesStream+".>", "$JS.FC.>")
		return &server.Permissions{
			Publish:   &server.SubjectPermission{Allow: pub},
			Subscribe: &server.SubjectPermission{Allow: []string{inbox}},
		}, nil
	}
	return nil, fmt.Errorf("natsx: unknown role %q", id.Role)
}

// Credentials are identities kept as files under one directory: NAME.nk
// holds the nkey seed (0600), NAME.json the identity.
type Credentials struct{ Dir string }

// SeedPath is the seed file of name.
func (c Credentials) SeedPath(name string) string { return filepath.Join(c.Dir, name+".nk") }

func validIdentityName(n string) error {
	if n == "" || len(n) > 64 || strings.ContainsAny(n, `/\.*> `) {
		return fmt.Errorf("natsx: identity name %q: 1-64 characters, no '/', '.', '*', '>' or spaces", n)
	}
	return nil
}

// Ensure returns the identity, creating its key on first use. An existing
// identity keeps its key; its role and scope are updated.
func (c Credentials) Ensure(id Identity) (Identity, error) {
	if err := validIdentityName(id.Name); err != nil {
		return id, err
	}
	if _, err := Permissions(id, Layout{}); err != nil {
		return id, err
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return id, err
	}
	seed, err := os.ReadFile(c.SeedPath(id.Name))
	if errors.Is(err, os.ErrNotExist) {
		kp, err := nkeys.CreateUser()
		if err != nil {
			return id, err
		}
		if seed, err = kp.Seed(); err != nil {
			return id, err
		}
		if err := writePrivate(c.SeedPath(id.Name), seed); err != nil {
			return id, err
		}
	} else if err != nil {
		return id, err
	}
	kp, err := nkeys.FromSeed(seed)
	if err != nil {
		return id, fmt.Errorf("natsx: %s: %w", c.SeedPath(id.Name), err)
	}
	if id.Public, err = kp.PublicKey(); err != nil {
		return id, err
	}
	js, err := json.MarshalIndent(id, "", "  ")
	if err != nil {
		return id, err
	}
	return id, writePrivate(filepath.Join(c.Dir, id.Name+".json"), append(js, '\n'))
}

func writePrivate(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Load returns every identity in the directory, by name.
func (c Credentials) Load() ([]Identity, error) {
	paths, err := filepath.Glob(filepath.Join(c.Dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []Identity
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var id Identity
		if err := json.Unmarshal(b, &id); err != nil {
			return nil, fmt.Errorf("natsx: %s: %w", p, err)
		}
		if !nkeys.IsValidPublicUserKey(id.Public) {
			return nil, fmt.Errorf("natsx: %s: not a user public key", p)
		}
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// NkeyUsers turns identities into the server's users.
func NkeyUsers(ids []Identity, l Layout) ([]*server.NkeyUser, error) {
	var users []*server.NkeyUser
	for _, id := range ids {
		perms, err := Permissions(id, l)
		if err != nil {
			return nil, err
		}
		users = append(users, &server.NkeyUser{Nkey: id.Public, Permissions: perms})
	}
	if len(users) == 0 {
		return nil, errors.New("natsx: no identities: the server would refuse everyone")
	}
	return users, nil
}
