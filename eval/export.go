package eval

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/logtriage/logtriage/triage"
)

// ExportExamples writes resolved cases as a labelled dataset in the format
// LoadDataset reads (docs/eval-datasets.md), one case per line: the case's
// redacted key lines as inline text, and the labels the agent confirmed or
// corrected. Detection is not labelled (the text is already redacted), so
// eval scores severity, category and routing on it. A case without key
// lines has no text to judge and is skipped; skipped counts them.
func ExportExamples(w io.Writer, xs []triage.Example) (written, skipped int, err error) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, x := range xs {
		text := exampleText(x)
		if text == "" {
			skipped++
			continue
		}
		c := exportedCase{
			ID: x.CaseID, Text: text, Tenant: x.Tenant,
			Severity: x.Severity, Category: x.Category, Queue: x.Queue,
			Notes: exportNote(x),
		}
		if err := enc.Encode(c); err != nil {
			return written, skipped, fmt.Errorf("eval: export %s: %w", x.CaseID, err)
		}
		written++
	}
	return written, skipped, nil
}

// exportedCase is Case without the findings key: absent, not empty, so
// eval does not score detection on text that is already redacted.
type exportedCase struct {
	ID       string `json:"id"`
	Text     string `json:"text"`
	Tenant   string `json:"tenant,omitempty"`
	Severity string `json:"severity,omitempty"`
	Category string `json:"category,omitempty"`
	Queue    string `json:"queue,omitempty"`
	Notes    string `json:"notes,omitempty"`
}

func exampleText(x triage.Example) string {
	var lines []string
	for _, l := range x.KeyLines {
		if l = strings.TrimRight(l, "\r\n"); strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

func exportNote(x triage.Example) string {
	how := "confirmed"
	if x.Corrected {
		how = "corrected"
	}
	note := fmt.Sprintf("%s by an agent at %s", how, x.ResolvedAt.UTC().Format(time.RFC3339))
	if x.Upload != "" {
		note += "; upload " + x.Upload
	}
	return note + "; text: the case's redacted key lines"
}
