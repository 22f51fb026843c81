package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/logtriage/logtriage/internal/natsx"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/worker"
)

func init() {
	register("cases", command{summary: "list, follow, take or resolve the cases of a support queue", run: runCases})
}

func runCases(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet(stderr, "cases", "usage: logtriage cases [--nats-url URL] [--queue Q] [--tenant T] [--follow | --next] [--format text|json]\n"+
		"       logtriage cases --resolve ID [--tenant T] [--severity S] [--category C] [--queue Q] [--note TEXT] [--agent NAME]")
	var nf natsFlags
	nf.register(fs, natsx.DefaultURL)
	queue := fs.String("queue", "", "the queue to read (all queues when empty; required with --next)")
	tenant := fs.String("tenant", "", "show only this tenant's cases")
	follow := fs.Bool("follow", false, "keep printing new cases as they arrive")
	next := fs.Bool("next", false, "take the next case nobody has taken from --queue, and print it")
	wait := fs.Duration("wait", 5*time.Second, "with --next, how long to wait for a case")
	format := fs.String("format", "text", "output format: text or json (one case per line)")
	var rf resolveFlags
	rf.register(fs)
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	if rf.caseID != "" {
		return runResolve(ctx, fs, nf, rf, *queue, *tenant, *format, stdout, stderr)
	}
	if code := usageProblem(fs, stderr, argsProblem(fs.Args(), fs.NArg() == 0, "no arguments"), formatProblem(*format, "text", "json"),
		problem{*next && *queue == "", "--next needs --queue: which queue to take the next case from"},
		problem{*next && *follow, "--next takes one case; it does not go with --follow"}); code >= 0 {
		return code
	}
	if *tenant != "" {
		if err := worker.ValidTenant(*tenant); err != nil {
			fmt.Fprintln(stderr, "logtriage cases:", err)
			return 2
		}
	}
	nc, js, err := nf.connect("logtriage-cases")
	if err != nil {
		fmt.Fprintln(stderr, "logtriage cases:", err)
		return 2
	}
	defer nc.Close()

	print := func(c *triage.Case) error { return printCase(stdout, c, *format) }
	if *next {
		c, err := worker.NextCase(ctx, js, *queue, *tenant, *wait)
		if err != nil {
			fmt.Fprintln(stderr, "logtriage cases:", err)
			return 2
		}
		if c == nil {
			fmt.Fprintf(stderr, "logtriage cases: no case waiting in queue %s\n", *queue)
			return 1
		}
		if err := print(c); err != nil {
			return 2
		}
		return 0
	}
	n := 0
	err = worker.ReadCases(ctx, js, worker.ReadOptions{Queue: *queue, Tenant: *tenant, Follow: *follow},
		func(c *triage.Case) error { n++; return print(c) })
	if err != nil && !(*follow && errors.Is(err, context.Canceled)) {
		fmt.Fprintln(stderr, "logtriage cases:", err)
		return 2
	}
	if n == 0 && *format == "text" && !*follow {
		fmt.Fprintln(stderr, "no cases")
	}
	return 0
}

// printCase writes one case: rendered for a person, or one JSON line.
func printCase(w io.Writer, c *triage.Case, format string) error {
	if format == "json" {
		b, err := json.Marshal(c)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	if err := triage.RenderText(w, c); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w)
	return err
}
