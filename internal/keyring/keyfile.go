// Package keyring holds logtriage's key material: the master key, the
// secret fingerprint key, and per-tenant data keys (AES-256-GCM) wrapped by
// the master key and kept in a Store. Destroying a tenant's wrapped data key
// makes every copy of its ciphertext unreadable (crypto-shredding); rotating
// the master key re-wraps the data keys without touching the data.
package keyring

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// KeySize is the size of every generated key: AES-256 and a 256-bit HMAC key.
const KeySize = 32

// Random returns n bytes from the operating system's CSPRNG.
func Random(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("keyring: crypto/rand failed: " + err.Error()) // never on supported systems (Go 1.24+ crypto/rand does not fail)
	}
	return b
}

// EncodeKey is the text form of a key in files and environment variables.
func EncodeKey(k []byte) string { return base64.StdEncoding.EncodeToString(k) }

// ReadKeyFile reads a key file: its bytes with trailing line ends trimmed.
// It refuses an empty file, and a file others can read (a key file is 0600).
func ReadKeyFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("key file %s is readable by others (mode %o): chmod 600 it", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	b = bytes.TrimRight(b, "\r\n")
	if len(b) == 0 {
		return nil, fmt.Errorf("key file %s is empty", path)
	}
	return b, nil
}

// LoadOrCreate returns the key text in path, creating the file (0600, its
// directory 0700) with a fresh random 32-byte key, base64, when it does not
// exist. created says which happened. Two processes racing to create it
// agree: the file is created exclusively and the loser reads the winner's.
func LoadOrCreate(path string) (key []byte, created bool, err error) {
	k, err := ReadKeyFile(path)
	if err == nil {
		return k, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, err
	}
	text := []byte(EncodeKey(Random(KeySize)))
	tmp, err := os.CreateTemp(filepath.Dir(path), ".key-*")
	if err != nil {
		return nil, false, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(text, '\n')); err != nil {
		tmp.Close()
		return nil, false, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, false, err
	}
	if err := tmp.Close(); err != nil {
		return nil, false, err
	}
	// Link, not rename: it fails when the key exists, so a key is never replaced.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			k, err := ReadKeyFile(path)
			return k, false, err
		}
		return nil, false, err
	}
	return text, true, nil
}
