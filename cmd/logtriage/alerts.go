package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/logtriage/logtriage/internal/natsx"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/worker"
)

func init() {
	register("alerts", command{summary: "show the security team's PII/secret alerts", run: runAlerts})
}

func runAlerts(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet(stderr, "alerts", "usage: logtriage alerts [--nats-url URL] [--tenant T] [--follow] [--format text|json]")
	var nf natsFlags
	nf.register(fs, natsx.DefaultURL)
	tenant := fs.String("tenant", "", "show only this tenant's alerts")
	follow := fs.Bool("follow", false, "keep printing new alerts as they arrive")
	format := fs.String("format", "text", "output format: text or json (one alert per line)")
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	if code := usageProblem(fs, stderr, argsProblem(fs.Args(), fs.NArg() == 0, "no arguments"), formatProblem(*format, "text", "json")); code >= 0 {
		return code
	}
	nc, js, err := nf.connect("logtriage-alerts")
	if err != nil {
		fmt.Fprintln(stderr, "logtriage alerts:", err)
		return 2
	}
	defer nc.Close()
	n := 0
	err = worker.ReadAlerts(ctx, js, worker.ReadOptions{Tenant: *tenant, Follow: *follow}, func(a *triage.Alert) error {
		n++
		if *format == "json" {
			b, err := json.Marshal(a)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(stdout, "%s\n", b)
			return err
		}
		return renderAlert(stdout, a)
	})
	if err != nil && !(*follow && errors.Is(err, context.Canceled)) {
		fmt.Fprintln(stderr, "logtriage alerts:", err)
		return 2
	}
	if n == 0 && *format == "text" && !*follow {
		fmt.Fprintln(stderr, "no alerts")
	}
	return 0
}

// renderAlert writes what the security team acts on: where, what kind, how
// many, fingerprints to correlate across uploads. Alerts never carry values.
func renderAlert(w io.Writer, a *triage.Alert) error {
	var b strings.Builder
	fmt.Fprintf(&b, "ALERT %s  risk %s %.0f/100  tenant %s  %s\n", a.CaseID,
		strings.ToUpper(a.Risk.Label), a.Risk.Score, a.Tenant, a.Time.UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "  upload  %s  (%d bytes, sha256 %s)\n", a.Upload.Name, a.Upload.Size, shortHash(a.Upload.SHA256))
	if a.Kind == "anomaly" {
		renderAnomalyAlert(&b, a)
		_, err := io.WriteString(w, b.String())
		return err
	}
	for _, r := range a.Risk.Reasons {
		fmt.Fprintf(&b, "  why     %s\n", r)
	}
	for _, f := range a.Findings {
		var lines []string
		for i, l := range f.Locations {
			if i == 8 {
				lines = append(lines, "…")
				break
			}
			loc := fmt.Sprint(l.Line)
			if l.File != "" && l.File != a.Upload.Name {
				loc = l.File + ":" + loc
			}
			lines = append(lines, loc)
		}
		var fps []string
		for i, fp := range f.Fingerprints {
			if i == 4 {
				fps = append(fps, "…")
				break
			}
			fps = append(fps, fp)
		}
		fmt.Fprintf(&b, "  %-6s  %-20s x%-4d lines %s  fingerprints %s\n", f.Category, f.Type, f.Count,
			strings.Join(lines, ","), strings.Join(fps, " "))
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
