package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/retention"
	"github.com/logtriage/logtriage/triage/worker"
)

// Tombstones: `tenant delete` leaves DATA_DIR/keys/deleted/<tenant>. The keys
// directory is backed up apart from the data, so when an older copy of the
// store and JetStream files is restored, serve and purge find the deleted
// tenant's rows and uploads again and remove them (its sealed cases are
// unreadable regardless: the data key is gone).
const tombstoneDirName = "deleted"

func tombstoneDir(keys serviceKeys) string { return filepath.Join(keys.keysDir, tombstoneDirName) }

func writeTombstone(keys serviceKeys, tenant string) error {
	dir := tombstoneDir(keys)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, tenant), []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o600)
}

func tombstones(keys serviceKeys) ([]string, error) {
	entries, err := os.ReadDir(tombstoneDir(keys))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// reDeleteTombstoned deletes again what a restore brought back of deleted
// tenants, and returns those tenants.
func reDeleteTombstoned(ctx context.Context, keys serviceKeys, p *retention.Purger, store triage.Store, payloads *worker.Payloads) ([]string, error) {
	dead, err := tombstones(keys)
	if err != nil || len(dead) == 0 {
		return nil, err
	}
	var present []string
	if exp, ok := store.(triage.Expirer); ok {
		if present, err = exp.Tenants(ctx); err != nil {
			return nil, err
		}
	}
	if payloads != nil {
		more, err := payloads.UploadTenants(ctx)
		if err != nil {
			return nil, err
		}
		present = append(present, more...)
	}
	var again []string
	for _, t := range dead {
		if !slices.Contains(present, t) {
			continue
		}
		if _, err := p.DeleteTenant(ctx, nil, t); err != nil {
			return again, err
		}
		again = append(again, t)
	}
	return again, nil
}
