package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/logtriage/logtriage/eval"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/worker"
)

func init() {
	register("dataset", command{summary: "export resolved cases as a labelled eval dataset", run: runDataset})
}

const datasetUsage = "usage: logtriage dataset export [--tenant T | --all-tenants] [--since TIME] [--out FILE] [--database-url URL | --data-dir DIR | --nats-url URL]"

// runDataset: `dataset export` writes the cases agents resolved as a JSONL
// dataset `eval --dataset` runs (docs/feedback.md): the redacted key lines
// and the labels agents confirmed or corrected. It reads the store directly
// (PostgreSQL, or the embedded store when serve is not running), or asks a
// running serve over NATS with --nats-url.
func runDataset(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "export" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(stdout, datasetUsage)
			return 0
		}
		fmt.Fprintln(stderr, datasetUsage)
		return 2
	}
	fs := newFlagSet(stderr, "dataset export", datasetUsage,
		"\nTIME is RFC 3339 (2026-03-01T00:00:00Z), a date (2026-03-01) or an age (72h: resolved in the last 72 hours).")
	dbURL := fs.String("database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL (env DATABASE_URL); the embedded store when empty")
	dataDir := fs.String("data-dir", envOr("LOGTRIAGE_DATA_DIR", "data"), "data dir of the embedded store, as given to serve (env LOGTRIAGE_DATA_DIR)")
	var nf natsFlags
	nf.register(fs, "")
	tenant := fs.String("tenant", envOr("LOGTRIAGE_TENANT", "default"), "export this tenant's resolved cases (env LOGTRIAGE_TENANT)")
	allTenants := fs.Bool("all-tenants", false, "export every tenant's resolved cases (operators; reads the store directly)")
	sinceText := fs.String("since", "", "only cases resolved at or after TIME")
	outPath := fs.String("out", "", "write the dataset to FILE instead of stdout")
	if err := fs.Parse(args[1:]); err != nil {
		return parseExit(err)
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "logtriage dataset export:", err)
		return 1
	}
	since, err := parseSince(*sinceText, time.Now())
	if err != nil {
		fmt.Fprintln(stderr, "logtriage dataset export: --since:", err)
		return 2
	}
	if *allTenants && nf.url != "" {
		fmt.Fprintln(stderr, "logtriage dataset export: --all-tenants reads the store directly; it does not go with --nats-url")
		return 2
	}
	if err := worker.ValidTenant(*tenant); err != nil && !*allTenants {
		fmt.Fprintln(stderr, "logtriage dataset export:", err)
		return 2
	}

	var xs []triage.Example
	if nf.url != "" {
		nc, _, err := nf.connect("logtriage-dataset")
		if err != nil {
			return fail(err)
		}
		defer nc.Close()
		if xs, err = worker.RequestExamples(ctx, nc, *tenant, since); err != nil {
			return fail(err)
		}
	} else {
		store, err := openSimilarStore(ctx, *dbURL, *dataDir)
		if err != nil {
			return fail(fmt.Errorf("%w; with serve running, export through it with --nats-url", err))
		}
		defer store.Close()
		es, ok := store.(triage.ExampleStore)
		if !ok {
			return fail(fmt.Errorf("store %T keeps no resolved cases", store))
		}
		if xs, err = es.Examples(ctx, triage.ExampleFilter{Tenant: *tenant, AllTenants: *allTenants, Since: since}); err != nil {
			return fail(err)
		}
	}

	out := stdout
	var file *os.File
	if *outPath != "" {
		if file, err = os.OpenFile(*outPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600); err != nil {
			return fail(err)
		}
		out = file
	}
	w := bufio.NewWriter(out)
	written, skipped, err := eval.ExportExamples(w, xs)
	if err == nil {
		err = w.Flush()
	}
	if file != nil {
		if cerr := file.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(stderr, "exported %d resolved case(s)", written)
	if skipped > 0 {
		fmt.Fprintf(stderr, "; skipped %d without key lines (no redacted text to judge)", skipped)
	}
	fmt.Fprintln(stderr)
	return 0
}

// parseSince reads an RFC 3339 time, a date, or an age back from now.
func parseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time, a date or a positive duration", s)
}
