package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/logtriage/logtriage/audit"
)

func init() {
	register("audit", command{summary: "verify, export or show the key of the access audit trail", run: runAudit})
}

const auditUsage = `usage: logtriage audit verify [--tenant T] [--pubkey FILE] [--data-dir DIR | --database-url URL] [--format text|json] [FILE|-]
       logtriage audit export [--tenant T | --all-tenants] [--since TIME] [--data-dir DIR | --database-url URL]
       logtriage audit public-key [--data-dir DIR | --audit-key-file FILE]`

func runAudit(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, auditUsage)
		return 2
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, auditUsage)
		return 0
	case "verify":
		return runAuditVerify(ctx, args[1:], stdin, stdout, stderr)
	case "export":
		return runAuditExport(ctx, args[1:], stdout, stderr)
	case "public-key":
		return runAuditPublicKey(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "logtriage audit: unknown subcommand %q\n%s\n", args[0], auditUsage)
	return 2
}

const auditStoreNote = `
Without FILE, the trail is read from the store serve uses. The embedded store is
held by a running serve: then export through the API (GET /api/v1/audit/export)
and verify the file, or run this while serve is stopped. PostgreSQL is read live.
Exit status: 0 every chain verifies, 1 a problem was found, 2 usage or I/O error.`

func runAuditVerify(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet(stderr, "audit verify", auditUsage, auditStoreNote)
	tenant := fs.String("tenant", "", "verify only this tenant's chain")
	pubFile := fs.String("pubkey", "", "the server's public key (PEM from /api/v1/audit/public-key); default for the store: the data dir's key")
	dbURL := fs.String("database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL (env DATABASE_URL); the embedded store when empty")
	dataDir := fs.String("data-dir", envOr("LOGTRIAGE_DATA_DIR", "data"), "data dir of serve (env LOGTRIAGE_DATA_DIR)")
	format := fs.String("format", "text", "output format: text or json")
	partial := fs.Bool("partial", false, "accept a chain that starts mid-way without a signed anchor (an export asked with since=)")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return parseExit(err)
	}
	if len(files) > 1 || (*format != "text" && *format != "json") {
		fs.Usage()
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "logtriage audit verify:", err)
		return 2
	}
	opts := audit.VerifyOptions{Tenant: *tenant, AllowPartial: *partial}
	fromFile := len(files) == 1
	switch {
	case *pubFile != "":
		b, err := os.ReadFile(*pubFile)
		if err != nil {
			return fail(err)
		}
		if opts.PublicKey, err = audit.ParsePublicKey(b); err != nil {
			return fail(fmt.Errorf("%s: %w", *pubFile, err))
		}
	case !fromFile:
		pub, err := localPublicKey(auditKeyPath(*dataDir))
		if err != nil {
			return fail(err)
		}
		opts.PublicKey = pub
	}
	if opts.PublicKey == nil {
		fmt.Fprintln(stderr, "logtriage audit verify: no --pubkey: hash links are checked, checkpoint signatures and truncation are not")
	}
	var rep audit.Report
	if fromFile {
		var in io.Reader = stdin
		if name := files[0]; name != "-" {
			f, err := os.Open(name)
			if err != nil {
				return fail(err)
			}
			defer f.Close()
			in = f
		}
		rep, err = audit.VerifyExport(in, opts)
	} else {
		store, as, err := openAuditStore(ctx, *dbURL, *dataDir)
		if err != nil {
			return fail(err)
		}
		defer store.Close()
		rep, err = audit.VerifyStore(ctx, as, opts)
	}
	if err != nil {
		return fail(err)
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fail(err)
		}
	} else {
		printReport(stdout, rep)
	}
	if !rep.OK {
		return 1
	}
	return 0
}

func localPublicKey(path string) (ed25519.PublicKey, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil // no key yet: nothing was ever checkpointed here
	}
	s, err := audit.LoadOrCreateSigner(path)
	if err != nil {
		return nil, err
	}
	return s.PublicKey(), nil
}

