package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"text/tabwriter"
	"time"

	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/embed"
	"github.com/logtriage/logtriage/triage/store/postgres"
)

func init() {
	register("reembed", command{summary: "re-embed cases into a new embedder space, rebuild or drop a space's index (PostgreSQL)", run: runReembed})
}

// runReembed is the operator's tool for the PostgreSQL store's vector spaces.
// With no action flag it fills the configured embedder's space (the same
// LOGTRIAGE_EMBEDDER / OPENAI_* settings serve reads) for every case that
// lacks a vector there, then builds the space's index; the old space keeps
// serving until the workers switch (docs/storage.md, "Re-embedding").
func runReembed(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet(stderr, "reembed", "usage: logtriage reembed [--database-url URL] [--schema S] [--batch N] [--index hnsw|ivfflat]\n"+
		"       logtriage reembed --list | --rebuild-index SPACE [--tenant T] [--index hnsw|ivfflat] [--m M] [--ef-construction E] [--lists N] | --drop-space SPACE [--tenant T]\n"+
		"       logtriage reembed --tenant-indexes [--format json]")
	dbURL := fs.String("database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL (env DATABASE_URL)")
	schema := fs.String("schema", "logtriage", "schema holding logtriage's tables")
	batch := fs.Int("batch", 500, "signatures per embedding call and per COPY")
	list := fs.Bool("list", false, "list the embedder spaces: vectors, index size, dead tuples")
	rebuild := fs.String("rebuild-index", "", "rebuild this space's HNSW index without downtime (with --tenant: build or rebuild that tenant's own index)")
	drop := fs.String("drop-space", "", "delete this space's vectors and index (after the workers switched); with --tenant: drop only that tenant's own index")
	tenantIndexes := fs.Bool("tenant-indexes", false, "build the own indexes of tenants grown past the threshold, drop those of tenants far below it (what serve does hourly)")
	tenant := fs.String("tenant", "", "with --rebuild-index or --drop-space: a large tenant's own partial index")
	m := fs.Int("m", 0, fmt.Sprintf("HNSW m for a rebuilt or new index (default %d)", postgres.DefaultIndexM))
	efc := fs.Int("ef-construction", 0, fmt.Sprintf("HNSW ef_construction for a rebuilt or new index (default %d)", postgres.DefaultEFConstruction))
	kind := fs.String("index", postgres.IndexHNSW, "the index --rebuild-index or a re-embedding builds for a space: hnsw, or ivfflat (lists learnt from the vectors there now; docs/storage.md)")
	lists := fs.Int("lists", 0, "IVFFlat lists for --index ivfflat (default: rows/1000, the square root above 1M rows)")
	full := fs.Bool("full-precision-index", false, "index float32 vectors instead of halfvec copies")
	format := fs.String("format", "text", "output of --list and --tenant-indexes: text or json")
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	actions := 0
	for _, set := range []bool{*list, *rebuild != "", *drop != "", *tenantIndexes} {
		if set {
			actions++
		}
	}
	switch {
	case fs.NArg() != 0:
		fmt.Fprintf(stderr, "logtriage reembed: unexpected argument %q\n", fs.Arg(0))
		return 2
	case *dbURL == "":
		fmt.Fprintln(stderr, "logtriage reembed: --database-url (or DATABASE_URL) is required: spaces exist only in the PostgreSQL store")
		return 2
	case actions > 1:
		fmt.Fprintln(stderr, "logtriage reembed: --list, --rebuild-index, --drop-space and --tenant-indexes exclude each other")
		return 2
	case *batch <= 0:
		fmt.Fprintln(stderr, "logtriage reembed: --batch must be positive")
		return 2
	case *tenant != "" && *rebuild == "" && *drop == "":
		fmt.Fprintln(stderr, "logtriage reembed: --tenant goes with --rebuild-index or --drop-space")
		return 2
	case *kind != postgres.IndexHNSW && *kind != postgres.IndexIVFFlat:
		fmt.Fprintf(stderr, "logtriage reembed: --index %q: want hnsw or ivfflat\n", *kind)
		return 2
	case *kind == postgres.IndexIVFFlat && (*tenant != "" || *list || *drop != "" || *tenantIndexes):
		fmt.Fprintln(stderr, "logtriage reembed: --index ivfflat goes with --rebuild-index SPACE or a re-embedding (a tenant's own index is HNSW)")
		return 2
	case *kind == postgres.IndexIVFFlat && (*m != 0 || *efc != 0):
		fmt.Fprintln(stderr, "logtriage reembed: --m and --ef-construction shape an HNSW graph, not --index ivfflat (its setting is --lists)")
		return 2
	case *lists < 0 || *lists > 0 && *kind != postgres.IndexIVFFlat:
		fmt.Fprintln(stderr, "logtriage reembed: --lists takes a positive count, with --index ivfflat")
		return 2
	case *format != "text" && *format != "json":
		fmt.Fprintf(stderr, "logtriage reembed: --format %q: want text or json\n", *format)
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "logtriage reembed:", err)
		return 2 // could not run (docs/cli.md's convention)
	}
	s, err := postgres.Open(ctx, *dbURL, postgres.Options{Schema: *schema, IndexM: *m, IndexEFConstruction: *efc, FullPrecisionIndex: *full, IndexKind: *kind, IVFLists: *lists})
	if err != nil {
		return fail(err)
	}
	defer s.Close()

	switch {
	case *tenantIndexes:
		start := time.Now()
		rep, err := s.MaintainTenantIndexes(ctx)
		if err != nil {
			return fail(err)
		}
		return printTenantIndexes(stdout, rep, time.Since(start), *format == "json", fail)
	case *list:
		stats, err := s.Spaces(ctx)
		if err != nil {
			return fail(err)
		}
		if *format == "json" {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(stats); err != nil {
				return fail(err)
			}
			return 0
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SPACE\tDIMS\tVECTORS\tINDEX\tINDEX MB\tDEAD TUPLES")
		for _, st := range stats {
			index := st.Index
			if st.IVFLists > 0 {
				index += fmt.Sprintf("(%d lists)", st.IVFLists)
			}
			if st.Index != "none" {
				index += map[bool]string{true: " halfvec", false: " vector"}[st.Halfvec]
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%.1f\t%d\n", st.EmbedderID, st.Dims, st.Vectors, index, float64(st.IndexBytes)/1e6, st.DeadTuples)
		}
		if err := tw.Flush(); err != nil {
			return fail(err)
		}
		return 0
	case *rebuild != "" && *tenant != "":
		start := time.Now()
		if err := s.TenantIndex(ctx, *rebuild, *tenant); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "built the index of tenant %s in %s in %s\n", *tenant, *rebuild, time.Since(start).Round(time.Millisecond))
		return 0
	case *drop != "" && *tenant != "":
		if err := s.DropTenantIndex(ctx, *drop, *tenant); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "dropped the index of tenant %s in %s\n", *tenant, *drop)
		return 0
	case *rebuild != "":
		start := time.Now()
		if err := s.RebuildIndex(ctx, *rebuild); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "rebuilt the index of %s in %s\n", *rebuild, time.Since(start).Round(time.Millisecond))
		return 0
	case *drop != "":
		n, err := s.DropSpace(ctx, *drop)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "dropped space %s: %d vectors\n", *drop, n)
		return 0
	}

	e, err := embed.FromEnv(os.Getenv)
	if err != nil {
		return fail(err)
	}
	start := time.Now()
	last := start
	n, err := s.Reembed(ctx, e, postgres.ReembedOptions{Batch: *batch, Progress: func(done int) {
		if time.Since(last) >= 5*time.Second {
			last = time.Now()
			fmt.Fprintf(stderr, "reembed: %d cases embedded into %s\n", done, e.ID())
		}
	}})
	if err != nil {
		return fail(fmt.Errorf("after %d cases: %w", n, err))
	}
	fmt.Fprintf(stdout, "embedded %d cases into %s in %s; its index is built\n", n, e.ID(), time.Since(start).Round(time.Millisecond))
	return 0
}

