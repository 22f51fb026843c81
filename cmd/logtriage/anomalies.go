package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/logtriage/logtriage/detectors"
	"github.com/logtriage/logtriage/router"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/anomaly"
	"github.com/logtriage/logtriage/triage/rules"
	"github.com/logtriage/logtriage/triage/store/embedded"
)

func init() {
	register("anomalies", command{
		summary: "offline anomaly signals of a file against a history built from earlier files",
		run:     runAnomalies,
	})
}

// anomaliesReport is the JSON output of `anomalies`.
type anomaliesReport struct {
	File           string           `json:"file"`
	Tenant         string           `json:"tenant"`
	HistoryUploads int              `json:"history_uploads"`
	Lines          int              `json:"lines"`
	Severity       triage.Score     `json:"severity"`
	Anomalies      []anomaly.Signal `json:"anomalies"`
}

func runAnomalies(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet(stderr, "anomalies", "usage: logtriage anomalies [--tenant T] [--history DIR|FILE[,FILE...]] [--format text|json] FILE",
		"\nRuns the pipeline (rules classifier) over each history file in order, as earlier uploads of the tenant,"+
			"\nthen over FILE, and prints FILE's anomaly signals. A directory's files are taken in name order."+
			"\nExit 0 without signals, 1 with signals, 2 on error.")
	tenant := fs.String("tenant", "local", "tenant the uploads belong to")
	history := fs.String("history", "", "earlier uploads: a directory, or files separated by commas")
	format := fs.String("format", "text", "output format: text or json")
	keyFile := fs.String("fingerprint-key-file", "", "file holding the fingerprint HMAC key (env LOGTRIAGE_FINGERPRINT_KEY_FILE or LOGTRIAGE_FINGERPRINT_KEY; a random key per run when none: the history is built in the same run)")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return parseExit(err)
	}
	if len(files) != 1 || (*format != "text" && *format != "json") {
		fs.Usage()
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "logtriage anomalies:", err)
		return 2
	}
	past, err := historyFiles(*history)
	if err != nil {
		return fail(err)
	}
	dir, err := os.MkdirTemp("", "logtriage-anomalies-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(dir)
	store, err := embedded.Open(dir, embedded.Options{NoSync: true})
	if err != nil {
		return fail(err)
	}
	defer store.Close()
	key, err := oneShotFingerprintKey(*keyFile, os.Getenv, stderrLogger(stderr))
	if err != nil {
		return fail(err)
	}
	det, err := detectors.New(detectors.Options{FingerprintKey: key})
	if err != nil {
		return fail(err)
	}
	// Uploads are a second apart, oldest first, so the history keeps their order.
	now := time.Now().UTC().Add(-time.Duration(len(past)+1) * time.Second)
	p, err := triage.NewPipeline(triage.PipelineOptions{Detector: det, Router: router.Default(), Rules: rules.New(router.Default()),
		Anomalies: &triage.AnomalyOptions{History: store}, Now: func() time.Time { return now }})
	if err != nil {
		return fail(err)
	}
	run := func(path, id string) (*triage.Case, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		up, err := describe(f, path)
		if err != nil {
			return nil, err
		}
		up.ID = id + up.ID
		c, _, err := p.Run(ctx, triage.Input{Tenant: *tenant, Upload: up, Content: f})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if c.HistorySummary != nil {
			if err := store.RecordHistory(ctx, *tenant, *c.HistorySummary); err != nil {
				return nil, err
			}
		}
		now = now.Add(time.Second)
		return c, nil
	}
	for i, path := range past {
		if _, err := run(path, fmt.Sprintf("history-%d:", i)); err != nil {
			return fail(err)
		}
	}
	c, err := run(files[0], "")
	if err != nil {
		return fail(err)
	}
	rep := anomaliesReport{File: files[0], Tenant: *tenant, HistoryUploads: len(past), Lines: c.Lines,
		Severity: c.Severity, Anomalies: c.Anomalies}
	if rep.Anomalies == nil {
		rep.Anomalies = []anomaly.Signal{}
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = renderAnomaliesReport(stdout, rep)
	}
	if err != nil {
		return fail(err)
	}
	if len(rep.Anomalies) > 0 {
		return 1
	}
	return 0
}

// historyFiles expands --history: a directory's regular files in name
// order, or a comma-separated list.
func historyFiles(arg string) ([]string, error) {
	if arg == "" {
		return nil, nil
	}
	if st, err := os.Stat(arg); err == nil && st.IsDir() {
		entries, err := os.ReadDir(arg)
		if err != nil {
			return nil, err
		}
		var out []string
		for _, e := range entries {
			if e.Type().IsRegular() {
				out = append(out, filepath.Join(arg, e.Name()))
			}
		}
		sort.Strings(out)
		return out, nil
	}
	var out []string
	for _, f := range strings.Split(arg, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out, nil
}

func renderAnomaliesReport(w io.Writer, r anomaliesReport) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s  tenant %s  %d lines  against %d earlier upload(s)\n", r.File, r.Tenant, r.Lines, r.HistoryUploads)
	fmt.Fprintf(&b, "severity %s %.0f/100\n", strings.ToUpper(r.Severity.Label), r.Severity.Score)
	if len(r.Anomalies) == 0 {
		b.WriteString("no anomalies\n")
	}
	for _, s := range r.Anomalies {
		fmt.Fprintf(&b, "\n%-18s +%-3.0f %s\n", s.Kind, s.Weight, s.Reason)
		if s.Template != "" {
			fmt.Fprintf(&b, "  template     %s\n", s.Template)
		}
		if s.Fingerprint != "" {
			fmt.Fprintf(&b, "  fingerprint  %s\n", s.Fingerprint)
		}
		if len(s.Lines) > 0 {
			fmt.Fprintf(&b, "  lines        %s\n", strings.Trim(fmt.Sprint(s.Lines), "[]"))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
