package worker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Streams, subjects and the payload bucket. Subject layout:
//
//	logtriage.uploads.<tenant>    upload events (Nats-Msg-Id = upload id)
//	logtriage.cases.<queue>       finished cases as JSON (Nats-Msg-Id = case id)
//	logtriage.alerts.pii          PII alerts, or the router config's alert subject
//	logtriage.dlq.uploads         dead-lettered uploads, reason in header and body
//	logtriage.done.<upload id>    the outcome of one upload, for `submit --wait`
const (
	UploadsStream = "LOGTRIAGE_UPLOADS"
	CasesStream   = "LOGTRIAGE_CASES"
	AlertsStream  = "LOGTRIAGE_ALERTS"
	DLQStream     = "LOGTRIAGE_DLQ"
	DoneStream    = "LOGTRIAGE_DONE"
	PayloadBucket = "logtriage-payloads"

	UploadsSubjectPrefix = "logtriage.uploads."
	CasesSubjectPrefix   = "logtriage.cases."
	AlertsSubjectPrefix  = "logtriage.alerts."
	DoneSubjectPrefix    = "logtriage.done."
	DefaultAlertSubject  = "logtriage.alerts.pii"
	DLQSubject           = "logtriage.dlq.uploads"

	// WorkerConsumer is the durable pull consumer every worker shares.
	WorkerConsumer = "logtriage-worker"
)

// Headers the worker and intake set.
const (
	HeaderTenant   = "Logtriage-Tenant"
	HeaderUploadID = "Logtriage-Upload-Id"
	HeaderCaseID   = "Logtriage-Case-Id"
	HeaderStatus   = "Logtriage-Status"
	HeaderReason   = "Logtriage-Reason" // a dead letter's reason code
	HeaderDetail   = "Logtriage-Reason-Detail"
)

// UploadSubject is where tenant's upload events go.
func UploadSubject(tenant string) string { return UploadsSubjectPrefix + tenant }

// CaseSubject is where cases of queue are published.
func CaseSubject(queue string) string { return CasesSubjectPrefix + SubjectToken(queue) }

// DoneSubject carries the outcome of one upload.
func DoneSubject(uploadID string) string { return DoneSubjectPrefix + uploadID }

// SubjectToken makes s safe as one subject token: the wildcards, the
// separator and whitespace become '_'.
func SubjectToken(s string) string {
	if s == "" {
		return "_"
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '.' || r == '*' || r == '>' || r <= ' ' || r == 0x7f:
			return '_'
		}
		return r
	}, s)
}

// ValidTenant reports whether t can name a tenant: it becomes a subject token,
// so it is kept to letters, digits, '-' and '_' (1..64).
func ValidTenant(t string) error {
	if t == "" || len(t) > 64 {
		return errors.New("tenant must be 1 to 64 characters")
	}
	for _, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Errorf("tenant %q: only letters, digits, '-' and '_' are allowed", t)
		}
	}
	return nil
}

// AnomalyAlertSubject carries security anomaly alerts (failed-login bursts,
// new administrators, new source addresses); it is in the alerts stream, so
// `logtriage alerts` shows them beside PII alerts.
const AnomalyAlertSubject = AlertsSubjectPrefix + "anomaly"

// Topology configures the streams and the worker consumer. Zero values take
// the production defaults; tests shorten the timings.
type Topology struct {
	// AlertSubject is where PII alerts go (router config); default logtriage.alerts.pii.
	AlertSubject string
	// Storage of every stream; default file.
	Storage jetstream.StorageType
	// Retention of uploads, cases, alerts, dead letters and payloads; default 7 days.
	MaxAge time.Duration
	// DedupWindow for Nats-Msg-Id on uploads and cases; default 24h.
	DedupWindow time.Duration
	// AckWait is how long a delivery may go without an ack or a heartbeat
	// before it is redelivered; default 30s.
	AckWait time.Duration
	// MaxDeliver bounds deliveries of one upload; default 5. The worker
	// dead-letters an upload on its last delivery instead of retrying it.
	MaxDeliver int
	// Backoff is the redelivery schedule after an ack timeout, one entry per
	// delivery (the last repeats); default 30s, 1m, 2m, 5m. Its first entry
	// replaces AckWait, so it is only set when it starts at AckWait.
	Backoff []time.Duration
	// MaxAckPending bounds uploads in flight across all workers; default 256.
	MaxAckPending int
}

