package keyring_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/logtriage/logtriage/internal/keyring"
	"github.com/logtriage/logtriage/internal/keyring/keyringtest"
)

func newMaster(t testing.TB) *keyring.Master {
	t.Helper()
	m, err := keyring.NewMaster(keyring.Random(keyring.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func dirStore(t *testing.T) *keyring.DirStore {
	t.Helper()
	s, err := keyring.OpenDirStore(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDirStoreConformance(t *testing.T) { keyringtest.Run(t, dirStore(t)) }

func TestSealOpen(t *testing.T) {
	ctx := context.Background()
	kr := keyring.New(newMaster(t), dirStore(t))
	secret := []byte("case body of acme: summary, key lines")
	sealed, err := kr.Seal(ctx, "acme", secret, []byte("case-1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, secret[:12]) {
		t.Fatal("the sealed value holds the plaintext")
	}
	again, _ := kr.Seal(ctx, "acme", secret, []byte("case-1"))
	if bytes.Equal(sealed, again) {
		t.Error("two seals of the same value are equal: the nonce repeats")
	}
	cases := []struct {
		name   string
		tenant string
		ad     string
		mutate func([]byte) []byte
		ok     bool
	}{
		{"same tenant and record", "acme", "case-1", nil, true},
		{"another record's ad", "acme", "case-2", nil, false},
		{"another tenant", "globex", "case-1", nil, false},
		{"a flipped bit", "acme", "case-1", func(b []byte) []byte { c := bytes.Clone(b); c[len(c)-1] ^= 1; return c }, false},
		{"truncated", "acme", "case-1", func(b []byte) []byte { return b[:10] }, false},
	}
	if _, err := kr.Seal(ctx, "globex", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		in := sealed
		if tc.mutate != nil {
			in = tc.mutate(sealed)
		}
		pt, err := kr.Open(ctx, tc.tenant, in, []byte(tc.ad))
		if tc.ok != (err == nil) || (tc.ok && !bytes.Equal(pt, secret)) {
			t.Errorf("%s: got %q, %v", tc.name, pt, err)
		}
	}
}

func TestDestroyShredsEveryCopy(t *testing.T) {
	ctx := context.Background()
	store := dirStore(t)
	m := newMaster(t)
	kr := keyring.New(m, store)
	sealed, err := kr.Seal(ctx, "acme", []byte("acme data"), nil)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := kr.Seal(ctx, "globex", []byte("globex data"), nil)
	if err := kr.Destroy(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	// A fresh process with the same master key: the old ciphertext is gone for good.
	kr2 := keyring.New(m, store)
	if _, err := kr2.Open(ctx, "acme", sealed, nil); !errors.Is(err, keyring.ErrShredded) {
		t.Errorf("open after destroy: %v, want ErrShredded", err)
	}
	if _, err := kr.Open(ctx, "acme", sealed, nil); !errors.Is(err, keyring.ErrShredded) {
		t.Errorf("the destroying keyring still opens it: %v", err)
	}
	if pt, err := kr2.Open(ctx, "globex", other, nil); err != nil || string(pt) != "globex data" {
		t.Errorf("another tenant: %q, %v", pt, err)
	}
	// A new seal for the tenant gets a new key, which does not open the old data.
	if _, err := kr2.Seal(ctx, "acme", []byte("new"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := kr2.Open(ctx, "acme", sealed, nil); err == nil {
		t.Error("a new data key opened data sealed under the destroyed one")
	}
}

func TestRotate(t *testing.T) {
	ctx := context.Background()
	store := dirStore(t)
	old, next := newMaster(t), newMaster(t)
	kr := keyring.New(old, store)
	var sealed [][]byte
	for _, tenant := range []string{"acme", "globex", "initech"} {
		s, err := kr.Seal(ctx, tenant, []byte("data of "+tenant), nil)
		if err != nil {
			t.Fatal(err)
		}
		sealed = append(sealed, s)
	}
	n, err := kr.Rotate(ctx, next)
	if err != nil || n != 3 {
		t.Fatalf("rotate: %d, %v", n, err)
	}
	if n, err := keyring.New(old, store).Rotate(ctx, next); err == nil && n != 0 {
		t.Errorf("a second rotation re-wrapped %d keys", n)
	}
	// After a restart with the new master the data opens, unchanged.
	after := keyring.New(next, store)
	if err := after.CheckMaster(ctx); err != nil {
		t.Errorf("CheckMaster with the new key: %v", err)
	}
	if err := keyring.New(old, store).CheckMaster(ctx); err == nil {
		t.Error("CheckMaster accepts the old key after the rotation")
	}
	for i, tenant := range []string{"acme", "globex", "initech"} {
		if pt, err := after.Open(ctx, tenant, sealed[i], nil); err != nil || string(pt) != "data of "+tenant {
			t.Errorf("%s after rotation: %q, %v", tenant, pt, err)
		}
	}
	// The old master alone no longer opens the new wrapped keys.
	if _, err := keyring.New(old, store).Open(ctx, "acme", sealed[0], nil); err == nil {
		t.Error("the old master key still opens the re-wrapped data keys")
	}
	w, _ := store.GetDataKey(ctx, "acme")
	w.MasterID = old.ID() // even when the record claims the old master
	if err := store.ReplaceDataKey(ctx, w); err != nil {
		t.Fatal(err)
	}
	if _, err := keyring.New(old, store).Open(ctx, "acme", sealed[0], nil); err == nil {
		t.Error("the old master unwrapped a key wrapped by the new one")
	}
}

func TestLoadOrCreate(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "master.key")
	a, created, err := keyring.LoadOrCreate(p)
	if err != nil || !created {
		t.Fatalf("first: %v, created %v", err, created)
	}
	b, created, err := keyring.LoadOrCreate(p)
	if err != nil || created || !bytes.Equal(a, b) {
		t.Fatalf("second: %v, created %v, same %v", err, created, bytes.Equal(a, b))
	}
	if _, err := keyring.ParseMaster(a); err != nil {
		t.Errorf("a generated key does not parse as a master key: %v", err)
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %o", fi.Mode().Perm())
	}
}

func TestWrapSecret(t *testing.T) {
	m, other := newMaster(t), newMaster(t)
	secret := keyring.Random(keyring.KeySize)
	w, err := keyring.WrapSecret(m, "jetstream", secret)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := keyring.UnwrapSecret(m, "jetstream", w); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("unwrap: %v", err)
	}
	if _, err := keyring.UnwrapSecret(m, "other", w); err == nil {
		t.Error("unwrapped under another purpose")
	}
	if _, err := keyring.UnwrapSecret(other, "jetstream", w); err == nil {
		t.Error("unwrapped with another master key")
	}
	w.MasterID = other.ID()
	if _, err := keyring.UnwrapSecret(other, "jetstream", w); err == nil {
		t.Error("another master key opened it by claiming to be the wrapper")
	}
}

// BenchmarkSeal is the cost sealing adds to one stored case: a 4 KiB body
// (a typical case's JSON) under a cached tenant key.
func BenchmarkSeal(b *testing.B) {
	ctx := context.Background()
	kr := keyring.New(newMaster(b), mustDirStore(b))
	body := bytes.Repeat([]byte(`{"summary":"connection pool exhausted","key_lines":["ERROR ..."]}`), 64)[:4096]
	if _, err := kr.Seal(ctx, "acme", body, []byte("case-1")); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for range b.N {
		sealed, err := kr.Seal(ctx, "acme", body, []byte("case-1"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := kr.Open(ctx, "acme", sealed, []byte("case-1")); err != nil {
			b.Fatal(err)
		}
	}
}

func mustDirStore(b *testing.B) *keyring.DirStore {
	s, err := keyring.OpenDirStore(filepath.Join(b.TempDir(), "keys"))
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// Workers sealing a new tenant's first cases at once agree on one data key:
// every ciphertext opens in a fresh process.
func TestConcurrentFirstSealAgreesOnOneKey(t *testing.T) {
	ctx := context.Background()
	store := dirStore(t)
	m := newMaster(t)
	var wg sync.WaitGroup
	sealed := make([][]byte, 16)
	for i := range sealed {
		kr := keyring.New(m, store) // one keyring per worker process
		wg.Go(func() {
			s, err := kr.Seal(ctx, "newco", []byte("first case"), nil)
			if err != nil {
				t.Error(err)
			}
			sealed[i] = s
		})
	}
	wg.Wait()
	fresh := keyring.New(m, store)
	for i, s := range sealed {
		if _, err := fresh.Open(ctx, "newco", s, nil); err != nil {
			t.Errorf("worker %d's ciphertext: %v", i, err)
		}
	}
}
