package embedded

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/logtriage/logtriage/internal/keyring"
	"github.com/logtriage/logtriage/triage"
)

// A sealed store seals a resolution with its case: the agent's note is
// nowhere in the log, before or after compaction, and survives both.
func TestSealedResolutionNotInTheLog(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ks, err := keyring.OpenDirStore(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := keyring.NewMaster(keyring.Random(keyring.KeySize))
	open := func() *Store {
		s, err := Open(dir, Options{Sealer: keyring.New(m, ks)})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open()
	note := "note-" + keyring.EncodeKey(keyring.Random(9))
	c := newCase("acme", "case-1", "billing", 1)
	if err := s.PutCase(ctx, c, &triage.Embedding{EmbedderID: "e", Vector: []float32{1, 0}}); err != nil {
		t.Fatal(err)
	}
	for _, sev := range []string{"low", "medium"} { // the first is superseded: the reopen compacts
		if err := s.Resolve(ctx, triage.Resolution{Tenant: "acme", CaseID: "case-1", Severity: sev, Note: note}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	for round := range 2 {
		if hits := grepDir(t, dir, []byte(note)); len(hits) > 0 {
			t.Fatalf("round %d: the resolution's note is in %v", round, hits)
		}
		s = open()
		got, err := s.GetCase(ctx, "acme", "case-1")
		if err != nil || got.Resolution == nil || got.Resolution.Note != note || got.Resolution.Severity != "medium" {
			t.Fatalf("round %d: resolved case %+v, %v", round, got, err)
		}
		xs, err := s.ConfirmedNeighbours(ctx, triage.NeighbourQuery{Tenant: "acme", Embedding: triage.Embedding{EmbedderID: "e", Vector: []float32{1, 0}}})
		if err != nil || len(xs) != 1 {
			t.Fatalf("round %d: the resolved case lost its embedding: %+v, %v", round, xs, err)
		}
		s.Close()
	}
}

// BenchmarkConfirmedNeighbours is the per-case lookup of resolved
// neighbours (one in ten cases resolved) against Similar over the same
// store, in the same run.
func BenchmarkConfirmedNeighbours(b *testing.B) {
	const n = 10_000
	s, err := Open(b.TempDir(), Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range n {
		id := fmt.Sprint(i)
		if err := s.PutCase(ctx, newCase("acme", id, "q", 0), emb("e", randomVector(rng, 256)...)); err != nil {
			b.Fatal(err)
		}
		if i%10 == 0 {
			if err := s.Resolve(ctx, triage.Resolution{Tenant: "acme", CaseID: id, Severity: "low"}); err != nil {
				b.Fatal(err)
			}
		}
	}
	vec := *emb("e", randomVector(rng, 256)...)
	b.Run("baseline-similar", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Similar(ctx, triage.SimilarQuery{Tenant: "acme", Embedding: vec, K: 5}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("confirmed-neighbours", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.ConfirmedNeighbours(ctx, triage.NeighbourQuery{Tenant: "acme", Embedding: vec, K: 3, MinSimilarity: 0.9}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
