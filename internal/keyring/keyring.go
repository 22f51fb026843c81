package keyring

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrNotFound is returned by a Store for a tenant without a data key.
var ErrNotFound = errors.New("keyring: no data key")

// ErrShredded means a tenant's data key was destroyed (or never existed)
// while ciphertext of it was asked to be opened: the data is unreadable.
var ErrShredded = errors.New("keyring: the tenant's data key is destroyed; its data is unreadable")

// WrappedKey is a tenant's data key encrypted under a master key.
type WrappedKey struct {
	Tenant   string    `json:"tenant"`
	MasterID string    `json:"master_id"` // Master.ID of the key that wrapped it
	Wrapped  []byte    `json:"wrapped"`   // nonce || AES-256-GCM(master, data key), tenant as additional data
	Created  time.Time `json:"created"`
}

// Store persists wrapped data keys. A fleet of workers must share one (the
// PostgreSQL store implements it); a single machine keeps them in a
// DirStore under the data dir's keys directory.
type Store interface {
	// GetDataKey returns ErrNotFound when the tenant has none.
	GetDataKey(ctx context.Context, tenant string) (WrappedKey, error)
	// CreateDataKey stores k unless the tenant already has a key, and
	// returns the key that is stored: two workers racing agree on one.
	CreateDataKey(ctx context.Context, k WrappedKey) (WrappedKey, error)
	// ReplaceDataKey overwrites the tenant's wrapped key (master rotation);
	// ErrNotFound when the tenant has none.
	ReplaceDataKey(ctx context.Context, k WrappedKey) error
	// DeleteDataKey destroys the tenant's wrapped key; no error when absent.
	DeleteDataKey(ctx context.Context, tenant string) error
	ListDataKeys(ctx context.Context) ([]WrappedKey, error)
}

// Keyring seals and opens tenant data with per-tenant data keys, creating a
// tenant's key on its first seal. Unwrapped keys are cached in memory.
type Keyring struct {
	master *Master
	store  Store
	now    func() time.Time

	mu    sync.RWMutex
	aeads map[string]cipher.AEAD
}

// New returns a keyring over store, wrapping with master.
func New(master *Master, store Store) *Keyring {
	return &Keyring{master: master, store: store, now: time.Now, aeads: map[string]cipher.AEAD{}}
}

// Master is the key that wraps this keyring's data keys.
func (k *Keyring) Master() *Master {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.master
}

// sealVersion is the first byte of every sealed value, so a later format can
// be told apart.
const sealVersion = 1

// Seal encrypts plaintext under tenant's data key (created when missing).
// The tenant is authenticated as additional data, with ad: a ciphertext
// moved to another tenant or record does not open.
func (k *Keyring) Seal(ctx context.Context, tenant string, plaintext, ad []byte) ([]byte, error) {
	a, err := k.aead(ctx, tenant, true)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1, 1+a.NonceSize()+len(plaintext)+a.Overhead())
	out[0] = sealVersion
	out = append(out, Random(a.NonceSize())...)
	return a.Seal(out, out[1:], plaintext, additional(tenant, ad)), nil
}

// Open decrypts what Seal made. ErrShredded when the tenant's key is gone.
func (k *Keyring) Open(ctx context.Context, tenant string, sealed, ad []byte) ([]byte, error) {
	a, err := k.aead(ctx, tenant, false)
	if err != nil {
		return nil, err
	}
	if len(sealed) < 1+a.NonceSize()+a.Overhead() || sealed[0] != sealVersion {
		return nil, errors.New("keyring: malformed sealed value")
	}
	n := 1 + a.NonceSize()
	pt, err := a.Open(nil, sealed[1:n], sealed[n:], additional(tenant, ad))
	if err != nil {
		return nil, fmt.Errorf("keyring: tenant %s: sealed value does not authenticate: %w", tenant, err)
	}
	return pt, nil
}

func additional(tenant string, ad []byte) []byte {
	return append(append([]byte(tenant), 0), ad...)
}

func (k *Keyring) aead(ctx context.Context, tenant string, create bool) (cipher.AEAD, error) {
	if tenant == "" {
		return nil, errors.New("keyring: tenant is required")
	}
	k.mu.RLock()
	a := k.aeads[tenant]
	k.mu.RUnlock()
	if a != nil {
		return a, nil
	}
	w, err := k.store.GetDataKey(ctx, tenant)
	if errors.Is(err, ErrNotFound) {
		if !create {
			return nil, ErrShredded
		}
		fresh, werr := k.wrap(tenant, Random(KeySize))
		if werr != nil {
			return nil, werr
		}
		w, err = k.store.CreateDataKey(ctx, fresh)
	}
	if err != nil {
		return nil, err
	}
	dk, err := k.unwrap(w)
	if err != nil {
		return nil, err
	}
	a, err = newAEAD(dk)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	k.aeads[tenant] = a
	k.mu.Unlock()
	return a, nil
}