// printTenantIndexes reports one own-index maintenance pass.
func printTenantIndexes(stdout io.Writer, rep triage.TenantIndexReport, took time.Duration, asJSON bool, fail func(error) int) int {
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"skipped": rep.Skipped, "built": orEmpty(rep.Built), "dropped": orEmpty(rep.Dropped), "kept": rep.Kept}); err != nil {
			return fail(err)
		}
		return 0
	}
	if rep.Skipped {
		fmt.Fprintln(stdout, "another process is maintaining the tenants' indexes: nothing done")
		return 0
	}
	for _, c := range rep.Built {
		fmt.Fprintf(stdout, "built   %s / %s: %d vectors (%.1f%%) in %s\n", c.Space, c.Tenant, c.Rows, 100*c.Share, c.Took.Round(time.Millisecond))
	}
	for _, c := range rep.Dropped {
		fmt.Fprintf(stdout, "dropped %s / %s: %d vectors (%.1f%%)\n", c.Space, c.Tenant, c.Rows, 100*c.Share)
	}
	fmt.Fprintf(stdout, "tenant indexes: %d built, %d dropped, %d kept in %s\n", len(rep.Built), len(rep.Dropped), rep.Kept, took.Round(time.Millisecond))
	return 0
}

func orEmpty(cs []triage.TenantIndexChange) []triage.TenantIndexChange {
	if cs == nil {
		return []triage.TenantIndexChange{}
	}
	return cs
}

// startTenantIndexLoop runs the store's own-index maintenance (PostgreSQL:
// large tenants' own HNSW indexes, docs/storage.md) at start and then every
// interval, when the store has it. Several serve processes may run it at
// once: one works, the others skip. stop waits for a pass in progress to end
// (its concurrent index build is canceled; the next pass cleans up).
func startTenantIndexLoop(ctx context.Context, store triage.Store, every time.Duration, log *slog.Logger) (stop func()) {
	m, ok := store.(triage.TenantIndexMaintainer)
	if !ok || every <= 0 {
		return func() {}
	}
	return startPeriodic(ctx, func(ctx context.Context) time.Duration {
		rep, err := m.MaintainTenantIndexes(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("tenant indexes: "+err.Error(), "built", len(rep.Built), "dropped", len(rep.Dropped))
		case len(rep.Built)+len(rep.Dropped) > 0:
			log.Info("tenant indexes", "built", len(rep.Built), "dropped", len(rep.Dropped), "kept", rep.Kept)
		}
		return every
	})
}
