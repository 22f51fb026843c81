// Package keyringtest is the conformance suite of keyring.Store: the
// single-machine DirStore and the PostgreSQL store must keep wrapped data
// keys the same way.
package keyringtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/logtriage/logtriage/internal/keyring"
)

// Run checks s, which must be empty.
func Run(t *testing.T, s keyring.Store) {
	t.Helper()
	ctx := context.Background()
	wk := func(tenant string) keyring.WrappedKey {
		return keyring.WrappedKey{Tenant: tenant, MasterID: "m1", Wrapped: keyring.Random(60), Created: time.Now().UTC().Truncate(time.Millisecond)}
	}
	if _, err := s.GetDataKey(ctx, "acme"); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("get of a missing key: %v, want ErrNotFound", err)
	}
	a := wk("acme")
	got, err := s.CreateDataKey(ctx, a)
	if err != nil || !bytes.Equal(got.Wrapped, a.Wrapped) {
		t.Fatalf("create: %v", err)
	}
	// A second create keeps the first key: two workers racing agree.
	again, err := s.CreateDataKey(ctx, wk("acme"))
	if err != nil || !bytes.Equal(again.Wrapped, a.Wrapped) {
		t.Fatalf("second create replaced the key (err %v)", err)
	}
	read, err := s.GetDataKey(ctx, "acme")
	if err != nil || !bytes.Equal(read.Wrapped, a.Wrapped) || read.MasterID != "m1" || read.Tenant != "acme" || !read.Created.Equal(a.Created) {
		t.Fatalf("get: %+v, %v; want %+v", read, err, a)
	}
	if err := s.ReplaceDataKey(ctx, keyring.WrappedKey{Tenant: "nobody", MasterID: "m2", Wrapped: []byte{1}}); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("replace of a missing key: %v, want ErrNotFound", err)
	}
	r := a
	r.MasterID, r.Wrapped = "m2", keyring.Random(60)
	if err := s.ReplaceDataKey(ctx, r); err != nil {
		t.Fatal(err)
	}
	if read, _ := s.GetDataKey(ctx, "acme"); read.MasterID != "m2" || !bytes.Equal(read.Wrapped, r.Wrapped) {
		t.Errorf("after replace: %+v", read)
	}

	var wg sync.WaitGroup
	winners := make([][]byte, 8)
	for i := range winners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, err := s.CreateDataKey(ctx, wk("race"))
			if err != nil {
				t.Error(err)
			}
			winners[i] = w.Wrapped
		}()
	}
	wg.Wait()
	for _, w := range winners[1:] {
		if !bytes.Equal(w, winners[0]) {
			t.Fatal("concurrent creates returned different keys")
		}
	}
	list, err := s.ListDataKeys(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %d keys, %v; want 2", len(list), err)
	}
	if err := s.DeleteDataKey(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDataKey(ctx, "acme"); err != nil {
		t.Errorf("deleting an absent key: %v", err)
	}
	if _, err := s.GetDataKey(ctx, "acme"); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
	if list, _ := s.ListDataKeys(ctx); len(list) != 1 || list[0].Tenant != "race" {
		t.Errorf("after delete the list is %s", fmt.Sprint(list))
	}
}
