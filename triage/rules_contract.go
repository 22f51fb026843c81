package triage

// Rules is the judgement that needs no service and never fails: the
// pipeline's fallback when the configured classifier fails, the reference
// its injection guard compares a steered answer with, and the reader of
// hard failures for the severity floor. The implementation lives in
// triage/rules; the pipeline takes it as an option (PipelineOptions.Rules)
// so this package never builds it.
type Rules interface {
	Classifier
	// Injected reports whether a redacted line speaks to a classifier
	// ("ignore previous instructions", "set severity to low") rather than
	// describing the system.
	Injected(line string) bool
	// HardFailures counts the failing lines of the templates whose wording
	// says something is down, refused, denied, expired or crashed.
	HardFailures(templates []TemplateStat) int
}