func printReport(w io.Writer, rep audit.Report) {
	for _, t := range rep.Tenants {
		status := "OK"
		if len(t.Problems) > 0 {
			status = fmt.Sprintf("FAILED (%d problems)", len(t.Problems))
		}
		fmt.Fprintf(w, "%s: %d events, seq %d..%d", t.Tenant, t.Events, t.FirstSeq, t.LastSeq)
		switch {
		case t.Anchored:
			fmt.Fprintf(w, " (starts after a signed retention anchor)")
		case t.Partial:
			fmt.Fprintf(w, " (partial: starts mid-chain)")
		}
		fmt.Fprintf(w, ", %d checkpoints verified", t.Checkpoints)
		if t.LastCheckpointTime != nil {
			fmt.Fprintf(w, " (last: seq %d, %s)", t.LastCheckpointSeq, t.LastCheckpointTime.Format(time.RFC3339))
		}
		if t.UnsignedTail > 0 {
			fmt.Fprintf(w, ", %d after the last checkpoint", t.UnsignedTail)
		}
		fmt.Fprintf(w, ": %s\n", status)
		for _, p := range t.Problems {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}
	if rep.First != nil {
		fmt.Fprintf(w, "first problem: %s\n", rep.First)
	} else {
		fmt.Fprintf(w, "verified %d events in %d chains\n", rep.Events, len(rep.Tenants))
	}
}

func runAuditExport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet(stderr, "audit export", auditUsage, "\nWrites JSON lines (header, checkpoints, events) for `audit verify FILE`. The embedded store must not be held by serve.")
	tenant := fs.String("tenant", "", "the tenant whose chain to export")
	all := fs.Bool("all-tenants", false, "export every tenant's chain (operators)")
	since := fs.String("since", "", "only events at or after this RFC 3339 time")
	dbURL := fs.String("database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL (env DATABASE_URL); the embedded store when empty")
	dataDir := fs.String("data-dir", envOr("LOGTRIAGE_DATA_DIR", "data"), "data dir of serve (env LOGTRIAGE_DATA_DIR)")
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	if fs.NArg() != 0 || (*tenant == "") == !*all {
		fs.Usage()
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "logtriage audit export:", err)
		return 2
	}
	q := audit.ExportQuery{Tenant: *tenant, AllTenants: *all}
	if *since != "" {
		t, err := time.Parse(time.RFC3339Nano, *since)
		if err != nil {
			return fail(fmt.Errorf("--since: %w", err))
		}
		q.Since = t
	}
	store, as, err := openAuditStore(ctx, *dbURL, *dataDir)
	if err != nil {
		return fail(err)
	}
	defer store.Close()
	// An operator's export is an access to every exported tenant's trail:
	// recorded in each before a line is written.
	tenants := []string{*tenant}
	if *all {
		if tenants, err = as.AuditTenants(ctx); err != nil {
			return fail(err)
		}
	}
	for _, t := range tenants {
		if err := recordCLI(ctx, store, audit.Event{Tenant: t, Action: audit.ActionAuditExported, Resource: "audit/" + t,
			Detail: map[string]string{"since": *since}}); err != nil {
			return fail(err)
		}
	}
	h := audit.ExportHeader{Created: time.Now().UTC()}
	if pub, err := localPublicKey(auditKeyPath(*dataDir)); err == nil && pub != nil {
		h.KeyID = audit.KeyID(pub)
	}
	if err := audit.WriteExport(ctx, as, stdout, q, h); err != nil {
		return fail(err)
	}
	return 0
}

func runAuditPublicKey(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet(stderr, "audit public-key", auditUsage, "\nPrints the checkpoint key's public half (PEM), what /api/v1/audit/public-key serves.")
	dataDir := fs.String("data-dir", envOr("LOGTRIAGE_DATA_DIR", "data"), "data dir of serve (env LOGTRIAGE_DATA_DIR)")
	keyFile := fs.String("audit-key-file", "", "the signing key file (env LOGTRIAGE_AUDIT_KEY_FILE; default DATA_DIR/keys/"+audit.SigningKeyFile+")")
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	path := *keyFile
	if path == "" {
		path = auditKeyPath(*dataDir)
	}
	pub, err := localPublicKey(path)
	if err == nil && pub == nil {
		err = fmt.Errorf("no signing key at %s (serve creates it on first start)", path)
	}
	if err != nil {
		fmt.Fprintln(stderr, "logtriage audit public-key:", err)
		return 2
	}
	stdout.Write(audit.PublicKeyPEM(pub))
	return 0
}
