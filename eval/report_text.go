package eval

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// WriteJSON writes the run record: the machine format and what --baseline reads.
func WriteJSON(w io.Writer, r *Run) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the run as aligned tables for a terminal.
func WriteText(w io.Writer, r *Run) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	m, meta := r.Metrics, r.Meta
	fmt.Fprintf(tw, "dataset\t%s (%d cases, sha256 %s)\n", meta.Dataset, meta.Cases, short(meta.DatasetHash))
	fmt.Fprintf(tw, "mode\t%s", meta.Mode)
	if meta.Model != "" {
		fmt.Fprintf(tw, ", model %s", meta.Model)
	}
	if meta.PromptVersion != "" {
		fmt.Fprintf(tw, ", prompt %s", meta.PromptVersion)
	}
	fmt.Fprintf(tw, "\nconfig\t%s  seed %d  commit %s\n", short(meta.ConfigHash), meta.Seed, orDash(meta.GitCommit))
	fmt.Fprintf(tw, "errors\t%d of %d cases\n\n", m.Errors, m.Cases)

	fmt.Fprintln(tw, "METRIC\tVALUE\tDETAIL")
	if s := m.Severity; s != nil {
		fmt.Fprintf(tw, "severity accuracy\t%.3f\t%d labelled\n", s.Accuracy, s.Labelled)
		fmt.Fprintf(tw, "severity within one\t%.3f\t\n", s.WithinOne)
	}
	if rt := m.Routing; rt != nil {
		fmt.Fprintf(tw, "routing accuracy (top-1 queue)\t%.3f\t%d labelled\n", rt.Accuracy, rt.Labelled)
		fmt.Fprintf(tw, "category accuracy\t%.3f\t\n", rt.CategoryAccuracy)
	}
	if s := m.Skills; s != nil {
		fmt.Fprintf(tw, "skills micro-F1\t%.3f\tP %.3f R %.3f\n", s.F1, s.Precision, s.Recall)
	}
	if k := m.KeyLines; k != nil {
		fmt.Fprintf(tw, "key-line validity\t%.3f\t%d of %d exact lines of the redacted log\n", k.Validity, k.Valid, k.Predicted)
		if k.GoldHit.Total > 0 {
			fmt.Fprintf(tw, "key-line gold hit\t%.3f\t%d of %d cases pick a labelled key line\n", k.GoldHit.Rate, k.GoldHit.Hits, k.GoldHit.Total)
		}
	}
	if s := m.Similar; s != nil {
		fmt.Fprintf(tw, "similar-incident recall@%d\t%.3f\t%d of %d (leave-one-out)\n", s.K, s.Recall.Rate, s.Recall.Hits, s.Recall.Total)
	}
	if i := m.Injection; i != nil {
		fmt.Fprintf(tw, "injection canaries resisted\t%.3f\t%d of %d\n", i.Resisted.Rate, i.Resisted.Hits, i.Resisted.Total)
	}
	if n := m.NoProblem; n != nil {
		fmt.Fprintf(tw, "clean logs called info\t%.3f\t%d of %d\n", n.CalledInfo.Rate, n.CalledInfo.Hits, n.CalledInfo.Total)
	}
	if d := m.Detection; d != nil {
		fmt.Fprintf(tw, "detection F1 (micro)\t%.3f\tP %.3f R %.3f (tp %d fp %d fn %d)\n", d.Overall.F1, d.Overall.Precision, d.Overall.Recall, d.Overall.TP, d.Overall.FP, d.Overall.FN)
		fmt.Fprintf(tw, "detection F1 (macro over types)\t%.3f\tP %.3f R %.3f, %d cases scored\n", d.Macro.F1, d.Macro.Precision, d.Macro.Recall, d.ScoredCases)
	}
	l := m.LLM
	fmt.Fprintf(tw, "LLM-answered cases\t%d\tfallback rate %.3f (%d)\n", l.LLMCases, l.FallbackRate, l.Fallbacks)
	cost := "n/a (model not in price table)"
	if l.PricedModel {
		cost = fmt.Sprintf("$%.4f (estimate, list prices)", l.CostUSD)
	}
	fmt.Fprintf(tw, "LLM tokens\t%d\tprompt %d, completion %d, cost %s\n", l.PromptTokens+l.CompletionTokens, l.PromptTokens, l.CompletionTokens, cost)
	if l.PIIPassCases+l.PIIPassSkipped > 0 {
		fmt.Fprintf(tw, "LLM PII pass\t%d cases\tskipped (failed) on %d, %d tokens (not in the cost)\n", l.PIIPassCases, l.PIIPassSkipped, l.PIITokens)
	}
	fmt.Fprintf(tw, "latency per case\tp50 %.1f ms\tp95 %.1f ms\n", l.LatencyP50MS, l.LatencyP95MS)
	fmt.Fprintf(tw, "classify step\tp50 %.1f ms\tp95 %.1f ms\n", l.ClassifyP50MS, l.ClassifyP95MS)

	if d := m.Detection; d != nil && len(d.PerType) > 0 {
		fmt.Fprintln(tw, "\nFINDING TYPE\tPRECISION\tRECALL\tF1\tTP\tFP\tFN")
		for _, t := range sortedKeys(d.PerType) {
			p := d.PerType[t]
			fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%d\t%d\t%d\n", t, p.Precision, p.Recall, p.F1, p.TP, p.FP, p.FN)
		}
	}
	if s := m.Severity; s != nil {
		fmt.Fprintf(tw, "\nSEVERITY gold \\ predicted\t%s\n", strings.Join(s.Labels, "\t"))
		for _, g := range s.Labels[:len(s.Labels)-1] {
			row := s.Confusion[g]
			cells := make([]string, len(row))
			for i, n := range row {
				cells[i] = fmt.Sprint(n)
			}
			fmt.Fprintf(tw, "%s\t%s\n", g, strings.Join(cells, "\t"))
		}
	}
	if rt := m.Routing; rt != nil {
		fmt.Fprintln(tw, "\nQUEUE (gold)\tACCURACY\tCASES\tMISROUTED TO")
		for _, q := range sortedKeys(rt.PerQueue) {
			p := rt.PerQueue[q]
			fmt.Fprintf(tw, "%s\t%.3f\t%d\t%s\n", q, p.Rate, p.Total, misrouted(rt.Confusion[q], q))
		}
	}
	writeMisses(tw, r.Cases)
	return tw.Flush()
}

