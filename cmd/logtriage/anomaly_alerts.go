package main

import (
	"fmt"
	"strings"

	"github.com/logtriage/logtriage/triage"
)

// renderAnomalyAlert writes an anomaly alert's signals: kind, reason,
// lines and fingerprints, never a value.
func renderAnomalyAlert(b *strings.Builder, a *triage.Alert) {
	for _, s := range a.Anomalies {
		var lines []string
		for _, l := range s.Lines {
			lines = append(lines, fmt.Sprint(l))
		}
		fmt.Fprintf(b, "  anomaly %-18s %s", s.Kind, s.Reason)
		if len(lines) > 0 {
			fmt.Fprintf(b, "  lines %s", strings.Join(lines, ","))
		}
		if s.Fingerprint != "" {
			fmt.Fprintf(b, "  fingerprint %s", s.Fingerprint)
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}
