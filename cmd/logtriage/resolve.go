package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/worker"
)

// resolveFlags are `cases --resolve`'s: the agent closes a case, confirming
// the classifier's labels or correcting them. The case becomes a labelled
// example new cases learn from (docs/feedback.md).
type resolveFlags struct {
	caseID, severity, category, note, agent string
	timeout                                 time.Duration
}

func (f *resolveFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.caseID, "resolve", "", "resolve this case id (with --severity, --category, --queue as corrections; none confirms the case as judged)")
	fs.StringVar(&f.severity, "severity", "", "with --resolve: the corrected severity ("+strings.Join(triage.SeverityLabels, "|")+")")
	fs.StringVar(&f.category, "category", "", "with --resolve: the corrected category (one of the routing config's)")
	fs.StringVar(&f.note, "note", "", "with --resolve: the agent's note")
	fs.StringVar(&f.agent, "agent", envOr("LOGTRIAGE_AGENT", os.Getenv("USER")), "with --resolve: who resolves (env LOGTRIAGE_AGENT, else USER)")
	fs.DurationVar(&f.timeout, "resolve-timeout", 10*time.Second, "with --resolve: how long to wait for serve's answer")
}

// runResolve sends the resolution to serve, which owns the store, and prints
// the resolved case. Exit 0 when recorded, 1 when the case does not exist
// or the labels are refused, 2 on usage errors or when serve cannot be reached.
func runResolve(ctx context.Context, fs *flag.FlagSet, nf natsFlags, rf resolveFlags, queue, tenant, format string, stdout, stderr io.Writer) int {
	for _, name := range []string{"follow", "next"} {
		if flagGiven(fs, name) {
			fmt.Fprintf(stderr, "logtriage cases: --resolve does not go with --%s\n", name)
			return 2
		}
	}
	if fs.NArg() != 0 || (format != "text" && format != "json") {
		fs.Usage()
		return 2
	}
	if tenant == "" {
		tenant = envOr("LOGTRIAGE_TENANT", "default")
	}
	if rf.severity != "" && !slices.Contains(triage.SeverityLabels, rf.severity) {
		fmt.Fprintf(stderr, "logtriage cases: --severity %q is not one of %s\n", rf.severity, strings.Join(triage.SeverityLabels, ", "))
		return 2
	}
	r := triage.Resolution{
		Tenant: tenant, CaseID: rf.caseID, Agent: rf.agent,
		Severity: rf.severity, Category: rf.category, Queue: queue, Note: rf.note,
	}
	nc, _, err := nf.connect("logtriage-resolve")
	if err != nil {
		fmt.Fprintln(stderr, "logtriage cases:", err)
		return 2
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(ctx, rf.timeout)
	defer cancel()
	c, err := worker.RequestResolve(ctx, nc, r)
	switch {
	case errors.Is(err, triage.ErrNotFound), err != nil && triage.KindOf(err) == triage.KindInvalid:
		fmt.Fprintln(stderr, "logtriage cases:", err)
		return 1
	case err != nil:
		fmt.Fprintln(stderr, "logtriage cases:", err)
		return 2
	}
	if err := printCase(stdout, c, format); err != nil {
		return 2
	}
	return 0
}
