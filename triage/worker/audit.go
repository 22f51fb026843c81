package worker

import (
	"context"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/triage"
)

// AuditOptions make the worker record its accesses to tenant data through
// the audit trail. The zero value records nothing.
type AuditOptions struct {
	Recorder audit.Recorder
	// Identity names this worker in events ("worker@<hostname>" when empty).
	Identity string
	// LLMEndpoint is the base URL of the LLM the pipeline sends redacted
	// excerpts to; only its host goes into events.
	LLMEndpoint string
	// EmbeddingsEndpoint is the base URL of a remote embedder, when one is used.
	EmbeddingsEndpoint string
}

func (o *AuditOptions) identity() string {
	if o.Identity != "" {
		return o.Identity
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	o.Identity = "worker@" + host
	return o.Identity
}

// endpointHost is the host of a base URL: the subprocessor a customer sees,
// never a path or credentials that could sit in the URL.
func endpointHost(base string) string {
	if base == "" {
		return ""
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return "unparsed"
	}
	return u.Host
}

// recordAccess writes the events of one triaged upload before its case is
// persisted, published or acked (no audit, no data): the worker processed
// it, each LLM endpoint its redacted excerpt went to, and the similar-case
// lookup when it returned the tenant's past cases. A failure to record is
// transient: the upload is retried, not shown.
func (w *Worker) recordAccess(ctx context.Context, d *delivery, c *triage.Case) error {
	o := &w.opts.Audit
	if o.Recorder == nil {
		return nil
	}
	actor := audit.Actor{Kind: audit.ActorService, Name: o.identity(), Role: "worker"}
	upload := "upload/" + d.ev.UploadID
	events := []audit.Event{{
		Action: audit.ActionUploadProcessed, Resource: upload,
		Detail: map[string]string{
			"case_id": c.ID, "file": d.ev.Name, "sha256": d.ev.SHA256, "size": strconv.FormatInt(d.ev.Size, 10),
			"classifier": c.Classifier.Kind, "status": string(c.Status),
			"delivery": strconv.FormatUint(d.meta.NumDelivered, 10),
		},
	}}
	cl := c.Classifier
	if cl.Kind == "llm" || cl.Attempts > 0 || cl.Tokens.Prompt > 0 {
		events = append(events, llmEvent(upload, "classify", o.LLMEndpoint, cl.Model, cl.Tokens, cl.FallbackReason))
	}
	if cl.PIIPass == "llm" || cl.PIITokens.Prompt > 0 {
		events = append(events, llmEvent(upload, "pii", o.LLMEndpoint, cl.Model, cl.PIITokens, ""))
	}
	if c.Embedder.ID != "" && o.EmbeddingsEndpoint != "" && strings.HasPrefix(c.Embedder.ID, "openai:") {
		events = append(events, llmEvent(upload, "embedding", o.EmbeddingsEndpoint, c.Embedder.ID, triage.Tokens{}, ""))
	}
	if n, ids := ownCases(c); n > 0 {
		events = append(events, audit.Event{Action: audit.ActionSearch, Resource: "case/" + c.ID,
			Detail: map[string]string{"lookup": "similar", "count": strconv.Itoa(n), "cases": ids}})
	}
	for _, e := range events {
		e.Tenant, e.Actor, e.RequestID = c.Tenant, actor, d.ev.UploadID
		if _, err := o.Recorder.Record(ctx, e); err != nil {
			return triage.Transient("audit", err)
		}
	}
	return nil
}

func llmEvent(upload, purpose, endpoint, model string, t triage.Tokens, fallback string) audit.Event {
	d := map[string]string{
		"purpose":           purpose,
		"endpoint":          endpointHost(endpoint),
		"model":             model,
		"prompt_tokens":     strconv.Itoa(t.Prompt),
		"completion_tokens": strconv.Itoa(t.Completion),
	}
	if fallback != "" {
		d["fallback_reason"] = fallback
	}
	return audit.Event{Action: audit.ActionLLMSent, Resource: upload, Detail: d}
}

// ownCases lists the similar past cases of the case's own tenant (the
// lookup is tenant-scoped; a hit of another tenant would be named by it).
func ownCases(c *triage.Case) (int, string) {
	var ids []string
	for _, s := range c.Similar {
		if s.Tenant == "" || s.Tenant == c.Tenant {
			ids = append(ids, s.CaseID)
		}
	}
	return len(ids), strings.Join(ids, ",")
}

// recordResolution records an agent's resolution arriving over NATS (the
// CLI's `cases --resolve`): before the change is made, and once more with
// outcome failure when it is refused. A failure to record refuses it.
func recordResolution(ctx context.Context, rec audit.Recorder, r triage.Resolution, failed error) error {
	if rec == nil {
		return nil
	}
	e := audit.Event{Tenant: r.Tenant, Actor: audit.Actor{Kind: audit.ActorUser, Name: r.Agent, Role: "agent"},
		Action: audit.ActionCaseResolved, Resource: "case/" + r.CaseID,
		Detail: map[string]string{"via": "nats"}}
	for k, v := range map[string]string{"severity": r.Severity, "category": r.Category, "queue": r.Queue, "note": r.Note} {
		if v != "" {
			e.Detail[k] = v
		}
	}
	if failed != nil {
		e.Outcome, e.Reason = audit.Failure, failed.Error()
	}
	if e.Actor.Name == "" {
		e.Actor = audit.Actor{Kind: audit.ActorService, Name: "resolve-request", Role: "agent"}
	}
	if _, err := rec.Record(ctx, e); err != nil {
		return triage.Transient("audit", err)
	}
	return nil
}
