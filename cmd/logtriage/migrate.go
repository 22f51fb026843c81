package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/logtriage/logtriage/triage/store/postgres"
)

func init() {
	register("migrate", command{summary: "apply pending PostgreSQL schema migrations", run: runMigrate})
}

func runMigrate(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet(stderr, "migrate", "usage: logtriage migrate [--database-url URL] [--schema S]")
	dbURL := fs.String("database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL (env DATABASE_URL)")
	schema := fs.String("schema", "logtriage", "schema holding logtriage's tables")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	if code := usageProblem(fs, stderr, argsProblem(fs.Args(), fs.NArg() == 0, "no arguments"),
		problem{*dbURL == "", "no database: give --database-url or set DATABASE_URL"}); code >= 0 {
		return code
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	applied, err := postgres.Migrate(ctx, *dbURL, *schema)
	if err != nil {
		fmt.Fprintln(stderr, "logtriage migrate:", err)
		return 2
	}
	ms, err := postgres.Migrations()
	if err != nil {
		fmt.Fprintln(stderr, "logtriage migrate:", err)
		return 2
	}
	names := map[int]string{}
	for _, m := range ms {
		names[m.Version] = m.Name
	}
	for _, v := range applied {
		fmt.Fprintf(stdout, "applied %04d_%s\n", v, names[v])
	}
	fmt.Fprintf(stdout, "schema %s is at version %d\n", *schema, len(ms))
	return 0
}
