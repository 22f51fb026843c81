package totp

import (
	"strings"
	"testing"
	"time"
)

// RFC 6238 appendix B, SHA-1 rows: the 20-byte ASCII seed "12345678901234567890",
// 8 digits.
func TestRFC6238Vectors(t *testing.T) {
	key := []byte("12345678901234567890")
	for _, tc := range []struct {
		unix int64
		want string
	}{
		{59, "94287082"}, {1111111109, "07081804"}, {1111111111, "14050471"},
		{1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
	} {
		if got := hotp(key, uint64(tc.unix)/30, 8); got != tc.want {
			t.Errorf("T=%d: %s, want %s", tc.unix, got, tc.want)
		}
	}
	// The same seed through the public API: base32 of it, 6 digits are the last six.
	secret := enc.EncodeToString(key)
	code, err := Code(secret, time.Unix(1111111109, 0))
	if err != nil || code != "081804" {
		t.Fatalf("Code = %q, %v, want 081804", code, err)
	}
}

func TestVerifyWindow(t *testing.T) {
	secret, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	code, _ := Code(secret, now)
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{now, true}, {now.Add(-Step), true}, {now.Add(Step), true},
		{now.Add(-2 * Step), false}, {now.Add(2 * Step), false},
	} {
		if _, ok := Verify(secret, code, tc.at); ok != tc.want {
			t.Errorf("code of %v checked at %v: %v, want %v", now, tc.at, ok, tc.want)
		}
	}
	if _, ok := Verify(secret, "12345", now); ok {
		t.Error("a 5-digit code passed")
	}
	if _, ok := Verify("not base32!", code, now); ok {
		t.Error("a bad secret verified")
	}
	if u := URI("logtriage", "ana", secret); !strings.HasPrefix(u, "otpauth://totp/logtriage:ana?") || !strings.Contains(u, "secret="+secret) {
		t.Errorf("URI = %s", u)
	}
}
