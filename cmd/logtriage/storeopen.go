package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/logtriage/logtriage/internal/keyring"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/store/embedded"
	"github.com/logtriage/logtriage/triage/store/postgres"
)

var _ triage.Sealer = (*keyring.Keyring)(nil)

// keyedStore is the store with the keyring that seals its case bodies.
type keyedStore struct {
	triage.Store
	keys    *keyring.Keyring
	keyDirs keyring.Store // where the tenants' wrapped data keys live
}

// boundKeyStore lets the keyring use the PostgreSQL store for its data keys
// while that store is opened with the keyring as its Sealer.
type boundKeyStore struct{ keyring.Store }

// openKeyedStore opens the store serve uses, sealing with the master key:
// PostgreSQL with a URL (the data keys in its data_keys table, shared by the
// fleet), else the embedded store under DATA_DIR/store with the data keys in
// DATA_DIR/keys/data.
func openKeyedStore(ctx context.Context, dbURL, dataDir string, keys serviceKeys) (*keyedStore, error) {
	if dbURL != "" {
		bound := &boundKeyStore{}
		kr := keyring.New(keys.master, bound)
		// Writes leave the graph insert to the index mover serve runs
		// (docs/storage.md); queries see a waiting vector from its write on.
		st, err := postgres.Open(ctx, dbURL, postgres.Options{Sealer: kr, DeferIndexing: true})
		if err != nil {
			return nil, err
		}
		bound.Store = st
		return &keyedStore{Store: st, keys: kr, keyDirs: st}, nil
	}
	ds, err := keyring.OpenDirStore(keys.keyStoreDir())
	if err != nil {
		return nil, err
	}
	kr := keyring.New(keys.master, ds)
	dir := filepath.Join(dataDir, "store")
	st, err := embedded.Open(dir, embedded.Options{Sealer: kr})
	if errors.Is(err, embedded.ErrLocked) {
		return nil, fmt.Errorf("the embedded store %s is held by a running serve: stop it first, or run against PostgreSQL (--database-url), where this works while serve runs: %w", dir, err)
	}
	if err != nil {
		return nil, err
	}
	return &keyedStore{Store: st, keys: kr, keyDirs: ds}, nil
}

// openReadStore opens the store for a query command: with its keys when the
// data dir has them (or they are configured), else without (a store written
// before encryption; a sealed case then says that it needs the keys).
func openReadStore(ctx context.Context, dbURL, dataDir string) (triage.Store, error) {
	keys, err := keyFlags{}.load(dataDir, os.Getenv, slog.New(slog.DiscardHandler), false)
	if errors.Is(err, fs.ErrNotExist) {
		if dbURL != "" {
			return postgres.Open(ctx, dbURL, postgres.Options{})
		}
		return embedded.Open(filepath.Join(dataDir, "store"), embedded.Options{})
	}
	if err != nil {
		return nil, err
	}
	ks, err := openKeyedStore(ctx, dbURL, dataDir, keys)
	if err != nil {
		return nil, err
	}
	return ks.Store, nil
}
