package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/logtriage/logtriage/detectors"
)

func init() {
	register("scan", command{summary: "find PII and secrets in log files (exit 0 clean, 1 findings, 2 error)", run: runScan})
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseInterspersed lets flags follow the paths, as people type them.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// fileFinding is a finding with the path as given on the command line.
type fileFinding struct {
	File string `json:"file"`
	detectors.Finding
}

func runScan(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	flags := newFlagSet(stderr, "scan", "usage: logtriage scan [--format text|json|jsonl|sarif] [--detectors FILE] [PATH...] (none or - for stdin; directories are walked; gzip, zip, tar and tar.gz are opened as triage opens them)")
	var ef engineFlags
	ef.register(flags)
	ef.registerConfigAlias(flags)
	format := flags.String("format", "text", "output: text, json, jsonl or sarif")
	quiet := flags.Bool("quiet", false, "no progress line on a terminal's stderr")
	paths, err := parseInterspersed(flags, args)
	if err != nil {
		return parseExit(err)
	}
	switch *format {
	case "text", "json", "jsonl", "sarif":
	default:
		fmt.Fprintf(stderr, "logtriage scan: unknown format %q\n", *format)
		return 2
	}
	if len(paths) == 0 {
		paths = []string{"-"} // no PATH reads stdin, as redact does
	}
	eng, err := ef.engine(stderr)
	if err != nil {
		fmt.Fprintln(stderr, "logtriage scan:", err)
		return 2
	}

	out := bufio.NewWriter(stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	var all []fileFinding // json and sarif are one document
	var files []scannedFile
	counts := map[string]int{}
	failed := false
	scanPath := func(path string, inWalk bool) {
		sf := scannedFile{File: path}
		if path != "-" && eng.PathAllowed(path) {
			sf.Skipped = "allow-listed path"
			files = append(files, sf)
			return
		}
		prog := func(size int64) *progress { return startProgress(stderr, *quiet, "scan "+path, size) }
		err := scanOne(ctx, eng, path, stdin, prog, func(f detectors.Finding) error {
			ff := fileFinding{File: path, Finding: f}
			sf.Findings++
			counts[f.Type]++
			switch *format {
			case "jsonl":
				return enc.Encode(ff)
			case "text":
				_, err := fmt.Fprintf(out, "%s:%d:%d: %s %s (confidence %.2f, fingerprint %s)\n",
					path, f.Line, f.Column, f.Type, f.Masked, f.Confidence, f.Fingerprint)
				return err
			}
			all = append(all, ff)
			return nil
		})
		switch {
		case err != nil && inWalk && errors.Is(err, errBinary):
			sf.Skipped = err.Error() // a binary met while walking a directory is skipped, not an error
		case err != nil:
			failed = true
			sf.Error = err.Error()
			fmt.Fprintf(stderr, "logtriage scan: %s: %v\n", path, err)
		}
		files = append(files, sf)
	}
	for _, path := range paths {
		if st, err := os.Stat(path); path != "-" && err == nil && st.IsDir() {
			err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
				switch {
				case err != nil:
					failed = true
					fmt.Fprintf(stderr, "logtriage scan: %s: %v\n", p, err)
				case d.IsDir() && p != path && eng.PathAllowed(p+"/"):
					return filepath.SkipDir
				case d.Type().IsRegular():
					scanPath(p, true)
				}
				return ctx.Err()
			})
			if err != nil {
				failed = true
				fmt.Fprintf(stderr, "logtriage scan: %s: %v\n", path, err)
			}
			continue
		}
		scanPath(path, false)
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	var werr error
	switch *format {
	case "text":
		writeTextSummary(out, files, counts, total)
	case "json":
		if all == nil {
			all = []fileFinding{}
		}
		werr = enc.Encode(scanReport{Files: files, Findings: all, Counts: counts, Total: total})
	case "sarif":
		werr = writeSARIF(out, eng, all)
	}
	if err := out.Flush(); werr == nil {
		werr = err
	}
	switch {
	case werr != nil:
		fmt.Fprintln(stderr, "logtriage scan:", werr)
		return 2
	case failed:
		return 2
	case total > 0:
		return 1
	}
	return 0
}

type scannedFile struct {
	File     string `json:"file"`
	Findings int    `json:"findings"`
	Skipped  string `json:"skipped,omitempty"`
	Error    string `json:"error,omitempty"`
}

type scanReport struct {
	Files    []scannedFile  `json:"files"`
	Findings []fileFinding  `json:"findings"`
	Counts   map[string]int `json:"counts"`
	Total    int            `json:"total"`
}

func scanOne(ctx context.Context, eng *detectors.Engine, path string, stdin io.Reader, prog func(int64) *progress, fn func(detectors.Finding) error) error {
	r, closeIn, err := openInputProgress(ctx, path, stdin, prog)
	if err != nil {
		return err
	}
	defer closeIn()
	return eng.ScanReader(ctx, r, fn)
}

func writeTextSummary(w io.Writer, files []scannedFile, counts map[string]int, total int) {
	scanned := 0
	for _, f := range files {
		switch {
		case f.Skipped != "":
			fmt.Fprintf(w, "%s: skipped (%s)\n", f.File, f.Skipped)
		case f.Error != "":
			fmt.Fprintf(w, "%s: not scanned (%s)\n", f.File, f.Error)
		default:
			scanned++
		}
	}
	if total == 0 {
		fmt.Fprintf(w, "no findings in %d scanned file(s)\n", scanned)
		return
	}
	types := make([]string, 0, len(counts))
	for t := range counts {
		types = append(types, t)
	}
	sort.Slice(types, func(i, j int) bool {
		if counts[types[i]] != counts[types[j]] {
			return counts[types[i]] > counts[types[j]]
		}
		return types[i] < types[j]
	})
	fmt.Fprintf(w, "\n%d finding(s) in %d scanned file(s):\n", total, scanned)
	for _, t := range types {
		fmt.Fprintf(w, "  %-22s %d\n", t, counts[t])
	}
}

// SARIF 2.1.0: one rule per finding type, one result per finding.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string            `json:"id"`
	ShortDescription sarifText         `json:"shortDescription"`
	Properties       map[string]string `json:"properties,omitempty"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]any    `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int   `json:"startLine"`
	StartColumn int   `json:"startColumn"`
	ByteOffset  int64 `json:"byteOffset"`
	ByteLength  int64 `json:"byteLength"`
}

