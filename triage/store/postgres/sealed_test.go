package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/logtriage/logtriage/internal/keyring"
	"github.com/logtriage/logtriage/internal/keyring/keyringtest"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/store/storetest"
)

func openSealed(t *testing.T, url, schema string, kr *keyring.Keyring) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Open(ctx, url, Options{Schema: schema, Sealer: kr})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func newTestKeyring(t *testing.T) *keyring.Keyring {
	t.Helper()
	ks, err := keyring.OpenDirStore(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := keyring.NewMaster(keyring.Random(keyring.KeySize))
	return keyring.New(m, ks)
}

func TestConformanceSealed(t *testing.T) {
	url := databaseURL(t)
	storetest.Run(t, func(t *testing.T) triage.Store {
		s := openSealed(t, url, freshSchema(t, url), newTestKeyring(t))
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestDataKeyStoreConformance(t *testing.T) {
	url := databaseURL(t)
	s := openTest(t, url, freshSchema(t, url))
	defer s.Close()
	keyringtest.Run(t, s)
}

// dumpSchema is every row of every table of the schema as COPY writes it:
// what a backup of the database holds.
func dumpSchema(t *testing.T, url, schema string) []byte {
	t.Helper()
	dump, tables, err := DumpSchema(context.Background(), url, schema)
	if err != nil || len(tables) < 5 {
		t.Fatalf("tables %v, %v", tables, err)
	}
	return dump
}

func TestSealedCasesAbsentFromADumpAndShredded(t *testing.T) {
	url := databaseURL(t)
	schema := freshSchema(t, url)
	kr := newTestKeyring(t)
	s := openSealed(t, url, schema, kr)
	defer s.Close()
	ctx := context.Background()
	planted := "planted-" + keyring.EncodeKey(keyring.Random(9))
	for i, tenant := range []string{"acme", "globex"} {
		c := &triage.Case{ID: "case-" + tenant, Tenant: tenant, Queue: "billing", Status: triage.StatusTriaged,
			Summary: "summary " + planted, RootCause: "cause " + planted, KeyLines: []string{"line " + planted},
			Upload:    triage.Upload{ID: fmt.Sprintf("u%d", i), Name: "app.log"},
			Findings:  []triage.FindingSummary{{Type: "email", Category: "pii", Count: 1, Fingerprints: []string{"0123abcd"}}},
			CreatedAt: time.Now().UTC()}
		if err := s.PutCase(ctx, c, &triage.Embedding{EmbedderID: "e", Vector: []float32{1, float32(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	dump := dumpSchema(t, url, schema)
	if bytes.Contains(dump, []byte(planted)) {
		t.Fatal("a planted case value is in the table dump")
	}
	if !bytes.Contains(dump, []byte("0123abcd")) {
		t.Error("the findings (keyed fingerprints, no values) should stay queryable in the clear")
	}
	if _, err := exec.LookPath("psql"); err == nil {
		out, err := exec.Command("psql", url, "-At", "-c", "SELECT doc::text, encode(sealed, 'escape') FROM "+pgx.Identifier{schema, "cases"}.Sanitize()).CombinedOutput()
		if err != nil {
			t.Logf("psql: %v %s", err, out) // PGlite may refuse a second client; the COPY dump above is the check
		} else if bytes.Contains(out, []byte(planted)) {
			t.Error("psql reads a planted value from the cases table")
		}
	}
	hits, err := s.Similar(ctx, triage.SimilarQuery{Tenant: "acme", Embedding: triage.Embedding{EmbedderID: "e", Vector: []float32{1, 0}}, K: 3})
	if err != nil || len(hits) != 1 || hits[0].Summary != "summary "+planted {
		t.Errorf("similar over a sealed case: %+v, %v", hits, err)
	}

	if err := kr.Destroy(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetCase(ctx, "acme", "case-acme"); !errors.Is(err, triage.ErrNotFound) {
		t.Errorf("a case of a destroyed key: %v, want not found", err)
	}
	if c, err := s.GetCase(ctx, "globex", "case-globex"); err != nil || c.RootCause != "cause "+planted {
		t.Errorf("another tenant: %+v, %v", c, err)
	}
}
