package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/logtriage/logtriage/detectors"
)

func init() {
	register("types", command{summary: "list the finding types with their category and validator", run: runTypes})
}

// typeRow is one line of `logtriage types`.
type typeRow struct {
	ID          string   `json:"id"`
	Category    string   `json:"category"`
	Validator   string   `json:"validator"`
	Rules       []string `json:"rules"`
	Description string   `json:"description"`
}

// llmOnlyTypes come from the LLM PII pass (--llm-pii), not from a detector;
// --mode and --disable accept them too.
var llmOnlyTypes = []typeRow{
	{ID: detectors.TypePersonName, Category: string(detectors.CategoryPII), Validator: "LLM PII pass (--llm-pii)", Description: "a person's name in free text"},
	{ID: detectors.TypeStreetAddress, Category: string(detectors.CategoryPII), Validator: "LLM PII pass (--llm-pii)", Description: "a postal address in free text"},
}

func runTypes(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet(stderr, "types", "usage: logtriage types [--format text|json] [--detectors FILE]")
	format := fs.String("format", "text", "output format: text or json")
	cfgPath := fs.String("detectors", os.Getenv("LOGTRIAGE_DETECTORS"), "detector config JSON whose custom rules are listed too (env LOGTRIAGE_DETECTORS)")
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	if fs.NArg() != 0 || (*format != "text" && *format != "json") {
		fs.Usage()
		return 2
	}
	var cfg *detectors.Config
	if *cfgPath != "" {
		var err error
		if cfg, err = detectors.LoadConfig(*cfgPath); err != nil {
			fmt.Fprintln(stderr, "logtriage types:", err)
			return 2
		}
	}
	infos, err := detectors.ConfigTypes(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "logtriage types:", err)
		return 2
	}
	rows := make([]typeRow, 0, len(infos)+len(llmOnlyTypes))
	for _, ti := range infos {
		rows = append(rows, typeRow{ID: ti.ID, Category: string(ti.Category), Validator: ti.Validator, Rules: ti.Rules, Description: ti.Description})
	}
	rows = append(rows, llmOnlyTypes...)
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			fmt.Fprintln(stderr, "logtriage types:", err)
			return 2
		}
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tCATEGORY\tVALIDATOR\tRULES")
	for _, r := range rows {
		rules := strings.Join(r.Rules, ",")
		if rules == "" {
			rules = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Category, r.Validator, rules)
	}
	if err := tw.Flush(); err != nil {
		return 2
	}
	return 0
}
