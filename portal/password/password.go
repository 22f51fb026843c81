// Package password hashes and checks passwords with argon2id (RFC 9106),
// stored as PHC strings: $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>.
// The parameters travel with each hash, so raising them later still checks
// old hashes (and NeedsRehash says when to upgrade one at the next login).
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost settings.
type Params struct {
	MemoryKiB uint32
	Passes    uint32
	Lanes     uint8
}

// Default follows RFC 9106's second recommended option (64 MiB, 3 passes),
// with 2 lanes for a small server.
var Default = Params{MemoryKiB: 64 << 10, Passes: 3, Lanes: 2}

const (
	saltLen = 16
	keyLen  = 32
	// MaxLen bounds what is hashed: a megabyte "password" is a denial of service.
	MaxLen = 1024
)

// ErrMismatch is returned by Check for a wrong password.
var ErrMismatch = errors.New("password does not match")

var b64 = base64.RawStdEncoding

// Hash returns the PHC string of pw under p.
func Hash(pw string, p Params) (string, error) {
	if len(pw) > MaxLen {
		return "", fmt.Errorf("password longer than %d bytes", MaxLen)
	}
	if p.MemoryKiB < 8*uint32(p.Lanes) || p.Passes < 1 || p.Lanes < 1 {
		return "", fmt.Errorf("argon2id parameters m=%d t=%d p=%d are out of range", p.MemoryKiB, p.Passes, p.Lanes)
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, p.Passes, p.MemoryKiB, p.Lanes, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Passes, p.Lanes,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Check compares pw with a PHC string in constant time.
func Check(pw, phc string) error {
	p, salt, want, err := parse(phc)
	if err != nil {
		return err
	}
	if len(pw) > MaxLen {
		return ErrMismatch
	}
	got := argon2.IDKey([]byte(pw), salt, p.Passes, p.MemoryKiB, p.Lanes, uint32(len(want)))
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrMismatch
	}
	return nil
}

// NeedsRehash reports whether phc was made with weaker parameters than p.
func NeedsRehash(phc string, p Params) bool {
	q, _, _, err := parse(phc)
	return err != nil || q.MemoryKiB < p.MemoryKiB || q.Passes < p.Passes
}

func parse(phc string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errors.New("not an argon2id hash")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, fmt.Errorf("argon2id version %q is not supported", parts[2])
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Passes, &p.Lanes); err != nil {
		return p, nil, nil, fmt.Errorf("argon2id parameters %q: %w", parts[3], err)
	}
	// Bounds keep a tampered hash from making Check allocate without limit.
	if p.MemoryKiB < 8 || p.MemoryKiB > 4<<20 || p.Passes < 1 || p.Passes > 64 || p.Lanes < 1 {
		return p, nil, nil, fmt.Errorf("argon2id parameters %q are out of range", parts[3])
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 {
		return p, nil, nil, errors.New("argon2id salt is malformed")
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 {
		return p, nil, nil, errors.New("argon2id hash is malformed")
	}
	return p, salt, key, nil
}
