package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/logtriage/logtriage/triage/worker"
)

func init() {
	register("tenant", command{summary: "tenant administration: delete T destroys its key, rows and uploads", run: runTenant})
}

func runTenant(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if code, ok := subcommand(args, "delete", stderr, "usage: logtriage tenant delete [flags] TENANT"); !ok {
		return code
	}
	var f maintFlags
	fs := newFlagSet(stderr, "tenant delete", "usage: logtriage tenant delete [--data-dir DIR | --database-url URL --nats-url URL] TENANT",
		"\nDestroys the tenant's data key first (every copy of its sealed data, backups included, becomes unreadable),",
		"then deletes its cases, statuses, raw uploads and messages. On the embedded store stop serve first.")
	f.register(fs)
	format := fs.String("format", "text", "output format: text or json")
	tenants, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return parseExit(err)
	}
	if len(tenants) != 1 || (*format != "text" && *format != "json") {
		fs.Usage()
		return 2
	}
	tenant := tenants[0]
	if err := worker.ValidTenant(tenant); err != nil {
		fmt.Fprintln(stderr, "logtriage tenant delete:", err)
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "logtriage tenant delete:", err)
		return 1
	}
	env, err := f.open(ctx, stderrLogger(stderr))
	if err != nil {
		return fail(err)
	}
	defer env.close()
	p, err := env.purger("logtriage-tenant-delete")
	if err != nil {
		return fail(err)
	}
	// The tombstone first: a delete cut short is finished by serve's next purge.
	if err := writeTombstone(env.keys, tenant); err != nil {
		return fail(err)
	}
	d, err := p.DeleteTenant(ctx, env.store.keys, tenant)
	if err != nil {
		return fail(err)
	}
	if *format == "json" {
		json.NewEncoder(stdout).Encode(d)
		return 0
	}
	fmt.Fprintf(stdout, "tenant %s deleted: data key destroyed, %d cases and %d raw uploads removed\n", d.Tenant, d.Cases, d.RawUploads)
	return 0
}
