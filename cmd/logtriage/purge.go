package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/logtriage/logtriage/triage/retention"
	"github.com/logtriage/logtriage/triage/worker"
)

func init() {
	register("purge", command{summary: "delete what is past its retention window (--dry-run: only list it)", run: runPurge})
}

func runPurge(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	var f maintFlags
	fs := newFlagSet(stderr, "purge", "usage: logtriage purge [--dry-run] [--format text|json] [--retention FILE] [--data-dir DIR | --database-url URL --nats-url URL]",
		"\nserve purges on its own schedule (--purge-every). On the embedded store stop serve first: it holds the store.")
	f.register(fs)
	dryRun := fs.Bool("dry-run", false, "report what would be removed, remove nothing")
	format := fs.String("format", "text", "output format: text or json")
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	if fs.NArg() != 0 || (*format != "text" && *format != "json") {
		fs.Usage()
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "logtriage purge:", err)
		return 1
	}
	log := stderrLogger(stderr)
	env, err := f.open(ctx, log)
	if err != nil {
		return fail(err)
	}
	defer env.close()
	p, err := env.purger("logtriage-purge")
	if err != nil {
		return fail(err)
	}
	if !*dryRun {
		var payloads *worker.Payloads
		if env.js != nil {
			payloads = worker.NewPayloads(env.js)
		}
		again, err := reDeleteTombstoned(ctx, env.keys, p, env.store.Store, payloads)
		if err != nil {
			return fail(err)
		}
		for _, t := range again {
			fmt.Fprintf(stdout, "tenant %s was deleted; removed its data again (restored from a copy)\n", t)
		}
	}
	rep, err := p.Purge(ctx, *dryRun)
	if werr := writePurgeReport(stdout, *format, rep); werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		return fail(err)
	}
	return 0
}

func writePurgeReport(w io.Writer, format string, rep retention.Report) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	verb := "removed"
	if rep.DryRun {
		verb = "would remove"
	}
	for _, t := range rep.Tenants {
		fmt.Fprintf(w, "tenant %s: %s %d raw uploads, %d cases, %d statuses, %d audit events\n",
			t.Tenant, verb, len(t.RawUploads), len(t.Cases), t.Statuses, t.AuditEvents)
		for _, c := range t.Cases {
			fmt.Fprintf(w, "  case %s (upload %s, created %s)\n", c.ID, c.UploadID, c.CreatedAt.Format("2006-01-02"))
		}
	}
	raw, cases, statuses, auditEvents := rep.Totals()
	_, err := fmt.Fprintf(w, "purge at %s: %s %d raw uploads, %d cases, %d statuses, %d audit events\n",
		rep.At.Format("2006-01-02T15:04:05Z"), verb, raw, cases, statuses, auditEvents)
	return err
}
