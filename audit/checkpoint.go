package audit

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Checkpoint is a signed statement of one tenant's chain head: "event Seq of
// Tenant has hash Hash", signed with the server's Ed25519 key. A verifier that
// trusts the public key detects a chain rewritten from scratch (every hash
// recomputed) and a tail cut off after the checkpoint.
type Checkpoint struct {
	Tenant string    `json:"tenant"`
	Seq    uint64    `json:"seq"`
	Hash   string    `json:"hash"`
	Time   time.Time `json:"time"`
	// Anchor marks the checkpoint a retention purge signed before deleting
	// the events up to Seq: the chain legitimately starts after it.
	Anchor    bool   `json:"anchor,omitempty"`
	KeyID     string `json:"key_id"`
	Signature string `json:"signature"` // base64 (standard) Ed25519 signature of the canonical form
}

// CheckpointVersion tags the canonical form a checkpoint's signature covers:
// length-prefixed fields as for events ("logtriage.audit.checkpoint.v1",
// tenant, seq, hash, time, "anchor" or "", key_id).
const CheckpointVersion = "logtriage.audit.checkpoint.v1"

// AppendCanonical appends the bytes the signature covers.
func (cp *Checkpoint) AppendCanonical(buf []byte) []byte {
	buf = field(buf, CheckpointVersion)
	buf = field(buf, cp.Tenant)
	buf = field(buf, strconv.FormatUint(cp.Seq, 10))
	buf = field(buf, cp.Hash)
	buf = field(buf, cp.Time.UTC().Format(time.RFC3339Nano))
	anchor := ""
	if cp.Anchor {
		anchor = "anchor"
	}
	buf = field(buf, anchor)
	return field(buf, cp.KeyID)
}

// VerifySignature checks the signature against pub.
func (cp *Checkpoint) VerifySignature(pub ed25519.PublicKey) error {
	if want := KeyID(pub); cp.KeyID != want {
		return fmt.Errorf("signed by key %s, not the given key %s", cp.KeyID, want)
	}
	sig, err := base64.StdEncoding.DecodeString(cp.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return errors.New("malformed signature")
	}
	if !ed25519.Verify(pub, cp.AppendCanonical(nil), sig) {
		return errors.New("signature does not verify (checkpoint altered or signed by another key)")
	}
	return nil
}

// KeyID names a public key: "ed25519:" and the first 16 hex digits of its SHA-256.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return "ed25519:" + hex.EncodeToString(sum[:8])
}

// Signer holds the server's checkpoint key.
type Signer struct {
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
	id   string
}

// NewSigner wraps a private key.
func NewSigner(priv ed25519.PrivateKey) *Signer {
	pub := priv.Public().(ed25519.PublicKey)
	return &Signer{priv: priv, pub: pub, id: KeyID(pub)}
}

// GenerateSigner makes a fresh key (tests; servers use LoadOrCreateSigner).
func GenerateSigner() (*Signer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return NewSigner(priv), nil
}

// SigningKeyFile is the key's file name under the data dir.
const SigningKeyFile = "audit-signing.key"

// LoadOrCreateSigner reads the PKCS#8 PEM key at path, or generates one and
// writes it there with mode 0600 on first start. A key file that others can
// read is refused: whoever reads it can forge checkpoints. There is no
// built-in key.
func LoadOrCreateSigner(path string) (*Signer, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createSigner(path)
	}
	if err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("audit signing key %s: mode %v lets others read it; chmod 600", path, fi.Mode().Perm())
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("audit signing key %s: want a PEM \"PRIVATE KEY\" block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("audit signing key %s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("audit signing key %s: not an Ed25519 key", path)
	}
	return NewSigner(priv), nil
}

func createSigner(path string) (*Signer, error) {
	s, err := GenerateSigner()
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(s.priv)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	// O_EXCL: two processes starting together never overwrite each other's key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadOrCreateSigner(path)
	}
	if err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	return s, f.Close()
}

// KeyID names the signer's public key.
func (s *Signer) KeyID() string { return s.id }

// PublicKey is the key verifiers need.
func (s *Signer) PublicKey() ed25519.PublicKey { return s.pub }

// PublicKeyPEM is the public key as a PEM "PUBLIC KEY" (PKIX) block, the form
// /api/v1/audit/public-key serves and `audit verify --pubkey` reads.
func (s *Signer) PublicKeyPEM() []byte { return PublicKeyPEM(s.pub) }

// PublicKeyPEM encodes pub as a PEM "PUBLIC KEY" block.
func PublicKeyPEM(pub ed25519.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil { // cannot happen for a valid Ed25519 key
		panic(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// ParsePublicKey reads a PEM "PUBLIC KEY" block or the key's 32 bytes in
// base64 or hex.
func ParsePublicKey(b []byte) (ed25519.PublicKey, error) {
	if block, _ := pem.Decode(b); block != nil {
		if block.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("public key: PEM block %q, want \"PUBLIC KEY\"", block.Type)
		}
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("public key: %w", err)
		}
		pub, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, errors.New("public key: not an Ed25519 key")
		}
		return pub, nil
	}
	s := strings.TrimSpace(string(b))
	for _, dec := range []func(string) ([]byte, error){hex.DecodeString, base64.StdEncoding.DecodeString} {
		if raw, err := dec(s); err == nil && len(raw) == ed25519.PublicKeySize {
			return ed25519.PublicKey(raw), nil
		}
	}
	return nil, errors.New("public key: want a PEM \"PUBLIC KEY\" block, or 32 bytes in hex or base64")
}

// Sign makes a checkpoint of one chain head at time now.
func (s *Signer) Sign(tenant string, head Head, now time.Time, anchor bool) Checkpoint {
	cp := Checkpoint{Tenant: tenant, Seq: head.Seq, Hash: head.Hash, Time: now.UTC().Truncate(time.Microsecond),
		Anchor: anchor, KeyID: s.id}
	cp.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(s.priv, cp.AppendCanonical(nil)))
	return cp
}
