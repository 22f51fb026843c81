package embedded

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/logtriage/logtriage/triage"
)

// FuzzOpen feeds arbitrary bytes as the log: Open either refuses it or
// recovers a state that survives a clean reopen unchanged; it never panics.
func FuzzOpen(f *testing.F) {
	good, _ := appendRecord(nil, record{Op: "status", Status: &triage.UploadStatus{Tenant: "acme", UploadID: "u1", Status: triage.StatusTriaged}})
	caseLine, _ := appendRecord(nil, record{Op: "case", Case: []byte(`{"id":"c1","tenant":"acme","queue":"q"}`),
		Emb: packEmbedding(&triage.Embedding{EmbedderID: "e", Vector: []float32{1, 0}})})
	legacyLine, _ := appendRecord(nil, record{Op: "case", Case: []byte(`{"id":"c2","tenant":"acme","queue":"q"}`),
		Emb:    &storedEmbedding{EmbedderID: "e", Vector: []float32{0, 1}},
		Status: &triage.UploadStatus{Tenant: "acme", UploadID: "u2", CaseID: "c2", Status: triage.StatusTriaged}})
	f.Add(good)
	f.Add(append(append([]byte{}, caseLine...), good...))
	f.Add(append(append([]byte{}, legacyLine...), caseLine...))
	f.Add(append(append([]byte{}, good...), good[:len(good)/2]...))
	f.Add([]byte("00000000 {}\n"))
	f.Add([]byte("not a log at all"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, logName), data, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Open(dir, Options{NoSync: true})
		if err != nil {
			return
		}
		ctx := context.Background()
		before, err := s.ListCases(ctx, triage.CaseFilter{AllTenants: true, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s, err = Open(dir, Options{NoSync: true})
		if err != nil {
			t.Fatalf("reopen of a recovered log failed: %v", err)
		}
		defer s.Close()
		after, _ := s.ListCases(ctx, triage.CaseFilter{AllTenants: true, Limit: 1000})
		if len(after) != len(before) {
			t.Fatalf("reopen changed the cases: %d then %d", len(before), len(after))
		}
	})
}
