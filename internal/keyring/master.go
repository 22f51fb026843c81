package keyring

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// Master is the key-encryption key: it wraps the data keys and the embedded
// NATS server's JetStream key. It never encrypts data itself.
type Master struct {
	key [KeySize]byte
	id  string
}

// ParseMaster reads a master key in its text form: 32 bytes, base64 (what
// LoadOrCreate writes) or 64 hex digits.
func ParseMaster(text []byte) (*Master, error) {
	s := strings.TrimSpace(string(text))
	var raw []byte
	if b, err := hex.DecodeString(s); err == nil && len(b) == KeySize {
		raw = b
	} else if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == KeySize {
		raw = b
	} else {
		return nil, fmt.Errorf("keyring: a master key is %d random bytes, base64 or hex (generate one with: head -c32 /dev/urandom | base64)", KeySize)
	}
	return NewMaster(raw)
}

// NewMaster wraps 32 raw key bytes.
func NewMaster(raw []byte) (*Master, error) {
	if len(raw) != KeySize {
		return nil, fmt.Errorf("keyring: master key must be %d bytes, got %d", KeySize, len(raw))
	}
	m := &Master{}
	copy(m.key[:], raw)
	// The id names the key in wrapped records without revealing it: a
	// truncated hash under a label no other use of the key shares.
	sum := sha256.Sum256(append([]byte("logtriage master key id\x00"), raw...))
	m.id = hex.EncodeToString(sum[:8])
	return m, nil
}

// ID identifies the key in wrapped data keys (which master wrapped them).
func (m *Master) ID() string { return m.id }
