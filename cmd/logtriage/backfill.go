package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/embed"
)

func init() {
	register("backfill", command{summary: "embed again, with the configured embedder, the cases the local fallback embedded during an LLM outage", run: runBackfill})
}

// runBackfill is the backfill serve runs by itself, as a one-off: for a
// PostgreSQL store while serve runs, or for the embedded store while it does
// not (the embedded store is one process's).
func runBackfill(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet(stderr, "backfill", "usage: logtriage backfill [--database-url URL | --data-dir DIR] [--batch N]",
		"Embeds, with the configured embedder (OPENAI_BASE_URL / OPENAI_API_KEY, LOGTRIAGE_EMBEDDING_*), the cases whose",
		"vector the local fallback made while it was failing. serve does the same every minute by itself.",
		"Exit codes: 0 none left waiting, 2 usage or error (the endpoint still failing: run it again later).")
	dbURL := fs.String("database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL of the store (env DATABASE_URL)")
	dataDir := fs.String("data-dir", envOr("LOGTRIAGE_DATA_DIR", "data"), "data dir of the embedded store, as given to serve (env LOGTRIAGE_DATA_DIR)")
	batch := fs.Int("batch", 100, "cases per store query")
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	if code := usageProblem(fs, stderr, argsProblem(fs.Args(), fs.NArg() == 0, "no arguments"),
		problem{*batch <= 0, fmt.Sprintf("--batch %d: want a positive number", *batch)}); code >= 0 {
		return code
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "logtriage backfill:", err)
		return 2
	}
	e, err := embed.FromEnv(os.Getenv)
	if err != nil {
		return fail(err)
	}
	if embed.BaseURL(os.Getenv) == "" {
		return fail(fmt.Errorf("the configured embedder is the local one (%s): nothing to re-embed into; set OPENAI_BASE_URL or OPENAI_API_KEY", e.ID()))
	}
	store, err := openSimilarStore(ctx, *dbURL, *dataDir)
	if err != nil {
		return fail(err)
	}
	defer store.Close()
	total := 0
	for {
		res, err := triage.Reembed(ctx, store, e, *batch)
		total += res.Done
		if err != nil {
			fmt.Fprintf(stdout, "re-embedded %d case(s) into %s\n", total, e.ID())
			return fail(err)
		}
		if res.Done < *batch {
			break
		}
	}
	fmt.Fprintf(stdout, "re-embedded %d case(s) into %s; none left waiting\n", total, e.ID())
	return 0
}
