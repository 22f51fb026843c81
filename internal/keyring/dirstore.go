package keyring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"sync"
)

var _ Store = (*DirStore)(nil)

// DirStore keeps one file per tenant (<tenant>.json, 0600) in a directory:
// the single-machine key store. Deleting a tenant's file is the shredding, so
// the directory is backed up apart from the data it protects (docs/security.md).
type DirStore struct {
	dir string
	mu  sync.Mutex
}

// OpenDirStore creates dir (0700) if needed.
func OpenDirStore(dir string) (*DirStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &DirStore{dir: dir}, nil
}

var tenantName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func (d *DirStore) path(tenant string) (string, error) {
	if !tenantName.MatchString(tenant) {
		return "", fmt.Errorf("keyring: tenant %q cannot name a key file", tenant)
	}
	return filepath.Join(d.dir, tenant+".json"), nil
}

func (d *DirStore) GetDataKey(_ context.Context, tenant string) (WrappedKey, error) {
	p, err := d.path(tenant)
	if err != nil {
		return WrappedKey{}, err
	}
	return readWrapped(p)
}

func readWrapped(p string) (WrappedKey, error) {
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return WrappedKey{}, ErrNotFound
	}
	if err != nil {
		return WrappedKey{}, err
	}
	var w WrappedKey
	if err := json.Unmarshal(b, &w); err != nil {
		return WrappedKey{}, fmt.Errorf("keyring: %s: %w", p, err)
	}
	return w, nil
}

func (d *DirStore) CreateDataKey(ctx context.Context, k WrappedKey) (WrappedKey, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, err := d.path(k.Tenant)
	if err != nil {
		return WrappedKey{}, err
	}
	if err := d.write(p, k, false); errors.Is(err, fs.ErrExist) {
		return readWrapped(p)
	} else if err != nil {
		return WrappedKey{}, err
	}
	return k, nil
}

func (d *DirStore) ReplaceDataKey(_ context.Context, k WrappedKey) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, err := d.path(k.Tenant)
	if err != nil {
		return err
	}
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return ErrNotFound
	}
	return d.write(p, k, true)
}

// write puts k in p atomically: a temporary file, synced, then linked (new
// keys: fails if p exists) or renamed over p (replacement).
func (d *DirStore) write(p string, k WrappedKey, replace bool) error {
	b, err := json.Marshal(k)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(d.dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if replace {
		err = os.Rename(tmp.Name(), p)
	} else {
		err = os.Link(tmp.Name(), p)
	}
	if err != nil {
		return err
	}
	return syncDir(d.dir)
}

func (d *DirStore) DeleteDataKey(_ context.Context, tenant string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, err := d.path(tenant)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return syncDir(d.dir)
}

func (d *DirStore) ListDataKeys(context.Context) ([]WrappedKey, error) {
	names, err := filepath.Glob(filepath.Join(d.dir, "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]WrappedKey, 0, len(names))
	for _, n := range names {
		w, err := readWrapped(n)
		if errors.Is(err, ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
