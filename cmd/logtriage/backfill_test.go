package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logtriage/logtriage/internal/openaitest"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/embed"
	"github.com/logtriage/logtriage/triage/store/embedded"
)

func TestBackfillCommand(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	dataDir := t.TempDir()
	s, err := embedded.Open(filepath.Join(dataDir, "store"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	local, _ := embed.NewLocal(embed.LocalOptions{})
	const remoteID = "openai:text-embedding-3-small:32"
	for i, sig := range []string{"ERROR pool exhausted", "ERROR certificate expired", "FATAL disk full"} {
		vec, _ := local.Embed(context.Background(), []string{sig})
		c := &triage.Case{ID: "c" + string(rune('a'+i)), Tenant: "acme", Queue: "db", Summary: sig, Signature: sig,
			Embedder:  triage.EmbedderInfo{ID: local.ID(), FallbackReason: "embed: circuit open", Reembed: remoteID},
			CreatedAt: time.Date(2026, 3, 1, 12, i, 0, 0, time.UTC)}
		if err := s.PutCase(context.Background(), c, &triage.Embedding{EmbedderID: local.ID(), Vector: vec[0]}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	down := openaitest.New(t, openaitest.Options{Embeddings: openaitest.Error(401, "invalid_request_error", "bad key")})
	up := openaitest.New(t, openaitest.Options{})
	tests := []struct {
		name, baseURL string
		args          []string
		code          int
		out           string
	}{
		{"usage", up.URL, []string{"--batch", "0"}, 2, ""},
		{"local embedder configured", "", nil, 2, "nothing to re-embed into"},
		{"endpoint refuses", down.URL, nil, 2, "request rejected"},
		{"endpoint answers", up.URL, []string{"--batch", "2"}, 0, "re-embedded 3 case(s) into " + remoteID + "; none left waiting"},
		{"nothing left", up.URL, nil, 0, "re-embedded 0 case(s)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("OPENAI_BASE_URL", tc.baseURL)
			t.Setenv("OPENAI_API_KEY", "")
			t.Setenv("LOGTRIAGE_EMBEDDING_DIMENSIONS", "32")
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"backfill", "--data-dir", dataDir}, tc.args...), nil, &stdout, &stderr)
			if code != tc.code || !strings.Contains(stdout.String()+stderr.String(), tc.out) {
				t.Fatalf("exit %d, want %d; out %q err %q; want %q", code, tc.code, stdout.String(), stderr.String(), tc.out)
			}
		})
	}
	s, err = embedded.Open(filepath.Join(dataDir, "store"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := s.GetCase(context.Background(), "acme", "cb")
	if err != nil || c.Embedder.ID != remoteID || c.Embedder.Reembed != "" {
		t.Errorf("case after reembed: %+v, %v", c.Embedder, err)
	}
}
