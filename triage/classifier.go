package triage

import "context"

// Severity labels, most severe first.
var SeverityLabels = []string{"critical", "high", "medium", "low", "info"}

// CategoryOption is one category the router allows, with its skills.
type CategoryOption struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Skills      []string `json:"skills"`
}

// ClassifyInput is everything a classifier may see: only redacted text.
type ClassifyInput struct {
	FileName string
	// Excerpt is the redacted excerpt, one log line per element, each an exact
	// line of the redacted log (key lines must be chosen from these).
	Excerpt []string
	// Stats about the whole log, not just the excerpt.
	TotalLines  int
	LevelCounts map[string]int // "error", "warn", "fatal", ... -> lines
	Findings    []FindingSummary
	// Templates are the log's line templates (redacted, variables masked),
	// most severe level first, then most frequent; capped.
	Templates []TemplateStat
	// Signals are the fatal signatures seen (panic, OOM, segfault, ...) with counts.
	Signals     []SignalCount
	StackTraces int
	// FirstTime and LastTime are the first and last timestamps seen, as written in the log.
	FirstTime, LastTime string
	// Examples are resolved cases near this one (same tenant, redacted text
	// and the labels agents confirmed), for an LLM to judge by; may be empty.
	Examples []Example
	// The closed sets the answer must come from (from the routing config).
	Categories []CategoryOption
	Skills     []string
}

// Classification is a classifier's judgement, before scoring and routing.
type Classification struct {
	Severity   string   `json:"severity"` // one of SeverityLabels
	Category   string   `json:"category"` // one of the input's Categories
	Skills     []string `json:"skills"`   // subset of the input's Skills
	Summary    string   `json:"summary"`
	RootCause  string   `json:"root_cause"`
	KeyLines   []string `json:"key_lines"` // exact elements of the input's Excerpt
	ReproSteps []string `json:"repro_steps"`
	Reasons    []string `json:"reasons,omitempty"` // why this severity/category
	// Evidence is what the classifier read broke, in system-independent
	// words (the rules fill it; see evidence.go); it goes into the signature.
	Evidence IncidentEvidence `json:"-"`
	Info     ClassifierInfo   `json:"-"`
}

// Classifier judges a redacted excerpt. Implementations: the rules classifier
// (triage) and the LLM classifier (triage/llm). Errors carry a kind; the
// pipeline falls back to rules on any LLM error and records why.
type Classifier interface {
	Classify(ctx context.Context, in ClassifyInput) (Classification, error)
}

// Allows reports whether category is one of the input's closed set (any
// category when the input names none).
func (in ClassifyInput) Allows(category string) bool {
	if len(in.Categories) == 0 {
		return true
	}
	for _, c := range in.Categories {
		if c.Name == category {
			return true
		}
	}
	return false
}

// DisplayName is how summaries name an upload: its file name, or "the log".
func DisplayName(name string) string {
	if name == "" {
		return "the log"
	}
	return name
}
