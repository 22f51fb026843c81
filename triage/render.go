package triage

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// RenderText writes a case for a person to read: what broke, how bad, where
// it goes, the key lines, findings and how to reproduce. Timings are left
// out so the rendering of a case is stable.
func RenderText(w io.Writer, c *Case) error {
	var b strings.Builder
	field := func(name, format string, args ...any) {
		fmt.Fprintf(&b, "%-11s %s\n", name, fmt.Sprintf(format, args...))
	}
	section := func(title string) { fmt.Fprintf(&b, "\n%s\n", title) }

	head := "Case " + c.ID
	if c.CaseRef != "" {
		head += "  (customer ref " + c.CaseRef + ")"
	}
	b.WriteString(head + "\n" + strings.Repeat("=", len(head)) + "\n")
	field("Tenant", "%s", c.Tenant)
	field("File", "%s  (%s, %s, %d lines)", c.Upload.Name, orDash(c.Upload.ContentType), humanBytes(c.Upload.Size), c.Lines)
	field("Status", "%s%s", c.Status, suffix(" — ", c.StatusReason))
	if c.Status == StatusQuarantined {
		field("Queue", "%s  priority %s", c.Queue, c.Priority)
		section("Summary")
		wrapText(&b, c.Summary)
		_, err := io.WriteString(w, b.String())
		return err
	}
	field("Severity", "%s  %.0f/100", strings.ToUpper(c.Severity.Label), c.Severity.Score)
	field("PII risk", "%s  %.0f/100", strings.ToUpper(c.PIIRisk.Label), c.PIIRisk.Score)
	field("Category", "%s  skills: %s", c.Category, orDash(strings.Join(c.Skills, ", ")))
	alert := ""
	if c.Alerted {
		alert = "  — raises a PII/secret alert for security" // serve publishes it; triage alone sends nothing
	}
	field("Queue", "%s  priority %s%s", c.Queue, c.Priority, alert)
	cls := c.Classifier.Kind
	if c.Classifier.Model != "" {
		cls += " (" + c.Classifier.Model + ")"
	}
	if c.Classifier.FallbackReason != "" {
		cls += " — fallback: " + c.Classifier.FallbackReason
	}
	if c.Classifier.Feedback != "" {
		cls += " — " + c.Classifier.Feedback
	}
	field("Classifier", "%s", cls)
	if r := c.Resolution; r != nil {
		field("Resolved", "by %s at %s%s", orDash(r.Agent), r.ResolvedAt.UTC().Format(time.RFC3339), resolutionChanges(r))
	}

	section("Summary")
	wrapText(&b, c.Summary)
	section("Root cause (hypothesis)")
	wrapText(&b, c.RootCause)
	if len(c.KeyLines) > 0 {
		section("Key lines")
		for _, l := range c.KeyLines {
			b.WriteString("  > " + l + "\n")
		}
	}
	section("Why this severity")
	for _, r := range c.Severity.Reasons {
		b.WriteString("  - " + r + "\n")
	}
	renderAnomalies(&b, c.Anomalies)
	section("Findings (values redacted)")
	if len(c.Findings) == 0 {
		b.WriteString("  none\n")
	}
	for _, f := range c.Findings {
		var locs []string
		for i, l := range f.Locations {
			if i == 3 {
				locs = append(locs, "…")
				break
			}
			locs = append(locs, fmt.Sprintf("%s:%d", l.File, l.Line))
		}
		fmt.Fprintf(&b, "  %-6s %-22s %5d  (%d distinct)  %s\n", f.Category, f.Type, f.Count, max(f.Distinct, len(f.Fingerprints)), strings.Join(locs, ", "))
	}
	if len(c.ReproSteps) > 0 {
		section("Reproduction steps")
		for i, s := range c.ReproSteps {
			wrapPrefixed(&b, fmt.Sprintf("  %d. ", i+1), s)
		}
	}
	if len(c.Similar) > 0 {
		section("Similar incidents")
		for _, s := range c.Similar {
			dup := ""
			if s.Duplicate {
				dup = "  likely duplicate"
			}
			fmt.Fprintf(&b, "  %s  %.2f%s  %s\n", s.CaseID, s.Similarity, dup, s.Summary)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

const wrapWidth = 96

func wrapText(b *strings.Builder, text string) { wrapPrefixed(b, "  ", text) }

// wrapPrefixed word-wraps text, indenting continuation lines under the first.
func wrapPrefixed(b *strings.Builder, prefix, text string) {
	indent := strings.Repeat(" ", len(prefix))
	line := prefix
	for _, word := range strings.Fields(text) {
		if len(line) > len(indent) && len(line)+1+len(word) > wrapWidth {
			b.WriteString(line + "\n")
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += word
	}
	b.WriteString(line + "\n")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func suffix(sep, s string) string {
	if s == "" {
		return ""
	}
	return sep + s
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
