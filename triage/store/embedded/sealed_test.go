package embedded

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/logtriage/logtriage/internal/keyring"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/store/storetest"
)

// sealedFactory opens stores whose case bodies are sealed, each with its own
// keys; a reopen keeps the keys of the store it reopens.
type sealedFactory struct{ keys map[string]*keyring.Keyring }

func (f sealedFactory) open(t *testing.T, dir string) *Store {
	t.Helper()
	kr := f.keys[dir]
	if kr == nil {
		ks, err := keyring.OpenDirStore(filepath.Join(t.TempDir(), "keys"))
		if err != nil {
			t.Fatal(err)
		}
		m, _ := keyring.NewMaster(keyring.Random(keyring.KeySize))
		kr = keyring.New(m, ks)
		f.keys[dir] = kr
	}
	s, err := Open(dir, Options{Sealer: kr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func (f sealedFactory) New(t *testing.T) triage.Store { return f.open(t, t.TempDir()) }

func (f sealedFactory) Reopen(t *testing.T, s triage.Store) triage.Store {
	return f.open(t, s.(*Store).Dir())
}

func TestConformanceSealed(t *testing.T) {
	storetest.RunFactory(t, sealedFactory{keys: map[string]*keyring.Keyring{}})
}

// grepDir reports the files under dir that contain needle.
func grepDir(t *testing.T, dir string, needle []byte) []string {
	t.Helper()
	var hits []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err == nil && bytes.Contains(b, needle) {
			hits = append(hits, p)
		}
		return nil
	})
	return hits
}

func TestSealedCasesAreNotInTheLogAndShredWithTheirKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ks, err := keyring.OpenDirStore(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := keyring.NewMaster(keyring.Random(keyring.KeySize))
	kr := keyring.New(m, ks)
	s, err := Open(dir, Options{Sealer: kr})
	if err != nil {
		t.Fatal(err)
	}
	planted := "planted-" + keyring.EncodeKey(keyring.Random(9))
	for _, tenant := range []string{"acme", "globex"} {
		c := newCase(tenant, "case-"+tenant, "billing", 1)
		c.Summary = "summary of " + tenant + " " + planted
		c.KeyLines = []string{"line " + planted}
		if err := s.PutCase(ctx, c, nil); err != nil {
			t.Fatal(err)
		}
	}
	backup := t.TempDir()
	copyDir(t, dir, backup)
	s.Close()
	if hits := grepDir(t, dir, []byte(planted)); len(hits) > 0 {
		t.Fatalf("planted value in %v", hits)
	}

	if _, err := Open(dir, Options{}); err == nil {
		t.Fatal("a store with sealed cases opened without its keys")
	}
	if err := kr.Destroy(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	// The store as it was before the delete, restored from a copy.
	restored, err := Open(backup, Options{Sealer: keyring.New(m, ks)})
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	if _, err := restored.GetCase(ctx, "acme", "case-acme"); !errors.Is(err, triage.ErrNotFound) {
		t.Errorf("the shredded tenant's case: %v, want not found", err)
	}
	if restored.Shredded() != 1 {
		t.Errorf("shredded %d, want 1", restored.Shredded())
	}
	c, err := restored.GetCase(ctx, "globex", "case-globex")
	if err != nil || c.Summary != "summary of globex "+planted {
		t.Errorf("the other tenant's case: %+v, %v", c, err)
	}
	restored.Close()
	// Compaction removed the unreadable record from the file.
	b, _ := os.ReadFile(filepath.Join(backup, logName))
	if !bytes.Contains(b, []byte(`"id":"case-globex"`)) || bytes.Contains(b, []byte(`"id":"case-acme"`)) {
		t.Error("after compaction the log must keep globex's sealed case and drop acme's")
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o700)
		}
		if d.Name() == lockName {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// An agent's resolution (its note may name the customer) is sealed in the
// log, and survives compaction and reopening with the case.
func TestSealedResolutionSurvivesCompaction(t *testing.T) {
	ctx := context.Background()
	f := sealedFactory{keys: map[string]*keyring.Keyring{}}
	dir := t.TempDir()
	s := f.open(t, dir)
	if err := s.PutCase(ctx, newCase("acme", "c1", "billing", 1), nil); err != nil {
		t.Fatal(err)
	}
	note := "called back " + keyring.EncodeKey(keyring.Random(9))
	if err := s.Resolve(ctx, triage.Resolution{Tenant: "acme", CaseID: "c1", Agent: "agent-1", Severity: "low", Note: note}); err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		if round == 1 {
			if err := s.Compact(); err != nil {
				t.Fatal(err)
			}
		}
		s.Close()
		if hits := grepDir(t, dir, []byte(note)); len(hits) > 0 {
			t.Fatalf("round %d: the resolution's note is in %v", round, hits)
		}
		s = f.open(t, dir)
		c, err := s.GetCase(ctx, "acme", "c1")
		if err != nil || c.Resolution == nil || c.Resolution.Note != note || c.Status != triage.StatusResolved {
			t.Fatalf("round %d: case %+v, %v", round, c, err)
		}
	}
}