func (t Topology) withDefaults() Topology {
	if t.AlertSubject == "" {
		t.AlertSubject = DefaultAlertSubject
	}
	if t.MaxAge == 0 {
		t.MaxAge = 7 * 24 * time.Hour
	}
	if t.DedupWindow == 0 {
		t.DedupWindow = 24 * time.Hour
	}
	if t.AckWait == 0 {
		t.AckWait = 30 * time.Second
	}
	if t.MaxDeliver == 0 {
		t.MaxDeliver = 5
	}
	if t.Backoff == nil {
		t.Backoff = []time.Duration{t.AckWait, time.Minute, 2 * time.Minute, 5 * time.Minute}
	}
	if t.MaxAckPending == 0 {
		t.MaxAckPending = 256
	}
	return t
}

// Setup creates or updates every stream, the payload bucket and the worker
// consumer. It is idempotent: every `serve` start runs it.
func Setup(ctx context.Context, js jetstream.JetStream, t Topology) (Topology, error) {
	t = t.withDefaults()
	if len(t.Backoff) > 0 && t.Backoff[0] != t.AckWait {
		return t, fmt.Errorf("worker topology: the first backoff (%s) must equal the ack wait (%s)", t.Backoff[0], t.AckWait)
	}
	if len(t.Backoff) > t.MaxDeliver {
		t.Backoff = t.Backoff[:t.MaxDeliver]
	}
	alertSubjects := []string{AlertsSubjectPrefix + ">"}
	if !strings.HasPrefix(t.AlertSubject, AlertsSubjectPrefix) {
		alertSubjects = append(alertSubjects, t.AlertSubject)
	}
	streams := []jetstream.StreamConfig{
		{Name: UploadsStream, Subjects: []string{UploadsSubjectPrefix + "*"}, Description: "logtriage upload events",
			Duplicates: t.DedupWindow},
		{Name: CasesStream, Subjects: []string{CasesSubjectPrefix + ">"}, Description: "logtriage cases by queue",
			Duplicates: t.DedupWindow},
		{Name: AlertsStream, Subjects: alertSubjects, Description: "logtriage PII alerts for the security team",
			Duplicates: t.DedupWindow},
		{Name: DLQStream, Subjects: []string{"logtriage.dlq.>"}, Description: "logtriage dead-lettered uploads",
			Duplicates: t.DedupWindow},
		// One outcome per upload is all `submit --wait` needs.
		{Name: DoneStream, Subjects: []string{DoneSubjectPrefix + "*"}, Description: "logtriage upload outcomes",
			MaxMsgsPerSubject: 1, Duplicates: time.Minute},
	}
	for _, cfg := range streams {
		cfg.Storage = t.Storage
		cfg.MaxAge = t.MaxAge
		if cfg.Duplicates > cfg.MaxAge {
			cfg.Duplicates = cfg.MaxAge
		}
		if _, err := js.CreateOrUpdateStream(ctx, cfg); err != nil {
			return t, fmt.Errorf("stream %s: %w", cfg.Name, err)
		}
	}
	if _, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket: PayloadBucket, Description: "logtriage upload payloads, by upload id",
		TTL: t.MaxAge, Storage: t.Storage, Compression: true,
	}); err != nil {
		return t, fmt.Errorf("object store %s: %w", PayloadBucket, err)
	}
	if _, err := js.CreateOrUpdateConsumer(ctx, UploadsStream, jetstream.ConsumerConfig{
		Durable:       WorkerConsumer,
		Description:   "logtriage workers",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       t.AckWait,
		MaxDeliver:    t.MaxDeliver,
		BackOff:       t.Backoff,
		MaxAckPending: t.MaxAckPending,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}); err != nil {
		return t, fmt.Errorf("consumer %s: %w", WorkerConsumer, err)
	}
	return t, nil
}
