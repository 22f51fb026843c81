// Package totp is RFC 6238 time-based one-time passwords (HMAC-SHA1, 30 s
// steps, 6 digits: what authenticator apps expect), written on the
// standard library's HMAC.
package totp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"time"
)

const (
	Step   = 30 * time.Second
	Digits = 6
)

var enc = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret returns a random 160-bit secret in base32 (RFC 4226's length).
func NewSecret() (string, error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return enc.EncodeToString(b), nil
}

// Code is the one-time password of secret (base32) at time t.
func Code(secret string, t time.Time) (string, error) {
	key, err := decode(secret)
	if err != nil {
		return "", err
	}
	return hotp(key, uint64(t.Unix())/uint64(Step/time.Second), Digits), nil
}

// hotp is RFC 4226 section 5.3: HMAC of the counter, dynamic truncation.
func hotp(key []byte, counter uint64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}

// Verify accepts the code of t's step or of one step either side (clock
// drift), and returns the step it matched so a caller can refuse a replay
// of the same step.
func Verify(secret, code string, t time.Time) (step uint64, ok bool) {
	key, err := decode(secret)
	if err != nil || len(code) != Digits {
		return 0, false
	}
	now := uint64(t.Unix()) / uint64(Step/time.Second)
	for _, s := range []uint64{now, now - 1, now + 1} {
		if subtle.ConstantTimeCompare([]byte(hotp(key, s, Digits)), []byte(code)) == 1 {
			return s, true
		}
	}
	return 0, false
}

// URI is the otpauth:// URI authenticator apps read (from a QR code or pasted).
func URI(issuer, account, secret string) string {
	v := url.Values{"secret": {secret}, "issuer": {issuer}, "algorithm": {"SHA1"},
		"digits": {fmt.Sprint(Digits)}, "period": {fmt.Sprint(int(Step / time.Second))}}
	return "otpauth://totp/" + url.PathEscape(issuer+":"+account) + "?" + v.Encode()
}

func decode(secret string) ([]byte, error) {
	key, err := enc.DecodeString(strings.ToUpper(strings.TrimRight(strings.ReplaceAll(secret, " ", ""), "=")))
	if err != nil || len(key) < 10 {
		return nil, fmt.Errorf("totp: secret is not base32 of at least 80 bits")
	}
	return key, nil
}
