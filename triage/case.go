// Package triage turns one uploaded log into a routed, pre-summarized case.
// Every step is a plain function over the plain types in this file; the NATS
// worker (triage/worker) and the `scan`/`triage` commands share all of it.
package triage

import (
	"time"

	"github.com/logtriage/logtriage/triage/anomaly"
)

// Status is the lifecycle of an upload.
type Status string

const (
	StatusPending     Status = "pending"
	StatusProcessing  Status = "processing"
	StatusQuarantined Status = "quarantined" // not text, a bomb, traversal: kept aside, never processed
	StatusTriaged     Status = "triaged"
	StatusFailed      Status = "failed" // dead-lettered after retries or as poison
)

// Upload describes the file a customer sent, as the intake event carries it.
type Upload struct {
	ID     string `json:"id"` // idempotency key: the same upload always yields the same case id
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	// ContentType is what sniffing found ("text/plain", "application/gzip", ...).
	ContentType string `json:"content_type,omitempty"`
}

// Score is a judgement with its number and the reasons behind it.
type Score struct {
	Label   string   `json:"label"` // severity: critical|high|medium|low|info; risk: high|medium|low|none
	Score   float64  `json:"score"` // 0..100
	Reasons []string `json:"reasons"`
}

// Location is where a finding sits; never the value.
type Location struct {
	File  string `json:"file,omitempty"` // member path inside an archive, or the upload name
	Line  int    `json:"line"`
	Start int64  `json:"start"`
	End   int64  `json:"end"`
}

// FindingSummary aggregates the findings of one type. No raw values.
type FindingSummary struct {
	Type         string     `json:"type"`
	Category     string     `json:"category"` // "pii" | "secret"
	Count        int        `json:"count"`
	Locations    []Location `json:"locations"`    // capped; Count is exact
	Fingerprints []string   `json:"fingerprints"` // distinct, capped
	// Distinct is the number of distinct values (fingerprints), counted
	// exactly up to a bound (10000) well past the Fingerprints cap.
	Distinct int `json:"distinct,omitempty"`
}

// SimilarCase is a past incident that looks like this one.
type SimilarCase struct {
	CaseID     string  `json:"case_id"`
	Tenant     string  `json:"tenant,omitempty"`
	Similarity float64 `json:"similarity"` // cosine, 0..1
	Summary    string  `json:"summary,omitempty"`
	Queue      string  `json:"queue,omitempty"`
	Duplicate  bool    `json:"likely_duplicate,omitempty"` // above the duplicate threshold; never merged silently
}

// Tokens is LLM usage.
type Tokens struct {
	Prompt     int `json:"prompt"`
	Completion int `json:"completion"`
	Total      int `json:"total"`
}

// ClassifierInfo records who judged the case and how.
type ClassifierInfo struct {
	Kind           string `json:"kind"` // "llm" | "rules"
	Model          string `json:"model,omitempty"`
	PromptVersion  string `json:"prompt_version,omitempty"`
	Tokens         Tokens `json:"tokens"`
	Attempts       int    `json:"attempts,omitempty"`
	FallbackReason string `json:"fallback_reason,omitempty"` // why the LLM answer was not used
	// PIIPass is the LLM PII pass over the excerpt: "llm" when it ran,
	// "skipped: <reason>" when it failed (pattern redaction only), empty
	// when it is not configured. PIITokens is what it spent.
	PIIPass   string `json:"pii_pass,omitempty"`
	PIITokens Tokens `json:"pii_tokens,omitzero"`
	// Feedback says which labels came from resolved neighbours, and which.
	Feedback string `json:"feedback,omitempty"`
}

// EmbedderInfo records which embedder made the case's vector and, when the
// configured one failed and the fallback made it, why and in which space
// the case still needs a vector (a backfill fills it in and clears Reembed).
type EmbedderInfo struct {
	ID             string `json:"id"`
	FallbackReason string `json:"fallback_reason,omitempty"`
	Reembed        string `json:"reembed_into,omitempty"`
}

// Timings are per-step durations in milliseconds.
type Timings struct {
	OpenMS      float64 `json:"open_ms"`
	DetectMS    float64 `json:"detect_ms"` // detect + redact + excerpt share one streaming pass
	ClassifyMS  float64 `json:"classify_ms"`
	EmbedMS     float64 `json:"embed_ms"`
	TotalMS     float64 `json:"total_ms"`
	QueueWaitMS float64 `json:"queue_wait_ms,omitempty"` // set by the worker
}

// Alert is what the security team receives when PII risk crosses the threshold.
type Alert struct {
	CaseID   string           `json:"case_id"`
	Tenant   string           `json:"tenant"`
	Upload   Upload           `json:"upload"`
	Risk     Score            `json:"risk"`
	Findings []FindingSummary `json:"findings"`
	Time     time.Time        `json:"time"`

	// Kind is "anomaly" for an anomaly alert (AnomalyAlertFor); empty for
	// a PII alert. Anomalies are then its security signals, fingerprints only.
	Kind      string           `json:"kind,omitempty"`
	Anomalies []anomaly.Signal `json:"anomalies,omitempty"`
}

// Case is what a queue message, `submit --wait` and the stores carry.
type Case struct {
	ID           string           `json:"id"`
	Tenant       string           `json:"tenant"`
	CaseRef      string           `json:"case_ref,omitempty"` // customer's case number from a file-name prefix
	Upload       Upload           `json:"upload"`
	Status       Status           `json:"status"`
	StatusReason string           `json:"status_reason,omitempty"`
	Severity     Score            `json:"severity"`
	PIIRisk      Score            `json:"pii_risk"`
	Category     string           `json:"category"`
	Skills       []string         `json:"skills"`
	Queue        string           `json:"queue"`
	Priority     string           `json:"priority"`                // P1 (most urgent) .. P4
	RouteReasons []string         `json:"route_reasons,omitempty"` // why this queue and priority
	Summary      string           `json:"summary"`
	RootCause    string           `json:"root_cause"`
	KeyLines     []string         `json:"key_lines"` // redacted, each an exact line of the redacted log
	ReproSteps   []string         `json:"repro_steps"`
	Findings     []FindingSummary `json:"findings"`
	Similar      []SimilarCase    `json:"similar"`
	Classifier   ClassifierInfo   `json:"classifier"`
	Embedder     EmbedderInfo     `json:"embedder,omitzero"`
	Timings      Timings          `json:"timings"`
	// Signature is the redacted, template-normalized error signature the embedding is made from.
	Signature string    `json:"signature,omitempty"`
	Lines     int       `json:"lines"`
	Alerted   bool      `json:"pii_alert"` // an Alert was raised for this case
	CreatedAt time.Time `json:"created_at"`
	// DeleteAfter is when retention deletes the case (triage.Retention).
	DeleteAfter time.Time `json:"delete_after,omitzero"`
	// Resolution is the agent's, once the case is resolved (see examples.go).
	Resolution *Resolution `json:"resolution,omitempty"`

	// Anomalies are what is new or unusual against the tenant's history
	// (see triage/anomaly); their weights are in Severity.
	Anomalies []anomaly.Signal `json:"anomalies,omitempty"`
	// HistorySummary is what this upload adds to the tenant's history; the
	// caller records it (HistoryStore) after persisting the case.
	HistorySummary *anomaly.Summary `json:"-"`
}