func writeSARIF(w io.Writer, eng *detectors.Engine, fs []fileFinding) error {
	var rules []sarifRule
	index := map[string]int{}
	for _, t := range eng.Types() {
		index[t.ID] = len(rules)
		rules = append(rules, sarifRule{ID: t.ID, ShortDescription: sarifText{Text: t.Description},
			Properties: map[string]string{"category": string(t.Category)}})
	}
	results := make([]sarifResult, 0, len(fs))
	for _, f := range fs {
		level := "warning"
		if f.Category == detectors.CategorySecret {
			level = "error"
		}
		results = append(results, sarifResult{
			RuleID:    f.Type,
			RuleIndex: index[f.Type],
			Level:     level,
			Message:   sarifText{Text: fmt.Sprintf("%s found: %s", f.Type, f.Masked)},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifact{URI: sarifURI(f.File)},
				Region:           sarifRegion{StartLine: f.Line, StartColumn: f.Column, ByteOffset: f.Start, ByteLength: f.End - f.Start},
			}}},
			PartialFingerprints: map[string]string{"logtriage/v1": f.Fingerprint},
			Properties:          map[string]any{"confidence": f.Confidence, "category": f.Category},
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{{Tool: sarifTool{Driver: sarifDriver{Name: "logtriage", Rules: rules}}, Results: results}},
	})
}

// sarifURI turns a path as given into a URI reference (spaces, '#', '%'
// escaped), relative paths staying relative.
func sarifURI(path string) string {
	if path == "-" {
		return "stdin"
	}
	p := strings.TrimPrefix(filepath.ToSlash(path), "./")
	return (&url.URL{Path: p}).EscapedPath()
}
