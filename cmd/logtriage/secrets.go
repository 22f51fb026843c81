package main

import (
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
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

// jetStreamKey is the embedded NATS server's encryption key: derived from
// the master key, so rotating the master re-keys the stream files too.
func jetStreamKey(m *keyring.Master) string { return hex.EncodeToString(m.Derive("jetstream")) }
