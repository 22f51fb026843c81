package main

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"github.com/logtriage/logtriage/detectors"
)

func init() {
	register("redact", command{summary: "copy a log with PII and secrets replaced by typed placeholders", run: runRedact})
}

func runRedact(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet(stderr, "redact", "usage: logtriage redact [--detectors FILE] [--mode type=mode,...] [PATH|-]   (redacted text on stdout)")
	var ef engineFlags
	ef.register(fs)
	ef.registerConfigAlias(fs)
	stats := fs.Bool("stats", false, "print counts by finding type on stderr")
	paths, err := parseInterspersed(fs, args)
	if err != nil {
		return parseExit(err)
	}
	if code := usageProblem(fs, stderr, argsProblem(paths, len(paths) <= 1, "one FILE, '-' or none (stdin)")); code >= 0 {
		return code
	}
	path := "-"
	if len(paths) == 1 {
		path = paths[0]
	}
	eng, err := ef.engine(stderr)
	if err != nil {
		fmt.Fprintln(stderr, "logtriage redact:", err)
		return 2
	}
	r, closeIn, err := openInput(ctx, path, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "logtriage redact: %s: %v\n", path, err)
		return 2
	}
	defer closeIn()
	out := bufio.NewWriterSize(stdout, 64<<10)
	st, err := eng.Redact(ctx, r, out)
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		fmt.Fprintf(stderr, "logtriage redact: %s: %v\n", path, err)
		return 2
	}
	if *stats {
		printStats(stderr, st)
	}
	return 0
}

func printStats(w io.Writer, st detectors.Stats) {
	fmt.Fprintf(w, "%d line(s), %d byte(s), %d finding(s)\n", st.Lines, st.Bytes, st.Findings)
	for t, n := range st.ByType {
		fmt.Fprintf(w, "  %-22s %d\n", t, n)
	}
}
