package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/embed"
)

func init() {
	register("similar", command{summary: "list past cases similar to a case", run: runSimilar})
}

func runSimilar(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet(stderr, "similar", "usage: logtriage similar [--database-url URL | --data-dir DIR] [--tenant T] [--all-tenants] [--k 5] [--format text|json] CASE_ID")
	dbURL := fs.String("database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL (env DATABASE_URL); the embedded store when empty")
	dataDir := fs.String("data-dir", envOr("LOGTRIAGE_DATA_DIR", "data"), "data dir of the embedded store, as given to serve (env LOGTRIAGE_DATA_DIR)")
	tenant := fs.String("tenant", envOr("LOGTRIAGE_TENANT", "default"), "tenant of the case (env LOGTRIAGE_TENANT)")
	allTenants := fs.Bool("all-tenants", false, "look for similar cases of every tenant (operators only)")
	k := fs.Int("k", 5, "how many similar cases to list")
	minSim := fs.Float64("min-similarity", 0, "leave out cases below this cosine similarity")
	format := fs.String("format", "text", "output format: text or json")
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	if fs.NArg() != 1 || *k <= 0 || (*format != "text" && *format != "json") {
		fs.Usage()
		return 2
	}
	caseID := fs.Arg(0)
	fail := func(err error) int {
		fmt.Fprintln(stderr, "logtriage similar:", err)
		return 1
	}

	store, err := openSimilarStore(ctx, *dbURL, *dataDir)
	if err != nil {
		return fail(err)
	}
	defer store.Close()
	c, err := store.GetCase(ctx, *tenant, caseID)
	if errors.Is(err, triage.ErrNotFound) {
		return fail(fmt.Errorf("no case %s for tenant %s", caseID, *tenant))
	}
	if err != nil {
		return fail(err)
	}
	emb, source, err := caseEmbedding(ctx, store, c)
	if err != nil {
		return fail(err)
	}
	hits, err := store.Similar(ctx, triage.SimilarQuery{
		Tenant: *tenant, AllTenants: *allTenants, Embedding: emb,
		K: *k, MinSimilarity: *minSim, ExcludeCaseID: c.ID,
	})
	if err != nil {
		return fail(err)
	}
	if err := recordCLI(ctx, store, similarEvents(c, hits)...); err != nil {
		return fail(err)
	}
	if *format == "json" {
		out := struct {
			CaseID     string               `json:"case_id"`
			Tenant     string               `json:"tenant"`
			EmbedderID string               `json:"embedder_id"`
			Similar    []triage.SimilarCase `json:"similar"`
		}{c.ID, c.Tenant, emb.EmbedderID, hits}
		if out.Similar == nil {
			out.Similar = []triage.SimilarCase{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return fail(err)
		}
		return 0
	}
	fmt.Fprintf(stdout, "case %s (tenant %s, queue %s): %s\n", c.ID, c.Tenant, c.Queue, c.Summary)
	fmt.Fprintf(stdout, "embedding: %s (%s)\n\n", emb.EmbedderID, source)
	if len(hits) == 0 {
		fmt.Fprintln(stdout, "no similar cases")
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SIMILARITY\tCASE\tTENANT\tQUEUE\tSUMMARY")
	for _, h := range hits {
		t := h.Tenant
		if t == "" {
			t = c.Tenant
		}
		fmt.Fprintf(tw, "%.3f\t%s\t%s\t%s\t%s\n", h.Similarity, h.CaseID, t, h.Queue, h.Summary)
	}
	if err := tw.Flush(); err != nil {
		return fail(err)
	}
	return 0
}

// openSimilarStore opens the same store serve uses: PostgreSQL with a URL,
// else the embedded store under the data dir (which one process may hold at a
// time: against a running serve, use its PostgreSQL instead).
func openSimilarStore(ctx context.Context, dbURL, dataDir string) (triage.Store, error) {
	dir := filepath.Join(dataDir, "store")
	if _, err := os.Stat(dir); err != nil && dbURL == "" {
		// A query never creates a store: a wrong --data-dir would look like a case that does not exist.
		return nil, fmt.Errorf("no embedded store under %s (the --data-dir serve uses, or --database-url): %w", dataDir, err)
	}
	s, err := openReadStore(ctx, dbURL, dataDir)
	if err != nil && dbURL == "" {
		return nil, fmt.Errorf("%w (is serve running on this data dir?)", err)
	}
	return s, err
}

// caseEmbedding is the case's stored vector when the store hands it back,
// else its signature embedded again with the configured embedder.
func caseEmbedding(ctx context.Context, store triage.Store, c *triage.Case) (triage.Embedding, string, error) {
	if es, ok := store.(triage.EmbeddingStore); ok {
		e, err := es.GetEmbedding(ctx, c.Tenant, c.ID)
		if err == nil {
			return e, "stored", nil
		}
		if !errors.Is(err, triage.ErrNotFound) {
			return triage.Embedding{}, "", err
		}
	}
	if c.Signature == "" {
		return triage.Embedding{}, "", fmt.Errorf("case %s has no stored embedding and no signature to embed", c.ID)
	}
	e, err := embed.FromEnv(os.Getenv)
	if err != nil {
		return triage.Embedding{}, "", err
	}
	vecs, err := e.Embed(ctx, []string{c.Signature})
	if err != nil {
		return triage.Embedding{}, "", err
	}
	return triage.Embedding{EmbedderID: e.ID(), Vector: vecs[0]}, "signature embedded now", nil
}