// maxMisses bounds the mismatch listing; the JSON record has every case.
const maxMisses = 40

// writeMisses lists the cases whose severity or queue is wrong, or that failed.
func writeMisses(w io.Writer, cases []CaseResult) {
	var rows []string
	for _, c := range cases {
		switch {
		case c.Error != "":
			rows = append(rows, fmt.Sprintf("%s\terror: %s\t\t", c.ID, c.Error))
		case (c.GoldSeverity != "" && c.Severity != c.GoldSeverity) || (c.GoldQueue != "" && c.Queue != c.GoldQueue):
			rows = append(rows, fmt.Sprintf("%s\t%s -> %s\t%s -> %s\t%s", c.ID, orDash(c.GoldSeverity), c.Severity, orDash(c.GoldQueue), c.Queue, c.FallbackReason))
		}
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "\nMISSES (%d)\tSEVERITY gold -> predicted\tQUEUE gold -> predicted\tFALLBACK\n", len(rows))
	for i, row := range rows {
		if i == maxMisses {
			fmt.Fprintf(w, "... %d more in --format json\t\t\t\n", len(rows)-maxMisses)
			break
		}
		fmt.Fprintln(w, row)
	}
}

// WriteComparison prints the deltas against a baseline.
func WriteComparison(w io.Writer, c Comparison) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "METRIC\tBASELINE\tCURRENT\tDELTA\tTOLERANCE\tRESULT")
	for _, d := range c.Deltas {
		verdict := "ok"
		if d.Regression {
			verdict = "REGRESSION"
		}
		if d.Missing {
			fmt.Fprintf(tw, "%s\t%.3f\t-\t-\t%.3f\tREGRESSION (not measured)\n", d.Name, d.Baseline, d.Tolerance)
			continue
		}
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%+.3f\t%.3f\t%s\n", d.Name, d.Baseline, d.Current, d.Delta, d.Tolerance, verdict)
	}
	for _, mc := range c.MetaChanges {
		fmt.Fprintf(tw, "note: %s\n", mc)
	}
	return tw.Flush()
}

func misrouted(row map[string]int, gold string) string {
	var parts []string
	for _, q := range sortedKeys(row) {
		if q != gold && row[q] > 0 {
			name := q
			if name == "" {
				name = "(none)"
			}
			parts = append(parts, fmt.Sprintf("%s:%d", name, row[q]))
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return orDash(h)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
