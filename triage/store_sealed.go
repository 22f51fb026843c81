package triage

import "context"

// Sealer encrypts tenant data at rest under the tenant's own data key
// (internal/keyring.Keyring is the implementation). ad binds a ciphertext to
// its record (the case id): moved to another record or tenant, it does not
// open. Stores given a Sealer keep case bodies only sealed; what they keep
// in the clear is listed in docs/security.md.
type Sealer interface {
	Seal(ctx context.Context, tenant string, plaintext, ad []byte) ([]byte, error)
	Open(ctx context.Context, tenant string, sealed, ad []byte) ([]byte, error)
}
