package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/logtriage/logtriage/internal/keyring"
)

// Key settings. Nothing in the repository is a usable key: a key comes from
// a flag, the environment or a file, or is generated (serve: once, kept
// under the data dir; one-shot commands: per run).
const (
	envFingerprintKey     = "LOGTRIAGE_FINGERPRINT_KEY"
	envFingerprintKeyFile = "LOGTRIAGE_FINGERPRINT_KEY_FILE"
	envMasterKey          = "LOGTRIAGE_MASTER_KEY"
	envMasterKeyFile      = "LOGTRIAGE_MASTER_KEY_FILE"

	keysDirName        = "keys"
	fingerprintKeyName = "fingerprint.key"
	masterKeyName      = "master.key"
	dataKeysDirName    = "data"
)

// oneShotFingerprintKey is the HMAC key of scan, redact and triage: the
// --fingerprint-key-file flag, else LOGTRIAGE_FINGERPRINT_KEY_FILE, else
// LOGTRIAGE_FINGERPRINT_KEY, else a random key for this run, said once
// through the logger (fingerprints then correlate within this run only).
func oneShotFingerprintKey(keyFile string, getenv func(string) string, log *slog.Logger) ([]byte, error) {
	k, _, err := configuredKey(keyFile, getenv(envFingerprintKeyFile), getenv(envFingerprintKey), envFingerprintKey)
	if err != nil || k != nil {
		return k, err
	}
	log.Warn("no fingerprint key configured: using a random key for this run, so fingerprints correlate within this run only (set --fingerprint-key-file or " + envFingerprintKey + "_FILE to make them stable)")
	return []byte(keyring.EncodeKey(keyring.Random(keyring.KeySize))), nil
}

// configuredKey is the key from the flag's file, the env's file or the env
// value, in that order; nil when none is set. source names where it came from.
func configuredKey(flagFile, envFile, envValue, envName string) (key []byte, source string, err error) {
	switch {
	case flagFile != "":
		k, err := keyring.ReadKeyFile(flagFile)
		return k, flagFile, err
	case envFile != "":
		k, err := keyring.ReadKeyFile(envFile)
		if err != nil {
			return nil, "", fmt.Errorf("%s_FILE: %w", envName, err)
		}
		return k, envFile, nil
	case envValue != "":
		return []byte(envValue), "$" + envName, nil
	}
	return nil, "", nil
}

// keyFlags are serve's (and the key commands') key settings.
type keyFlags struct {
	fingerprintFile string
	masterFile      string
}

func (f *keyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.fingerprintFile, "fingerprint-key-file", "", "file holding the fingerprint HMAC key (env "+envFingerprintKeyFile+" or "+envFingerprintKey+"; default DATA_DIR/keys/fingerprint.key, generated on first start)")
	fs.StringVar(&f.masterFile, "master-key-file", "", "file holding the 32-byte master key, base64 (env "+envMasterKeyFile+" or "+envMasterKey+"; default DATA_DIR/keys/master.key, generated on first start)")
}

// serviceKeys are the keys a long-running deployment uses.
type serviceKeys struct {
	fingerprint []byte
	master      *keyring.Master
	keysDir     string // DATA_DIR/keys: generated keys and the single-machine data keys
	// masterFromDir: the master key is DATA_DIR/keys/master.key, not configured.
	masterFromDir bool
}

// load resolves the keys: configured ones (a fleet shares them), else the
// ones under the data dir, generated (0600) on first use and reused after.
// create false refuses to generate (the maintenance commands must never
// invent a master key that opens nothing).
func (f keyFlags) load(dataDir string, getenv func(string) string, log *slog.Logger, create bool) (serviceKeys, error) {
	keys := serviceKeys{keysDir: filepath.Join(dataDir, keysDirName)}
	fromDir := func(name, what string) ([]byte, error) {
		p := filepath.Join(keys.keysDir, name)
		if !create {
			return keyring.ReadKeyFile(p)
		}
		k, created, err := keyring.LoadOrCreate(p)
		if err == nil && created {
			log.Info("generated a new "+what+" (keep it with the data dir's keys; back it up apart from the data)", "file", p)
		}
		return k, err
	}
	fp, _, err := configuredKey(f.fingerprintFile, getenv(envFingerprintKeyFile), getenv(envFingerprintKey), envFingerprintKey)
	if err == nil && fp == nil {
		fp, err = fromDir(fingerprintKeyName, "fingerprint key")
	}
	if err != nil {
		return keys, fmt.Errorf("fingerprint key: %w", err)
	}
	keys.fingerprint = fp
	mk, _, err := configuredKey(f.masterFile, getenv(envMasterKeyFile), getenv(envMasterKey), envMasterKey)
	if err == nil && mk == nil {
		mk, err = fromDir(masterKeyName, "master key")
		keys.masterFromDir = true
	}
	if err != nil {
		return keys, fmt.Errorf("master key: %w", err)
	}
	if keys.master, err = keyring.ParseMaster(mk); err != nil {
		return keys, err
	}
	return keys, nil
}

// keyStoreDir is where a single machine keeps its tenants' wrapped data keys.
func (k serviceKeys) keyStoreDir() string { return filepath.Join(k.keysDir, dataKeysDirName) }

// stderrLogger is the text logger the one-shot commands report through.
func stderrLogger(stderr io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(stderr, nil))
}

// The embedded NATS server's JetStream key: random, generated on first start
// and kept wrapped by the master key in DATA_DIR/keys/jetstream.key. Rotating
// the master re-wraps it; the stream files never need re-encrypting.
const jetStreamKeyName = "jetstream.key"

func (k serviceKeys) jetStreamKey(create bool) (string, error) {
	p := filepath.Join(k.keysDir, jetStreamKeyName)
	w, err := readWrappedFile(p)
	if errors.Is(err, fs.ErrNotExist) && create {
		w, err = keyring.WrapSecret(k.master, "jetstream", keyring.Random(keyring.KeySize))
		if err == nil {
			err = writeWrappedFile(p, w, false)
		}
		if errors.Is(err, fs.ErrExist) { // another process won the race
			w, err = readWrappedFile(p)
		}
	}
	if err != nil {
		return "", fmt.Errorf("JetStream key: %w", err)
	}
	raw, err := keyring.UnwrapSecret(k.master, "jetstream", w)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(raw), nil
}

func readWrappedFile(p string) (keyring.WrappedKey, error) {
	var w keyring.WrappedKey
	b, err := os.ReadFile(p)
	if err != nil {
		return w, err
	}
	return w, json.Unmarshal(b, &w)
}

// writeWrappedFile writes w to p (0600): exclusively, or replacing p atomically.
func writeWrappedFile(p string, w keyring.WrappedKey, replace bool) error {
	b, err := json.Marshal(w)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	defer os.Remove(tmp)
	if replace {
		return os.Rename(tmp, p)
	}
	return os.Link(tmp, p)
}
