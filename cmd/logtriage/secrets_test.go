package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logtriage/logtriage/detectors"
	"github.com/logtriage/logtriage/internal/keyring"
)

// setTestFingerprintKey gives the test a fresh random fingerprint key.
func setTestFingerprintKey(t *testing.T) {
	t.Helper()
	t.Setenv(envFingerprintKeyFile, "")
	t.Setenv(envFingerprintKey, keyring.EncodeKey(keyring.Random(keyring.KeySize)))
}

func scanFingerprint(t *testing.T, args ...string) (fingerprints []string, stderr string) {
	t.Helper()
	dir := t.TempDir()
	var files []string
	for _, n := range []string{"a.log", "b.log"} {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, []byte("call 212-555-0187 about bob@example.com\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	_, out, errOut := runScanCLI(t, "", append(append([]string{"scan", "--format", "jsonl"}, args...), files...)...)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var f struct{ Type, Fingerprint string }
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatalf("jsonl line %q: %v", line, err)
		}
		if f.Type == "email" {
			fingerprints = append(fingerprints, f.Fingerprint)
		}
	}
	if len(fingerprints) != 2 {
		t.Fatalf("want the email in both files, got %v (stderr %s)", fingerprints, errOut)
	}
	return fingerprints, errOut
}

func TestScanWithoutKeyUsesRandomKeyPerRun(t *testing.T) {
	t.Setenv(envFingerprintKey, "")
	t.Setenv(envFingerprintKeyFile, "")
	first, stderr := scanFingerprint(t)
	second, _ := scanFingerprint(t)
	if first[0] != first[1] {
		t.Errorf("within one run the same value must correlate: %v", first)
	}
	if first[0] == second[0] {
		t.Errorf("two runs without a key gave the same fingerprint %s: a fixed key is built in", first[0])
	}
	if n := strings.Count(stderr, "random key"); n != 1 {
		t.Errorf("the random-key notice appears %d times, want once:\n%s", n, stderr)
	}
}

func TestScanFingerprintKeyFileIsStable(t *testing.T) {
	t.Setenv(envFingerprintKey, "")
	key := filepath.Join(t.TempDir(), "fp.key")
	if err := os.WriteFile(key, []byte(keyring.EncodeKey(keyring.Random(32))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a, stderr := scanFingerprint(t, "--fingerprint-key-file", key)
	b, _ := scanFingerprint(t, "--fingerprint-key-file", key)
	if a[0] != b[0] {
		t.Errorf("the same key file gave %s then %s", a[0], b[0])
	}
	if strings.Contains(stderr, "random key") {
		t.Errorf("a configured key must not be reported as random: %s", stderr)
	}
	t.Setenv(envFingerprintKeyFile, key)
	c, _ := scanFingerprint(t)
	if c[0] != a[0] {
		t.Errorf("%s_FILE gave %s, the flag %s", envFingerprintKey, c[0], a[0])
	}
}

func TestKeyFileReadableByOthersIsRefused(t *testing.T) {
	key := filepath.Join(t.TempDir(), "fp.key")
	if err := os.WriteFile(key, []byte(keyring.EncodeKey(keyring.Random(32))), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runScanCLI(t, "x\n", "scan", "--fingerprint-key-file", key, "-")
	if code != 2 || !strings.Contains(stderr, "readable by others") {
		t.Errorf("exit %d, stderr %q; want 2 and a message naming the mode", code, stderr)
	}
}

func TestServiceKeysGeneratedOnceAndReused(t *testing.T) {
	dir := t.TempDir()
	env := func(string) string { return "" }
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	var f keyFlags
	if _, err := f.load(dir, env, log, false); err == nil {
		t.Fatal("without create, a missing master key must be an error, not a new key")
	}
	a, err := f.load(dir, env, log, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{fingerprintKeyName, masterKeyName} {
		fi, err := os.Stat(filepath.Join(dir, keysDirName, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %o, want 600", name, fi.Mode().Perm())
		}
	}
	b, err := f.load(dir, env, slog.New(slog.NewTextHandler(io.Discard, nil)), true)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.fingerprint, b.fingerprint) || a.master.ID() != b.master.ID() {
		t.Error("the second start must reuse the generated keys")
	}
	if strings.Count(logs.String(), "generated a new") != 2 {
		t.Errorf("want one notice per generated key:\n%s", logs.String())
	}
	other, err := f.load(t.TempDir(), env, log, true)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(other.fingerprint, a.fingerprint) || other.master.ID() == a.master.ID() {
		t.Error("two data dirs got the same generated keys")
	}

	// A fleet passes its keys in the environment.
	fleetMaster := keyring.EncodeKey(keyring.Random(32))
	fleet := map[string]string{envMasterKey: fleetMaster, envFingerprintKey: "fleet-fingerprint-" + keyring.EncodeKey(keyring.Random(16))}
	c, err := f.load(t.TempDir(), func(k string) string { return fleet[k] }, log, true)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := keyring.ParseMaster([]byte(fleetMaster))
	if c.master.ID() != want.ID() || string(c.fingerprint) != fleet[envFingerprintKey] {
		t.Error("keys from the environment were not used")
	}
	fleet[envMasterKey] = "too-short"
	if _, err := f.load(t.TempDir(), func(k string) string { return fleet[k] }, log, true); err == nil {
		t.Error("a master key that is not 32 bytes must be refused")
	}
}

// phoneFingerprint is the fingerprint the engine under key gives the
// phone number in "call NUMBER".
func phoneFingerprint(t *testing.T, key []byte, number string) string {
	t.Helper()
	eng, err := detectors.New(detectors.Options{FingerprintKey: key})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range eng.ScanBytes([]byte("support: call " + number + " today\n")) {
		if f.Type == "phone" {
			return f.Fingerprint
		}
	}
	t.Fatalf("no phone found in %q", number)
	return ""
}

// The attack the issue reports: a phone number's fingerprint is reversed by
// fingerprinting every candidate number. With the key it works (which is why
// the key must be secret); with any key an attacker can know (a built-in
// one, an empty-ish one, the unkeyed hash) it finds nothing.
func TestPhoneFingerprintNotReversibleWithoutTheKey(t *testing.T) {
	secret := keyring.Random(keyring.KeySize)
	const prefix = "(212) 555-"
	target := fmt.Sprintf("%s%04d", prefix, 187)
	want := phoneFingerprint(t, secret, target)
	guesses := map[string][]byte{
		"the key itself (control)": secret,
		"the former built-in key":  []byte("logtriage-development-key-do-not-use-in-production"),
		"a one-byte key":           {0},
		"a key that is the number": []byte("2125550187"),
	}
	for name, key := range guesses {
		eng, err := detectors.New(detectors.Options{FingerprintKey: key})
		if err != nil {
			t.Fatal(err)
		}
		found := ""
		for n := range 10_000 {
			cand := fmt.Sprintf("%s%04d", prefix, n)
			for _, f := range eng.ScanBytes([]byte("support: call " + cand + " today\n")) {
				if f.Type == "phone" && f.Fingerprint == want {
					found = cand
				}
			}
		}
		if control := bytes.Equal(key, secret); control != (found == target) {
			t.Errorf("%s: enumeration found %q", name, found)
		}
	}
	// Nor is it a bare hash of the digits.
	digits := sha256.Sum256([]byte("2125550187"))
	if strings.HasPrefix(hex.EncodeToString(digits[:]), want) {
		t.Error("the fingerprint is the unkeyed SHA-256 of the digits")
	}
}
