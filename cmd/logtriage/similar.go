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
	"time"

	"github.com/nats-io/nats.go"

	"github.com/logtriage/logtriage/internal/natsx"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/embed"
	"github.com/logtriage/logtriage/triage/worker"
)

func init() {
	register("similar", command{summary: "list past cases similar to a case", run: runSimilar})
}

func runSimilar(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet(stderr, "similar", "usage: logtriage similar [--nats-url URL | --database-url URL | --data-dir DIR] [--tenant T] [--all-tenants] [--k 5] [--format text|json] CASE_ID",
		"Asks a running serve over NATS (--nats-url) first; with no serve answering, reads the store itself",
		"(--database-url, or the embedded store under --data-dir, which only one process can hold).")
	var natsF natsFlags
	natsF.register(fs, natsx.DefaultURL)
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
	if code := usageProblem(fs, stderr, argsProblem(fs.Args(), fs.NArg() == 1, "one CASE_ID"),
		problem{*k <= 0, fmt.Sprintf("--k %d: want at least 1", *k)}, formatProblem(*format, "text", "json")); code >= 0 {
		return code
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "logtriage similar:", err)
		return 2
	}
	req := triage.SimilarRequest{Tenant: *tenant, AllTenants: *allTenants, CaseID: fs.Arg(0), K: *k, MinSimilarity: *minSim}
	res, err := triage.SimilarResult{}, errNoServe
	if *dbURL == "" { // PostgreSQL is shared: read it directly
		res, err = similarViaServe(ctx, natsF, req)
	}
	if errors.Is(err, errNoServe) {
		res, err = similarFromStore(ctx, *dbURL, *dataDir, req)
	}
	if errors.Is(err, triage.ErrNotFound) {
		fmt.Fprintf(stderr, "logtriage similar: no case %s for tenant %s\n", req.CaseID, req.Tenant)
		return 1 // an answer, not an error
	}
	if err != nil {
		return fail(err)
	}
	if *format == "json" {
		out := struct {
			CaseID     string               `json:"case_id"`
			Tenant     string               `json:"tenant"`
			EmbedderID string               `json:"embedder_id"`
			Similar    []triage.SimilarCase `json:"similar"`
		}{res.CaseID, res.Tenant, res.EmbedderID, res.Similar}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return fail(err)
		}
		return 0
	}
	fmt.Fprintf(stdout, "case %s (tenant %s, queue %s): %s\n", res.CaseID, res.Tenant, res.Queue, res.Summary)
	fmt.Fprintf(stdout, "embedding: %s (%s)\n\n", res.EmbedderID, res.Source)
	if len(res.Similar) == 0 {
		fmt.Fprintln(stdout, "no similar cases")
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SIMILARITY\tCASE\tTENANT\tQUEUE\tSUMMARY")
	for _, h := range res.Similar {
		t := h.Tenant
		if t == "" {
			t = res.Tenant
		}
		fmt.Fprintf(tw, "%.3f\t%s\t%s\t%s\t%s\n", h.Similarity, h.CaseID, t, h.Queue, h.Summary)
	}
	if err := tw.Flush(); err != nil {
		return fail(err)
	}
	return 0
}

// errNoServe: no serve answered; the caller reads the store itself.
var errNoServe = errors.New("no serve answering")

// similarViaServe asks a running serve over NATS; errNoServe when there is
// no NATS server or no serve on it.
func similarViaServe(ctx context.Context, f natsFlags, req triage.SimilarRequest) (triage.SimilarResult, error) {
	if f.url == "" {
		return triage.SimilarResult{}, errNoServe
	}
	nc, _, err := f.connect("logtriage-similar")
	if err != nil {
		return triage.SimilarResult{}, errNoServe
	}
	defer nc.Close()
	qctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	res, err := worker.QuerySimilar(qctx, nc, req)
	if errors.Is(err, nats.ErrNoResponders) {
		return res, errNoServe
	}
	return res, err
}

// similarFromStore reads the store directly (no serve running).
func similarFromStore(ctx context.Context, dbURL, dataDir string, req triage.SimilarRequest) (triage.SimilarResult, error) {
	store, err := openSimilarStore(ctx, dbURL, dataDir)
	if err != nil {
		return triage.SimilarResult{}, err
	}
	defer store.Close()
	res, err := triage.FindSimilar(ctx, store, func() (triage.Embedder, error) { return embed.FromEnv(os.Getenv) }, req)
	if err != nil {
		return res, err
	}
	// Reading tenant data is recorded before it is shown.
	return res, recordCLI(ctx, store, similarEvents(&triage.Case{ID: res.CaseID, Tenant: res.Tenant}, res.Similar)...)
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
