package password

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

var cheap = Params{MemoryKiB: 64, Passes: 1, Lanes: 1}

func TestHashCheck(t *testing.T) {
	h, err := Hash("correct horse battery staple", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string", h)
	}
	if err := Check("correct horse battery staple", h); err != nil {
		t.Fatalf("right password: %v", err)
	}
	for _, wrong := range []string{"", "correct horse battery stapl", "Correct horse battery staple"} {
		if err := Check(wrong, h); !errors.Is(err, ErrMismatch) {
			t.Errorf("Check(%q) = %v, want ErrMismatch", wrong, err)
		}
	}
	h2, _ := Hash("correct horse battery staple", cheap)
	if h == h2 {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
}

// TestKnownAnswer checks the PHC layout against argon2id computed directly
// from a fixed salt, so a change to encoding or parameter order is caught.
func TestKnownAnswer(t *testing.T) {
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte("pw"), salt, 2, 32, 1, 32)
	phc := "$argon2id$v=19$m=32,t=2,p=1$" + b64.EncodeToString(salt) + "$" + b64.EncodeToString(key)
	if err := Check("pw", phc); err != nil {
		t.Fatalf("known-answer hash %s: %v", hex.EncodeToString(key), err)
	}
	if err := Check("pw", strings.Replace(phc, "t=2", "t=3", 1)); !errors.Is(err, ErrMismatch) {
		t.Fatalf("altered passes still matched: %v", err)
	}
}

func TestMalformed(t *testing.T) {
	for _, phc := range []string{"", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", // would allocate ~100 GB
		"$argon2id$v=19$m=64,t=1,p=1$!!$aGFzaA"} {
		if err := Check("pw", phc); err == nil || errors.Is(err, ErrMismatch) {
			t.Errorf("Check(%q) = %v, want a format error", phc, err)
		}
	}
	if _, err := Hash(strings.Repeat("x", MaxLen+1), cheap); err == nil {
		t.Error("an over-long password was hashed")
	}
}

func TestNeedsRehash(t *testing.T) {
	h, _ := Hash("pw", cheap)
	if NeedsRehash(h, cheap) {
		t.Error("same parameters need no rehash")
	}
	if !NeedsRehash(h, Params{MemoryKiB: 128, Passes: 1, Lanes: 1}) {
		t.Error("more memory should ask for a rehash")
	}
}