// CheckMaster fails when a stored data key is wrapped by another master key
// than this keyring's: a process started with the wrong master key would
// otherwise fail on each tenant's first case, one by one.
func (k *Keyring) CheckMaster(ctx context.Context) error {
	keys, err := k.store.ListDataKeys(ctx)
	if err != nil {
		return err
	}
	for _, w := range keys {
		if m := k.Master(); w.MasterID != m.ID() {
			return fmt.Errorf("keyring: the data key of tenant %s is wrapped by master key %s, but this master key is %s: wrong master key, or a key rotation not finished (run keys rotate again)", w.Tenant, w.MasterID, m.ID())
		}
	}
	return nil
}

// Destroy deletes the tenant's data key from the store and from memory.
func (k *Keyring) Destroy(ctx context.Context, tenant string) error {
	if err := k.store.DeleteDataKey(ctx, tenant); err != nil {
		return err
	}
	k.mu.Lock()
	delete(k.aeads, tenant)
	k.mu.Unlock()
	return nil
}

// Rotate re-wraps every data key under next and makes next this keyring's
// master. The data stays as it is: its keys do not change. It returns how
// many keys were re-wrapped. Keys already under next are left alone, so a
// rotation cut short can be run again with the same two keys.
func (k *Keyring) Rotate(ctx context.Context, next *Master) (int, error) {
	keys, err := k.store.ListDataKeys(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, w := range keys {
		if w.MasterID == next.ID() {
			continue
		}
		dk, err := k.unwrap(w)
		if err != nil {
			return n, err
		}
		nw, err := wrapWith(next, w.Tenant, dk, w.Created)
		if err != nil {
			return n, err
		}
		if err := k.store.ReplaceDataKey(ctx, nw); err != nil {
			return n, err
		}
		n++
	}
	k.mu.Lock()
	k.master = next
	k.mu.Unlock()
	return n, nil
}

func (k *Keyring) wrap(tenant string, dk []byte) (WrappedKey, error) {
	return wrapWith(k.Master(), tenant, dk, k.now().UTC())
}

func wrapWith(m *Master, tenant string, dk []byte, created time.Time) (WrappedKey, error) {
	a, err := newAEAD(m.key[:])
	if err != nil {
		return WrappedKey{}, err
	}
	nonce := Random(a.NonceSize())
	return WrappedKey{Tenant: tenant, MasterID: m.ID(), Created: created,
		Wrapped: a.Seal(nonce, nonce, dk, []byte("logtriage data key\x00"+tenant))}, nil
}

func (k *Keyring) unwrap(w WrappedKey) ([]byte, error) {
	m := k.Master()
	if w.MasterID != m.ID() {
		return nil, fmt.Errorf("keyring: the data key of tenant %s is wrapped by master key %s, this is %s (was `keys rotate` run with another key?)", w.Tenant, w.MasterID, m.ID())
	}
	return unwrapWith(m, w)
}

func unwrapWith(m *Master, w WrappedKey) ([]byte, error) {
	a, err := newAEAD(m.key[:])
	if err != nil {
		return nil, err
	}
	if len(w.Wrapped) < a.NonceSize()+a.Overhead() {
		return nil, fmt.Errorf("keyring: wrapped key of tenant %s is malformed", w.Tenant)
	}
	dk, err := a.Open(nil, w.Wrapped[:a.NonceSize()], w.Wrapped[a.NonceSize():], []byte("logtriage data key\x00"+w.Tenant))
	if err != nil {
		return nil, fmt.Errorf("keyring: the data key of tenant %s does not unwrap with master key %s", w.Tenant, m.ID())
	}
	return dk, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// WrapSecret encrypts a key that is not a tenant's (the JetStream key) under
// m; purpose names it and must be given again to unwrap it.
func WrapSecret(m *Master, purpose string, secret []byte) (WrappedKey, error) {
	return wrapWith(m, "secret:"+purpose, secret, time.Now().UTC())
}

// UnwrapSecret opens what WrapSecret made, with the master key that made it.
func UnwrapSecret(m *Master, purpose string, w WrappedKey) ([]byte, error) {
	if w.Tenant != "secret:"+purpose {
		return nil, fmt.Errorf("keyring: wrapped key is for %q, not %q", w.Tenant, "secret:"+purpose)
	}
	if w.MasterID != m.ID() {
		return nil, fmt.Errorf("keyring: the %s key is wrapped by master key %s, this is %s", purpose, w.MasterID, m.ID())
	}
	return unwrapWith(m, w)
}
